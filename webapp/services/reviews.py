"""The counsellor's review of a response."""

from __future__ import annotations

from ..extensions import db
from ..models import REVIEW_STATUSES, Response, Review, StaffUser
from . import audit


def add_review(response: Response, reviewer: StaffUser, status: str, note: str) -> Review:
    """Append a review: the response's status and internal note from now on."""
    if status not in REVIEW_STATUSES:
        raise ValueError(f"unknown review status {status!r}")
    review = Review(response=response, reviewer=reviewer, status=status, note=note.strip())
    db.session.add(review)
    audit.record(reviewer, "response.review", f"response:{response.id}:{status}")
    return review
