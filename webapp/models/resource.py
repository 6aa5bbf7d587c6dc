"""Resources the counsellor can suggest: career guidance, recognition, Norwegian courses."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .tenancy import StaffUser
from .types import JSONType, UTCDateTime, utcnow

#: Who a resource is for: the participant (a counsellor can share it with them) or staff only.
RESOURCE_AUDIENCES = ("participant", "counsellor")


class Resource(db.Model):
    """A curated link with texts per language and tags that answers can match.

    National resources (``municipality_id`` None) come from ``flask resources import``; a
    municipality's administrators curate their own in the browser. ``region`` limits a
    resource to participants of one county; ``region_municipality_id`` to one municipality.
    """

    __table_args__ = (
        sa.CheckConstraint("audience IN ('participant', 'counsellor')", name="audience_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    title: Mapped[dict[str, str]] = mapped_column(JSONType)
    description: Mapped[dict[str, str]] = mapped_column(JSONType)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    region: Mapped[str | None] = mapped_column(sa.String(120))
    active: Mapped[bool] = mapped_column(default=True)
    #: The municipality whose administrators manage it; None for a national resource.
    municipality_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("municipality.id"), index=True
    )
    region_municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipality.id"))
    audience: Mapped[str] = mapped_column(
        sa.String(20), default="participant", server_default="participant"
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def text(self, field: str, lang: str) -> str:
        """Return a text in ``lang``, falling back to bokmål."""
        texts = getattr(self, field) or {}
        return texts.get(lang) or texts.get(lang.split("_")[0]) or texts.get("nb", "")


class SharedResource(db.Model):
    """A resource a counsellor shared with a participant, with a personal note.

    Sharing the same resource again replaces the note and the time: one entry per resource.
    """

    __tablename__ = "shared_resource"
    __table_args__ = (sa.UniqueConstraint("participant_id", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id"), index=True)
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resource.id"))
    shared_by_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resource: Mapped[Resource] = relationship()
    shared_by: Mapped[StaffUser] = relationship()
