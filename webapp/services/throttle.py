"""Throttle failed sign-in attempts per account and per address, in the database.

Counters live in ``throttle_counter`` so the limit holds across every app server. Keys are
HMACs of the account or address (the table holds no e-mail addresses or IP addresses). A
window ends by itself, so nobody is locked out for good; a successful sign-in clears the
account's counter. The phone's PIN check can use the same functions with its own limit.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import ThrottleCounter
from ..models.types import utcnow


@dataclass(frozen=True)
class Limit:
    name: str
    failures: int  # this many failures in one window ...
    window: timedelta  # ... and the next attempt waits until the window is over


LOGIN_ACCOUNT = Limit("login-account", 10, timedelta(minutes=15))
LOGIN_ADDRESS = Limit("login-address", 50, timedelta(minutes=15))
JOIN_ADDRESS = Limit("join-address", 30, timedelta(minutes=15))
#: Codes of two-step sign-in, per account (after a right password): each try may match one of
#: three codes (clock drift), so few tries are allowed.
TOTP_ACCOUNT = Limit("totp-account", 5, timedelta(minutes=15))


@dataclass(frozen=True)
class Key:
    limit: Limit
    digest: str


def key(limit: Limit, value: str, secret: str) -> Key:
    """Return the counter key for ``value`` (an e-mail, an address) under ``limit``."""
    message = f"{limit.name}:{value.strip().lower()}".encode()
    return Key(limit, hmac.new(secret.encode(), message, hashlib.sha256).hexdigest())


def _counter(k: Key) -> ThrottleCounter | None:
    counter = db.session.get(ThrottleCounter, k.digest)
    if counter is not None and utcnow() - counter.window_started_at >= k.limit.window:
        counter.window_started_at, counter.failures = utcnow(), 0  # the window is over
    return counter


def retry_after(*keys: Key) -> int | None:
    """Return the seconds to wait if any key is over its limit, else None."""
    waits = []
    for k in keys:
        counter = _counter(k)
        if counter is not None and counter.failures >= k.limit.failures:
            left = counter.window_started_at + k.limit.window - utcnow()
            waits.append(max(1, math.ceil(left.total_seconds())))
    return max(waits) if waits else None


def failed(*keys: Key) -> None:
    """Count one failed attempt for each key (the caller commits).

    In SQL, not in Python: two wrong attempts at the same moment (two browsers sending one used
    invite link) both added the missing counter, and the second failed its INSERT with a 500;
    and two read-add-write updates counted one failure where there were two.
    """
    postgres = db.session.get_bind().dialect.name == "postgresql"
    dialect_insert = postgresql.insert if postgres else sqlite.insert
    for k in keys:
        if _counter(k) is None:  # (and an ended window starts over)
            db.session.execute(
                dialect_insert(ThrottleCounter)
                .values(key=k.digest, window_started_at=utcnow(), failures=0)
                .on_conflict_do_nothing()
            )
        db.session.execute(
            sa.update(ThrottleCounter)
            .where(ThrottleCounter.key == k.digest)
            .values(failures=ThrottleCounter.failures + 1)
        )


def succeeded(*keys: Key) -> None:
    """Forget the failures of these keys (a correct password ends the account's count)."""
    for k in keys:
        counter = db.session.get(ThrottleCounter, k.digest)
        if counter is not None:
            db.session.delete(counter)
