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
#: Who wrote a revision: the participant's phone (sync API), the participant on the server
#: pages, or a member of staff (a counsellor filling in, reopening for follow-up).
REVISION_SOURCES = ("phone", "web", "staff")
#: Why staff wrote a revision, when it is more than their own form: answers given with the
#: participant in a meeting, or a sync conflict settled by keeping one of its two values.
REVISION_OCCASIONS = ("meeting", "resolution")


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
    #: Each move of this unfinished response to a newer version of its questionnaire:
    #: {"from": 1, "to": 2, "revision": the last revision on the old version (its answers stay
    #: there), "left_behind": [question ids whose answers did not fit], "new_questions": [ids
    #: the new version added], "at": ISO time}. Counsellors see what was left behind.
    version_moves: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, default=list, server_default="[]"
    )
    #: When the phone last sent this response (None for answers given on server pages only).
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the participant was last reminded of this draft (services/reminders.py).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    participant: Mapped[Participant] = relationship()
    version: Mapped[QuestionnaireVersion] = relationship()
    author: Mapped[StaffUser | None] = relationship()
    reviews: Mapped[list[Review]] = relationship(
        back_populates="response", order_by="Review.id", cascade="all, delete-orphan"
    )

    revisions: Mapped[list[ResponseRevision]] = relationship(
        back_populates="response", order_by="ResponseRevision.number", cascade="all, delete-orphan"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="response", order_by="Comment.id", cascade="all, delete-orphan"
    )

    # Optimistic locking: every UPDATE says ``WHERE revision = :seen``, so two writers can never
    # both store revision n+1 (the second gets StaleDataError and tries again on fresh state).
    # The write path (services/revisions.py) sets the new number itself.
    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}

    @property
    def review(self) -> Review | None:
        """Return the current review: the latest one."""
        return self.reviews[-1] if self.reviews else None

    @property
    def review_status(self) -> str:
        return self.review.status if self.review else "new"

    @property
    def progress(self) -> str:
        """Where the response stands: draft; follow_up while it is open again after a request
        for follow-up; submitted when sent and not reviewed since (sent again after a
        follow-up, too); in_review; completed. services/caseload.progress_state is this rule
        in SQL, for filtering and counting."""
        review = self.review_status
        if self.status == "draft":
            return "follow_up" if review == "follow_up" else "draft"
        return review if review in ("in_review", "completed") else "submitted"

    @property
    def review_default(self) -> str:
        """The review status a counsellor's review form starts from: the current one, but
        "new" once the participant has sent the answers again after a follow-up (saving a
        note must not open them for changes again)."""
        return "new" if self.progress == "submitted" else self.review_status


class ResponseRevision(db.Model):
    """The answers as they were at one revision: the common base for a per-question merge.

    Every write of a response's answers or status records one (services/revisions.py), with
    who wrote it and which revision the writer saw. ``fingerprint`` identifies the phone
    request that made the revision, so a replayed request (a retry after a lost reply) gets
    the same receipt instead of a new revision; ``device`` and ``sequence`` say which phone
    sent it and how far that phone's edits had got, so a delayed older request can never undo
    a newer one. The unique (response, number) pair is a second guard against forks.
    """

    __tablename__ = "response_revision"
    __table_args__ = (
        sa.UniqueConstraint("response_id", "number"),
        sa.CheckConstraint("source IN ('phone', 'web', 'staff')", name="source_known"),
        sa.CheckConstraint(
            "occasion IS NULL OR occasion IN ('meeting', 'resolution')", name="occasion_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(sa.ForeignKey("response.id"), index=True)
    number: Mapped[int]
    #: The version the answers of this revision were given on (a draft moved to a newer
    #: version keeps its older revisions on the older version).
    version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("questionnaire_version.id"))
    status: Mapped[str] = mapped_column(sa.String(20))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    source: Mapped[str] = mapped_column(sa.String(20))  # one of REVISION_SOURCES
    #: The member of staff who wrote it (source "staff", or a counsellor's own form on "web").
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_user.id"))
    #: One of REVISION_OCCASIONS, or None for an ordinary write.
    occasion: Mapped[str | None] = mapped_column(sa.String(20))
    #: The revision the writer's edits were based on (None: the first revision).
    base_number: Mapped[int | None]
    #: True when the writer's base was older and the edits were merged question by question.
    merged: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The phone that sent it (an id the phone made) and its local edit counter at sending.
    device: Mapped[str | None] = mapped_column(sa.String(64))
    sequence: Mapped[int | None]
    #: What the phone sent, when that differs from the stored answers (a merge): the base for
    #: that phone's next edits if it never heard back (see services/sync.py).
    sent_answers: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[Response] = relationship(back_populates="revisions")
    staff: Mapped[StaffUser | None] = relationship()


class Review(db.Model):
    """A counsellor's review of a response: status and internal note, who and when.

    Reviews are appended, never edited, so the history of a response stays visible.
    """

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('new', 'in_review', 'follow_up', 'completed')", name="status_known"
        ),
        # A response's latest review (its state in the caseload): read from the index's end.
        sa.Index("ix_review_response_latest", "response_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(sa.ForeignKey("response.id"))
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))
    status: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    #: For "follow_up": what the counsellor asks the participant to look at (shown in the app).
    message: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[Response] = relationship(back_populates="reviews")
    reviewer: Mapped[StaffUser] = relationship()


#: A note between staff, or a message to the participant (shown in their app and pages).
COMMENT_KINDS = ("note", "message")


class Comment(db.Model):
    """One entry in a response's thread: a note between staff or a message to the participant.

    The author may change the text for a short while (services/comments.py); nobody deletes a
    comment (only erasing the participant removes their thread).
    """

    __tablename__ = "response_comment"
    __table_args__ = (sa.CheckConstraint("kind IN ('note', 'message')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(sa.ForeignKey("response.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    response: Mapped[Response] = relationship(back_populates="comments")
    author: Mapped[StaffUser] = relationship()
