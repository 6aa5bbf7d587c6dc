"""The administrator's pages: questionnaires, their versions, and resources."""

from __future__ import annotations

from .views import bp

__all__ = ["bp"]
