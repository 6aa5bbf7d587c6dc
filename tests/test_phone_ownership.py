"""What the server tells a shared phone about whose data it holds: the owner cookie the app
reads, the key it encrypts stored answers with, and a sync that refuses someone else's answers.
"""

from __future__ import annotations

import base64
import uuid

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Response

from .conftest import csrf_token, english_client, join, login_staff


def _owner(client) -> str | None:
    """The participant the owner cookie names (its value is "<participant>.<session>")."""
    name = f"{client.application.config['SESSION_COOKIE_NAME']}-owner"
    cookie = client.get_cookie(name, domain="loype.test")
    return cookie.value.split(".")[0] if cookie is not None else None


def _owner_session(client) -> str:
    name = f"{client.application.config['SESSION_COOKIE_NAME']}-owner"
    return client.get_cookie(name, domain="loype.test").value.split(".")[1]


def _item(answers=None) -> dict:
    return {"id": str(uuid.uuid4()), "questionnaire": "kartlegging", "version": 1,
            "status": "draft", "answers": answers or {"mapped_before": "yes"}}  # fmt: skip


def test_the_owner_cookie_names_the_signed_in_participant_and_goes_with_the_session(app, world):
    phone = english_client(app)
    assert _owner(phone) is None
    join(phone, world.codes["p1"])
    assert _owner(phone) == str(world.p1)
    cookie = phone.get_cookie(f"{app.config['SESSION_COOKIE_NAME']}-owner", domain="loype.test")
    assert not cookie.http_only  # the app reads it; it grants nothing (the session does)

    phone.post("/leave", data={"csrf_token": csrf_token(phone, "/me/")})
    assert _owner(phone) is None

    # The next person on the same phone gets their own name in it.
    join(phone, world.codes["p2"])
    assert _owner(phone) == str(world.p2)
    first = _owner_session(phone)

    # The same person signing in again is a new session: the app can tell the two apart.
    phone.post("/leave", data={"csrf_token": csrf_token(phone, "/me/")})
    join(phone, world.new_code("p2"))
    assert _owner(phone) == str(world.p2) and _owner_session(phone) != first


def test_the_owner_cookie_goes_when_the_session_ended_elsewhere(app, world, as_actor):
    phone = as_actor(app, "p1")
    assert _owner(phone) == str(world.p1)
    world.new_code("p1")  # a new invite signs out every other device
    assert phone.get("/api/v1/me").status_code == 401
    assert _owner(phone) is None


def test_staff_never_get_an_owner_cookie(app, world):
    browser = english_client(app)
    join(browser, world.codes["p1"])
    login_staff(browser, world.emails["c1"])
    assert _owner(browser) is None


def test_the_phone_key_is_the_participants_own_and_stays_the_same(app, world, as_actor):
    first = as_actor(app, "p1").get("/api/v1/me/phone-key")
    again = as_actor(app, "p1").get("/api/v1/me/phone-key")
    other = as_actor(app, "p2").get("/api/v1/me/phone-key")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    assert first.json["participant"] == world.p1
    key = base64.urlsafe_b64decode(first.json["key"] + "=")
    assert len(key) == 32
    assert again.json["key"] == first.json["key"]
    assert other.json["key"] != first.json["key"]
    assert english_client(app).get("/api/v1/me/phone-key").status_code == 401
    assert as_actor(app, "c1").get("/api/v1/me/phone-key").status_code == 401


def test_me_names_the_participant_the_answers_belong_to(app, world, as_actor):
    assert as_actor(app, "p1").get("/api/v1/me").json["participant"]["id"] == world.p1


def test_a_sync_of_someone_elses_answers_stores_nothing(app, world, as_actor):
    phone = as_actor(app, "p2")
    refused = phone.post("/api/v1/sync", json={"participant": world.p1, "responses": [_item()]})
    assert refused.status_code == 409
    assert refused.json["code"] == "participant"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0

    mine = phone.post("/api/v1/sync", json={"participant": world.p2, "responses": [_item()]})
    assert mine.status_code == 200 and mine.json["results"][0]["status"] == 201
    with app.app_context():
        stored = db.session.scalars(sa.select(Response)).all()
        assert [r.participant_id for r in stored] == [world.p2]
