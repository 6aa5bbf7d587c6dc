"""The counsellor's review of a response."""

from __future__ import annotations

from ..extensions import db
from ..models import REVIEW_STATUSES, Response, Review, StaffUser
from . import audit, notifications, responses

MESSAGE_LIMIT = 2000


class ReviewError(ValueError):
    """A review that cannot be recorded (an unknown status, a message too long)."""


def add_review(
    response: Response, reviewer: StaffUser, status: str, note: str, message: str = ""
) -> Review:
    """Append a review: the response's status and internal note from now on.

    Asking for follow-up opens a sent response for changes again (a revision by the
    reviewer), with ``message`` telling the participant why; it is shown in their app.
    """
    if status not in REVIEW_STATUSES:
        raise ReviewError(f"unknown review status {status!r}")
    message = message.strip() if status == "follow_up" else ""
    if len(message) > MESSAGE_LIMIT:
        raise ReviewError("message too long")
    review = Review(
        response=response, reviewer=reviewer, status=status, note=note.strip(), message=message
    )
    db.session.add(review)
    audit.record(reviewer, "response.review", f"response:{response.id}:{status}")
    if status == "follow_up" and response.status == "submitted":
        responses.reopen(response, reviewer)
        if message and response.version.definition.audience == "participant":
            notifications.notify(response.participant, "follow_up", response=response)
    return review


def follow_up_message(response: Response) -> str:
    """Return what the counsellor asked the participant to change, while that is open."""
    review = response.review
    if review is None or review.status != "follow_up" or response.status != "draft":
        return ""
    return review.message or ""
