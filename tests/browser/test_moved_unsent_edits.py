"""A draft the administrator moves to a new version while the phone has edits it has not sent.

Version 1 asks "Vil du jobbe?", "Hvilken jobb?", "Farge" (Rod, Bla, Gronn) and "Kommentar";
version 2 deletes "Kommentar" and the option "Gronn", and adds "Hvor bor du?". The phone replays
its unsent edits on the moved answers by the server's own rule for a move (docs/sync.md): what
fits is sent, the rest stays readable on the phone, worded by the version it was given on, and
nothing else is listed as not taken. The page learns of the move however the server said so
(also to the service worker's Background Sync), and an editor open on the old version is drawn
again on the new one without ever storing an answer to a question the new version lacks.
"""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Questionnaire, Response
from webapp.services import builder
from webapp.services import questionnaires as questionnaire_service

from ..test_builder import staff
from .app_driver import (
    DB_MODULE,
    fire_background_sync,
    hold_outbox_in_another_tab,
    open_app,
    outbox,
    stored,
    wait_for_app,
    wait_until,
)
from .conftest import TIMEOUT_MS

WAIT = TIMEOUT_MS / 1000 * 2  # seconds: a send, a refusal, /api/v1/me and a send again


def publish_v1(app, world) -> str:
    with app.app_context():
        admin = staff(world, "admin1")
        draft = builder.new_questionnaire(admin, "Jobb i kommunen", "participant", "nb").draft
        for op, args in [
            ("add_section", {"title": "Om jobb"}),
            ("add_question", {"section": "om_jobb", "widget": "choice", "title": "Vil du jobbe?",
                              "options": ["Ja", "Nei"]}),
            ("add_question", {"section": "om_jobb", "widget": "text", "title": "Hvilken jobb?"}),
            ("add_question", {"section": "om_jobb", "widget": "choice", "title": "Farge",
                              "options": ["Rod", "Bla", "Gronn"]}),
            ("add_question", {"section": "om_jobb", "widget": "text", "title": "Kommentar"}),
        ]:  # fmt: skip
            builder.apply_operation(draft, admin, draft.revision, op, args)
        builder.publish(draft, admin, draft.revision)
        questionnaire_service.set_offer(admin, draft.questionnaire, "all")
        slug = draft.questionnaire.slug
        db.session.commit()
        return slug


def publish_v2_and_move(app, world, slug: str) -> int:
    with app.app_context():
        admin = staff(world, "admin1")
        questionnaire = db.session.scalar(sa.select(Questionnaire).filter_by(slug=slug))
        draft = builder.draft_for(admin, questionnaire)
        for op, args in [
            ("delete_question", {"question": "kommentar"}),
            ("delete_option", {"question": "farge", "index": 2}),  # Gronn
            ("add_question", {"section": "om_jobb", "widget": "text", "title": "Hvor bor du?"}),
        ]:
            builder.apply_operation(draft, admin, draft.revision, op, args)
        builder.publish(draft, admin, draft.revision)
        moved = builder.move_open_drafts(questionnaire, admin)
        db.session.commit()
        return len(moved)


def on_server(app, rid: str) -> tuple[int, dict]:
    with app.app_context():
        response = db.session.get(Response, rid)
        return response.version.number, response.answers


def start(page, slug: str) -> str:
    page.click(f'#app .card[data-slug="{slug}"] .primary')
    page.wait_for_selector("#fields")
    return page.url.split("#/r/")[1].split("/")[0]


def back_online_after_the_move(app, world, context, page, slug: str) -> None:
    """Version 2 is published and the one draft moved to it; the phone comes back online and
    the app is opened again."""
    assert publish_v2_and_move(app, world, slug) == 1
    context.set_offline(False)
    page.goto("/app/")
    wait_for_app(page)


def sent(app, page, rid: str, expected: tuple[int, dict], what: str) -> None:
    wait_until(lambda: not outbox(page) and on_server(app, rid) == expected, WAIT, what)


def record(page, rid: str) -> dict:
    return next(r for r in stored(page) if r["id"] == rid)


def kept_rows(page) -> list[str]:
    """The rows of "Your answers from this phone that the server did not take"."""
    return [row.inner_text() for row in page.query_selector_all(".kept-copy .answer")]


def test_an_unsent_answer_to_a_question_the_new_version_removed_stays_readable(app, world, context):
    slug = publish_v1(app, world)
    page = open_app(context, world.codes["p1"])
    rid = start(page, slug)
    page.check("#vil_du_jobbe-0")
    page.fill("#hvilken_jobb", "Lærer")
    page.check("#farge-0")
    page.fill("#kommentar", "Gammel kommentar")
    before = {"vil_du_jobbe": "ja", "hvilken_jobb": "Lærer", "farge": "rod",
              "kommentar": "Gammel kommentar"}  # fmt: skip
    sent(app, page, rid, (1, before), "version 1 on the server")
    context.set_offline(True)
    page.fill("#hvilken_jobb", "Snekker")
    page.fill("#kommentar", "Ny viktig kommentar fra telefonen")
    wait_until(lambda: outbox(page), message="the edits stored on the phone")
    back_online_after_the_move(app, world, context, page, slug)
    sent(
        app,
        page,
        rid,
        (2, {"vil_du_jobbe": "ja", "hvilken_jobb": "Snekker", "farge": "rod"}),
        "the edit that fits version 2 on the server",
    )
    assert not record(page, rid)["problem"]
    # The list says that some answers are kept on the phone, and where to read them.
    page.wait_for_selector(f'#app .card[data-slug="{slug}"] .kept a[href="#/r/{rid}/summary"]')

    page.goto(f"/app/#/r/{rid}/summary")
    page.wait_for_selector("#send")
    # Worded with version 1's question, which version 2 no longer has; nothing the server took.
    assert kept_rows(page) == ["Kommentar\nNy viktig kommentar fra telefonen"]
    assert "Snekker" in page.inner_text(".answer-section:not(.kept-copy)")


def test_an_unsent_choice_of_an_option_the_new_version_removed_blocks_nothing(app, world, context):
    slug = publish_v1(app, world)
    page = open_app(context, world.codes["p1"])
    rid = start(page, slug)
    page.check("#vil_du_jobbe-0")
    page.check("#farge-0")
    sent(app, page, rid, (1, {"vil_du_jobbe": "ja", "farge": "rod"}), "version 1 on the server")
    context.set_offline(True)
    page.fill("#hvilken_jobb", "Snekker")
    page.check("#farge-2")  # Gronn: version 2 has no such option
    wait_until(lambda: outbox(page), message="the edits stored on the phone")
    back_online_after_the_move(app, world, context, page, slug)
    # Not refused as a whole (422): the edit that fits reaches the server; the choice that does
    # not is not sent (nor is the earlier "Rod" kept as if the participant had chosen it).
    sent(
        app,
        page,
        rid,
        (2, {"vil_du_jobbe": "ja", "hvilken_jobb": "Snekker"}),
        "the edit that fits version 2 on the server",
    )
    assert not record(page, rid)["problem"]
    page.wait_for_selector("#sync-status:text-is('Everything is sent.')")

    page.goto(f"/app/#/r/{rid}/summary")
    page.wait_for_selector("#send")
    assert kept_rows(page) == ["Farge\nGronn"]  # the option's title as version 1 words it
    assert "gronn" not in page.inner_text("#app")  # never the stored code


def test_the_page_learns_of_a_move_the_service_worker_was_told_of(app, world, context, live_server):
    """Background Sync sends first and is told the draft is on version 2 (409 "version"): the
    worker cannot take the new version (it does not read /api/v1/me), so the open app must."""
    slug = publish_v1(app, world)
    page = open_app(context, world.codes["p1"])
    rid = start(page, slug)
    page.check("#vil_du_jobbe-0")
    page.fill("#hvilken_jobb", "Lærer")
    sent(app, page, rid, (1, {"vil_du_jobbe": "ja", "hvilken_jobb": "Lærer"}), "version 1 sent")
    # Another tab holds the outbox: the app's own sends find it busy and leave it (no retry).
    holder = hold_outbox_in_another_tab(context)
    page.fill("#hvilken_jobb", "Snekker")
    wait_until(lambda: outbox(page), message="the edit stored on the phone")
    page.wait_for_timeout(1500)  # the app's send after the save came and found the outbox busy
    assert publish_v2_and_move(app, world, slug) == 1
    senders: list[str] = []  # who sent (the worker first, then the app): for a failure's message
    context.on("request", lambda r: senders.append("worker" if r.service_worker else "page")
               if r.url.endswith("/api/v1/sync") else None)  # fmt: skip
    fire_background_sync(
        context, page, live_server, lambda: holder.evaluate("window.releaseOutbox()")
    )
    sent(
        app,
        page,
        rid,
        (2, {"vil_du_jobbe": "ja", "hvilken_jobb": "Snekker"}),
        f"the edit on the server on version 2 (sent by {senders})",
    )
    assert record(page, rid)["version"] == 2
    page.wait_for_selector("#sync-status:text-is('Everything is sent.')")


def test_an_open_page_follows_the_move_keeping_what_was_typed(app, world, context):
    slug = publish_v1(app, world)
    page = open_app(context, world.codes["p1"])
    rid = start(page, slug)
    page.check("#vil_du_jobbe-0")
    page.fill("#hvilken_jobb", "Lærer")
    sent(app, page, rid, (1, {"vil_du_jobbe": "ja", "hvilken_jobb": "Lærer"}), "version 1 sent")
    context.set_offline(True)
    page.fill("#hvilken_jobb", "Snekker")
    wait_until(lambda: outbox(page), message="the edit stored on the phone")
    assert publish_v2_and_move(app, world, slug) == 1

    context.set_offline(False)  # the page stays open, on version 1's page
    page.wait_for_selector(".moved-open", timeout=TIMEOUT_MS * 2)
    assert "updated while you were answering" in page.inner_text(".moved-open")
    assert page.locator("#kommentar").count() == 0  # version 2 does not ask it
    page.wait_for_selector("#hvor_bor_du")  # version 2's new question
    assert page.input_value("#hvilken_jobb") == "Snekker"
    sent(
        app,
        page,
        rid,
        (2, {"vil_du_jobbe": "ja", "hvilken_jobb": "Snekker"}),
        "the edit on the server on version 2",
    )


def test_typing_on_a_page_of_the_old_version_never_stores_an_answer_it_lacks(app, world, context):
    slug = publish_v1(app, world)
    page = open_app(context, world.codes["p1"])
    rid = start(page, slug)
    page.check("#vil_du_jobbe-0")
    page.fill("#hvilken_jobb", "Lærer")
    page.fill("#kommentar", "Gammel kommentar")
    before = {"vil_du_jobbe": "ja", "hvilken_jobb": "Lærer", "kommentar": "Gammel kommentar"}
    sent(app, page, rid, (1, before), "version 1 sent")
    assert publish_v2_and_move(app, world, slug) == 1
    # The phone takes the move while version 1's page is on screen, and the participant types
    # into a question version 2 removed before the page is drawn again. No send runs meanwhile
    # (a send is what draws the page again), so the page is still version 1's when typed in.
    page.evaluate(f"""async () => {{
      {DB_MODULE}
      const documents = await import(main.replace("main.js", "documents.js"));
      const {{ state }} = await import(main.replace("main.js", "status.js"));
      state.syncing = true;
      try {{
        await documents.refresh();
        const box = document.querySelector("#kommentar");
        box.value = "Skrevet etter flyttingen";
        box.dispatchEvent(new Event("input", {{ bubbles: true }}));
      }} finally {{
        state.syncing = false;
      }}
    }}""")
    page.wait_for_selector(".moved-open", timeout=TIMEOUT_MS * 2)
    assert page.locator("#kommentar").count() == 0
    assert page.input_value("#hvilken_jobb") == "Lærer"
    page.wait_for_selector(f'.moved-open a[href="#/r/{rid}/summary"]')  # where the rest is kept
    sent(app, page, rid, (2, {"vil_du_jobbe": "ja", "hvilken_jobb": "Lærer"}), "version 2 sent")
    assert "kommentar" not in record(page, rid)["answers"]

    page.click(".moved-open a")
    page.wait_for_selector("#send")
    assert kept_rows(page) == ["Kommentar\nSkrevet etter flyttingen"]


def test_an_option_the_version_no_longer_has_is_worded_as_the_earlier_version_words_it(
    app, world, context
):
    """A response on version 2 holding "gronn" (stored so by an earlier release of the app, and
    refused by the server): its summary names the option as version 1 did, never the code."""
    slug = publish_v1(app, world)
    page = open_app(context, world.codes["p1"])
    rid = start(page, slug)
    page.check("#vil_du_jobbe-0")
    page.check("#farge-0")
    sent(app, page, rid, (1, {"vil_du_jobbe": "ja", "farge": "rod"}), "version 1 sent")
    assert publish_v2_and_move(app, world, slug) == 1
    page.goto("/app/")
    wait_for_app(page)
    wait_until(lambda: record(page, rid)["version"] == 2, WAIT, "the phone on version 2")
    context.set_offline(True)
    page.evaluate(f"""async () => {{
      {DB_MODULE}
      await records.saveAnswers("{rid}", {{ page: {{ farge: "gronn" }}, questions: ["farge"] }});
    }}""")
    page.goto(f"/app/#/r/{rid}/summary")
    page.wait_for_selector("#send")
    assert "Farge\nGronn" in page.inner_text(".answer-section:not(.kept-copy)")
    assert "gronn" not in page.inner_text("#app")


def test_a_phone_without_the_old_version_s_document_still_sends_only_what_fits(app, world, context):
    """The phone lost version 1's document (as after its storage was cleared of everything but
    unsent answers): the new version's own checks decide what is sent, and the kept answers are
    worded with version 1's texts, fetched again."""
    slug = publish_v1(app, world)
    page = open_app(context, world.codes["p1"])
    rid = start(page, slug)
    page.check("#vil_du_jobbe-0")
    page.check("#farge-0")
    sent(app, page, rid, (1, {"vil_du_jobbe": "ja", "farge": "rod"}), "version 1 sent")
    context.set_offline(True)
    page.fill("#hvilken_jobb", "Snekker")
    page.check("#farge-2")  # Gronn
    page.fill("#kommentar", "Fra telefonen")
    wait_until(lambda: outbox(page), message="the edits stored on the phone")
    page.evaluate(f"""async () => {{
      {DB_MODULE}
      for (const d of await db.getAll("documents")) await db.remove("documents", d.key);
    }}""")
    back_online_after_the_move(app, world, context, page, slug)
    sent(
        app,
        page,
        rid,
        (2, {"vil_du_jobbe": "ja", "hvilken_jobb": "Snekker"}),
        "the edit that fits version 2 on the server",
    )
    assert not record(page, rid)["problem"]
    page.goto(f"/app/#/r/{rid}/summary")
    page.wait_for_selector("#send")
    assert sorted(kept_rows(page)) == ["Farge\nGronn", "Kommentar\nFra telefonen"]
