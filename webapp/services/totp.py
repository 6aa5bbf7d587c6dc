"""Two-step sign-in for staff: TOTP codes (RFC 6238) from an authenticator app.

Enrolling stores a new secret, which the person adds to their app (a QR code, an
``otpauth://`` link or the key typed by hand); a first correct code confirms it, and from then
on signing in asks for a code after the password. A code is accepted once: the time step of
the last accepted code is kept, and a code of that step or an earlier one is refused, so a
code seen over a shoulder or sent twice is worth nothing. A municipality can require it of
all its staff; an administrator of the same municipality resets it when a phone is lost.
"""

from __future__ import annotations

import hmac
import unicodedata
from datetime import datetime
from enum import StrEnum

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import Municipality, StaffUser
from ..models.types import utcnow
from . import audit, sessions

ISSUER = "Løype"
DIGITS = 6
#: Codes of one step (30 s) before or after now are accepted too: phone clocks drift.
DRIFT_STEPS = 1


class Check(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    USED = "used"  # right, but this code or a later one was accepted already


def normalize_code(code: str) -> str | None:
    """Return the code as ASCII digits, or None if it is not a code.

    Spaces and dashes are ignored, and digits of any script count (an Arabic or Persian
    keyboard types ٤٥٦), as the person reads them off their app.
    """
    digits = []
    for char in code:
        if char.isspace() or char == "-":
            continue
        if not char.isdecimal():
            return None
        digits.append(str(unicodedata.decimal(char)))
    text = "".join(digits)
    return text if len(text) == DIGITS else None


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    totp = pyotp.TOTP(secret, digits=DIGITS)
    current = totp.timecode(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Every step is compared, whichever matches, so the time taken says nothing.
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def check_code(user: StaffUser, code: str, now: datetime | None = None) -> Check:
    """Check ``code`` against the user's secret and, if it is right and new, spend it.

    The caller commits (and, if the code was wrong, counts a failed attempt).
    """
    normalized = normalize_code(code)
    if user.totp_secret is None or normalized is None:
        return Check.WRONG
    step = _matching_step(user.totp_secret, normalized, now or utcnow())
    if step is None:
        return Check.WRONG
    # One conditional UPDATE decides, so two requests racing with the same code cannot both
    # win: the second waits for the first's row lock and then finds the step taken.
    spent = db.session.execute(
        sa.update(StaffUser)
        .where(
            StaffUser.id == user.id,
            sa.or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        return Check.USED
    set_committed_value(user, "totp_last_step", step)
    return Check.ACCEPTED


def start_enrolment(user: StaffUser) -> None:
    """Give ``user`` a new secret to add to their app; it counts once a code confirms it.

    A secret not yet confirmed is replaced (starting over); a confirmed one is not.
    """
    if user.has_totp:
        raise ValueError("two-step sign-in is already on; turn it off first")
    user.totp_secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    user.totp_confirmed_at = None
    user.totp_last_step = None


def provisioning_uri(user: StaffUser) -> str:
    """Return the ``otpauth://`` URI an authenticator app adds the account from."""
    if user.totp_secret is None:
        raise ValueError("no secret to enrol with")
    return pyotp.TOTP(user.totp_secret, digits=DIGITS).provisioning_uri(
        name=user.email, issuer_name=ISSUER
    )


def confirm_enrolment(user: StaffUser, code: str, now: datetime | None = None) -> Check:
    """Turn two-step sign-in on if ``code`` comes from the new secret."""
    if user.totp_secret is None or user.has_totp:
        return Check.WRONG
    result = check_code(user, code, now)
    if result is Check.ACCEPTED:
        user.totp_confirmed_at = utcnow()
        audit.record(user, "staff.totp_enrol", f"staff:{user.id}")
    return result


def _clear(user: StaffUser) -> None:
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None


def disable(user: StaffUser) -> None:
    """Turn the user's own two-step sign-in off (the view has checked password and code)."""
    _clear(user)
    audit.record(user, "staff.totp_disable", f"staff:{user.id}")


def reset(user: StaffUser, administrator: StaffUser | None) -> None:
    """Recover from a lost phone: clear the user's second factor and sign them out everywhere.

    ``administrator`` must be one of the same municipality (None: the command line). The user
    signs in with their password again, and sets two-step sign-in up anew.
    """
    if administrator is not None and not (
        administrator.is_administrator
        and administrator.active
        and administrator.municipality_id == user.municipality_id
    ):
        raise PermissionError("only an administrator of the same municipality resets it")
    _clear(user)
    sessions.end_all(user, "totp_reset")
    audit.record(administrator, "staff.totp_reset", f"staff:{user.id}", user.municipality_id)


def set_required(municipality: Municipality, required: bool, administrator: StaffUser) -> None:
    """Require two-step sign-in of the municipality's staff, or make it optional again."""
    if administrator.municipality_id != municipality.id or not administrator.is_administrator:
        raise PermissionError("only an administrator of the municipality decides")
    if municipality.require_totp == required:
        return
    municipality.require_totp = required
    action = "municipality.require_totp" if required else "municipality.totp_optional"
    audit.record(administrator, action, f"municipality:{municipality.id}")


def must_enrol(user: StaffUser) -> bool:
    """Whether ``user`` must set up two-step sign-in before reaching anything else."""
    return user.municipality.require_totp and not user.has_totp
