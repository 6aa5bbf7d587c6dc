"""Who is asking: staff log in with e-mail and password, participants join with an invite."""

from __future__ import annotations

from .session import (
    LANGUAGE_CHOSEN,
    current_actor,
    current_login,
    init_app,
    participant_required,
    staff_required,
)
from .views import bp

__all__ = [
    "LANGUAGE_CHOSEN",
    "bp",
    "current_actor",
    "current_login",
    "init_app",
    "participant_required",
    "staff_required",
]
