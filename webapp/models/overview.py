"""The overview's figures per municipality, kept for a few minutes (services/overview.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


class OverviewFigures(db.Model):
    """The counts behind a municipality's overview charts, as last counted.

    Counting reads every participant and mapping of the municipality (seconds at 100,000
    participants), so every app server shares this copy for ``overview.MAX_AGE``. Counts only,
    unsuppressed: what the charts may show is decided when they are drawn.
    """

    __tablename__ = "overview_figures"

    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="CASCADE"), primary_key=True
    )
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The municipality's date they were counted for (deadlines are counted in days).
    day: Mapped[date]
    figures: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
