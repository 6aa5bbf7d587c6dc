"""Two-step sign-in in tests: a clock the TOTP service reads, and enrolling without pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, StaffUser
from webapp.services import totp as totp_service
from webapp.services.totp import Check


class Clock:
    """The time the TOTP service sees; codes are made for it, so no test waits or races."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)

    @classmethod
    def installed(cls, monkeypatch) -> Clock:
        clock = cls()
        monkeypatch.setattr(totp_service, "utcnow", lambda: clock.now)
        return clock

    def advance(self, seconds: int = 30) -> None:
        self.now += timedelta(seconds=seconds)

    def code(self, secret: str, offset: int = 0) -> str:
        return pyotp.TOTP(secret).at(self.now + timedelta(seconds=offset))


def staff(name: str, world) -> StaffUser:
    return db.session.get(StaffUser, getattr(world, name))


def enrol(app, world, name: str, clock: Clock) -> str:
    """Turn two-step sign-in on for ``name``; return the secret (as their app holds it).

    The first code is from half a minute ago, so the current one is still unused.
    """
    with app.app_context():
        user = staff(name, world)
        totp_service.start_enrolment(user)
        first = clock.code(user.totp_secret, -30)
        assert totp_service.confirm_enrolment(user, first) is Check.ACCEPTED
        db.session.commit()
        return user.totp_secret


def wrong(code: str) -> str:
    """Return a code that is not ``code`` (nor, but for a one-in-a-million chance, a neighbour)."""
    return str((int(code) + 1) % 1_000_000).zfill(6)


def events(app, action: str) -> list[tuple[str, str]]:
    """Return (actor, target) of the audit events of ``action``."""
    with app.app_context():
        return [
            (e.actor, e.target)
            for e in db.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        ]
