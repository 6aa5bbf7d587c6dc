"""The service worker hands a replaced subscription to the server (``pushsubscriptionchange``):
a server error keeps the browser's subscription, only a refusal drops it.

Two posts of one sign-in's new subscription can meet (the service worker's and the app's
hand-over): the server keeps one, and the other may get an error. The worker dropped the
browser's subscription on any answer but success, so the server then sent to a subscription
the browser had thrown away (410), and notifications stopped without a word.

As in tests/browser/test_staff_push.py, headless Chromium has no push service: the event is
dispatched in the service worker with a stand-in subscription (tests/push_service.py's), and
the server error comes from the live server's fault injector.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import PushSubscription, StaffUser
from webapp.services import notifications, push_delivery, push_keys

from .test_accessibility import sign_in_staff
from .test_push import STAND_IN, push_service  # noqa: F401

#: In the service worker: the push service replaced the subscription with ``fresh``. Resolves
#: how many times the worker dropped the new subscription, once it has handled the event.
CHANGE = """async (fresh) => {
  let dropped = 0;
  const subscription = { endpoint: fresh.endpoint, toJSON: () => fresh,
    unsubscribe: async () => { dropped += 1; return true; } };
  const event = new ExtendableEvent("pushsubscriptionchange");
  let handled = Promise.resolve();
  Object.defineProperty(event, "oldSubscription", { value: null });
  Object.defineProperty(event, "newSubscription", { value: subscription });
  Object.defineProperty(event, "waitUntil", { value: (work) => { handled = work; } });
  self.dispatchEvent(event);
  await handled;
  return dropped;
}"""

#: In the service worker: the app's hand-over of the same new subscription, which the server
#: takes.
HAND_OVER = """async (fresh) => (await fetch("/api/v1/push/subscriptions", {
  method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
  body: JSON.stringify(fresh) })).status"""


def _stored(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(PushSubscription.endpoint)))


def test_a_server_error_keeps_the_new_subscription_and_a_refusal_drops_it(
    app,
    world,
    context,
    live_server,
    faults,
    push_service,  # noqa: F811
):
    _endpoint, subscription = push_service.new_browser("before")
    context.grant_permissions(["notifications"], origin=live_server)
    context.add_init_script(f"({STAND_IN})({json.dumps(subscription)})")
    page = context.new_page()
    sign_in_staff(page, world.emails["c1"])
    page.goto("/inbox")
    page.click("#push-toggle")
    page.wait_for_selector("#push-state[data-state=on]")
    [worker] = context.service_workers

    # The push service replaced the subscription; one post of it reaches the server, the
    # other meets a server error.
    fresh_endpoint, fresh = push_service.new_browser("after")
    assert worker.evaluate(HAND_OVER, fresh) == 204
    posts = faults.served.count(("POST", "/api/v1/push/subscriptions"))
    faults.refused.add("/api/v1/push/subscriptions")
    try:
        dropped = worker.evaluate(CHANGE, fresh)
    finally:
        faults.refused.clear()
    assert faults.served.count(("POST", "/api/v1/push/subscriptions")) == posts + 1

    # The browser keeps it, and the pushes the server sends to it arrive.
    assert dropped == 0
    assert _stored(app) == [fresh_endpoint]
    with app.app_context():
        notifications.notify(db.session.get(StaffUser, world.c1), "submission")
        db.session.commit()
        key = push_keys.load(app.config, app.instance_path)
        assert push_delivery.send_due(key, app.config) == 1
    assert [push.path for push in push_service.received] == ["/push/after"]

    # Signed out, the server refuses it (401): then the browser drops it too.
    with page.expect_navigation():
        page.click("form.staff-leave button")
    page.wait_for_url("**/login**")
    _later_endpoint, later = push_service.new_browser("later")
    assert worker.evaluate(CHANGE, later) == 1
    assert _stored(app) == []
