"""Notifications on the phone, in Chromium: opting in, a push shown, a tap, the inbox offline.

What headless Chromium cannot do, and what stands in for it:

- It has no push service of its own: ``PushManager.subscribe`` is refused ("Registration
  failed"). The page's ``subscribe``/``getSubscription`` are therefore replaced (an init
  script, before the app loads) by ones that return the subscription the push-service
  stand-in made for this "browser" (tests/push_service.py: its endpoint, and the P-256 key and
  auth secret it decrypts with). Everything after that is real: the app's button, the
  permission (granted through the browser context), the key from /api/v1/push/key, the
  POST to the server, the worker's VAPID-signed, aes128gcm-encrypted push to the stand-in.
- It cannot receive that push from the stand-in, so the test hands the payload the stand-in
  decrypted (what a browser would hand its service worker) to the service worker through the
  DevTools protocol (``ServiceWorker.deliverPushMessage``): the worker's ``push`` handler
  runs as it does for a real push.
- A notification cannot be tapped headless: the test dispatches ``notificationclick`` with
  the notification the service worker shows, inside the service worker.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    Notification,
    Participant,
    PushSubscription,
    Questionnaire,
    Response,
    StaffUser,
)
from webapp.services import comments, notifications, push_delivery, push_keys, reviews
from webapp.services import responses as response_service

from ..push_service import PushService
from .app_driver import open_app, wait_until, worker_registration_id
from .test_accessibility import ANSWERS

STAND_IN = """(subscription) => {
  const KEY = "test-push-subscription";
  const asked = () => Number(localStorage.getItem("test-permission-asked") || 0);
  const request = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = (...args) => {
    localStorage.setItem("test-permission-asked", String(asked() + 1));
    return request(...args);
  };
  const make = (kept) => ({
    endpoint: kept.subscription.endpoint, expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: null },
    toJSON: () => kept.subscription,
    unsubscribe: async () => { localStorage.removeItem(KEY); return true; },
  });
  PushManager.prototype.subscribe = async function (options) {
    if (options.userVisibleOnly !== true || !options.applicationServerKey) {
      throw new DOMException("userVisibleOnly and applicationServerKey", "NotAllowedError");
    }
    const key = btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)))
      .replace(/[+]/g, "-").replace(/[/]/g, "_").replace(/=+$/, "");
    const kept = { subscription, key };
    localStorage.setItem(KEY, JSON.stringify(kept));
    return make(kept);
  };
  PushManager.prototype.getSubscription = async function () {
    const kept = localStorage.getItem(KEY);
    return kept ? make(JSON.parse(kept)) : null;
  };
}"""

NOTIFICATIONS = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
  .map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }))"""

TAP = """async () => {
  const [notification] = await self.registration.getNotifications();
  self.dispatchEvent(new NotificationEvent("notificationclick", { notification }));
}"""


@pytest.fixture
def push_service(app, monkeypatch):
    with app.app_context():
        public = push_keys.application_server_key(push_keys.load(app.config, app.instance_path))
    service = PushService(public, app.config["VAPID_SUBJECT"]).start()
    monkeypatch.setitem(app.config, "PUSH_TEST_ORIGIN", service.origin)
    yield service
    service.stop()


@pytest.fixture
def sent_response(app, world) -> str:
    """p1's mapping, sent: what the counsellor will ask them to look at again."""
    with app.app_context():
        questionnaire = db.session.scalar(
            sa.select(Questionnaire).where(Questionnaire.slug == "kartlegging")
        )
        p1 = db.session.get(Participant, world.p1)
        response = response_service.start(p1, questionnaire)
        response.answers = dict(ANSWERS)
        assert response_service.submit(response, p1) == []
        db.session.commit()
        return response.id


def test_a_push_is_shown_opens_the_response_and_the_inbox_reads_offline(
    app, world, context, live_server, push_service, sent_response
):
    endpoint, subscription = push_service.new_browser("phone")
    context.grant_permissions(["notifications"], origin=live_server)
    context.add_init_script(f"({STAND_IN})({json.dumps(subscription)})")
    page = open_app(context, world.codes["p1"])

    # Nothing asks for permission by itself; the inbox explains, and the button turns it on.
    assert page.evaluate("localStorage.getItem('test-permission-asked')") is None
    page.click("#app .inbox-link a")
    page.wait_for_selector("#push-state[data-state=off]")
    assert "nothing about you or your answers" in page.inner_text("#push-settings")
    page.click("#push-toggle")
    page.wait_for_selector("#push-state[data-state=on]")
    assert page.evaluate("localStorage.getItem('test-permission-asked')") == "1"
    kept = json.loads(page.evaluate("localStorage.getItem('test-push-subscription')"))
    assert kept["key"] == push_service.server_public_key  # subscribed with the server's key
    with app.app_context():
        [stored] = db.session.scalars(sa.select(PushSubscription)).all()
        assert (stored.participant_id, stored.endpoint) == (world.p1, endpoint)

    # The counsellor asks for follow-up with a message: the event writes the notification,
    # the worker sends it through the stand-in, which checks and decrypts it.
    with app.app_context():
        response = db.session.get(Response, sent_response)
        reviews.add_review(
            response, db.session.get(StaffUser, world.c1), "follow_up", "", "Se igjen"
        )
        db.session.commit()
        public_id = db.session.scalar(
            sa.select(Notification.public_id).where(Notification.participant_id == world.p1)
        )
        key = push_keys.load(app.config, app.instance_path)
        assert push_delivery.send_due(key, app.config) == 1
    assert push_service.rejected == []
    [push] = push_service.received
    assert push.payload == {
        "id": public_id,
        "title": "Løype",
        "body": "You have a new message in Løype",
        "audience": "participant",
    }

    # The browser hands the decrypted payload to the service worker: it shows the generic text.
    cdp = context.new_cdp_session(page)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server,
            "registrationId": worker_registration_id(cdp, page),
            "data": json.dumps(push.payload, ensure_ascii=False),
        },
    )
    shown = wait_until(lambda: page.evaluate(NOTIFICATIONS), message="the notification")
    assert shown == [
        {
            "title": "Løype",
            "body": "You have a new message in Løype",
            "tag": public_id,
            "data": {"id": public_id, "audience": "participant"},
        }
    ]

    # A tap, with the app open on the list: it goes to the response the counsellor reopened,
    # and the entry is read on the server.
    page.goto("/app/#/")
    page.wait_for_selector("#app .cards")
    [worker] = context.service_workers
    worker.evaluate(TAP)
    page.wait_for_url(f"**/app/#/r/{sent_response}/summary")
    with app.app_context():
        read = sa.select(Notification.read_at).where(Notification.public_id == public_id)
        assert db.session.scalar(read) is not None
    assert page.evaluate(NOTIFICATIONS) == []  # the tap closed it

    # Offline, the inbox still lists the entry, read, with its text in the person's language.
    context.set_offline(True)
    page.goto("/app/#/inbox")
    entry = page.wait_for_selector(f'[data-entry="{public_id}"]')
    assert "Your counsellor asked you to look at your answers again." in entry.inner_text()
    assert "unread" not in entry.get_attribute("class")
    context.set_offline(False)

    # Turning notifications off ends the subscription on the server and in the browser.
    page.reload()
    page.wait_for_selector("#push-state[data-state=on]")
    page.click("#push-toggle")
    page.wait_for_selector("#push-state[data-state=off]")
    assert page.evaluate("localStorage.getItem('test-push-subscription')") is None
    with app.app_context():
        assert db.session.scalars(sa.select(PushSubscription)).all() == []


def test_signing_out_ends_the_subscription_on_both_sides(
    app, world, context, live_server, push_service
):
    _endpoint, subscription = push_service.new_browser("shared-phone")
    context.grant_permissions(["notifications"], origin=live_server)
    context.add_init_script(f"({STAND_IN})({json.dumps(subscription)})")
    page = open_app(context, world.codes["p1"])
    page.goto("/app/#/inbox")
    page.click("#push-toggle")
    page.wait_for_selector("#push-state[data-state=on]")
    with app.app_context():
        assert len(db.session.scalars(sa.select(PushSubscription)).all()) == 1

    page.goto("/app/")
    page.wait_for_selector("#app .cards")
    page.click("form.leave button")
    page.wait_for_url("**/join")

    # The next person on this phone starts with notifications off, and nothing is sent here.
    assert page.evaluate("localStorage.getItem('test-push-subscription')") is None
    with app.app_context():
        assert db.session.scalars(sa.select(PushSubscription)).all() == []


def test_an_entry_read_offline_is_marked_read_on_the_server_later(app, world, context):
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        public_id = notifications.notify(person, "questionnaire_offered").public_id
        db.session.commit()
    page = open_app(context, world.codes["p1"])
    page.wait_for_selector("#app .inbox-link .badge")  # "1 new"

    context.set_offline(True)
    page.goto("/app/#/inbox")
    page.click(f'[data-entry="{public_id}"] a')
    page.wait_for_url("**/app/#/")  # a new questionnaire: the list is where it is
    page.wait_for_selector("#app .inbox-link")
    assert page.query_selector("#app .inbox-link .badge") is None  # read, on the phone
    read = sa.select(Notification.read_at).where(Notification.public_id == public_id)
    with app.app_context():
        assert db.session.scalar(read) is None  # the server has not heard yet

    context.set_offline(False)
    page.reload()
    page.wait_for_selector("#app .cards")
    with app.app_context():
        # A fresh transaction each look, so each sees what the server committed since.
        wait_until(
            lambda: db.session.rollback() or db.session.scalar(read) is not None,
            message="the read to be sent",
        )


def _message(app, world, response_id: str, text: str) -> str:
    """The counsellor writes a message to the participant on the response; its entry's id."""
    with app.app_context():
        response = db.session.get(Response, response_id)
        comments.add(response, db.session.get(StaffUser, world.c1), "message", text)
        db.session.commit()
        return db.session.scalar(
            sa.select(Notification.public_id)
            .where(Notification.participant_id == world.p1, Notification.kind == "message")
            .order_by(Notification.id.desc())
        )


def test_a_message_entry_opens_a_page_that_shows_the_message(app, world, context, sent_response):
    """The entry "Your counsellor sent you a message" led to the response's summary, which
    showed the participant's own answers and not the message (only the list of questionnaires
    did)."""
    first = _message(app, world, sent_response, "Ta med vitnemålet til møtet.")
    page = open_app(context, world.codes["p1"])
    page.goto("/app/#/inbox")
    entry = page.wait_for_selector(f'[data-entry="{first}"]')
    assert "Your counsellor sent you a message." in entry.inner_text()
    page.click(f'[data-entry="{first}"] a')
    page.wait_for_url(f"**/app/#/r/{sent_response}/summary")
    thread = page.wait_for_selector("#app section.messages")
    assert "Messages from your counsellor" in thread.inner_text()
    assert "Ta med vitnemålet til møtet." in thread.inner_text()
    # Above the answers, right under the page's heading: read first, not scrolled to.
    headings = page.eval_on_selector_all("#app h1, #app h2", "(hs) => hs.map((h) => h.tagName)")
    assert headings[:2] == ["H1", "H2"]
    assert page.inner_text("#app h2") == "Messages from your counsellor"

    # A second message while the app is open and has not asked the server since: the tap
    # (the service worker sends the app to #/inbox/<id>) shows it too.
    page.goto("/app/#/")
    page.wait_for_selector("#app .cards")
    second = _message(app, world, sent_response, "Husk også CV-en.")
    page.evaluate(f"location.hash = '#/inbox/{second}'")
    page.wait_for_url(f"**/app/#/r/{sent_response}/summary")
    page.wait_for_selector("#app section.messages >> text=Husk også CV-en.")

    # Offline, from what the phone keeps: the entry still leads to the message.
    context.set_offline(True)
    page.goto("/app/#/inbox")
    page.click(f'[data-entry="{first}"] a')
    page.wait_for_url(f"**/app/#/r/{sent_response}/summary")
    thread = page.wait_for_selector("#app section.messages")
    assert "Ta med vitnemålet til møtet." in thread.inner_text()
    assert "Husk også CV-en." in thread.inner_text()
    context.set_offline(False)
