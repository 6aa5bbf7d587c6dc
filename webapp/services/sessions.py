"""Server-side sign-in sessions: start, find, end one, end all of a person's.

The cookie holds a random token (256 bits); the table holds its SHA-256, so a copy of the
database cannot be replayed as cookies. Every sign-in makes a new token (the old one is never
reused), and ending a session takes effect on the next request on every app server.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import LoginSession, Participant, StaffUser
from ..models.types import utcnow
from . import push_subscriptions

Person = StaffUser | Participant

#: How often last_seen_at is written: a write per request would be wasted work.
TOUCH_EVERY = timedelta(minutes=5)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_BROWSERS = [
    ("SamsungBrowser", "Samsung Internet"), ("Edg", "Edge"), ("OPR", "Opera"),
    ("Firefox", "Firefox"), ("FxiOS", "Firefox"), ("CriOS", "Chrome"), ("Chrome", "Chrome"),
    ("HeadlessChrome", "Chrome"), ("Safari", "Safari"),
]  # fmt: skip
_SYSTEMS = [
    ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
    ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"),
]  # fmt: skip


def device_label(user_agent: str | None) -> str:
    """Return a label a person recognises, e.g. "Chrome · Android" ("" if unknown).

    Only names, no words, so the label needs no translation.
    """
    agent = user_agent or ""
    browser = next((name for token, name in _BROWSERS if re.search(rf"\b{token}/", agent)), "")
    system = next((name for token, name in _SYSTEMS if token in agent), "")
    return " · ".join(part for part in (browser, system) if part)


def _owner(person: Person) -> dict[str, int]:
    if isinstance(person, Participant):
        return {"participant_id": person.id}
    return {"staff_id": person.id}


def start(person: Person, user_agent: str | None, lifetime: timedelta) -> str:
    """Record a new session for ``person``; return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        LoginSession(
            token_hash=_hash(token),
            device=device_label(user_agent),
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            **_owner(person),
        )
    )
    return token


@cache
def _find_statement() -> sa.Select:
    """The session with its person (every request needs both: one query, not two), built once:
    building the statement and its loader options was half the time of every lookup."""
    return (
        sa.select(LoginSession)
        .where(LoginSession.token_hash == sa.bindparam("token_hash"))
        .options(
            joinedload(LoginSession.participant),
            # Every staff request asks whether their municipality requires two-step sign-in
            # (auth/session.py): the municipality comes in the same query, not one of its own.
            joinedload(LoginSession.staff).joinedload(StaffUser.municipality),
        )
    )


def _read_alone(statement: sa.Select, params: dict) -> LoginSession | None:
    """Run the lookup that starts a request as a statement of its own, outside a transaction.

    On PostgreSQL a transaction around it costs two more round trips, ``BEGIN`` and the
    ``ROLLBACK`` that returns the connection: for a page that reads nothing else (the app
    shell) that was two thirds of its time in the database (issue 12). Under
    READ COMMITTED each statement sees what was committed when it started, in a transaction or
    not, so the lookup sees exactly what it saw before. The request's own work then begins a
    transaction as always, on the next statement. The rows read stay loaded (not expired), as
    they were. SQLite starts no transaction for a read: nothing to save there.
    """
    session = db.session()
    if (
        session.get_bind().dialect.name != "postgresql"
        or session.in_transaction()
        or session.new
        or session.dirty
        or session.deleted
    ):
        return session.scalar(statement, params)
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        found = session.scalar(statement, params)
    except BaseException:
        session.rollback()  # gives the connection back; the error goes on as it was
        raise
    # Hands the connection back (no COMMIT is sent in autocommit mode; its isolation level is
    # set back when it returns to the pool) without expiring what was just read.
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
    return found


def find(token: str | None) -> LoginSession | None:
    """Return the live session for this token, or None (unknown, ended or expired)."""
    if not token or not isinstance(token, str):
        return None
    found = _read_alone(_find_statement(), {"token_hash": _hash(token)})
    if found is None or found.ended_at is not None or found.expires_at <= utcnow():
        return None
    return found


def touch(login: LoginSession) -> bool:
    """Note that the session was used now (at most every few minutes); return if it changed."""
    now = utcnow()
    if now - login.last_seen_at >= TOUCH_EVERY:
        login.last_seen_at = now
        return True
    return False


def end(login: LoginSession, reason: str) -> None:
    if login.ended_at is None:
        login.ended_at = utcnow()
        login.ended_reason = reason
    # A signed-out phone gets no more pushes (a shared phone: the next person would see them).
    if login.id is not None:
        push_subscriptions.end_for_sessions([login.id])


def end_all(person: Person, reason: str) -> int:
    """End every live session of ``person`` (all their devices); return how many."""
    if person.id is None:
        return 0
    column = (
        LoginSession.participant_id if isinstance(person, Participant) else LoginSession.staff_id
    )
    live = [column == person.id, LoginSession.ended_at.is_(None)]
    push_subscriptions.end_for_sessions(sa.select(LoginSession.id).where(*live))
    result = db.session.execute(
        sa.update(LoginSession)
        .where(*live)
        .values(ended_at=utcnow(), ended_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def live_for(participant: Participant) -> list[LoginSession]:
    """Return the participant's signed-in devices, most recently used first."""
    return list(
        db.session.scalars(
            sa.select(LoginSession)
            .where(
                LoginSession.participant_id == participant.id,
                LoginSession.ended_at.is_(None),
                LoginSession.expires_at > utcnow(),
            )
            .order_by(LoginSession.last_seen_at.desc())
        )
    )
