"""Throttling of sign-in attempts, per account and per address, kept in the database."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import ThrottleCounter
from webapp.services import throttle

from .conftest import PASSWORD, csrf_token, english_client, join


def _client(app, address: str):
    client = english_client(app)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _login(client, email: str, password: str):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def _end_windows(app):
    with app.app_context():
        for counter in db.session.scalars(sa.select(ThrottleCounter)):
            counter.window_started_at -= timedelta(minutes=16)
        db.session.commit()


def test_wrong_passwords_for_one_account_are_throttled_then_forgiven(app, world):
    attacker = _client(app, "203.0.113.5")
    for _ in range(throttle.LOGIN_ACCOUNT.failures):
        assert _login(attacker, world.emails["c1"], "guess").status_code == 422
    blocked = _login(attacker, world.emails["c1"], PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    assert "too many wrong attempts" in blocked.get_data(as_text=True)
    # The counsellor, from another place, is held too: the limit is on the account ...
    assert _login(_client(app, "198.51.100.7"), world.emails["c1"], PASSWORD).status_code == 429
    # ... but another account from the attacker's address is not (under the address limit).
    assert _login(attacker, world.emails["c2"], PASSWORD).status_code == 302
    _end_windows(app)  # no permanent lockout: the window ends by itself
    assert _login(_client(app, "198.51.100.7"), world.emails["c1"], PASSWORD).status_code == 302


def test_code_guessing_from_one_address_is_throttled(app, world):
    guesser = _client(app, "203.0.113.9")
    token = csrf_token(guesser, "/join")
    for index in range(throttle.JOIN_ADDRESS.failures):
        if index % 2:
            response = guesser.get(f"/join/ABCDEFGH{index:02d}")
            assert response.status_code == 404
        else:
            response = guesser.post("/join", data={"code": "WRONGCODE1", "csrf_token": token})
            assert response.status_code == 422
    assert join(guesser, world.codes["p1"]).status_code == 429
    assert guesser.get(f"/join/{world.codes['p1']}").status_code == 429
    refused = guesser.post("/join", data={"code": world.codes["p1"], "csrf_token": token})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    # Someone else, elsewhere, joins as usual.
    assert join(_client(app, "198.51.100.20"), world.codes["p1"]).status_code == 302


def test_the_message_is_translated(app, world):
    phone = _client(app, "203.0.113.10")
    phone.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nb"
    for index in range(throttle.JOIN_ADDRESS.failures):
        phone.get(f"/join/ABCDEFGH{index:02d}")
    page = phone.get("/join/ABCDEFGHJK")
    assert page.status_code == 429
    assert "For mange forsøk" in page.get_data(as_text=True)


def test_counters_hold_no_addresses_or_e_mails(app, world):
    _login(_client(app, "203.0.113.11"), world.emails["c1"], "guess")
    with app.app_context():
        keys = db.session.scalars(sa.select(ThrottleCounter.key)).all()
    assert len(keys) == 2
    assert all(len(k) == 64 and "203.0.113.11" not in k and "@" not in k for k in keys)
