"""The push worker against a push-service stand-in: real VAPID, real encryption, real HTTP."""

from __future__ import annotations

import threading
from datetime import timedelta

import jsonschema
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from webapp.config import LANGUAGES
from webapp.extensions import db
from webapp.models import Delivery, Notification, Participant, PushSubscription, StaffUser
from webapp.models.types import utcnow
from webapp.services import notifications, push_delivery, push_keys

from .conftest import csrf_token, english_client, login_staff
from .push_service import PushService


@pytest.fixture
def push_service(app, monkeypatch):
    with app.app_context():
        key = push_keys.load(app.config, app.instance_path)
        public = push_keys.application_server_key(key)
    service = PushService(public, app.config["VAPID_SUBJECT"]).start()
    monkeypatch.setitem(app.config, "PUSH_TEST_ORIGIN", service.origin)
    yield service
    service.stop()


def _subscribe(app, as_actor, push_service, name="p1", browser=None):
    phone = as_actor(app, name)
    _endpoint, subscription = push_service.new_browser(browser or name)
    answer = phone.post("/api/v1/push/subscriptions", json=subscription)
    assert answer.status_code == 204, answer.get_data(as_text=True)
    return phone


def _notify(app, participant_id, count=1, kind="questionnaire_offered") -> list[str]:
    with app.app_context():
        person = db.session.get(Participant, participant_id)
        made = [notifications.notify(person, kind) for _ in range(count)]
        db.session.commit()
        return [n.public_id for n in made]


def _work(app) -> int:
    with app.app_context():
        key = push_keys.load(app.config, app.instance_path)
        return push_delivery.send_due(key, app.config)


def _deliveries(app) -> list[Delivery]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(Delivery).order_by(Delivery.id)))
        db.session.expunge_all()
        return found


def _make_due(app) -> None:
    with app.app_context():
        db.session.execute(sa.update(Delivery).values(next_attempt_at=utcnow()))
        db.session.commit()


def _payload_schema(app) -> dict:
    """The allow-list: a push carries the id, the generic texts in some language, and which
    app opens it, only."""
    titles, bodies = set(), set()
    with app.test_request_context():
        for lang in LANGUAGES:
            with force_locale(lang):
                titles.add(notifications.push_title())
                bodies.add(notifications.push_body())
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "title", "body", "audience"],
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{22}$"},
            "title": {"enum": sorted(titles)},
            "body": {"enum": sorted(bodies)},
            "audience": {"enum": ["participant", "staff"]},
        },
    }


def test_a_notification_reaches_the_phone_signed_and_encrypted(app, world, as_actor, push_service):
    _subscribe(app, as_actor, push_service)
    [public_id] = _notify(app, world.p1)

    result = app.test_cli_runner().invoke(args=["push", "work", "--once"])

    assert "1 deliveries tried" in result.output, result.output
    assert push_service.rejected == []
    [push] = push_service.received
    assert push.payload["id"] == public_id
    assert push.payload["body"] == "You have a new message in Løype"  # p1 reads English
    assert push.headers["urgency"] == "normal"
    assert int(push.headers["ttl"]) == push_delivery.PUSH_KINDS["questionnaire_offered"].ttl
    [delivery] = _deliveries(app)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("sent", 1, 201)


def test_every_payload_holds_only_what_the_allow_list_names(app, world, as_actor, push_service):
    _subscribe(app, as_actor, push_service)
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        person.language = "ar"
        made = [
            notifications.notify(person, kind) for kind in ("follow_up", "questionnaire_offered")
        ]
        db.session.commit()
        public_ids = {n.public_id for n in made}
    _work(app)

    schema = _payload_schema(app)
    assert len(push_service.received) == 2
    for push in push_service.received:
        jsonschema.validate(push.payload, schema)
        # The id is the notification's own random one (it may hold "p1" by chance), and no
        # other value holds the display name.
        assert push.payload["id"] in public_ids
        assert all("p1" not in value for key, value in push.payload.items() if key != "id")
        assert push.payload["body"] != "You have a new message in Løype"  # Arabic, not English


def test_a_push_service_error_is_tried_again_later_with_a_growing_wait(
    app, world, as_actor, push_service
):
    _subscribe(app, as_actor, push_service)
    push_service.answers["/push/p1"] = [(500, {}), (503, {})]
    _notify(app, world.p1)

    before = utcnow()
    _work(app)
    [first] = _deliveries(app)
    assert (first.state, first.attempts, first.last_status) == ("pending", 1, 500)
    assert first.next_attempt_at >= before + push_delivery.FIRST_DELAY
    assert _work(app) == 0  # not due yet

    _make_due(app)
    before = utcnow()
    _work(app)
    [second] = _deliveries(app)
    assert (second.state, second.attempts, second.last_status) == ("pending", 2, 503)
    assert second.next_attempt_at >= before + 2 * push_delivery.FIRST_DELAY

    _make_due(app)
    _work(app)
    [third] = _deliveries(app)
    assert (third.state, third.attempts, third.last_status) == ("sent", 3, 201)
    assert len(push_service.received) == 1


def test_too_many_requests_waits_as_long_as_retry_after_says(app, world, as_actor, push_service):
    _subscribe(app, as_actor, push_service)
    push_service.answers["/push/p1"] = [(429, {"Retry-After": "3600"})]
    _notify(app, world.p1)

    before = utcnow()
    _work(app)

    [delivery] = _deliveries(app)
    assert (delivery.state, delivery.last_status) == ("pending", 429)
    assert delivery.next_attempt_at >= before + timedelta(seconds=3600)


@pytest.mark.parametrize(
    "header, longest",
    [("99999999999999999999", True), ("²", False), ("Fri, 31 Dec 9999 23:59:59 GMT", True),
     ("", False)],
)  # fmt: skip
def test_a_strange_retry_after_never_stops_the_worker(
    app, world, as_actor, push_service, header, longest
):
    """A push service's Retry-After of 10**20 seconds, or a "digit" int() refuses, crashed
    the worker on every pass (the delivery stayed first in line). A wait is followed up to a
    day; what is not a wait is ignored (the usual backoff)."""
    _subscribe(app, as_actor, push_service)
    push_service.answers["/push/p1"] = [(429, {"Retry-After": header})]
    _notify(app, world.p1)
    before = utcnow()
    _work(app)
    [delivery] = _deliveries(app)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("pending", 1, 429)
    wait = delivery.next_attempt_at - before
    if longest:
        assert push_delivery.LONGEST_RETRY_AFTER - timedelta(minutes=1) <= wait
        assert wait <= push_delivery.LONGEST_RETRY_AFTER + timedelta(minutes=1)
    else:
        assert push_delivery.FIRST_DELAY <= wait < push_delivery.FIRST_DELAY + timedelta(minutes=1)
    _make_due(app)
    _work(app)  # the next pass sends it
    assert _deliveries(app)[0].state == "sent"


def test_a_delivery_that_keeps_failing_ends_failed_and_stays_in_the_inbox(
    app, world, as_actor, push_service
):
    phone = _subscribe(app, as_actor, push_service)
    push_service.answers["/push/p1"] = [(500, {})] * push_delivery.MAX_ATTEMPTS
    _notify(app, world.p1)
    for _ in range(push_delivery.MAX_ATTEMPTS):
        _make_due(app)
        _work(app)

    [delivery] = _deliveries(app)
    assert (delivery.state, delivery.attempts) == ("failed", push_delivery.MAX_ATTEMPTS)
    assert "gave up" in delivery.last_error
    assert len(phone.get("/api/v1/inbox").get_json()["entries"]) == 1


@pytest.mark.parametrize("status", [404, 410])
def test_an_expired_subscription_is_removed(app, world, as_actor, push_service, status):
    _subscribe(app, as_actor, push_service)
    push_service.answers["/push/p1"] = [(status, {})]
    _notify(app, world.p1, count=2)

    _work(app)

    assert [(d.state, d.last_status) for d in _deliveries(app)][0] == ("gone", status)
    assert {d.state for d in _deliveries(app)} == {"gone"}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0
    assert push_service.received == []


def test_a_refused_push_is_not_sent_again(app, world, as_actor, push_service):
    _subscribe(app, as_actor, push_service)
    push_service.answers["/push/p1"] = [(413, {})]
    _notify(app, world.p1)
    _work(app)
    [delivery] = _deliveries(app)
    assert (delivery.state, delivery.last_status) == ("failed", 413)


def test_a_phone_that_signed_out_gets_nothing(app, world, as_actor, push_service):
    phone = _subscribe(app, as_actor, push_service)
    _notify(app, world.p1)
    token = csrf_token(phone, "/me/")
    assert phone.post("/leave", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        # Signing out removed the subscription; the pending push goes nowhere.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0
    _work(app)
    assert push_service.received == []
    assert [d.state for d in _deliveries(app)] == ["gone"]


def test_two_workers_on_postgresql_never_send_one_delivery_twice(
    app, world, as_actor, push_service
):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite runs one worker")
    _subscribe(app, as_actor, push_service)
    push_service.delay = 0.02
    _notify(app, world.p1, count=20)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 20

    counts: list[int] = []
    threads = [threading.Thread(target=lambda: counts.append(_work(app))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(counts) != [0, 20], "both workers took part"
    assert sum(counts) == 20
    sent = [push.payload["id"] for push in push_service.received]
    assert len(sent) == len(set(sent)) == 20
    assert {d.state for d in _deliveries(app)} == {"sent"}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 20


def test_a_worker_that_dies_after_sending_sends_again_and_loses_nothing(
    app, world, as_actor, push_service, monkeypatch
):
    _subscribe(app, as_actor, push_service)
    [public_id] = _notify(app, world.p1)
    finish = push_delivery._finish

    def crash(delivery, state, status, reason):
        raise SystemExit("the worker died before recording the push")

    monkeypatch.setattr(push_delivery, "_finish", crash)
    with pytest.raises(SystemExit):
        _work(app)
    with app.app_context():
        db.session.remove()  # what the dead process's transaction becomes: rolled back
    [pending] = _deliveries(app)
    assert (pending.state, pending.attempts) == ("pending", 0)

    monkeypatch.setattr(push_delivery, "_finish", finish)
    _work(app)

    # At most a duplicate, with the same id, which the app recognises.
    assert [push.payload["id"] for push in push_service.received] == [public_id, public_id]
    assert [d.state for d in _deliveries(app)] == ["sent"]


def test_a_permanent_failure_is_shown_to_the_municipalitys_administrator_only(
    app, world, as_actor, admin2, push_service
):
    phone = _subscribe(app, as_actor, push_service)
    push_service.answers["/push/p1"] = [(403, {})]
    [public_id] = _notify(app, world.p1)
    _work(app)
    [delivery] = _deliveries(app)
    inbox = phone.get("/api/v1/inbox").get_json()  # the entry stays in the inbox
    assert [e["id"] for e in inbox["entries"]] == [public_id]

    page = as_actor(app, "admin1").get("/admin/deliveries").get_data(as_text=True)

    assert f'data-delivery="{delivery.id}"' in page
    assert "403 Forbidden" in page
    assert "New questionnaire offered" in page and "to a participant" in page
    assert "Not delivered: 1" in page
    # Nothing that names the person, the phone, or the notification.
    endpoint = push_service.origin + "/push/p1"
    for secret in (public_id, endpoint, push_service.browsers["p1"].p256dh, "p1"):
        assert secret not in page.replace(f'data-delivery="{delivery.id}"', "")
    other = english_client(app)
    assert login_staff(other, "admin@b.no").status_code == 302
    assert f'data-delivery="{delivery.id}"' not in other.get("/admin/deliveries").get_data(
        as_text=True
    )
    assert as_actor(app, "c1").get("/admin/deliveries").status_code in (302, 403, 404)


def test_each_kind_arrives_with_its_ttl_urgency_and_topic(app, world, as_actor, push_service):
    _subscribe(app, as_actor, push_service)
    kinds = ("questionnaire_offered", "draft_reminder", "next_step_due", "submission")
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        # submission is a counsellor's kind; its settings still travel the same way.
        made = {notifications.notify(person, kind).public_id: kind for kind in kinds}
        db.session.commit()
    _work(app)

    assert push_service.rejected == []
    assert len(push_service.received) == len(kinds)
    for push in push_service.received:
        kind = push_delivery.PUSH_KINDS[made[push.payload["id"]]]
        assert int(push.headers["ttl"]) == kind.ttl
        assert push.headers["urgency"] == kind.urgency
        assert push.headers.get("topic") == kind.topic
    topics = {made[p.payload["id"]]: p.headers.get("topic") for p in push_service.received}
    assert topics["draft_reminder"] == "draft-reminder"
    assert topics["questionnaire_offered"] is None


def test_every_send_signs_a_claims_dict_of_its_own(app, world, as_actor, push_service, monkeypatch):
    # pywebpush writes aud and exp into the claims it is given and keeps what it finds there:
    # a dict shared between sends would carry one push service's aud (and an old exp) on.
    given = []
    real = push_delivery.webpush

    def spy(*args, **kwargs):
        claims = kwargs["vapid_claims"]
        given.append((dict(claims), claims))  # as handed over, and the dict itself
        return real(*args, **kwargs)

    monkeypatch.setattr(push_delivery, "webpush", spy)
    _subscribe(app, as_actor, push_service)
    _notify(app, world.p1, count=2)
    _work(app)

    assert len(given) == 2 and len(push_service.received) == 2
    (before_first, first), (before_second, second) = given
    assert before_first == before_second == {"sub": app.config["VAPID_SUBJECT"]}
    assert first is not second and "aud" in first  # written by pywebpush, not carried on


def test_a_counsellors_push_says_only_that_the_workspace_opens_it(
    app, world, as_actor, push_service
):
    _subscribe(app, as_actor, push_service, name="c1")
    _subscribe(app, as_actor, push_service, name="p1")
    with app.app_context():
        counsellor = db.session.get(StaffUser, world.c1)
        counsellor.language = "nb"
        staff_entry = notifications.notify(counsellor, "sync_conflict").public_id
        person_entry = notifications.notify(db.session.get(Participant, world.p1), "message")
        person_entry = person_entry.public_id
        db.session.commit()
    _work(app)

    schema = _payload_schema(app)
    got = {push.path: push.payload for push in push_service.received}
    for payload in got.values():
        jsonschema.validate(payload, schema)
    assert got["/push/c1"] == {
        "id": staff_entry,
        "title": "Løype",
        "body": "Du har en ny melding i Løype",
        "audience": "staff",
    }
    assert got["/push/p1"]["audience"] == "participant"
    assert got["/push/p1"]["id"] == person_entry
