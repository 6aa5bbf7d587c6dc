"""The participant's PIN on this phone, checked by the server (services/phone_pins.py)."""

from __future__ import annotations

import base64

from flask import current_app
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from ..auth import current_login
from ..extensions import db
from ..models import LoginSession
from ..services import audit, phone_pins
from .base import ApiProblem, bp, load_json, participant
from .schemas import PinCheckSchema, PinProofSchema


def _proof() -> bytes:
    text = load_json(PinProofSchema())["proof"]
    return base64.urlsafe_b64decode(text + "=")


def _login() -> LoginSession:
    participant()
    login = current_login()
    assert login is not None  # a participant is only ever signed in through a session row
    return login


@bp.put("/me/pin")
def set_pin():
    """Remember the PIN set on this phone, as a verifier of its proof."""
    login = _login()
    phone_pins.set_pin(login, _proof())
    audit.record(login.participant, "participant.pin.set", f"session:{login.id}")
    db.session.commit()
    return "", 204


@bp.delete("/me/pin")
def remove_pin():
    """Forget the PIN of this phone (the participant removed it)."""
    login = _login()
    phone_pins.remove_pin(login)
    audit.record(login.participant, "participant.pin.remove", f"session:{login.id}")
    db.session.commit()
    return "", 204


@bp.post("/me/pin/check")
def check_pin():
    """Check a PIN typed on this phone; wrong ones are counted in the database."""
    login = _login()
    secret = current_app.config["SECRET_KEY"]
    wait = phone_pins.retry_after(login, secret)
    if wait is not None:
        db.session.commit()  # windows that ended were reset
        raise TooManyRequests(retry_after=wait)
    outcome = phone_pins.check(login, _proof(), secret)
    if outcome is phone_pins.Check.NO_PIN:
        raise ApiProblem(
            404,
            _("No PIN is set for this phone"),
            _("Set a PIN again in the app while you are online."),
            code="no_pin",
        )
    db.session.commit()
    if outcome is phone_pins.Check.WRONG:
        raise ApiProblem(403, _("Wrong PIN."), code="pin_wrong")
    return PinCheckSchema().dump({"right": True})
