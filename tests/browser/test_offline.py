"""The first promise, proven in Chromium: an answer typed on the phone is never lost."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from webapp.assets import Release
from webapp.extensions import db
from webapp.models import Participant, Response, ResponseRevision
from webapp.services import questionnaires as questionnaire_service
from webapp.services import sessions

from ..conftest import FORMS
from .app_driver import (
    EXPECTED,
    fill_kartlegging,
    join_in_browser,
    locked_store,
    next_page,
    open_app,
    outbox,
    stored,
    wait_for_app,
    wait_until,
)


def server_responses(app) -> list[Response]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Response)).all()
        for row in rows:
            row.version.number  # noqa: B018 - load before the session closes
        db.session.expunge_all()
        return rows


def revisions(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ResponseRevision))


def response_id(page) -> str:
    return page.url.split("#/r/")[1].split("/")[0]


def start(page) -> str:
    page.click("#app .card button.primary")
    page.wait_for_selector("#fields")
    return response_id(page)


def answer_required_and_queue(page) -> str:
    """Start a response, answer what is required, and send it (it may stay queued)."""
    rid = start(page)
    page.check("#mapped_before-1")
    page.click("#app form.questionnaire > .actions button[type=submit]")
    page.wait_for_selector("#short_term_goal_kind-0")
    page.check("#short_term_goal_kind-0")
    page.check("#long_term_goal_kind-0")
    page.click("#app form.questionnaire > .actions button[type=submit]")
    page.wait_for_selector("#household-0")
    page.goto(f"/app/#/r/{rid}/summary")
    page.click("#send")
    page.wait_for_selector("#app .cards")
    return rid


def test_fill_in_offline_close_and_reopen_offline(app, world, context):
    page = open_app(context, world.codes["p1"])
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#app .cards")
    rid = start(page)
    fill_kartlegging(page)
    page.close()

    again = context.new_page()
    again.goto("/app/")  # still offline: the service worker serves the app
    again.wait_for_selector(f'[data-response="{rid}"]')
    again.click("#app .card a.button")
    again.wait_for_selector("#previous_mapping_where")
    assert again.input_value("#previous_mapping_where") == "NAV Oslo"
    assert again.is_checked("#documents_available-0")
    again.goto(f"/app/#/r/{rid}/4")
    again.wait_for_selector("#educations-1-field")
    assert again.input_value("#educations-1-field") == "Public health"
    assert again.input_value("#educations-0-country") == "SY"
    record = next(r for r in stored(again) if r["id"] == rid)
    assert {k: record["answers"].get(k) for k in EXPECTED} == EXPECTED
    assert server_responses(app) == []  # nothing reached the server while offline


def test_submit_offline_then_online_stores_exactly_one_response(app, world, context, as_actor):
    page = open_app(context, world.codes["p1"])
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#app .cards")
    rid = start(page)
    fill_kartlegging(page)
    page.click("#send")
    page.wait_for_selector(f'[data-response="{rid}"]')
    assert "Will be sent when you are online" in page.inner_text(f'[data-response="{rid}"]')
    assert len(outbox(page)) == 1

    context.set_offline(False)
    wait_until(lambda: not outbox(page), message="the outbox to empty")
    [response] = server_responses(app)
    assert response.id == rid and response.status == "submitted"
    assert {k: response.answers.get(k) for k in EXPECTED} == EXPECTED
    wait_until(lambda: "Sent" in page.inner_text(f'[data-response="{rid}"]'), message="sent")
    assert "Everything is sent." in page.inner_text("#sync-status")
    review = as_actor(app, "c1").get(f"/responses/{rid}").get_data(as_text=True)
    assert "Public health" in review and "Takk for hjelpen" in review


def test_server_failures_are_retried_until_acknowledged(app, world, context, faults):
    page = open_app(context, world.codes["p1"])
    faults.blocked = True  # while answering, nothing gets through
    rid = answer_required_and_queue(page)
    # The planned failures come first; automatic retries in between stay blocked, so the
    # outbox is looked at before any attempt could succeed.
    faults.plan = ["500", "drop", "lost"]
    for kind in ("500", "drop", "lost"):
        page.click("#send-now")
        wait_until(lambda k=kind: k in faults.seen, message=f"a sync attempt that meets {kind}")
        assert [q["id"] for q in outbox(page)] == [rid]  # kept until acknowledged
    # The "lost" attempt is stored (the fault is seen as the request arrives, so wait for it).
    wait_until(lambda: len(server_responses(app)) == 1, message="the lost attempt stored")
    faults.blocked = False
    page.click("#send-now")
    wait_until(lambda: not outbox(page), message="the outbox to empty")
    [response] = server_responses(app)
    assert response.status == "submitted"
    assert revisions(app) == 1  # the replay after the lost answer stored nothing new


def test_two_tabs_flushing_at_once_store_one_response(app, world, context):
    first = open_app(context, world.codes["p1"])
    context.set_offline(True)
    rid = answer_required_and_queue(first)
    second = context.new_page()
    second.goto("/app/")
    second.wait_for_selector(f'[data-response="{rid}"]')
    context.set_offline(False)  # both tabs see "online" and flush at the same time
    first.click("#send-now")
    second.click("#send-now")
    wait_until(lambda: not outbox(first), message="the outbox to empty")
    assert len(server_responses(app)) == 1 and revisions(app) == 1


def test_the_same_draft_is_edited_in_one_tab_only(world, context):
    first = open_app(context, world.codes["p1"])
    rid = start(first)
    second = context.new_page()
    second.goto(f"/app/#/r/{rid}/1")
    second.wait_for_selector("#app .flash.warning")
    assert "open in another tab" in second.inner_text("#app")
    first.goto("/app/")  # leaving the draft lets the other tab take it
    second.reload()
    second.wait_for_selector("#fields")


def test_a_draft_edited_in_one_tab_is_not_sent_from_another(app, world, context):
    """The summary of a draft open in another tab's editor does not send it: answers typed
    there afterwards would be refused by the server without that tab knowing why."""
    first = open_app(context, world.codes["p1"])
    rid = start(first)
    first.check("#mapped_before-1")
    next_page(first)
    first.wait_for_selector("#short_term_goal_kind-0")
    first.check("#short_term_goal_kind-0")
    first.check("#long_term_goal_kind-0")
    next_page(first)
    first.wait_for_selector("#household-0")  # the first tab stays in the editor
    second = context.new_page()
    second.goto(f"/app/#/r/{rid}/summary")
    second.click("#send")
    second.wait_for_selector("#problems .flash.warning")
    assert "open in another tab" in second.inner_text("#problems")
    first.check("#household-0")  # still editing in the first tab, and stored there
    wait_until(lambda: stored(first)[0]["answers"].get("household") == ["alone"],
               message="the first tab's answer stored")  # fmt: skip
    assert stored(first)[0]["status"] == "draft"
    first.goto("/app/")  # the editor let go: now the summary sends it
    second.reload()
    second.click("#send")
    second.wait_for_selector("#app .cards")
    wait_until(lambda: [r.status for r in server_responses(app)] == ["submitted"],
               message="the response sent")  # fmt: skip
    [response] = server_responses(app)
    assert response.answers["household"] == ["alone"]


def test_update_and_new_version_keep_drafts_and_outbox(app, base_app, world, context, faults):
    page = open_app(context, world.codes["p1"])
    faults.blocked = True
    sent = answer_required_and_queue(page)  # submitted, but queued
    draft = start(page)
    page.check("#mapped_before-0")
    page.fill("#previous_mapping_where", "Kommunen")
    wait_until(lambda: len(outbox(page)) == 2, message="two queued responses")

    document = json.loads((FORMS / "kartlegging.json").read_text())
    document["title"] = "Kartlegging, ny versjon"
    old_release = base_app.extensions["loype_release"]
    with app.app_context():
        questionnaire_service.import_document(document)
        db.session.commit()
    base_app.extensions["loype_release"] = Release("f" * 12, old_release.assets)
    try:
        page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        page.wait_for_selector("#update-bar:not([hidden])")
        assert page.input_value("#previous_mapping_where") == "Kommunen"  # not swapped under us
        with page.expect_navigation():
            page.click("#update-now")
        page.wait_for_function("navigator.serviceWorker.controller")
        scripts = page.evaluate("[...document.scripts].map((s) => s.src).join(' ')")
        assert "/assets/ffffffffffff/" in scripts
        assert {q["id"] for q in outbox(page)} == {sent, draft}
        faults.blocked = False
        page.click("#send-now")
        wait_until(lambda: not outbox(page), message="the outbox to empty")
    finally:
        base_app.extensions["loype_release"] = old_release
    responses = {r.id: r for r in server_responses(app)}
    assert responses[sent].status == "submitted" and responses[sent].version.number == 1
    assert responses[draft].answers["previous_mapping_where"] == "Kommunen"
    assert responses[draft].version.number == 1  # pinned to the version it was started on


def test_two_hundred_queued_responses_sync_to_completion(app, world, context):
    page = open_app(context, world.codes["p1"])
    context.set_offline(True)
    page.evaluate(
        """async () => {
          const main = document.querySelector('script[src*="js/app/main.js"]').src;
          const records = await import(main.replace("main.js", "records.js"));
          for (let i = 0; i < 200; i++) {
            const { id } = await records.createResponse({ id: crypto.randomUUID(),
              slug: "kartlegging", version: 1 });
            await records.saveAnswers(id, { page: { anything_else: `svar ${i}` },
              questions: ["anything_else"] });
          }
        }"""
    )
    assert len(outbox(page)) == 200
    context.set_offline(False)
    page.click("#send-now")
    wait_until(lambda: not outbox(page), timeout=90, message="200 responses to sync")
    assert len(server_responses(app)) == 200


def _counsellor_signs_the_device_out(app, world) -> str:
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        for login in sessions.live_for(person):
            sessions.end(login, "revoked")
        db.session.commit()
    return world.new_code("p1")


@pytest.mark.parametrize(
    "end_session",
    [lambda app, world: world.new_code("p1"), _counsellor_signs_the_device_out],
    ids=["a new invite", "the device revoked"],
)
def test_signed_out_phone_stops_retrying_keeps_the_answer_locked_and_sends_it_later(
    app, world, context, end_session
):
    page = open_app(context, world.codes["p1"])
    code = end_session(app, world)  # the phone's session ends; a new code for later
    calls: list[int] = []
    page.on("request", lambda r: calls.append(1) if "/api/v1/sync" in r.url else None)
    start(page)
    page.check("#mapped_before-1")
    page.wait_for_selector("text=You were signed out on this phone")
    made = len(calls)
    page.wait_for_timeout(3000)
    assert len(calls) == made  # no retry loop against a closed door
    assert "mapped_before" not in page.text_content("body")
    kept = locked_store(page, world.p1)
    assert len(kept["outbox"]) == 1 and kept["meta"] == [] and kept["documents"] == []
    [record] = kept["responses"]  # the answer is there, but sealed
    assert "answers" not in record and set(record["sealed"]) == {"iv", "data"}

    # The same person signs in again with the new code: the kept answer is sent.
    page = join_in_browser(context, code)
    wait_for_app(page)
    wait_until(lambda: server_responses(app), message="the kept answer to reach the server")
    assert server_responses(app)[0].answers == {"mapped_before": "no"}


@pytest.fixture(autouse=True)
def _fresh_storage(context):
    """Each test starts with an empty phone (new browser context)."""
    yield
