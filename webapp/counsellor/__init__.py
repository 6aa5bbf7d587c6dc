"""The counsellor's pages: caseload, participants, invites, review."""

from __future__ import annotations

from .overview import bp as overview_bp
from .views import bp

__all__ = ["bp", "overview_bp"]
