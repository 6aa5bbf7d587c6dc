"""Record audit events. Never pass answers, codes or passwords here."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from itertools import islice
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import AuditEvent, Participant, StaffUser
from ..models.types import utcnow

log = logging.getLogger(__name__)

Actor = StaffUser | Participant | None


def actor_label(actor: Actor) -> str:
    if isinstance(actor, StaffUser):
        return f"staff:{actor.id}"
    if isinstance(actor, Participant):
        return f"participant:{actor.id}"
    return "cli"


def record(
    actor: Actor,
    action: str,
    target: str = "",
    municipality_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit event to the current transaction (``details``: what was asked for, such
    as an export's filter; never answers).

    A plain INSERT, not an object for the session to track and flush: nothing reads the event
    back in the same request, and every sync and every opened response writes one.
    """
    row = event(actor, action, target, municipality_id, details)
    _insert([row])
    log_event(row)


def event(
    actor: Actor,
    action: str,
    target: str = "",
    municipality_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the row of an audit event (as ``record`` takes it), for a caller that writes it
    together with rows of other tables (services/rows.py), not logged yet: a write may not
    happen (``log_event`` it once it has)."""
    if municipality_id is None and actor is not None:
        municipality_id = actor.municipality_id
    return _row(utcnow(), actor_label(actor), action, target, municipality_id, details)


def log_event(row: dict[str, Any]) -> None:
    log.info("audit %s %s %s", row["actor"], row["action"], row["target"])


def _row(at, label: str, action: str, target: str, municipality_id, details) -> dict[str, Any]:
    return {"at": at, "actor": label, "action": action, "target": target,
            "municipality_id": municipality_id, "details": details}  # fmt: skip


def _insert(rows: list[dict[str, Any]]) -> None:
    """Write audit rows as plain INSERTs (no objects for the session to track)."""
    db.session.execute(_INSERT, rows[0] if len(rows) == 1 else rows)


#: Built once: every sync writes one row (building the statement was a fifth of writing it).
_INSERT = sa.insert(AuditEvent.__table__)


#: Rows written per INSERT by record_many.
BATCH = 1000


def record_many(
    actor: Actor, action: str, targets: Iterable[str], details: dict[str, Any] | None = None
) -> int:
    """Add one audit event per target to the current transaction, in batches of plain rows:
    an export of 10,000 participants held 10,000 objects in the session (26 MB) and wrote a
    log line for each. Return how many were written; one log line says so."""
    municipality_id = actor.municipality_id if actor is not None else None
    label, written, targets = actor_label(actor), 0, iter(targets)
    while batch := list(islice(targets, BATCH)):
        now = utcnow()
        _insert([_row(now, label, action, target, municipality_id, details) for target in batch])
        written += len(batch)
    log.info("audit %s %s ×%d", label, action, written)
    return written
