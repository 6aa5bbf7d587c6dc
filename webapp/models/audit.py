"""The audit trail: who did what to which record, never what the answers were."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import JSONType, UTCDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipality.id"))
    actor: Mapped[str] = mapped_column(sa.String(40))  # "staff:3", "participant:7", "cli"
    action: Mapped[str] = mapped_column(sa.String(60))
    target: Mapped[str] = mapped_column(sa.String(80), default="")
    #: What the action was asked for, when the target alone does not say: an export's filter,
    #: format and language. Never answers, names, codes or passwords.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
