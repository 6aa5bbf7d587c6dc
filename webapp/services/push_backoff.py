"""Push services that could not be reached: not tried again for a while, by any worker.

A push service that is down costs a connect timeout for each try. After one fails (no
connection, or no answer in time) no worker sends to it for 30 s, then 1 min, 2 min, … at
most 15 min while it keeps failing; its deliveries wait meanwhile, and the wait is not an
attempt of theirs (``MAX_ATTEMPTS`` counts tries, services/push_delivery.py). When the wait
is over, one worker tries one delivery: if the push service answers, the wait is forgotten
and the others follow.

Kept in the database (``PushServiceBackoff``), as workers keep nothing between passes and
there may be several. What is already stored could not say it: a delivery keeps when it is
due again, not when it was tried, nor how many of its push service's tries in a row failed.

Locks (PostgreSQL): a worker holds its delivery, then a push service's row only if nobody
else holds it (``SKIP LOCKED``), so it never waits for a worker that may be waiting for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models.notification import PushServiceBackoff

#: The first wait after a push service failed, doubled with each failure in a row, to the longest.
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(minutes=15)


def waiting(now: datetime) -> set[str]:
    """Return the push services (origins) not to try before a later pass."""
    return set(
        db.session.scalars(
            sa.select(PushServiceBackoff.origin).where(PushServiceBackoff.retry_at > now)
        )
    )


def may_try(origin: str, now: datetime) -> bool:
    """Return whether this worker may send to ``origin`` now: it is not waited out, and no other
    worker is trying it after its wait (that one's answer decides for everyone).

    A push service that failed before is held (its row, until the commit) by the worker that
    tries it; one never known to fail is anyone's.
    """
    known = db.session.scalar(
        sa.select(PushServiceBackoff.retry_at).where(PushServiceBackoff.origin == origin)
    )
    if known is None:
        return True
    if known > now:
        return False
    return _hold(origin) is not None


def unreachable(origin: str, now: datetime) -> None:
    """Note that ``origin`` could not be reached: wait twice as long as last time, unless
    another worker noted it already (or is trying it now: its answer decides)."""
    backoff = _hold(origin)
    if backoff is None:
        insert = postgresql.insert if _postgres() else sqlite.insert
        db.session.execute(
            insert(PushServiceBackoff)
            .values(origin=origin, failures=1, retry_at=now + FIRST_WAIT)
            .on_conflict_do_nothing()
        )
        return
    if backoff.retry_at > now:
        return
    backoff.failures += 1
    backoff.retry_at = now + min(FIRST_WAIT * 2 ** (backoff.failures - 1), LONGEST_WAIT)


def reachable(origin: str) -> None:
    """Forget that ``origin`` failed: it answered (unless another worker is trying it now)."""
    held = (
        sa.select(PushServiceBackoff.origin)
        .where(PushServiceBackoff.origin == origin)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    db.session.execute(sa.delete(PushServiceBackoff).where(PushServiceBackoff.origin == held))


def _hold(origin: str) -> PushServiceBackoff | None:
    """Return ``origin``'s row, held until the commit, unless there is none or another worker
    holds it."""
    return db.session.scalar(
        sa.select(PushServiceBackoff)
        .where(PushServiceBackoff.origin == origin)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"
