"""A shared phone on a slow network, in Chromium: the service worker's kept app shell is drawn
for one sign-in (its language, its session's CSRF token in the sign-out form) and is never
shown to another; and signing out never says "signed out" while the server's session lives.

The network is slowed at the server (``faults.slow``): over the worker's 3 seconds, after
which it shows a kept page instead of waiting.
"""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import LoginSession, Participant

from .app_driver import open_app, press_join, wait_for_app, wait_until
from .conftest import PHONE, TIMEOUT_MS

SLOW = 4.0  # seconds: over the worker's PAGE_TIMEOUT_MS
SHELL_LANG = "[document.documentElement.lang, document.getElementById('app').dataset.lang]"
DONE_OR_SIGNED_OUT = (
    "location.pathname === '/join' || document.body.innerText.includes('You are signed out')"
)


def speaks(app, name_id: int, language: str) -> None:
    with app.app_context():
        db.session.get(Participant, name_id).language = language
        db.session.commit()


def live_sessions(app, participant_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(LoginSession.id).where(
                    LoginSession.participant_id == participant_id,
                    LoginSession.ended_at.is_(None),
                )
            )
        )


def kept_shell_owner(page) -> str | None:
    """Whose sign-in the worker's kept /app/ was drawn for (its Loype-Owner header)."""
    return page.evaluate(
        "async () => (await caches.match('/app/'))?.headers.get('Loype-Owner') ?? null"
    )


def owner_cookie(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"].endswith("loype-owner"))


def test_the_next_person_on_a_slow_network_gets_their_own_shell(app, world, context, faults):
    speaks(app, world.p1, "ar")
    first = open_app(context, world.codes["p1"])
    assert first.evaluate(SHELL_LANG) == ["ar", "ar"]
    first.click("form.leave button")
    first.wait_for_url("**/join")

    faults.slow["/app/"] = SLOW
    page = context.new_page()
    press_join(page, world.codes["p2"])  # p2's language is English
    wait_for_app(page)
    faults.slow.clear()
    assert page.evaluate(SHELL_LANG) == ["en", "en"]
    wait_until(lambda: kept_shell_owner(page) == owner_cookie(context), message="p2's shell kept")

    # p2 signs out from it: the server's session ends (the token was p2's).
    page.click("form.leave button")
    page.wait_for_function(DONE_OR_SIGNED_OUT)
    assert live_sessions(app, world.p2) == []
    assert page.url.endswith("/join")


def test_a_sign_in_the_worker_did_not_see_does_not_get_the_shell_either(
    app, world, browser, live_server, context, faults
):
    """p2's sign-in reaches this browser without a form posted through its worker (here:
    the cookies of another browser profile): the worker reads who is signed in now (the owner
    cookie, through the Cookie Store API) and does not show p1's kept shell."""
    speaks(app, world.p1, "ar")
    first = open_app(context, world.codes["p1"])
    assert kept_shell_owner(first) == owner_cookie(context)
    elsewhere = browser.new_context(viewport=PHONE, base_url=live_server, locale="en-GB")
    try:
        elsewhere.set_default_timeout(TIMEOUT_MS)
        press_join(elsewhere.new_page(), world.codes["p2"])
        p2_cookies = elsewhere.cookies()
    finally:
        elsewhere.close()
    context.clear_cookies()
    context.add_cookies(p2_cookies)

    faults.slow["/app/"] = SLOW
    page = context.new_page()
    page.goto("/app/")
    page.wait_for_selector("#app .cards")
    faults.slow.clear()
    assert page.evaluate(SHELL_LANG) == ["en", "en"]


def test_without_cookies_in_the_worker_a_sign_in_forgets_the_kept_shell(
    app, world, context, faults
):
    """Browsers whose service worker cannot read cookies: the worker forgets the kept shell
    when a sign-in form is posted through it, so the next /app/ comes from the network."""
    speaks(app, world.p1, "ar")
    first = open_app(context, world.codes["p1"])
    [worker] = context.service_workers
    worker.evaluate(
        "Object.defineProperty(self, 'cookieStore', { value: undefined, configurable: true })"
    )
    first.click("form.leave button")
    first.wait_for_url("**/join")

    faults.slow["/app/"] = SLOW
    page = context.new_page()
    press_join(page, world.codes["p2"])
    wait_for_app(page)
    faults.slow.clear()
    assert worker.evaluate("self.cookieStore === undefined")  # the same worker all along
    assert page.evaluate(SHELL_LANG) == ["en", "en"]


def test_the_same_person_still_gets_the_kept_shell_at_once(app, world, context, faults):
    """Not waiting for a slow network is kept for the person the shell was drawn for."""
    page = open_app(context, world.codes["p1"])
    wait_until(lambda: kept_shell_owner(page) == owner_cookie(context), message="shell kept")
    faults.slow["/app/"] = 12.0
    page.goto("/app/", wait_until="commit", timeout=9_000)
    page.wait_for_selector("#app .cards", timeout=9_000)
    faults.slow.clear()


def test_the_next_person_s_own_shell_opens_offline(app, world, context):
    speaks(app, world.p1, "ar")
    first = open_app(context, world.codes["p1"])
    first.click("form.leave button")
    first.wait_for_url("**/join")
    page = context.new_page()
    press_join(page, world.codes["p2"])
    wait_for_app(page)
    wait_until(lambda: kept_shell_owner(page) == owner_cookie(context), message="p2's shell kept")
    context.set_offline(True)
    page.goto("/app/")
    page.wait_for_selector("#app .cards")
    assert page.evaluate(SHELL_LANG) == ["en", "en"]


def kept_offline_owner(page) -> str | None:
    return page.evaluate(
        "async () => (await caches.match('/offline'))?.headers.get('Loype-Owner') ?? null"
    )


def test_the_offline_page_is_drawn_for_the_next_person_and_holds_no_token(app, world, context):
    """The page the worker shows when a page cannot load is in the signed-in person's language:
    the next person gets one drawn for them, with no menu and no form of anyone's session."""
    speaks(app, world.p1, "ar")
    first = open_app(context, world.codes["p1"])
    wait_until(lambda: kept_offline_owner(first) == owner_cookie(context), message="p1's kept")
    first.click("form.leave button")
    first.wait_for_url("**/join")
    page = context.new_page()
    press_join(page, world.codes["p2"])  # p2's language is English
    wait_for_app(page)
    wait_until(lambda: kept_offline_owner(page) == owner_cookie(context), message="p2's kept")
    context.set_offline(True)
    page.goto("/")  # no page the app shell stands in for
    page.wait_for_selector("main h1")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.inner_text("main h1") == "You are offline"
    assert page.locator("form").count() == 0
    assert "csrf_token" not in page.content()


def test_signing_out_with_a_token_of_an_earlier_session_still_ends_the_session(app, world, context):
    """A page kept from the sign-in before carries that session's CSRF token: the server
    refuses it (400). The app gets a fresh token and signs out, instead of saying "You are
    signed out" while the session lives on."""
    first = open_app(context, world.codes["p1"])
    stale = first.get_attribute("form.leave input[name=csrf_token]", "value")
    again = context.new_page()
    press_join(again, world.new_code("p1"))  # a new invite: a new session, a new token
    wait_for_app(again)
    assert live_sessions(app, world.p1) != []
    again.evaluate(
        "(token) => document.querySelectorAll('input[name=csrf_token]')"
        ".forEach((input) => { input.value = token; })",
        stale,
    )
    again.click("form.leave button")
    again.wait_for_function(DONE_OR_SIGNED_OUT)
    assert live_sessions(app, world.p1) == []
    assert again.url.endswith("/join")
    assert again.request.get("/api/v1/me").status == 401


def test_a_sign_out_the_server_could_not_finish_is_told_and_finished_later(
    app, world, context, faults
):
    page = open_app(context, world.codes["p1"])
    faults.refused.add("/leave")  # the server cannot end it now
    page.click("form.leave button")
    page.wait_for_selector("text=could not reach the server")
    assert page.is_visible("text=You are signed out")
    assert live_sessions(app, world.p1) != []  # and it was not said to be over there

    faults.refused.clear()
    page.goto("/app/")  # online again: the sign-out is finished
    page.wait_for_selector("text=You are signed out")
    wait_until(lambda: live_sessions(app, world.p1) == [], message="the session to end")
