"""The sync API for participants' phones: ``/api/v1`` (see docs/sync.md).

One module per resource; each adds its routes to the blueprint defined in ``base``.
"""

from __future__ import annotations

from . import inbox, me, openapi, pin, push, questionnaires, responses
from .base import bp

__all__ = ["bp", "inbox", "me", "openapi", "pin", "push", "questionnaires", "responses"]
