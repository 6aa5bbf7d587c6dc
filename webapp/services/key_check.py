"""Every app server and push worker on one database must hold the same keys; check it at start.

SECRET_KEY signs the session cookies and keys the HMACs of invite codes, staff password links,
phone PINs' attempt counters and sign-in throttling. A server started with another one (a typo
in one server's environment, or, on SQLite, a database moved without its ``instance/secret_key``)
starts and serves, and then refuses, request by request, what the others made: participants are
signed out on every second request behind the load balancer, and their invite codes are "not
valid". The VAPID key is the same for push: phones subscribed with the public half of one key,
and a worker signing with another gets every push refused.

So the first server to start on a database records a fingerprint of each key
(``KeyFingerprint``), and a server or push worker whose key differs refuses to start, naming the
variable. gunicorn.conf.py checks in the master before any worker starts, ``flask push work``
before its first pass, and ``flask keys check`` by hand. After a deliberate change,
``flask keys accept`` records the new keys (docs/deploy.md: what a change of each key ends).

Only fingerprints are stored: an HMAC of a fixed text under SECRET_KEY, and a SHA-256 of the
VAPID public key, which phones are given anyway.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects import postgresql, sqlite

from ..config import ConfigError
from ..extensions import db
from ..models import KeyFingerprint
from ..models.types import utcnow
from . import push_keys

SECRET = "SECRET_KEY"
VAPID = "LOYPE_VAPID_PRIVATE_KEY"

#: What SECRET_KEY's fingerprint is the HMAC of: a text of its own, so that the fingerprint is
#: no HMAC the app makes for anything else (a session, an invite code).
_SECRET_LABEL = b"loype: the fingerprint of SECRET_KEY, version 1"


class KeysDiffer(ConfigError):
    """This server's keys are not those the database's other servers recorded."""


@dataclass(frozen=True)
class KeyState:
    name: str  # the environment variable
    fingerprint: str | None  # this server's; None: it has no such key
    recorded: str | None  # the database's, None before any server recorded one
    recorded_at: datetime | None

    @property
    def differs(self) -> bool:
        return self.recorded is not None and self.recorded != self.fingerprint


def fingerprints(app: Flask) -> dict[str, str]:
    """This server's fingerprint of each key it has (no VAPID key yet: none for it)."""
    found = {
        SECRET: hmac.new(
            app.config["SECRET_KEY"].encode(), _SECRET_LABEL, hashlib.sha256
        ).hexdigest()
    }
    try:
        vapid = push_keys.load(app.config, app.instance_path)
    except push_keys.NoPushKey:
        return found
    public = push_keys.application_server_key(vapid)
    found[VAPID] = hashlib.sha256(public.encode()).hexdigest()
    return found


def migrated() -> bool:
    """Whether the database has the table yet (a server may start before the migrations)."""
    return sa.inspect(db.engine).has_table(KeyFingerprint.__tablename__)


def states(app: Flask) -> list[KeyState]:
    """Each of this server's keys beside what the database recorded; nothing is written."""
    recorded = {row.name: row for row in db.session.scalars(sa.select(KeyFingerprint))}
    own = fingerprints(app)
    # A key the others have and this server lacks (no VAPID key here) is a difference too:
    # phones that asked this server could not subscribe, its worker could not send.
    names = list(own) + [name for name in (SECRET, VAPID) if name in recorded and name not in own]
    return [
        KeyState(
            name,
            own.get(name),
            recorded[name].fingerprint if name in recorded else None,
            recorded[name].recorded_at if name in recorded else None,
        )
        for name in names
    ]


def _record_missing(app: Flask) -> None:
    """Record the fingerprints no server has recorded yet. Two servers starting at once on a
    new database: the second one's insert waits for the first's and then finds its row."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    dialect_insert = postgresql.insert if postgres else sqlite.insert  # as throttle.py does
    for name, fingerprint in fingerprints(app).items():
        db.session.execute(
            dialect_insert(KeyFingerprint)
            .values(name=name, fingerprint=fingerprint, recorded_at=utcnow())
            .on_conflict_do_nothing(index_elements=["name"])
        )
    db.session.commit()


def explain(differing: list[KeyState]) -> str:
    """Say which keys differ, what that would break, and the two ways out (never a key)."""
    lines = []
    for state in differing:
        since = state.recorded_at.strftime("%Y-%m-%d %H:%M UTC") if state.recorded_at else "?"
        if state.name == SECRET:
            lines.append(
                f"SECRET_KEY is not the one this database's app servers use (recorded {since}). "
                "With it this server would refuse their sessions, invite codes and password "
                "links, request by request."
            )
        elif state.fingerprint is None:
            lines.append(
                "This server has no VAPID key (LOYPE_VAPID_PRIVATE_KEY, else "
                f"instance/vapid_private.pem), and the others have one (recorded {since}): "
                "phones could not turn notifications on through it."
            )
        else:
            lines.append(
                f"The VAPID key (LOYPE_VAPID_PRIVATE_KEY, else instance/vapid_private.pem) is "
                f"not the one phones subscribed with (recorded {since}). Every push signed "
                "with it would be refused."
            )
    lines.append("Give this server the same key as the others.")
    if any(state.fingerprint is not None for state in differing):
        # A key this server lacks is not recorded by accepting: it has none to record.
        lines.append(
            "If the key was changed on purpose, run `flask --app wsgi keys accept` once "
            "(docs/deploy.md says what a new key ends)."
        )
    return " ".join(lines)


def verify(app: Flask) -> list[KeyState]:
    """Check this server's keys against the database's, recording those not yet recorded.

    Raise KeysDiffer if one differs. Return the states (empty before the migrations have made
    the table: nothing to check against yet). Call inside an app context.
    """
    if not migrated():
        return []
    _record_missing(app)
    found = states(app)
    differing = [state for state in found if state.differs]
    if differing:
        raise KeysDiffer(explain(differing))
    return found


def check_at_start(app: Flask) -> list[KeyState]:
    """``verify`` in a process that forks afterwards (gunicorn's master): its connection is
    closed again, so that no worker inherits it."""
    with app.app_context():
        try:
            return verify(app)
        finally:
            db.session.remove()
            db.engine.dispose()


def accept(app: Flask) -> list[KeyState]:
    """Record this server's keys as the database's (after a deliberate change); return the
    states before."""
    before = states(app)
    for name, fingerprint in fingerprints(app).items():
        row = db.session.get(KeyFingerprint, name)
        if row is None:
            db.session.add(KeyFingerprint(name=name, fingerprint=fingerprint))
        elif row.fingerprint != fingerprint:
            row.fingerprint, row.recorded_at = fingerprint, utcnow()
    db.session.commit()
    return before
