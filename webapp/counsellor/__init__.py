"""The counsellor's pages: caseload, participants, invites, review."""

from __future__ import annotations

from .views import bp

__all__ = ["bp"]
