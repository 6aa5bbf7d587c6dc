"""A participant's PIN, checked by the server whenever the phone can reach it.

The phone derives two things from the PIN with PBKDF2 (static/js/app/vault.js): the key that
wraps the answers' key on the phone, and a *proof*, a hash of that key. The server keeps only
SHA-256 of the proof, per signed-in phone (``LoginSession.pin_verifier``), and never sees the
PIN. Checking a proof counts wrong ones in the database (services/throttle.py): per phone and
per participant, across every app server, so clearing the counter the phone keeps (or using
another browser on the same account) gives no extra tries while the phone is online. A window
ends by itself: there is no permanent lockout. Offline, the phone's own count applies.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from enum import Enum

from ..models import LoginSession
from . import throttle

PROOF_BYTES = 32
#: Wrong PINs per phone (signed-in session) in one window; the phone itself allows three
#: before waits start, and signs out after ten.
PIN_SESSION = throttle.Limit("pin-session", 5, timedelta(minutes=15))
#: Wrong PINs per participant over all their phones in one window.
PIN_PARTICIPANT = throttle.Limit("pin-participant", 10, timedelta(hours=1))


class Check(Enum):
    RIGHT = "right"
    WRONG = "wrong"
    NO_PIN = "no-pin"  # this phone's session has no PIN on the server


def _digest(proof: bytes) -> str:
    return hashlib.sha256(proof).hexdigest()


def keys(login: LoginSession, secret: str) -> list[throttle.Key]:
    """The counters a PIN check of this phone counts against."""
    return [
        throttle.key(PIN_SESSION, str(login.id), secret),
        throttle.key(PIN_PARTICIPANT, str(login.participant_id), secret),
    ]


def set_pin(login: LoginSession, proof: bytes) -> None:
    """Remember the PIN's proof for this phone (the caller commits)."""
    login.pin_verifier = _digest(proof)


def remove_pin(login: LoginSession) -> None:
    """Forget this phone's PIN (the caller commits)."""
    login.pin_verifier = None


def retry_after(login: LoginSession, secret: str) -> int | None:
    """Seconds to wait before this phone may try a PIN again, or None."""
    return throttle.retry_after(*keys(login, secret))


def check(login: LoginSession, proof: bytes, secret: str) -> Check:
    """Check a proof and count the outcome (the caller checks retry_after first, and commits)."""
    if login.pin_verifier is None:
        return Check.NO_PIN
    if hmac.compare_digest(login.pin_verifier, _digest(proof)):
        throttle.succeeded(keys(login, secret)[0])  # the participant's count keeps its window
        return Check.RIGHT
    throttle.failed(*keys(login, secret))
    return Check.WRONG
