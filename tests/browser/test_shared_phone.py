"""A shared phone, in Chromium: two participants on one browser profile never see or send each
other's answers, signing out sends first and then keeps (locked) or deletes what is left, what
the phone stores is encrypted, a PIN keeps the app closed, and a signed-out app shows nothing.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import LoginSession, Participant, Response, ThrottleCounter
from webapp.services import phone_pins

from .app_driver import (
    database_names,
    dump_indexeddb,
    fire_background_sync,
    join_in_browser,
    locked_store,
    open_app,
    stored,
    wait_for_app,
    wait_until,
)

CANARY = "Kanarifugl-7Qx"  # a free-text answer that must never be stored in clear text


def server_answers(app) -> dict[int, list[dict]]:
    """Each participant's responses on the server: participant id -> answers."""
    with app.app_context():
        found: dict[int, list[dict]] = {}
        for row in db.session.scalars(sa.select(Response).order_by(Response.created_at)):
            found.setdefault(row.participant_id, []).append(row.answers)
        return found


def answer_first_page(page, where: str = "NAV Oslo") -> None:
    page.click("#app .card button.primary")
    page.wait_for_selector("#fields")
    page.check("#mapped_before-0")
    page.fill("#previous_mapping_where", where)
    page.wait_for_timeout(600)  # saved on the phone (300 ms after typing)


def sign_out(page) -> None:
    page.click("form.leave button")


def test_two_participants_on_one_phone_never_see_or_send_each_others_answers(app, world, context):
    first = open_app(context, world.codes["p1"])
    context.set_offline(True)
    answer_first_page(first, CANARY)
    sign_out(first)
    # Offline: the answer cannot be sent, so the participant chooses; they keep it, locked.
    first.wait_for_selector("#leave-keep")
    assert "not sent yet (1)" in first.text_content("main")
    first.click("#leave-keep")
    first.wait_for_selector("text=You are signed out")
    assert CANARY not in first.content()
    context.set_offline(False)

    # The next person signs in on the same phone: nothing of the first is shown or sent.
    second = open_app(context, world.codes["p2"])
    assert second.is_visible("#app .card button.primary")  # "Start", not "Continue"
    assert CANARY not in second.content() and stored(second) == []
    second.click("#send-now")
    second.wait_for_function("document.querySelector('#sync-status').textContent.includes('sent')")
    assert server_answers(app) == {}
    kept = locked_store(second, world.p1)
    assert len(kept["outbox"]) == 1 and kept["meta"] == []
    assert CANARY not in json.dumps(dump_indexeddb(second), ensure_ascii=False)

    # The second signs out online with nothing unsent: their data leaves the phone at once.
    sign_out(second)
    second.wait_for_url("**/join")
    wait_until(lambda: f"loype-p{world.p2}" not in database_names(second), message="deleted")

    # The first signs in again: the kept answer is sent, to their own account only.
    again = join_in_browser(context, world.new_code("p1"))
    wait_for_app(again)
    wait_until(lambda: server_answers(app), message="the kept answer to reach the server")
    assert server_answers(app) == {
        world.p1: [{"mapped_before": "yes", "previous_mapping_where": CANARY}]
    }


def test_signing_out_says_so_in_the_language_of_the_person_leaving(app, world, context):
    """The browser speaks English; the participant Ukrainian. "You are signed out. To come
    back, ask your counsellor for a new code." was in English, with the sign-in page around it;
    the next person on the phone still gets their own language once they sign in."""
    with app.app_context():
        db.session.get(Participant, world.p1).language = "uk"
        db.session.commit()
    first = open_app(context, world.codes["p1"])
    assert first.evaluate("document.documentElement.lang") == "uk"
    sign_out(first)  # through the app: it sends, wipes, ends the session, then opens /join
    first.wait_for_url("**/join")
    assert first.evaluate("document.documentElement.lang") == "uk"
    body = first.inner_text("body")
    assert "Щоб повернутися, попросіть у консультанта новий код." in body
    assert "To come back" not in body

    second = open_app(context, world.new_code("p2"))  # p2's language is English
    assert second.evaluate("document.documentElement.lang") == "en"
    with app.app_context():
        assert db.session.get(Participant, world.p2).language == "en"


def test_signing_out_offline_can_delete_what_was_not_sent(app, world, context):
    page = open_app(context, world.codes["p1"])
    context.set_offline(True)
    answer_first_page(page)
    sign_out(page)
    page.click("#leave-delete")
    page.wait_for_selector("text=You are signed out")
    # Nothing of the signed-out person's menu is offered (My questionnaires, Sign out).
    assert not page.is_visible("header.site form.leave")
    assert not page.is_visible("header.site nav")
    wait_until(lambda: f"loype-p{world.p1}" not in database_names(page), message="deleted")
    # Reopened offline from the phone's cache, the app still shows nobody's data.
    page.goto("/app/")
    page.wait_for_selector("text=You are signed out")
    assert "NAV Oslo" not in page.content()
    context.set_offline(False)
    # The sign-out made offline is finished on the server once it can be reached.
    page.goto("/app/")
    page.wait_for_selector("text=You are signed out")
    wait_until(lambda: page.request.get("/api/v1/me").status == 401, message="the session to end")
    assert server_answers(app) == {}


def test_sign_out_sends_first_and_leaves_nothing_personal_behind(app, world, context):
    page = open_app(context, world.codes["p1"])
    answer_first_page(page, CANARY)
    page.goto("/me/")  # sign out from a server page: it goes through the app
    sign_out(page)
    page.wait_for_url("**/join")
    assert server_answers(app) == {
        world.p1: [{"mapped_before": "yes", "previous_mapping_where": CANARY}]
    }
    wait_until(lambda: not [n for n in database_names(page) if n.startswith("loype-p")],
               message="the participant's database to be deleted")  # fmt: skip
    context.set_offline(True)
    page.goto("/app/")  # the cached app shell, nobody signed in
    page.wait_for_selector("text=You are signed out")
    assert CANARY not in page.content() and "p1" not in page.text_content("main")


def test_a_worker_still_sending_at_the_sign_out_leaves_no_database_behind(
    app, world, context, live_server, faults
):
    """The service worker sends the outbox in the background (Background Sync) while the
    participant signs out and deletes what is unsent; its receipt arrives after the database
    is gone. It opened that database again to file the receipt, an empty "loype-p<id>" that
    named the participant to the next person on the phone."""
    page = open_app(context, world.codes["p1"])
    faults.blocked = True  # the app cannot send: the answer waits in the outbox
    answer_first_page(page, CANARY)
    page.goto("/offline")  # the app closes: only the worker sends from now on
    faults.reset()
    faults.plan = ["late"]
    faults.late_by = 4.0
    fire_background_sync(context, page, live_server)
    wait_until(lambda: "late" in faults.seen, message="the worker's request")
    page.goto("/app/")
    wait_for_app(page)
    sign_out(page)  # the worker still waits for its receipt
    page.click("#leave-delete")
    page.wait_for_url("**/join")
    assert server_answers(app) == {
        world.p1: [{"mapped_before": "yes", "previous_mapping_where": CANARY}]
    }  # the worker's request reached the server
    page.wait_for_timeout(int(faults.late_by * 1000) + 1000)  # the receipt has come by now
    assert not [n for n in database_names(page) if n.startswith("loype-p")]


LATE_ME = """(() => {
  // GET /api/v1/me answers as the server did, but only once this phone has begun signing out
  // (the owner cookie is gone): an answer read just before the session ended.
  const real = window.fetch;
  const signingOut = () => new Promise((ok) => {
    const check = () => (document.cookie.includes("loype-owner=") ? setTimeout(check, 5) : ok());
    check();
  });
  window.fetch = (url, options) => String(url).endsWith("/api/v1/me")
    ? real(url, options).then((response) => signingOut().then(() => response))
    : real(url, options);
})();"""


def test_a_late_answer_from_before_the_sign_out_does_not_bring_the_app_back(app, world, context):
    """The app asks the server what it has (GET /api/v1/me) while the sign-out goes through: an
    answer computed before the session ended must not make the signed-out page reload the app
    (it went back to /app/#/sign-out, and landed on /join#/sign-out)."""
    page = open_app(context, world.codes["p1"])
    answer_first_page(page, CANARY)
    page.add_init_script(LATE_ME)
    pages: list[str] = []  # the addresses the tab opened, and where it posted
    page.on("request", lambda r: pages.append(urlsplit(r.url).path)
            if r.is_navigation_request() or r.method == "POST" else None)  # fmt: skip
    page.goto("/me/")  # sign out from a server page: the app opens on #/sign-out and asks /me
    sign_out(page)
    page.wait_for_url("**/join")
    page.wait_for_timeout(1500)  # time for a reload to land, if one was started
    signed_out_at = len(pages) - pages[::-1].index("/leave")
    assert pages[signed_out_at:] == ["/join"]  # not /app/ again
    assert page.url.endswith("/join"), page.url
    assert page.request.get("/api/v1/me").status == 401


def test_what_the_phone_stores_is_encrypted(app, world, context):
    page = open_app(context, world.codes["p1"])
    answer_first_page(page, CANARY)  # sent
    page.goto("/app/")
    wait_for_app(page)
    context.set_offline(True)
    page.click("#app .card a.button")  # continue the draft offline: queued, not sent
    page.wait_for_selector("#fields")
    page.fill("#previous_mapping_where", CANARY + " igjen")
    page.wait_for_timeout(600)
    dump = json.dumps(dump_indexeddb(page), ensure_ascii=False)
    assert CANARY not in dump
    assert '"p1"' not in dump  # the name /api/v1/me gave is sealed too
    store = dump_indexeddb(page)[f"loype-p{world.p1}"]
    [vault] = [m for m in store["meta"] if m["key"] == "vault"]
    assert vault["cryptoKey"] == {"cryptoKey": "sealed"}  # non-extractable
    [record] = store["responses"]
    assert "answers" not in record and "baseAnswers" not in record
    # ... and the app reads it all back.
    page.reload()
    page.wait_for_selector("#fields")
    assert page.input_value("#previous_mapping_where") == CANARY + " igjen"


SET_PIN_TRIES = """async ([id, tries]) => {
  const request = indexedDB.open(`loype-p${id}`);
  const database = await new Promise((ok) => { request.onsuccess = () => ok(request.result); });
  const tx = database.transaction(["meta"], "readwrite");
  if (tries) tx.objectStore("meta").put({ key: "pin-tries", ...tries });
  else tx.objectStore("meta").delete("pin-tries");
  await new Promise((ok) => { tx.oncomplete = ok; });
  database.close();
}"""


def set_pin_tries(page, participant: int, tries: dict | None) -> None:
    """Rewrite what the phone counts of wrong PINs (None: forget them), as the clock would, or
    as someone tampering with the phone would."""
    page.evaluate(SET_PIN_TRIES, [participant, tries])


def test_a_pin_keeps_the_app_closed_and_wrong_pins_are_slowed_down(app, world, context):
    page = open_app(context, world.codes["p1"])
    answer_first_page(page, CANARY)
    page.goto("/app/#/pin")
    page.fill("#new-pin", "4711")
    page.fill("#new-pin-again", "4711")
    page.click("form.pin button[type=submit]")
    page.wait_for_selector("text=Your PIN is set.")
    store = dump_indexeddb(page)[f"loype-p{world.p1}"]
    [vault] = [m for m in store["meta"] if m["key"] == "vault"]
    assert "cryptoKey" not in vault and set(vault["pin"]) == {"salt", "iv", "wrapped", "iterations"}

    page.goto("/app/")
    page.wait_for_selector("#pin")
    assert CANARY not in page.content() and not page.is_visible(".card")
    for left in (9, 8, 7):
        page.fill("#pin", "0000")
        page.click("form.pin button[type=submit]")
        page.wait_for_selector(f"#pin-message:has-text('Tries left: {left}.')")
        page.wait_for_selector("form.pin button[type=submit]:enabled")
    assert "Wrong PIN." in page.text_content("#pin-message")
    page.fill("#pin", "4711")  # right, but too soon after three wrong ones
    page.click("form.pin button[type=submit]")
    page.wait_for_selector("#pin-message:has-text('before you try again')")
    assert not page.is_visible(".card")

    # After the wait, the right PIN opens it (the wait is shortened here by rewriting the
    # stored time of the last wrong try, as the clock would).
    set_pin_tries(page, world.p1, {"failures": 3, "at": 0})
    page.fill("#pin", "4711")
    page.click("form.pin button[type=submit]")
    page.wait_for_selector("#app .card")


def test_a_pin_typed_in_persian_digits_is_the_same_pin(app, world, context):
    """A Persian or Arabic keyboard types ۴۷۱۱ or ٤٧١١: it was refused as "not 4 to 6 digits",
    though the questionnaire itself takes these digits. It is the PIN 4711, on any keyboard."""
    page = open_app(context, world.codes["p1"])
    page.goto("/app/#/pin")
    page.fill("#new-pin", "۴۷۱۱")
    page.fill("#new-pin-again", "٤٧١١")
    page.click("form.pin button[type=submit]")
    page.wait_for_selector("text=Your PIN is set.")

    page.goto("/app/")
    page.wait_for_selector("#pin")
    page.fill("#pin", "4711")
    page.click("form.pin button[type=submit]")
    page.wait_for_selector("#app .card")


def test_the_server_counts_wrong_pins_so_clearing_the_phones_count_gives_no_more_tries(
    app, world, context
):
    page = open_app(context, world.codes["p1"])
    answer_first_page(page, CANARY)
    page.goto("/app/#/pin")
    page.fill("#new-pin", "4711")
    page.fill("#new-pin-again", "4711")
    page.click("form.pin button[type=submit]")
    page.wait_for_selector("text=Your PIN is set.")
    with app.app_context():
        [login] = db.session.scalars(
            sa.select(LoginSession).where(LoginSession.participant_id == world.p1)
        ).all()
        assert login.pin_verifier  # the server can check this phone's PIN from now on

    page.goto("/app/")
    page.wait_for_selector("#pin")
    for _ in range(phone_pins.PIN_SESSION.failures):
        set_pin_tries(page, world.p1, None)  # what someone tampering with the phone does
        page.fill("#pin", "0000")
        page.click("form.pin button[type=submit]")
        page.wait_for_selector("#pin-message:has-text('Wrong PIN.')")
        page.wait_for_selector("form.pin button[type=submit]:enabled")
        page.evaluate("document.getElementById('pin-message').textContent = ''")
    set_pin_tries(page, world.p1, None)
    page.fill("#pin", "4711")  # right, but the server says wait
    page.click("form.pin button[type=submit]")
    page.wait_for_selector("#pin-message:has-text('before you try again')")
    assert not page.is_visible(".card") and CANARY not in page.content()
    with app.app_context():
        assert db.session.scalars(sa.select(ThrottleCounter)).all()

    # Offline, the phone's own count applies, so the participant can still open their answers.
    set_pin_tries(page, world.p1, None)
    context.set_offline(True)
    page.fill("#pin", "4711")
    page.click("form.pin button[type=submit]")
    page.wait_for_selector("#app .card")


def test_too_many_wrong_pins_sign_the_phone_out_and_keep_unsent_answers_locked(app, world, context):
    page = open_app(context, world.codes["p1"])
    page.goto("/app/#/pin")
    page.fill("#new-pin", "123456")
    page.fill("#new-pin-again", "123456")
    page.click("form.pin button[type=submit]")
    page.wait_for_selector("text=Your PIN is set.")
    set_pin_tries(page, world.p1, {"failures": 9, "at": 0})
    page.goto("/app/")
    page.fill("#pin", "999999")
    page.click("form.pin button[type=submit]")
    page.wait_for_selector("text=Wrong PIN too many times")
    wait_until(lambda: page.request.get("/api/v1/me").status == 401, message="the session to end")


LEGACY = """async (owner) => {
  const request = indexedDB.open("loype", 1);
  request.onupgradeneeded = () => {
    for (const [name, key] of [["responses", "id"], ["outbox", "id"], ["documents", "key"],
      ["meta", "key"]]) request.result.createObjectStore(name, { keyPath: key });
  };
  const database = await new Promise((ok) => { request.onsuccess = () => ok(request.result); });
  const tx = database.transaction(["responses", "outbox", "meta"], "readwrite");
  const id = "0b7c1f2e-6a1d-4c3b-9e8f-2a4b6c8d0e1f";
  tx.objectStore("responses").put({ id, slug: "kartlegging", version: 1, status: "draft",
    answers: { mapped_before: "no" }, textLanguages: {}, localRevision: 2,
    savedAt: new Date().toISOString(), baseRevision: null, baseAnswers: {}, problem: null });
  tx.objectStore("outbox").put({ id, localRevision: 2, queuedAt: new Date().toISOString() });
  tx.objectStore("meta").put({ key: "me", value: { participant: { display_name: owner },
    questionnaires: [], responses: [] } });
  await new Promise((ok) => { tx.oncomplete = ok; });
  database.close();
}"""


def test_answers_kept_by_the_old_app_go_to_their_owner_only(app, world, context):
    """Before each person had a database, the phone kept one for whoever used it."""
    page = open_app(context, world.codes["p2"])
    page.evaluate(LEGACY, "p1")  # p1's unsent answer, left by the old app
    page.reload()
    wait_for_app(page)
    page.click("#send-now")
    page.wait_for_timeout(1000)
    assert server_answers(app) == {} and stored(page) == []  # not p2's: untouched
    assert "loype" in dump_indexeddb(page)
    sign_out(page)
    page.wait_for_url("**/join")

    page = join_in_browser(context, world.new_code("p1"))
    wait_for_app(page)
    wait_until(lambda: server_answers(app), message="the old answer to reach the server")
    assert server_answers(app) == {world.p1: [{"mapped_before": "no"}]}
    wait_until(lambda: "loype" not in database_names(page), message="the old database to go")
