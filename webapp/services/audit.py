"""Record audit events. Never pass answers, codes or passwords here."""

from __future__ import annotations

import logging
from typing import Any

from ..extensions import db
from ..models import AuditEvent, Participant, StaffUser

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
    as an export's filter; never answers)."""
    if municipality_id is None and actor is not None:
        municipality_id = actor.municipality_id
    event = AuditEvent(
        actor=actor_label(actor),
        action=action,
        target=target,
        municipality_id=municipality_id,
        details=details,
    )
    db.session.add(event)
    log.info("audit %s %s %s", event.actor, action, target)
