"""Filling in a questionnaire page by page, server-rendered (works without JavaScript)."""

from __future__ import annotations

from .views import bp

__all__ = ["bp"]
