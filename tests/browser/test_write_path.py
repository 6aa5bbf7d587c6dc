"""What the participant last wrote is what the counsellor reads, proven in Chromium."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Response, StaffUser
from webapp.services import comments, reads, reviews, revisions

from ..conftest import login_staff
from .app_driver import open_app, open_app_as, outbox, start_mapping, stored, wait_until
from .conftest import TIMEOUT_MS

# Make IndexedDB writes fail while localStorage says so (quota exceeded, as on a full phone).
FAILING_IDB = """
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (...args) {
    if (localStorage.getItem("fail-idb") === "1") {
      throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
    }
    return put.apply(this, args);
  };
"""


def server_answers(app, rid) -> dict:
    """The answers the server holds; none while the first sync has not arrived yet."""
    with app.app_context():
        response = db.session.get(Response, rid)
        return dict(response.answers) if response is not None else {}


def all_sent(page, timeout=30.0):
    wait_until(
        lambda: page.text_content("#sync-status") == "Everything is sent." and not outbox(page),
        timeout,
        "everything sent",
    )


def send_and_wait(app, page, rid, question, expected):
    """Press "Send now" and wait until the server has expected as the answer to question."""
    page.click("#send-now")
    wait_until(lambda: server_answers(app, rid).get(question) == expected, 30, f"{question} sent")
    all_sent(page)


def start_where(app, page, where: str) -> str:
    """Start the mapping, say where the earlier mapping was, and wait until it is sent."""
    rid = start_mapping(page)
    page.check("#mapped_before-0")
    page.fill("#previous_mapping_where", where)
    send_and_wait(app, page, rid, "previous_mapping_where", where)
    return rid


def test_cleared_answer_is_cleared_on_the_server_and_for_the_counsellor(
    app, world, context, browser, live_server
):
    page = open_app(context, world.codes["p1"])
    rid = start_where(app, page, "NAV Oslo")
    page.fill("#previous_mapping_where", "")
    send_and_wait(app, page, rid, "previous_mapping_where", None)
    page.reload()
    page.wait_for_selector("#previous_mapping_where")
    assert page.input_value("#previous_mapping_where") == ""
    text = page.inner_text("#app")
    assert "null" not in text and "undefined" not in text
    staff = browser.new_context(base_url=live_server, bypass_csp=True)
    counsellor = staff.new_page()
    counsellor.goto("/login")
    counsellor.fill("#email", world.emails["c1"])
    counsellor.fill("#password", "correct horse battery staple")
    counsellor.click("form button[type=submit]")
    counsellor.goto(f"/responses/{rid}")
    assert "NAV Oslo" not in counsellor.inner_text("main")
    staff.close()


def test_two_phones_change_one_answer_and_both_values_are_kept(
    app, world, context, browser, live_server
):
    phone_a = open_app(context, world.codes["p1"])
    rid = start_where(app, phone_a, "NAV")
    other = browser.new_context(
        viewport={"width": 360, "height": 740}, base_url=live_server, bypass_csp=True
    )
    other.set_default_timeout(TIMEOUT_MS)
    phone_b = open_app_as(other, context)
    phone_b.click(f'#app a[href="#/r/{rid}/1"]')
    phone_b.wait_for_selector("#previous_mapping_where")
    other.set_offline(True)
    phone_b.fill("#previous_mapping_where", "Bydel Grorud")
    wait_until(lambda: any(r["answers"].get("previous_mapping_where") == "Bydel Grorud"
                           for r in stored(phone_b)))  # fmt: skip
    phone_a.fill("#previous_mapping_where", "NAV Alna")
    send_and_wait(app, phone_a, rid, "previous_mapping_where", "NAV Alna")
    other.set_offline(False)
    send_and_wait(app, phone_b, rid, "previous_mapping_where", "Bydel Grorud")
    with app.app_context():
        (conflict,) = db.session.get(Response, rid).conflicts
        assert (conflict["kept"], conflict["other"]) == ("Bydel Grorud", "NAV Alna")
    client = app.test_client()
    login_staff(client, world.emails["c1"])
    review = client.get(f"/responses/{rid}").get_data(as_text=True)
    assert "NAV Alna" in review and "Bydel Grorud" in review
    other.close()


def test_a_failed_write_on_the_phone_is_said_and_nothing_is_claimed_sent(app, world, context):
    context.add_init_script(FAILING_IDB)
    page = open_app(context, world.codes["p1"])
    rid = start_mapping(page)
    page.check("#mapped_before-1")
    send_and_wait(app, page, rid, "mapped_before", "no")
    page.evaluate("localStorage.setItem('fail-idb', '1')")
    page.check("#mapped_before-2")
    page.wait_for_selector("#save-problem:not([hidden])")
    assert "could not save" in page.inner_text("#save-problem")
    assert page.text_content("#sync-status") == "Not saved on this phone yet"
    # Offline, nothing can be sent: still not saved on the phone, and never claimed sent.
    context.set_offline(True)
    page.click("#send-now")
    page.wait_for_timeout(1500)
    assert page.text_content("#sync-status") == "Not saved on this phone yet"
    assert server_answers(app, rid).get("mapped_before") == "no"
    # Online, "Send now" sends it from memory (test_phone_trouble.py), and says what is true.
    context.set_offline(False)
    page.click("#send-now")
    wait_until(lambda: server_answers(app, rid).get("mapped_before") == "unsure", 30, "sent")
    page.wait_for_selector("#sync-status:text-is('Sent, but not saved on this phone yet')")
    page.evaluate("localStorage.removeItem('fail-idb')")  # space freed: the retry saves it
    page.wait_for_selector("#save-problem", state="hidden", timeout=20_000)
    send_and_wait(app, page, rid, "mapped_before", "unsure")


def test_a_refused_response_can_be_resolved_and_a_reopened_one_reaches_the_phone(
    app, world, context
):
    page = open_app(context, world.codes["p1"])
    rid = start_mapping(page)
    page.check("#mapped_before-1")
    send_and_wait(app, page, rid, "mapped_before", "no")
    context.set_offline(True)
    page.check("#mapped_before-2")  # changed on the phone while ...
    wait_until(lambda: outbox(page), message="queued")
    with app.app_context():  # ... the response was sent from elsewhere
        response = db.session.get(Response, rid)
        person = db.session.get(Participant, world.p1)
        revisions.retrying(lambda: revisions.write(
            response, revisions.Author("web", person), base=response.revision,
            answers={"mapped_before": "no", "short_term_goal_kind": "work",
                     "long_term_goal_kind": "work"}, status="submitted"))  # fmt: skip
    context.set_offline(False)
    page.goto("/app/#/")
    page.wait_for_selector("#app .cards")
    page.click("#send-now")
    wait_until(lambda: any(r.get("problem") for r in stored(page)), 30, "the refusal")
    page.goto(f"/app/#/r/{rid}/summary")
    page.reload()  # drawn from what the phone stored, not from a sync still running
    page.wait_for_selector(".refused:has-text('already sent')")
    # Refused, its changes are on the phone only: the status line never says all is sent.
    wait_until(lambda: page.text_content("#sync-status") == "Not sent yet: 1", 10, "not sent")
    page.click("#send-now")
    page.wait_for_timeout(500)
    assert page.text_content("#sync-status") == "Not sent yet: 1"
    page.click("text=Use the answers on the server")
    page.wait_for_selector(".kept-copy")  # what the phone had is still readable
    assert not page.query_selector(".refused")
    all_sent(page)
    # The counsellor asks for follow-up: the phone shows the message and can change answers.
    with app.app_context():
        response = db.session.get(Response, rid)
        staff = db.session.get(StaffUser, world.c1)
        revisions.retrying(
            lambda: reviews.add_review(response, staff, "follow_up", "", "Fortell om målet")
        )
    page.goto("/app/#/")
    page.reload()  # the app opened again: it asks the server what is new
    page.wait_for_selector(".follow-up")
    assert "Fortell om målet" in page.inner_text(".follow-up")
    page.click(f'#app a[href="#/r/{rid}/1"]')
    page.wait_for_selector("#mapped_before-2")
    page.check("#mapped_before-2")
    page.click("#send-now")
    wait_until(lambda: server_answers(app, rid).get("mapped_before") == "unsure", 30, "sent")
    with app.app_context():
        assert db.session.scalar(sa.select(Response.status).where(Response.id == rid)) == "draft"


def test_a_group_offers_no_entry_beyond_its_maximum_and_its_answers_are_sent(app, world, context):
    """15 educations at most: a 16th would have made the server refuse every later change."""
    page = open_app(context, world.codes["p1"])
    rid = start_mapping(page)
    page.goto(f"/app/#/r/{rid}/4")
    page.wait_for_selector("#educations")
    add = "#educations > button[data-action=add]"
    for _ in range(14):
        page.click(add)
    assert page.locator("#educations > fieldset.entry").count() == 15
    assert not page.query_selector(add)
    page.fill("#educations-14-field", "Sykepleie")
    page.click("#send-now")
    expected = [{"field": "Sykepleie"}]  # empty entries are not answers: the phone sends none
    wait_until(lambda: server_answers(app, rid).get("educations") == expected, 30, "sent")
    all_sent(page)
    page.click("#educations-14 button[data-action=remove]")
    assert page.query_selector(add)


def test_a_double_tap_on_start_starts_one_response(app, world, context):
    page = open_app(context, world.codes["p1"])
    page.dblclick("#app .card button.primary")
    page.wait_for_selector("#fields")
    page.click("#send-now")
    all_sent(page)
    assert [r["status"] for r in stored(page)] == ["draft"]
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Response).filter_by(participant_id=world.p1)
            )
            == 1
        )


def test_no_null_or_undefined_on_the_screen_in_bokmal(app, world, browser, live_server):
    with app.app_context():
        db.session.get(Participant, world.p2).language = "nb"
        db.session.commit()
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="nb-NO",
                                  base_url=live_server, bypass_csp=True)  # fmt: skip
    context.set_default_timeout(TIMEOUT_MS)
    page = open_app(context, world.codes["p2"])
    start_mapping(page)
    for _ in range(3):
        text = page.inner_text("#app")
        assert "null" not in text and "undefined" not in text, text[:300]
        page.click("#app form.questionnaire > .actions button[type=submit]")
        page.wait_for_timeout(300)
    context.close()


def test_the_counsellors_message_and_who_read_the_answers_are_on_the_phone_offline(
    app, world, context
):
    page = open_app(context, world.codes["p1"])
    rid = start_mapping(page)
    page.check("#mapped_before-1")
    send_and_wait(app, page, rid, "mapped_before", "no")
    with app.app_context():
        response = db.session.get(Response, rid)
        staff = db.session.get(StaffUser, world.c1)
        comments.add(response, staff, "message", "Vi snakkes på torsdag ‮evil")
        comments.add(response, staff, "note", "Intern: må følges opp")  # never to the phone
        reads.record_response(staff, response)
        db.session.commit()
    page.goto("/app/#/")
    page.reload()  # opened again: it asks the server what is new
    page.wait_for_selector(".card .messages")
    context.set_offline(True)
    page.reload()  # and offline, from what the phone keeps
    page.wait_for_selector(".card .messages")
    text = page.inner_text("#app")
    assert "Vi snakkes på torsdag" in text and "Intern" not in text
    assert "Counsellor One read your answers to" in page.inner_text(".reads")
    assert page.eval_on_selector(".card .messages .comment-body", "e => e.dir") == "auto"
    assert "null" not in text and "undefined" not in text
