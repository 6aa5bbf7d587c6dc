"""GET /api/v1/push/subscriptions: whether this sign-in (device) gets pushes, and to which
subscription, as a digest of its endpoint, so the phone shows the server's word (push.js)."""

from __future__ import annotations

import hashlib

from .conftest import join
from .push_service import BrowserKeys

ENDPOINT = "https://fcm.googleapis.com/fcm/send/state-1"


def _digest(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def _state(client):
    answer = client.get("/api/v1/push/subscriptions")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.get_json()


def test_a_device_is_told_which_subscription_its_sign_in_has(app, world, as_actor):
    phone = as_actor(app, "p1")
    assert _state(phone) == {"endpoint_sha256": None}
    subscription = BrowserKeys().subscription(ENDPOINT)
    assert phone.post("/api/v1/push/subscriptions", json=subscription).status_code == 204
    state = _state(phone)
    assert state == {"endpoint_sha256": _digest(ENDPOINT)}
    assert ENDPOINT not in str(state)  # the endpoint itself never travels back
    assert phone.delete("/api/v1/push/subscriptions").status_code == 204
    assert _state(phone) == {"endpoint_sha256": None}


def test_a_new_sign_in_of_the_same_person_has_none_until_it_is_handed_over(app, world, as_actor):
    phone = as_actor(app, "p1")
    subscription = BrowserKeys().subscription(ENDPOINT)
    phone.post("/api/v1/push/subscriptions", json=subscription)
    world.new_code("p1")  # a new invite signs every device of p1 out
    assert phone.get("/api/v1/push/subscriptions").status_code == 401
    assert join(phone, world.codes["p1"]).status_code == 302  # signed in again, same browser
    assert _state(phone) == {"endpoint_sha256": None}
    assert phone.post("/api/v1/push/subscriptions", json=subscription).status_code == 204
    assert _state(phone) == {"endpoint_sha256": _digest(ENDPOINT)}


def test_another_person_s_subscription_is_not_theirs(app, world, as_actor):
    first = as_actor(app, "p1")
    first.post("/api/v1/push/subscriptions", json=BrowserKeys().subscription(ENDPOINT))
    assert _state(as_actor(app, "p2")) == {"endpoint_sha256": None}


def test_only_a_device_owner_may_ask(app, world, as_actor):
    assert as_actor(app, "anon").get("/api/v1/push/subscriptions").status_code == 401
    assert as_actor(app, "admin1").get("/api/v1/push/subscriptions").status_code == 401
    assert _state(as_actor(app, "c1")) == {"endpoint_sha256": None}
