"""Notifications: the inbox entry, the phones that asked for pushes, each push to send, and the
push services that could not be reached lately."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .security import LoginSession
from .types import UTCDateTime, utcnow

#: What a notification is about; its texts are generated from this (services/notifications.py).
NOTIFICATION_KINDS = (
    "follow_up",
    "questionnaire_offered",
    "submission",
    "message",
    "resource_shared",
    "next_step_due",
    "draft_reminder",
    "sync_conflict",
)
#: pending: to send (again) at next_attempt_at; sent: the push service accepted it;
#: gone: the subscription expired or was removed before it could be sent; failed: refused for
#: good or out of attempts. The inbox entry stays in every case.
DELIVERY_STATES = ("pending", "sent", "gone", "failed")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PushSubscription(db.Model):
    """A browser's Web Push subscription, for one signed-in device (its login session).

    It ends with the session: deleted on sign-out, revocation, and when the push service says
    it no longer exists (404/410), through services/push_subscriptions.py, which first lets go
    of the deliveries that name it (SQLite does not enforce ``ON DELETE SET NULL``); erasure
    deletes the person's deliveries with the rest (services/privacy.py).
    """

    __tablename__ = "push_subscription"
    __table_args__ = (
        sa.CheckConstraint(
            "(participant_id IS NULL) <> (staff_id IS NULL)", name="one_kind_of_person"
        ),
        # A delivery names its subscription by id: an id is never given again, even on SQLite
        # after the newest row is deleted, so a push waiting for a deleted subscription can
        # never reach the browser of whoever subscribes next (PostgreSQL's sequences never
        # reuse one).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login_session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("login_session.id", ondelete="CASCADE"), unique=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipality.id"), index=True)
    endpoint: Mapped[str] = mapped_column(sa.String(1024), unique=True)
    #: The browser's P-256 public key and auth secret (base64url), to encrypt payloads to it.
    p256dh: Mapped[str] = mapped_column(sa.String(100))
    auth: Mapped[str] = mapped_column(sa.String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    login_session: Mapped[LoginSession] = relationship()


class Notification(db.Model):
    """One inbox entry for a participant or a member of staff; pushes carry only its id."""

    __tablename__ = "notification"
    __table_args__ = (
        sa.CheckConstraint(
            "(participant_id IS NULL) <> (staff_id IS NULL)", name="one_kind_of_person"
        ),
        sa.CheckConstraint(_one_of("kind", NOTIFICATION_KINDS), name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The id the app sees (in the push payload and the inbox): random, so it says nothing.
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    participant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(30))
    response_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("response.id", ondelete="CASCADE"), index=True
    )
    questionnaire_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Delivery(db.Model):
    """One push of a notification to one subscription, and what became of it (the outbox)."""

    __tablename__ = "delivery"
    __table_args__ = (
        sa.CheckConstraint(_one_of("state", DELIVERY_STATES), name="state_known"),
        sa.Index("ix_delivery_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        sa.ForeignKey("notification.id", ondelete="CASCADE"), index=True
    )
    #: NULL once the subscription is gone: the delivery's record stays. Set explicitly where a
    #: subscription is deleted (services/push_subscriptions.py), a waiting one marked gone.
    subscription_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("push_subscription.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The push service's last HTTP status (None: no answer, e.g. a network error).
    last_status: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    notification: Mapped[Notification] = relationship()
    subscription: Mapped[PushSubscription | None] = relationship()


class PushServiceBackoff(db.Model):
    """A push service that could not be reached (or did not answer in time), and until when no
    worker tries it again: the wait doubles with each failure in a row. Deleted when it answers.

    In the database, so every worker keeps to it (services/push_backoff.py).
    """

    __tablename__ = "push_service_backoff"

    #: Its scheme and host (and port): what its endpoints start with, before the "/".
    origin: Mapped[str] = mapped_column(sa.String(1024), primary_key=True)
    failures: Mapped[int] = mapped_column(default=1)
    retry_at: Mapped[datetime] = mapped_column(UTCDateTime)
