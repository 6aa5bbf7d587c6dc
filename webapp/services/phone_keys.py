"""The key a participant's phone encrypts the answers it keeps with; the server holds it.

A phone keeps its copy only while the participant is signed in on it (static/js/app/vault.js).
After signing out, answers the phone could not send stay on it encrypted, unreadable to
anyone, until the same participant signs in again and gets the key back from here.
"""

from __future__ import annotations

import secrets

from ..models import Participant

KEY_BYTES = 32  # AES-256-GCM


def key_for(participant: Participant) -> bytes:
    """Return the participant's phone key, made on first use (the caller commits)."""
    if participant.phone_key is None:
        participant.phone_key = secrets.token_bytes(KEY_BYTES)
    return participant.phone_key
