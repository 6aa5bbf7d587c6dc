"""A participant's PIN is checked by the server whenever the phone is online: wrong ones are
counted in the database per phone and per participant (429 with Retry-After, in the person's
language, on every app server), a window ends by itself, and the server never sees the PIN.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from webapp import create_app
from webapp.extensions import db
from webapp.models import AuditEvent, LoginSession, Participant, ThrottleCounter
from webapp.services import phone_pins

from .conftest import copy_session, english_client, join


def proof_of(pin: str) -> str:
    """A stand-in for what vault.js derives from a PIN (any 32 bytes, base64url)."""
    digest = hashlib.sha256(f"salt:{pin}".encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


RIGHT, WRONG = proof_of("4711"), proof_of("0000")


def check(phone, proof: str):
    return phone.post("/api/v1/me/pin/check", json={"proof": proof})


@pytest.fixture
def phone(app, world, as_actor):
    phone = as_actor(app, "p1")
    assert phone.put("/api/v1/me/pin", json={"proof": RIGHT}).status_code == 204
    return phone


def test_the_right_pin_is_accepted_and_a_wrong_one_refused(app, world, phone):
    assert check(phone, RIGHT).get_json() == {"right": True}
    wrong = check(phone, WRONG)
    assert wrong.status_code == 403 and wrong.get_json()["code"] == "pin_wrong"
    assert wrong.get_json()["title"] == "Wrong PIN."
    with app.app_context():
        [login] = db.session.scalars(
            sa.select(LoginSession).where(LoginSession.participant_id == world.p1)
        ).all()
        # Only a hash of the proof is kept, never the proof (and the PIN never reaches here).
        kept = hashlib.sha256(base64.urlsafe_b64decode(RIGHT + "=")).hexdigest()
        assert login.pin_verifier == kept
        actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert "participant.pin.set" in actions


def test_wrong_pins_are_throttled_in_the_database_with_a_translated_answer(app, world, phone):
    for _ in range(phone_pins.PIN_SESSION.failures):
        assert check(phone, WRONG).status_code == 403
    # Now even the right PIN waits: the phone cannot get more tries by clearing its own count.
    refused = check(phone, RIGHT)
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 15 * 60
    assert refused.headers["Cache-Control"] == "no-store"
    assert refused.get_json()["title"] == "Too many attempts"
    assert "wait a few minutes" in refused.get_json()["detail"]

    # In the participant's own language.
    with app.app_context():
        db.session.get(Participant, world.p1).language = "ar"
        db.session.commit()
    arabic = check(phone, RIGHT)
    assert arabic.status_code == 429 and arabic.get_json()["title"] not in ("", "Too many attempts")

    # No permanent lockout: once the window is over the right PIN opens again.
    with app.app_context():
        for counter in db.session.scalars(sa.select(ThrottleCounter)):
            counter.window_started_at -= timedelta(hours=2)
        db.session.commit()
    assert check(phone, RIGHT).get_json() == {"right": True}


def test_the_count_holds_across_app_servers(app, world, phone):
    other_server = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SERVER_NAME": "loype.test",
        }
    )
    there = english_client(other_server)
    copy_session(phone, there)
    for client in [phone, there] * 2 + [phone]:
        assert check(client, WRONG).status_code == 403
    assert check(there, RIGHT).status_code == 429
    with other_server.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_participants_count_covers_all_their_phones(app, world, phone):
    # Another phone of the same participant: its own session, its own PIN.
    second = english_client(app)
    join(second, world.new_code("p1"))  # a new invite ends the first phone's session ...
    assert check(phone, RIGHT).status_code == 401  # ... which is refused from then on
    assert second.put("/api/v1/me/pin", json={"proof": RIGHT}).status_code == 204
    with app.app_context():
        secret = app.config["SECRET_KEY"]
        counter = ThrottleCounter(
            key=phone_pins.keys(
                db.session.scalars(
                    sa.select(LoginSession).where(LoginSession.ended_at.is_(None),
                                                  LoginSession.participant_id == world.p1)
                ).one(),
                secret,
            )[1].digest,
            failures=phone_pins.PIN_PARTICIPANT.failures,
        )  # fmt: skip
        db.session.add(counter)  # as if other phones had used up the participant's tries
        db.session.commit()
    assert check(second, RIGHT).status_code == 429


def test_a_phone_without_a_pin_on_the_server_says_so(app, world, as_actor):
    phone = as_actor(app, "p1")
    missing = check(phone, RIGHT)
    assert missing.status_code == 404 and missing.get_json()["code"] == "no_pin"
    assert phone.put("/api/v1/me/pin", json={"proof": RIGHT}).status_code == 204
    assert phone.delete("/api/v1/me/pin").status_code == 204
    assert check(phone, RIGHT).get_json()["code"] == "no_pin"


@pytest.mark.parametrize(
    "body",
    [
        {"proof": "4711"},  # a PIN is never what the server takes
        {"proof": RIGHT + "A"},
        {"proof": RIGHT[:-1] + "B"},  # 43 characters, but not 32 bytes exactly
        {"proof": 4711},
        {},
    ],
)
def test_anything_but_a_proof_is_refused_clearly(app, world, phone, body):
    answer = phone.post("/api/v1/me/pin/check", json=body)
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["pointer"] == "/proof"
    with app.app_context():  # and counts as no try at all
        assert db.session.scalars(sa.select(ThrottleCounter)).all() == []


@pytest.mark.parametrize("method", ["put", "delete"])
def test_only_a_signed_in_participant_has_a_pin(app, world, as_actor, method):
    for who in ("anon", "c1"):
        client = as_actor(app, who)
        call = getattr(client, method)
        answer = (
            call("/api/v1/me/pin", json={"proof": RIGHT})
            if method == "put"
            else call("/api/v1/me/pin")
        )
        assert answer.status_code == 401
        assert check(client, RIGHT).status_code == 401
