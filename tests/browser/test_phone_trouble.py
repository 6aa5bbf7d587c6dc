"""The phone in trouble, in Chromium: its clock goes back, it cannot store what is typed (full,
or its database deleted under the open app), the service worker sends while the app looks on.
Whatever happens, what is typed reaches the server, and the app says what is true."""

from __future__ import annotations

import pytest

from webapp.extensions import db
from webapp.models import Response

from .app_driver import (
    DB_MODULE,
    fire_background_sync,
    hold_outbox_in_another_tab,
    open_app,
    outbox,
    start_mapping,
    wait_until,
)
from .test_shared_phone import set_pin_tries
from .test_write_path import FAILING_IDB, server_answers

# The phone's clock, moved by localStorage["clock-skew"] milliseconds (a flat battery, a clock
# set by hand or by the network): Date as the app sees it, from the page's start.
SKEWED_CLOCK = """(() => {
  const skew = Number(localStorage.getItem("clock-skew") || 0);
  if (!skew) return;
  const Real = Date;
  class Skewed extends Real {
    constructor(...args) { if (args.length) super(...args); else super(Real.now() + skew); }
    static now() { return Real.now() + skew; }
  }
  globalThis.Date = Skewed;
})();"""
DAY_MS = 24 * 3600 * 1000


def set_clock(page, skew_ms: int) -> None:
    """Move the phone's clock by skew_ms from the real time, and open the app again."""
    page.evaluate(f"localStorage.setItem('clock-skew', '{skew_ms}')")
    page.reload()
    page.wait_for_selector("#pin")


def try_pin(page, pin: str) -> None:
    page.fill("#pin", pin)
    page.click("form.pin button[type=submit]")


def test_the_right_pin_opens_after_the_phones_clock_went_back(app, world, context):
    """Three wrong PINs, then the clock goes back two days: the phone waited "2880 min." (the
    wait measured from the time the clock said then), far beyond the hour waits end at."""
    context.add_init_script(SKEWED_CLOCK)
    page = open_app(context, world.codes["p1"])
    page.goto("/app/#/pin")
    page.fill("#new-pin", "4711")
    page.fill("#new-pin-again", "4711")
    page.click("form.pin button[type=submit]")
    page.wait_for_selector("text=Your PIN is set.")
    page.goto("/app/")
    page.wait_for_selector("#pin")
    # Three wrong PINs just now, as the phone counts them (the server counted none).
    now = page.evaluate("Date.now()")
    set_pin_tries(page, world.p1, {"failures": 3, "at": now})

    set_clock(page, -2 * DAY_MS)
    try_pin(page, "4711")  # right, and the 30 seconds are not over: they start again now
    page.wait_for_selector("#pin-message:has-text('before you try again')")
    assert page.text_content("#pin-message") == "Wait 1 min. before you try again."
    assert not page.is_visible("#app .card")

    set_clock(page, -2 * DAY_MS + 31_000)  # half a minute later, on the same clock
    try_pin(page, "4711")
    page.wait_for_selector("#app .card")


def start_where(app, page, where: str) -> str:
    """Start the mapping, answer where the earlier mapping was, and wait until it is sent."""
    rid = start_mapping(page)
    page.check("#mapped_before-0")
    page.fill("#previous_mapping_where", where)
    page.click("#send-now")
    wait_until(lambda: server_answers(app, rid).get("previous_mapping_where") == where, 30, "sent")
    wait_until(lambda: not outbox(page), 30, "the receipt taken")
    return rid


def status(page) -> str:
    return page.text_content("#sync-status")


def phone_answers(page, rid) -> dict:
    """The answers the phone has stored of response rid (none when it has no such response)."""
    script = f"async (id) => {{ {DB_MODULE} return (await records.response(id))?.answers; }}"
    return page.evaluate(script, rid) or {}


def test_send_now_sends_what_the_phone_could_not_save(app, world, context):
    """The phone is full: what is typed stays in memory, and "Send now" (as the notice says)
    sends it from there. Typed on after that and stored once there is space again, the newest
    text is what the server keeps: the phone's stored edit is not taken for an older request
    than the one sent from memory."""
    context.add_init_script(FAILING_IDB)
    page = open_app(context, world.codes["p1"])
    rid = start_where(app, page, "NAV Oslo")

    page.evaluate("localStorage.setItem('fail-idb', '1')")  # the phone is full from now on
    page.fill("#previous_mapping_where", "Bydel Alna")
    page.wait_for_selector("#save-problem:not([hidden])")
    # The status line follows the notice: once seen on a loaded machine a moment later.
    page.wait_for_selector("#sync-status:text-is('Not saved on this phone yet')")
    page.click("#send-now")
    wait_until(
        lambda: server_answers(app, rid).get("previous_mapping_where") == "Bydel Alna",
        30, "what was typed sent from memory",
    )  # fmt: skip
    page.wait_for_selector("#sync-status:text-is('Sent, but not saved on this phone yet')")

    page.fill("#previous_mapping_where", "Bydel Alna, Furuset")  # typed on, still full
    page.click("#send-now")
    wait_until(
        lambda: server_answers(app, rid).get("previous_mapping_where") == "Bydel Alna, Furuset",
        30, "the next change sent from memory on top of the first",
    )  # fmt: skip

    page.fill("#previous_mapping_where", "Bydel Grorud")  # typed on, not sent yet
    page.evaluate("document.activeElement.blur()")
    page.wait_for_selector("#sync-status:text-is('Not saved on this phone yet')")
    page.evaluate("localStorage.removeItem('fail-idb')")  # space again: the retry stores it
    page.wait_for_selector("#save-problem", state="hidden", timeout=20_000)
    page.click("#send-now")
    wait_until(lambda: not outbox(page), 30, "everything sent")
    page.wait_for_selector("#sync-status:text-is('Everything is sent.')")
    assert server_answers(app, rid)["previous_mapping_where"] == "Bydel Grorud"
    assert phone_answers(page, rid)["previous_mapping_where"] == "Bydel Grorud"
    with app.app_context():
        assert db.session.get(Response, rid).conflicts == []  # one phone: nothing in two places


def test_leaving_with_answers_the_phone_could_not_save_asks_first_and_keeps_what_was_sent(
    app, world, context
):
    context.add_init_script(FAILING_IDB)
    page = open_app(context, world.codes["p1"])
    rid = start_where(app, page, "NAV Oslo")
    page.evaluate("localStorage.setItem('fail-idb', '1')")
    page.click("#previous_mapping_where")  # (a browser asks only on a page the person used)
    page.fill("#previous_mapping_where", "Bydel Stovner")
    page.wait_for_selector("#save-problem:not([hidden])")

    # Reloading now would lose it: the browser asks first (here: stay).
    dialogs: list[str] = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss() if len(dialogs) == 1 else dialog.accept()

    page.on("dialog", answer)
    with page.expect_event("dialog"):
        page.evaluate("() => { setTimeout(() => location.reload(), 0); }")
    assert dialogs == ["beforeunload"]
    assert page.input_value("#previous_mapping_where") == "Bydel Stovner"

    page.click("#send-now")  # online: sent from memory
    wait_until(
        lambda: server_answers(app, rid).get("previous_mapping_where") == "Bydel Stovner",
        30, "what was typed sent from memory",
    )  # fmt: skip
    page.evaluate("localStorage.removeItem('fail-idb')")
    page.reload()  # it asks again (not stored on the phone yet); leave
    wait_for_app_page(page)
    assert dialogs == ["beforeunload", "beforeunload"]
    # The phone had the older answer stored: the app opens with what the server has.
    page.wait_for_selector("#previous_mapping_where")
    wait_until(
        lambda: page.input_value("#previous_mapping_where") == "Bydel Stovner"
        or phone_answers(page, rid).get("previous_mapping_where") == "Bydel Stovner",
        20, "the server's answer on the phone",
    )  # fmt: skip
    page.reload()
    page.wait_for_selector("#previous_mapping_where")
    assert page.input_value("#previous_mapping_where") == "Bydel Stovner"
    page.wait_for_selector("#sync-status:text-is('Everything is sent.')")


def wait_for_app_page(page) -> None:
    page.wait_for_url("**/app/**")
    page.wait_for_selector("#sync-status")


def test_a_database_deleted_under_the_open_app_is_brought_back_and_what_was_typed_sent(
    app, world, context
):
    """The participant's database goes while the app is open (cleared by the browser, or by
    hand): saving failed every few seconds until the app happened to ask /api/v1/me again."""
    page = open_app(context, world.codes["p1"])
    rid = start_where(app, page, "NAV Oslo")
    deleted = page.evaluate(
        """(name) => new Promise((done) => {
          const request = indexedDB.deleteDatabase(name);
          request.onsuccess = () => done("deleted");
          request.onerror = () => done("error");
        })""",
        f"loype-p{world.p1}",
    )
    assert deleted == "deleted"
    page.fill("#previous_mapping_where", "Etter slettingen")
    wait_until(
        lambda: phone_answers(page, rid).get("previous_mapping_where") == "Etter slettingen",
        20, "the answer stored on the phone again",
    )  # fmt: skip
    page.click("#send-now")
    wait_until(
        lambda: server_answers(app, rid).get("previous_mapping_where") == "Etter slettingen",
        30, "the answer sent",
    )  # fmt: skip
    page.wait_for_selector("#sync-status:text-is('Everything is sent.')")
    assert page.is_hidden("#save-problem")


def edit_left_unsent(app, world, context):
    """An answer changed while another holder has the outbox, so that the app's own send
    leaves it ("Not sent yet: 1"); return the page, the response's id and the holder."""
    page = open_app(context, world.codes["p1"])
    rid = start_where(app, page, "NAV Oslo")
    holder = hold_outbox_in_another_tab(context)
    page.reload()  # (the app's send every half minute starts now: not before this test ends)
    page.wait_for_selector("#previous_mapping_where")
    page.fill("#previous_mapping_where", "Bydel Bjerke")
    wait_until(lambda: outbox(page), message="the edit stored on the phone")
    page.click("#send-now")  # finds the outbox busy
    page.wait_for_selector("#sync-status:text-is('Not sent yet: 1')")
    return page, rid, holder


@pytest.mark.parametrize("where", ["page", "list"])
def test_the_app_shows_at_once_what_the_service_worker_sent(
    app, world, context, live_server, where
):
    """The app's own send finds the outbox busy (the worker's Background Sync; here another
    holder, first): when the worker has sent it, the status line and the list say so at once,
    not at the app's next send half a minute later; on an open page what is typed stays, and
    where it is typed."""
    page, rid, holder = edit_left_unsent(app, world, context)
    page.wait_for_timeout(1500)  # the send after the field's change event finds it busy too
    card = f"#app .status[data-response='{rid}']"
    if where == "list":
        page.goto("/app/#/")
        page.wait_for_selector(f"{card}:text-is('Saved on this phone')")
    else:
        page.focus("#previous_mapping_where")
        page.keyboard.press("End")

    fire_background_sync(
        context, page, live_server, lambda: holder.evaluate("window.releaseOutbox()")
    )
    wait_until(
        lambda: server_answers(app, rid).get("previous_mapping_where") == "Bydel Bjerke",
        30, "the worker's send",
    )  # fmt: skip
    wait_until(lambda: not outbox(page), 10, "the worker's receipt taken")
    page.wait_for_selector("#sync-status:text-is('Everything is sent.')", timeout=3_000)
    if where == "list":
        page.wait_for_selector(f"{card}:text-is('Started. Your answers are saved.')", timeout=3_000)
    else:
        assert page.input_value("#previous_mapping_where") == "Bydel Bjerke"
        assert page.evaluate("document.activeElement.id") == "previous_mapping_where"


def test_the_app_shows_at_once_what_another_tab_sent(app, world, context):
    """Two tabs of the app: this one's send finds the outbox busy, the other tab sends what
    was typed here. This tab's status line says so at once, not at its own next send half a
    minute later (the "Not sent yet" the participant would otherwise read meanwhile)."""
    page, rid, holder = edit_left_unsent(app, world, context)
    other = context.new_page()
    other.goto("/app/#/")
    other.wait_for_selector("#sync-status")
    page.wait_for_timeout(1500)  # the sends after the change event and the other tab's start
    holder.evaluate("window.releaseOutbox()")
    other.click("#send-now")
    wait_until(
        lambda: server_answers(app, rid).get("previous_mapping_where") == "Bydel Bjerke",
        30, "the other tab's send",
    )  # fmt: skip
    page.wait_for_selector("#sync-status:text-is('Everything is sent.')", timeout=3_000)
    assert page.input_value("#previous_mapping_where") == "Bydel Bjerke"
