"""The installable app: manifest, service worker, offline page and the participant app shell."""

from __future__ import annotations

from .views import bp

__all__ = ["bp"]
