"""Staff accounts and participant invites."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from ..extensions import db
from ..models import LoginSession, Municipality, Participant, StaffUser
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


def password_rule_broken(password: str) -> str | None:
    """Return which rule a new staff password breaks ("short", "long", "blank"), or None.

    The one source of the rules: the CLI says them in English (``password_problem``), the
    pages in the reader's language (auth/forms.py).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return "short"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "long"
    if not password.strip():
        return "blank"
    return None


def password_problem(password: str) -> str | None:
    """Return why a new staff password cannot be used (plain English, for the CLI), or None."""
    return {
        "short": f"A password needs at least {MIN_PASSWORD_LENGTH} characters.",
        "long": f"A password can have at most {MAX_PASSWORD_LENGTH} characters.",
        "blank": "A password cannot be only spaces.",
        None: None,
    }[password_rule_broken(password)]


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
    municipality: Municipality,
    email: str,
    name: str,
    role: str,
    password: str | None,
    language: str,
) -> StaffUser:
    """Add a staff account (the caller checks the password with ``password_problem``).

    Without a password the account has none that can be typed (a hash of a random secret
    nobody knows, so signing in costs the same as for anyone): the person sets their own with
    a link (``new_password_link``).
    """
    user = StaffUser(
        municipality=municipality,
        email=email.strip().lower(),
        name=name,
        role=role,
        password_hash=hash_password(password if password is not None else secrets.token_hex(32)),
        language=language,
    )
    db.session.add(user)
    return user


class EmailTaken(Exception):
    """There is already a staff account with this e-mail address (in any municipality)."""


class LastAdministrator(Exception):
    """The change would leave the municipality without an active administrator."""


def email_shaped(email: str) -> bool:
    """Return whether ``email`` looks like an address: an @ with something on each side, no
    spaces (not a proof that it is delivered). The form and the command line both ask this."""
    return "@" in email.strip("@") and not any(ch.isspace() for ch in email)


def email_taken(email: str) -> bool:
    """Return whether a staff account has this e-mail address already."""
    return municipality_of_email(email) is not None


def municipality_of_email(email: str) -> int | None:
    """Return the municipality of the staff account with this e-mail address, if there is one:
    an address has one account in all of Løype (it is what staff sign in with)."""
    found = sa.select(StaffUser.municipality_id).where(StaffUser.email == email.strip().lower())
    return db.session.scalar(found)


def _check_colleague(administrator: StaffUser, colleague: StaffUser) -> None:
    """Refuse unless an active administrator acts on another person of their municipality."""
    if not (
        administrator.is_administrator
        and administrator.active
        and administrator.municipality_id == colleague.municipality_id
        and administrator.id != colleague.id
    ):
        raise PermissionError("only an administrator of the same municipality, for another")


def add_colleague(
    administrator: StaffUser, email: str, name: str, role: str, language: str, key: str
) -> tuple[StaffUser, str]:
    """Add a staff account to the administrator's municipality, without a password; return it
    with the token of its link to set one (shown once).

    Raises ``EmailTaken``; an account added with the same address at this very moment makes
    the flush raise ``IntegrityError`` instead.
    """
    if not administrator.is_administrator or not administrator.active:
        raise PermissionError("only an administrator adds staff")
    if email_taken(email):
        raise EmailTaken(email)
    user = create_staff(administrator.municipality, email, name.strip(), role, None, language)
    db.session.flush()
    audit.record(administrator, "staff.create", f"staff:{user.id}", details={"role": role})
    return user, _new_password_link(user, key)


#: How long a link to set a password works.
PASSWORD_LINK_DAYS = 7
#: What ``secrets.token_urlsafe(32)`` makes: anything else is no link of ours.
_LINK_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def _link_hash(token: str, key: str) -> str:
    # Its own prefix: a password link's hash is never an invite code's.
    message = f"password-link:{token}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def _new_password_link(user: StaffUser, key: str) -> str:
    token = secrets.token_urlsafe(32)
    user.password_link_hash = _link_hash(token, key)
    user.password_link_expires_at = utcnow() + timedelta(days=PASSWORD_LINK_DAYS)
    return token


def _forget_password_link(user: StaffUser) -> None:
    user.password_link_hash = None
    user.password_link_expires_at = None


def new_password_link(administrator: StaffUser, colleague: StaffUser, key: str) -> str:
    """Give a colleague a fresh link to set their password (a forgotten one); return its token.

    An earlier link stops working. The password of now keeps working, and nobody is signed
    out, until the link is used: making a link proves nothing about who will open it, and the
    colleague may yet remember their password. Setting the new one signs them out everywhere.
    """
    _check_colleague(administrator, colleague)
    if not colleague.active:
        raise ValueError("a deactivated account cannot set a password")
    token = _new_password_link(colleague, key)
    audit.record(administrator, "staff.password_link", f"staff:{colleague.id}")
    return token


def staff_for_link(token: str, key: str) -> StaffUser | None:
    """Return the active staff member whose unexpired password link this is, or None."""
    if not _LINK_TOKEN.fullmatch(token):
        return None
    user = db.session.scalar(
        sa.select(StaffUser).where(StaffUser.password_link_hash == _link_hash(token, key))
    )
    if user is None or not user.active:
        return None
    expires = user.password_link_expires_at
    if expires is None or expires < utcnow():
        return None
    return user


def use_password_link(user: StaffUser, token: str, key: str, password: str) -> bool:
    """Set the password with the link, which then stops working; sign the person out
    everywhere. Return whether this request used the link (False: it was used, replaced or
    expired since ``staff_for_link``, or the account was closed).

    One conditional UPDATE, as ``use_invite``: two browsers sending the same link at the same
    moment set one password, not two.
    """
    used = db.session.execute(
        sa.update(StaffUser)
        .where(
            StaffUser.id == user.id,
            StaffUser.active.is_(True),
            StaffUser.password_link_hash == _link_hash(token, key),
            StaffUser.password_link_expires_at >= utcnow(),
        )
        .values(
            password_hash=hash_password(password),
            password_link_hash=None,
            password_link_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        return False
    db.session.expire(user, ["password_hash", "password_link_hash", "password_link_expires_at"])
    sessions.end_all(user, "password")
    audit.record(user, "staff.password", f"staff:{user.id}", details={"how": "link"})
    return True


def change_own_password(user: StaffUser, password: str, current: LoginSession) -> None:
    """Give the signed-in staff member the new password they chose (the caller checked the old
    one); their other sessions end, this one stays."""
    user.password_hash = hash_password(password)
    _forget_password_link(user)  # they know their password: a link waiting is no longer needed
    others = sa.select(LoginSession).where(
        LoginSession.staff_id == user.id,
        LoginSession.ended_at.is_(None),
        LoginSession.id != current.id,
    )
    for login in db.session.scalars(others).all():
        sessions.end(login, "password")
    audit.record(user, "staff.password", f"staff:{user.id}", details={"how": "own"})


def deactivate_colleague(administrator: StaffUser, colleague: StaffUser) -> None:
    """Close a colleague's account (``deactivate_staff``), never leaving the municipality
    without an active administrator: raise ``LastAdministrator`` instead."""
    _check_colleague(administrator, colleague)
    if not colleague.active:
        return
    if colleague.is_administrator and other_active_administrators(colleague) == 0:
        raise LastAdministrator(colleague.id)
    deactivate_staff(colleague)
    audit.record(administrator, "staff.deactivate", f"staff:{colleague.id}")


def other_active_administrators(user: StaffUser) -> int:
    """Count the municipality's active administrators but ``user``, in the database as it is.

    The municipality's row is locked first (PostgreSQL; SQLite has one writer anyway): two
    administrators deactivating each other at the same moment were each the other's "one
    left", and the municipality ended up with none.
    """
    db.session.execute(
        sa.select(Municipality.id).where(Municipality.id == user.municipality_id).with_for_update()
    )
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(StaffUser)
        .where(
            StaffUser.municipality_id == user.municipality_id,
            StaffUser.role == "administrator",
            StaffUser.active.is_(True),
            StaffUser.id != user.id,
        )
    )


def activate_colleague(administrator: StaffUser, colleague: StaffUser) -> None:
    """Open a colleague's closed account again (``activate_staff``)."""
    _check_colleague(administrator, colleague)
    if colleague.active:
        return
    activate_staff(colleague)
    audit.record(administrator, "staff.activate", f"staff:{colleague.id}")


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
    """Give a staff user a new password and sign them out everywhere (a link to set one,
    waiting, stops working)."""
    user.password_hash = hash_password(password)
    _forget_password_link(user)
    sessions.end_all(user, "password")


def deactivate_staff(user: StaffUser) -> None:
    """Close a staff account: it can no longer sign in, and its sessions end at once (a link
    to set a password stops working too; activated again, they get a new one if needed)."""
    user.active = False
    _forget_password_link(user)
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
