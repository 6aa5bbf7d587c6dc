"""A shared phone, in Chromium: the browser's settings follow the person, not the phone.

- Notifications: the switch in the inbox says "on" only when the server has this browser's
  subscription for this sign-in. The next person never inherits the previous one's (the
  browser's subscription is dropped), and the same person signed in again (a new invite, the
  old session ended while the phone did not notice) keeps the ones they turned on: the
  browser's subscription is handed to the new session.
- "Show Norwegian too": each participant's own (their preference on the server), even when
  the previous person left without signing out.

Pushes use the stand-in of tests/browser/test_push.py (headless Chromium has no push service).
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import LoginSession, Participant, PushSubscription

from .app_driver import join_in_browser, open_app, start_mapping, wait_for_app, wait_until
from .test_push import STAND_IN, push_service  # noqa: F401

BROWSER_SUBSCRIPTION = "localStorage.getItem('test-push-subscription')"


def subscriptions(app) -> list[tuple[int, int]]:
    """(participant, login session) of every subscription the server has."""
    with app.app_context():
        return [
            (s.participant_id, s.login_session_id)
            for s in db.session.scalars(sa.select(PushSubscription))
        ]


def live_session(app, participant_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(LoginSession.id).where(
                LoginSession.participant_id == participant_id, LoginSession.ended_at.is_(None)
            )
        )


def switch_state(page) -> str:
    page.goto("/app/#/inbox")
    return page.wait_for_selector("#push-state").get_attribute("data-state")


def turn_on(page) -> None:
    page.goto("/app/#/inbox")
    page.wait_for_selector("#push-state[data-state=off]")
    page.click("#push-toggle")
    page.wait_for_selector("#push-state[data-state=on]")


def phone_with_pushes(context, live_server, service) -> None:
    """A phone whose browser can subscribe (to the stand-in) and may show notifications."""
    _endpoint, subscription = service.new_browser("shared-phone")
    context.grant_permissions(["notifications"], origin=live_server)
    context.add_init_script(f"({STAND_IN})({json.dumps(subscription)})")


def test_the_same_person_signed_in_again_keeps_the_notifications_they_turned_on(
    app,
    world,
    context,
    live_server,
    push_service,  # noqa: F811
):
    phone_with_pushes(context, live_server, push_service)
    page = open_app(context, world.codes["p1"])
    turn_on(page)
    assert subscriptions(app) == [(world.p1, live_session(app, world.p1))]

    # The counsellor gives p1 a new invite (every device of p1 signed out, the subscription
    # deleted with the session); p1 signs in with it on this phone.
    again = join_in_browser(context, world.new_code("p1"))
    wait_for_app(again)
    assert switch_state(again) == "on"
    assert subscriptions(app) == [(world.p1, live_session(app, world.p1))]


def test_a_hand_over_the_server_answers_not_now_is_tried_again_later(
    app,
    world,
    context,
    live_server,
    faults,
    push_service,  # noqa: F811
):
    """Signed in again, the app hands the browser's subscription to the new sign-in; a "not
    now" answer (429 from a proxy's limit, say) is no refusal: the browser keeps it, and the
    next start hands it over. It was dropped, and the notifications the person turned on went
    off without a word."""
    phone_with_pushes(context, live_server, push_service)
    page = open_app(context, world.codes["p1"])
    turn_on(page)
    faults.answered["/api/v1/push/subscriptions"] = "429 TOO MANY REQUESTS"
    try:
        again = join_in_browser(context, world.new_code("p1"))
        wait_for_app(again)
        wait_until(
            lambda: ("POST", "/api/v1/push/subscriptions") in faults.served[-20:],
            message="the hand-over tried",
        )
        again.wait_for_timeout(500)
    finally:
        faults.answered.clear()
    assert again.evaluate(BROWSER_SUBSCRIPTION), "the browser dropped its subscription"
    again.reload()
    wait_for_app(again)
    assert switch_state(again) == "on"
    assert subscriptions(app) == [(world.p1, live_session(app, world.p1))]


def test_the_next_person_starts_with_notifications_off(
    app,
    world,
    context,
    live_server,
    push_service,  # noqa: F811
):
    phone_with_pushes(context, live_server, push_service)
    page = open_app(context, world.codes["p1"])
    turn_on(page)

    # p1 leaves the phone without signing out; p2 signs in on it.
    second = join_in_browser(context, world.codes["p2"])
    wait_for_app(second)
    assert switch_state(second) == "off"
    assert second.evaluate(BROWSER_SUBSCRIPTION) is None  # the browser's is dropped too
    assert subscriptions(app) == []

    # Their own choice works as ever.
    second.click("#push-toggle")
    second.wait_for_selector("#push-state[data-state=on]")
    assert subscriptions(app) == [(world.p2, live_session(app, world.p2))]


def test_the_switch_says_off_when_the_server_has_no_subscription_for_this_sign_in(
    app,
    world,
    context,
    live_server,
    push_service,  # noqa: F811
):
    """The server deleted it (the push service answered 410, say): the browser still has its
    subscription, but no push comes, so the switch is off and turns it on again."""
    phone_with_pushes(context, live_server, push_service)
    page = open_app(context, world.codes["p1"])
    turn_on(page)
    with app.app_context():
        db.session.execute(sa.delete(PushSubscription))
        db.session.commit()
    page.goto("/app/")
    page.wait_for_selector("#app .cards")
    assert page.evaluate(BROWSER_SUBSCRIPTION) is not None
    assert switch_state(page) == "off"
    page.click("#push-toggle")
    page.wait_for_selector("#push-state[data-state=on]")
    assert subscriptions(app) == [(world.p1, live_session(app, world.p1))]


def test_show_norwegian_too_is_each_participant_s_own(app, world, context):
    with app.app_context():
        first = db.session.get(Participant, world.p1)
        first.language, first.show_norwegian = "ar", True
        second = db.session.get(Participant, world.p2)
        second.language, second.show_norwegian = "en", False
        db.session.commit()
    page = open_app(context, world.codes["p1"])
    page.wait_for_function("localStorage.getItem('loype-side-by-side') === '1'")
    start_mapping(page)
    assert page.get_attribute("#side-by-side", "aria-pressed") == "true"

    other = open_app(context, world.codes["p2"])  # p1 never signed out
    start_mapping(other)
    assert other.get_attribute("#side-by-side", "aria-pressed") == "false"
