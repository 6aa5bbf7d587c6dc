"""The participant's pages: my questionnaires."""

from __future__ import annotations

from .views import bp

__all__ = ["bp"]
