"""The counsellor's review of a response."""

from __future__ import annotations

from ..extensions import db
from ..models import REVIEW_STATUSES, Response, Review, StaffUser
from . import audit, notifications, responses
from .form_state import hold

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


def review_state(response: Response) -> str:
    """Return what a review form is opened on: whether the answers are sent, and the latest
    review. The form carries it (``seen``), and a review saved on another state is refused
    (``stale``): the participant sent the answers again, or someone saved a review since.

    Both parts only ever move forward (review ids grow; a sent response is opened again only
    by a new follow-up review), so a state once left never comes back. The participant's
    changes while the answers are open for follow-up do not make a form outdated: the only
    review then is the follow-up itself.
    """
    review = response.review
    return f"{response.status}-{review.id if review is not None else 0}"


def add_review(
    response: Response,
    reviewer: StaffUser,
    status: str,
    note: str,
    message: str = "",
    seen: str | None = None,
) -> Review:
    """Append a review: the response's status and internal note from now on.

    Asking for follow-up opens a sent response for changes again (a revision by the
    reviewer), with ``message`` telling the participant why; it is shown in their app. While
    it is open, each follow-up review stores the message in force from then on (the form
    starts from the one in force, so saving a note keeps it; an emptied box removes it).

    ``seen`` is the ``review_state`` the counsellor's form was opened on; when given and no
    longer the response's, nothing is stored (``stale``). The response is held from that
    check to the commit: a review is a new row that changes nothing in the response itself,
    so without it two reviews saved at the same moment both passed the check on the state
    both had opened, and both were stored (a follow-up and "completed" at once, say, the
    answers left open for changes while their latest review says completed). Now the second
    waits for the first and is then checked against it. A message with any other status
    than follow-up would never be shown, so it is refused (``message_without_follow_up``)
    rather than dropped.
    """
    if status not in REVIEW_STATUSES:
        raise ReviewError(f"unknown review status {status!r}")
    hold(response, Response.revision)
    if seen is not None and seen != review_state(response):
        raise ReviewError("the review form was opened on an earlier state", "stale")
    refused = refused_transition(response, status)
    if refused is not None:
        raise ReviewError(f"review {status!r} refused: {refused}", refused)
    message = message.strip()
    if message and response.version.definition.audience != "participant":
        # The participant never sees the counsellor's own questionnaires (api/me.py), so a
        # message here would be stored and never read.
        raise ReviewError("a message on a questionnaire the participant does not see", "unseen")
    if message and status != "follow_up":
        # Only a follow-up's message reaches the participant (follow_up_message).
        raise ReviewError("a message without follow-up", "message_without_follow_up")
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
