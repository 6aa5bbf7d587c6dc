"""Staff accounts and participant invites."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from ..extensions import db
from ..models import Municipality, Participant, StaffUser
from ..models.types import utcnow
from . import audit, sessions

_hasher = PasswordHasher()
# A password check costs the same whether or not the e-mail exists.
_DUMMY_HASH = _hasher.hash("not a real password")


def use_hash_profile(name: str) -> None:
    """Choose argon2 parameters by profile name (tests use "CHEAPEST" to stay fast)."""
    global _hasher, _DUMMY_HASH
    profile = getattr(profiles, name)
    if _hasher.time_cost != profile.time_cost or _hasher.memory_cost != profile.memory_cost:
        _hasher = PasswordHasher.from_parameters(profile)
        _DUMMY_HASH = _hasher.hash("not a real password")


#: Invite code alphabet: no 0/O, 1/I/L, so a code read aloud or off paper is typed right.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 10


#: A staff password's length: at least this long (a passphrase of a few words)...
MIN_PASSWORD_LENGTH = 12
#: ...and at most what the sign-in form takes (auth/forms.py), or it could never be typed in.
MAX_PASSWORD_LENGTH = 200


def password_problem(password: str) -> str | None:
    """Return why a new staff password cannot be used (plain English, for the CLI), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"A password needs at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"A password can have at most {MAX_PASSWORD_LENGTH} characters."
    if not password.strip():
        return "A password cannot be only spaces."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(email: str, password: str) -> StaffUser | None:
    """Return the active staff user with these credentials, or None."""
    user = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def password_matches(user: StaffUser, password: str) -> bool:
    """Return whether ``password`` is the signed-in user's own (to confirm a change)."""
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_staff(
    municipality: Municipality, email: str, name: str, role: str, password: str, language: str
) -> StaffUser:
    """Add a staff account (the caller checks the password with ``password_problem``)."""
    user = StaffUser(
        municipality=municipality,
        email=email.strip().lower(),
        name=name,
        role=role,
        password_hash=hash_password(password),
        language=language,
    )
    db.session.add(user)
    return user


def normalize_code(code: str) -> str:
    """Return a typed code in canonical form: upper case, no spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def format_code(code: str) -> str:
    """Return a code in groups that are easy to read aloud: ``ABCD-EFGH-JK``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _code_hash(code: str, key: str) -> str:
    return hmac.new(key.encode(), normalize_code(code).encode(), hashlib.sha256).hexdigest()


def new_invite(participant: Participant, key: str, days: int) -> str:
    """Give the participant a fresh invite code; return it.

    The old code stops working, and so does every device signed in with an earlier one: a new
    invite is what a counsellor hands out when a phone is lost or was shared.
    """
    code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
    participant.invite_code_hash = _code_hash(code, key)
    participant.invite_expires_at = utcnow() + timedelta(days=days)
    sessions.end_all(participant, "new_invite")
    return code


def use_invite(participant: Participant, code: str, key: str) -> bool:
    """Spend the participant's invite: a code signs in one device, once. Return whether this
    request spent it (False: it was spent, replaced or expired since ``participant_for_code``).

    One conditional UPDATE, not a check and a write: browsers that send the same code at the
    same moment all passed the check, and each was signed in. Now the database lets one of them
    clear the code (PostgreSQL's row lock, SQLite's single writer), and the others change no
    row.
    """
    now = utcnow()
    spent = db.session.execute(
        sa.update(Participant)
        .where(
            Participant.id == participant.id,
            Participant.invite_code_hash == _code_hash(code, key),
            sa.or_(Participant.invite_expires_at.is_(None), Participant.invite_expires_at >= now),
        )
        .values(invite_code_hash=None, invite_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        return False
    db.session.expire(participant, ["invite_code_hash", "invite_expires_at"])
    if participant.joined_at is None:
        participant.joined_at = now
    return True


def set_password(user: StaffUser, password: str) -> None:
    """Give a staff user a new password and sign them out everywhere."""
    user.password_hash = hash_password(password)
    sessions.end_all(user, "password")


def deactivate_staff(user: StaffUser) -> None:
    """Close a staff account: it can no longer sign in, and its sessions end at once."""
    user.active = False
    sessions.end_all(user, "deactivated")


def activate_staff(user: StaffUser) -> None:
    """Open a closed staff account again: it can sign in with its password (no session of
    before comes back; they all ended when it was closed)."""
    user.active = True


def participant_for_code(code: str, key: str) -> Participant | None:
    """Return the participant whose unexpired invite this is, or None."""
    normalized = normalize_code(code)
    if len(normalized) != INVITE_LENGTH or any(ch not in INVITE_ALPHABET for ch in normalized):
        return None
    participant = db.session.scalar(
        sa.select(Participant).where(Participant.invite_code_hash == _code_hash(code, key))
    )
    if participant is None:
        return None
    expires = participant.invite_expires_at
    if expires is not None and expires < utcnow():
        return None
    return participant


def create_participant(
    author: StaffUser,
    counsellor: StaffUser,
    display_name: str,
    language: str,
    key: str,
    invite_days: int,
) -> tuple[Participant, str]:
    """Add a participant to the author's municipality; return it with its invite code."""
    if counsellor.municipality_id != author.municipality_id or not counsellor.is_counsellor:
        raise ValueError("the counsellor must be a counsellor in the same municipality")
    participant = Participant(
        municipality_id=author.municipality_id,
        counsellor=counsellor,
        display_name=display_name.strip(),
        language=language,
    )
    code = new_invite(participant, key, invite_days)
    db.session.add(participant)
    db.session.flush()
    audit.record(author, "participant.create", f"participant:{participant.id}")
    return participant, code
