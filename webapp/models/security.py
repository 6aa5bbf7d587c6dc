"""Sign-in sessions kept on the server, and throttling counters for sign-in attempts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .tenancy import Participant, StaffUser
from .types import UTCDateTime, utcnow


class LoginSession(db.Model):
    """One signed-in browser or phone. The cookie holds a random id; only its hash is stored.

    A session is over when ``ended_at`` is set (sign-out, a new invite, a revoked device, a
    deactivated account, a new password) or when ``expires_at`` has passed: the cookie that
    carries it is then refused everywhere at once, on every app server.
    """

    __tablename__ = "login_session"
    __table_args__ = (
        sa.CheckConstraint(
            "(participant_id IS NULL) <> (staff_id IS NULL)", name="one_kind_of_person"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    participant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    #: What the person would recognise, e.g. "Chrome · Android" (from the User-Agent).
    device: Mapped[str] = mapped_column(sa.String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "logout", "new_invite", "revoked", "deactivated", "password", "erased", "totp_reset"
    ended_reason: Mapped[str | None] = mapped_column(sa.String(20))
    #: A participant's PIN on this phone, as the server checks it (services/phone_pins.py):
    #: SHA-256 of the proof the phone derives from the PIN with PBKDF2. Never the PIN.
    pin_verifier: Mapped[str | None] = mapped_column(sa.String(64))

    participant: Mapped[Participant | None] = relationship()
    staff: Mapped[StaffUser | None] = relationship()

    @property
    def person(self) -> Participant | StaffUser | None:
        return self.participant if self.participant_id is not None else self.staff


class ThrottleCounter(db.Model):
    """Failed attempts for one key (an account or an address, hashed) in the current window.

    Kept in the database, so the limit holds across every app server. A window ends by itself:
    there is no permanent lockout.
    """

    __tablename__ = "throttle_counter"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failures: Mapped[int] = mapped_column(default=0)


class KeyFingerprint(db.Model):
    """A fingerprint of a key every app server and push worker must share (SECRET_KEY, the
    VAPID key), recorded by the first one to start on this database (services/key_check.py).

    Never the key itself: an HMAC of a fixed text under SECRET_KEY, a hash of the VAPID public
    key.
    """

    __tablename__ = "key_fingerprint"

    #: The environment variable that holds the key: "SECRET_KEY", "LOYPE_VAPID_PRIVATE_KEY".
    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
