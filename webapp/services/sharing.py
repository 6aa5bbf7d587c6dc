"""Resources a counsellor shares with a participant, each with a personal note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Participant, Resource, SharedResource, StaffUser
from ..models.types import utcnow
from . import audit, notifications
from .resources import applies_to

#: Longest personal note, in characters (it is read on a phone).
NOTE_MAX = 500


class ShareError(ValueError):
    """A share that cannot be stored or withdrawn; ``code`` says why: too_long, unavailable,
    not_shared."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SharedText:
    """A shared resource in the reader's language (bokmål where it is missing)."""

    id: int
    title: str
    url: str
    description: str
    note: str
    shared_at: datetime
    shared_by: str


def share(counsellor: StaffUser, participant: Participant, resource_id: int, note: str) -> None:
    """Share an active resource meant for this participant; sharing again replaces the note.

    The caller has checked that ``counsellor`` may see ``participant`` (access.py).
    """
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ShareError("too_long")
    resource = db.session.get(Resource, resource_id)
    municipality = participant.municipality
    if (
        resource is None
        or not resource.active
        or resource.audience != "participant"
        or not applies_to(resource, municipality.county, participant.municipality_id)
    ):
        raise ShareError("unavailable")
    entry = db.session.scalar(
        sa.select(SharedResource).where(
            SharedResource.participant_id == participant.id,
            SharedResource.resource_id == resource.id,
        )
    )
    if entry is None:
        entry = SharedResource(participant_id=participant.id, resource_id=resource.id)
        db.session.add(entry)
    entry.note, entry.shared_by_id, entry.shared_at = note, counsellor.id, utcnow()
    db.session.flush()
    audit.record(
        counsellor, "resource.share", f"participant:{participant.id}:resource:{resource.slug}"
    )
    notifications.notify(participant, "resource_shared")


def shared_with(participant: Participant, lang: str) -> list[SharedText]:
    """Return what was shared with the participant, newest first, in ``lang``."""
    entries = db.session.scalars(
        sa.select(SharedResource)
        .options(joinedload(SharedResource.resource), joinedload(SharedResource.shared_by))
        .where(SharedResource.participant_id == participant.id)
        .order_by(SharedResource.shared_at.desc(), SharedResource.id.desc())
    ).all()
    return [
        SharedText(
            id=e.resource_id,
            title=e.resource.text("title", lang),
            url=e.resource.url,
            description=e.resource.text("description", lang),
            note=e.note,
            shared_at=e.shared_at,
            shared_by=e.shared_by.name,
        )
        for e in entries
    ]


def withdraw(counsellor: StaffUser, participant: Participant, resource_id: int) -> None:
    """Stop sharing a resource with the participant: it leaves their list in the app.

    The caller has checked that ``counsellor`` may see ``participant`` (access.py). A resource
    that is not shared with them raises ``ShareError("not_shared")`` and nothing changes.
    """
    entry = db.session.scalar(
        sa.select(SharedResource)
        .options(joinedload(SharedResource.resource))
        .where(
            SharedResource.participant_id == participant.id,
            SharedResource.resource_id == resource_id,
        )
    )
    if entry is None:
        raise ShareError("not_shared")
    slug = entry.resource.slug
    db.session.delete(entry)
    db.session.flush()
    audit.record(counsellor, "resource.withdraw", f"participant:{participant.id}:resource:{slug}")
