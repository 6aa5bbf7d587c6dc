"""The counsellor's review of a response."""

from __future__ import annotations

from ..extensions import db
from ..models import REVIEW_STATUSES, Response, Review, StaffUser
from . import audit, notifications, responses

MESSAGE_LIMIT = 2000


class ReviewError(ValueError):
    """A review that cannot be recorded (an unknown status, a message too long, a transition
    the response's state does not allow: ``code``)."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code


def refused_transition(response: Response, status: str) -> str | None:
    """Return why ``status`` cannot be set on the response now, or None when it can.

    A response is reviewed once sent: a draft the participant never sent has no review yet
    ("not_sent"). While it is open again for follow-up, the participant is changing it, so
    the only review is the follow-up itself (its message may change); it becomes "in review"
    or "completed" after they send it again ("in_follow_up"), never while still editable.
    """
    if response.status == "submitted":
        return None
    if not response.reviews:
        return "not_sent"
    return None if status == "follow_up" else "in_follow_up"


def add_review(
    response: Response, reviewer: StaffUser, status: str, note: str, message: str = ""
) -> Review:
    """Append a review: the response's status and internal note from now on.

    Asking for follow-up opens a sent response for changes again (a revision by the
    reviewer), with ``message`` telling the participant why; it is shown in their app.
    """
    if status not in REVIEW_STATUSES:
        raise ReviewError(f"unknown review status {status!r}")
    refused = refused_transition(response, status)
    if refused is not None:
        raise ReviewError(f"review {status!r} refused: {refused}", refused)
    message = message.strip() if status == "follow_up" else ""
    if message and response.version.definition.audience != "participant":
        # The participant never sees the counsellor's own questionnaires (api/me.py), so a
        # message here would be stored and never read.
        raise ReviewError("a message on a questionnaire the participant does not see", "unseen")
    if len(message) > MESSAGE_LIMIT:
        raise ReviewError("message too long", "too_long")
    review = Review(
        response=response, reviewer=reviewer, status=status, note=note.strip(), message=message
    )
    db.session.add(review)
    audit.record(reviewer, "response.review", f"response:{response.id}:{status}")
    if status == "follow_up" and response.status == "submitted":
        responses.reopen(response, reviewer)
        if message:
            notifications.notify(response.participant, "follow_up", response=response)
    return review


def follow_up_message(response: Response) -> str:
    """Return what the counsellor asked the participant to change, while that is open."""
    review = response.review
    if review is None or review.status != "follow_up" or response.status != "draft":
        return ""
    return review.message or ""
