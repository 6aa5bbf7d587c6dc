"""The follow-up plan: next steps the counsellor records with the participant."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

RESPONSIBLE = ("participant", "counsellor", "other")
STEP_STATUSES = ("planned", "in_progress", "done", "cancelled")
#: Statuses of a step that is still to be done (and so can be overdue).
OPEN_STEP_STATUSES = ("planned", "in_progress")


class NextStep(db.Model):
    """One step of a participant's plan: a goal, what to do, who does it, by when."""

    __tablename__ = "next_step"
    __table_args__ = (
        sa.CheckConstraint(
            "responsible IN ('participant', 'counsellor', 'other')", name="responsible_known"
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'in_progress', 'done', 'cancelled')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id"), index=True)
    goal: Mapped[str] = mapped_column(sa.String(300))
    action: Mapped[str] = mapped_column(sa.Text, default="")
    responsible: Mapped[str] = mapped_column(sa.String(12))
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(12), default="planned")
    #: Whether the participant sees the step on their page and in the app.
    shown_to_participant: Mapped[bool] = mapped_column(default=True)
    #: The due date the participant was last notified of (a new date notifies again).
    due_notified_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
