"""Responses (one answer set each) and the counsellor's reviews of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .questionnaire import QuestionnaireVersion
from .tenancy import Participant, StaffUser
from .types import JSONType, UTCDateTime, utcnow

REVIEW_STATUSES = ("new", "in_review", "follow_up", "completed")


class Response(db.Model):
    """One answer set to one questionnaire version, identified by a UUID (client-made later)."""

    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'submitted')", name="status_known"),
        sa.CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire_version.id"))
    #: Set when a counsellor fills in a counsellor-audience questionnaire about the participant.
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_user.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    revision: Mapped[int] = mapped_column(default=1)
    #: Questions both the phone and the server changed since a common revision: every value
    #: is kept here for the counsellor, never silently dropped.
    conflicts: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    #: The language each free-text answer was written in (the interface language at the time),
    #: keyed by the answer's JSON Pointer, e.g. {"/anything_else": "ar"}.
    text_languages: Mapped[dict[str, str]] = mapped_column(
        JSONType, default=dict, server_default="{}"
    )
    #: When the phone last sent this response (None for answers given on server pages only).
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    participant: Mapped[Participant] = relationship()
    version: Mapped[QuestionnaireVersion] = relationship()
    author: Mapped[StaffUser | None] = relationship()
    reviews: Mapped[list[Review]] = relationship(
        back_populates="response", order_by="Review.id", cascade="all, delete-orphan"
    )

    revisions: Mapped[list[ResponseRevision]] = relationship(
        back_populates="response", order_by="ResponseRevision.number", cascade="all, delete-orphan"
    )

    @property
    def review(self) -> Review | None:
        """Return the current review: the latest one."""
        return self.reviews[-1] if self.reviews else None

    @property
    def review_status(self) -> str:
        return self.review.status if self.review else "new"


class ResponseRevision(db.Model):
    """The answers as they were at one revision: the common base for a per-question merge.

    ``fingerprint`` identifies the request that made the revision, so a replayed request
    (a retry after a lost reply, a second tab) gets the same receipt instead of a new revision.
    The unique (response, number) pair makes two concurrent writers collide instead of forking.
    """

    __tablename__ = "response_revision"
    __table_args__ = (sa.UniqueConstraint("response_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(sa.ForeignKey("response.id"), index=True)
    number: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(20))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    source: Mapped[str] = mapped_column(sa.String(20))  # "web", "sync", "merge"
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[Response] = relationship(back_populates="revisions")


class Review(db.Model):
    """A counsellor's review of a response: status and internal note, who and when.

    Reviews are appended, never edited, so the history of a response stays visible.
    """

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('new', 'in_review', 'follow_up', 'completed')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(sa.ForeignKey("response.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))
    status: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[Response] = relationship(back_populates="reviews")
    reviewer: Mapped[StaffUser] = relationship()
