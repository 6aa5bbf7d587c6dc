"""Follow-up, end to end in Chromium, in bokmål and in Arabic at phone width.

A counsellor asks for follow-up with a message on the response page; the participant's phone
shows the message offline, beside the next steps and the resources the counsellor shared; the
participant changes an answer offline and it is sent when the phone is back online. The
counsellor compares the revisions, settles a sync conflict, and completes the review; the
phone takes the settled answer. axe-core checks every page this work added or changed.
"""

from __future__ import annotations

from datetime import date

import pytest

from webapp.extensions import db
from webapp.models import Participant, Resource, Response, StaffUser
from webapp.services import plan, revisions, sharing

from .app_driver import open_app, outbox, stored, wait_until
from .conftest import TIMEOUT_MS
from .test_accessibility import AXE, Audit, choose_language, sign_in_staff
from .test_offline import answer_required_and_queue

PHONE = {"width": 360, "height": 740}

# The accessibility module's reason holds here too: what axe sees does not depend on the
# database, and the journey is slow; it runs on SQLite only.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def server(app, rid) -> Response:
    with app.app_context():
        response = db.session.get(Response, rid)
        response.review_status  # noqa: B018 - load before the session closes
        db.session.expunge(response)
        return response


def new_context(browser, live_server):
    ctx = browser.new_context(viewport=PHONE, locale="en-GB", base_url=live_server, bypass_csp=True)
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.add_init_script(path=str(AXE))
    return ctx


def share_and_plan(app, world) -> None:
    """The counsellor shared a resource with a note and planned a step the participant sees."""
    with app.app_context():
        c1 = db.session.get(StaffUser, world.c1)
        p1 = db.session.get(Participant, world.p1)
        guidance = db.session.scalar(
            db.select(Resource).where(Resource.slug == "karriereveiledning-no")
        )
        sharing.share(c1, p1, guidance.id, "Ring dem før neste møte.")
        plan.add_step(
            c1, p1,
            plan.StepInput("Søke videregående", "Fyll ut søknaden", "participant",
                           date(2027, 2, 1), "planned", True),
        )  # fmt: skip
        db.session.commit()


def clash_from_a_second_device(app, world, rid, base: int) -> None:
    """A tablet that still had revision ``base`` sends another answer to the same question."""
    with app.app_context():
        response = db.session.get(Response, rid)
        person = db.session.get(Participant, world.p1)
        receipt = revisions.retrying(
            lambda: revisions.write(
                response,
                revisions.Author("phone", person, device="tablet-0000", sequence=1),
                base=base,
                answers={**revisions.revision_of(response, base).answers, "mapped_before": "yes"},
                status="draft",
            )
        )
        assert receipt.conflicts == ["mapped_before"]


@pytest.mark.parametrize("lang", ["nb", "ar"])
def test_follow_up_offline_change_diff_conflict_and_completion(
    app, world, browser, live_server, lang
):
    with app.app_context():
        db.session.get(Participant, world.p1).language = lang
        db.session.commit()
    audit = Audit()
    phone_ctx = new_context(browser, live_server)
    phone = open_app(phone_ctx, world.codes["p1"])
    choose_language(phone, lang)
    phone.wait_for_selector("#app .cards")
    rid = answer_required_and_queue(phone)
    wait_until(lambda: server(app, rid).status == "submitted", 30, "the response sent")
    share_and_plan(app, world)

    # The counsellor asks for follow-up, with a message, on the response page.
    desk_ctx = new_context(browser, live_server)
    desk = desk_ctx.new_page()
    sign_in_staff(desk, world.emails["c1"])
    choose_language(desk, lang)
    desk.goto(f"/responses/{rid}")
    audit.axe(desk, f"/responses/<sent> {lang}")
    desk.select_option("#status", "follow_up")
    desk.fill("#message", "Se på det første spørsmålet igjen, takk.")
    with desk.expect_navigation():
        desk.click("section.review button.primary")
    assert server(app, rid).status == "draft"
    assert server(app, rid).review_status == "follow_up"
    audit.axe(desk, f"/responses/<follow-up> {lang}")
    reopened = server(app, rid).revision

    # The phone brings it home, then goes offline: the message, the plan and the shared
    # resource are there without the network.
    phone.reload()
    phone.wait_for_selector(".follow-up")
    phone_ctx.set_offline(True)
    phone.reload()
    phone.wait_for_selector(".follow-up")
    assert "Se på det første spørsmålet igjen" in phone.inner_text(".follow-up")
    assert "Søke videregående" in phone.inner_text("section.plan-steps")
    assert "Fyll ut søknaden" in phone.inner_text("section.plan-steps")
    link = phone.locator("section.shared-resources a").first
    assert link.get_attribute("href") == "https://karriereveiledning.no/"
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in link.get_attribute("rel")
    assert "Ring dem før neste møte." in phone.inner_text("section.shared-resources")
    audit.axe(phone, f"/app/ offline with follow-up, plan and resources {lang}")
    assert phone.evaluate("() => document.documentElement.dir") == (
        "rtl" if lang == "ar" else "ltr"
    )

    # The participant changes an answer offline; it waits in the outbox.
    phone.click(f'#app a[href="#/r/{rid}/1"]')
    phone.wait_for_selector("#mapped_before-2")
    phone.check("#mapped_before-2")
    phone.goto("/app/#/")
    phone.wait_for_selector("#app .cards")
    wait_until(lambda: outbox(phone), 10, "the change in the outbox")
    assert server(app, rid).answers["mapped_before"] == "no"

    # Back online, it is sent.
    phone_ctx.set_offline(False)
    phone.click("#send-now")
    wait_until(lambda: server(app, rid).answers.get("mapped_before") == "unsure", 30, "sent")
    edited = server(app, rid).revision
    assert edited == reopened + 1

    # The counsellor sees what changed between the reopening and the participant's edit.
    desk.goto(f"/responses/{rid}/history?first={reopened}&second={edited}")
    rows = desk.locator("table.changes tbody tr")
    assert rows.count() == 1
    assert desk.locator("table.changes tbody tr td").nth(1).inner_text().strip()
    audit.axe(desk, f"/responses/<id>/history {lang}")

    # A tablet that never heard of the edit sends another answer: a conflict to settle.
    clash_from_a_second_device(app, world, rid, reopened)
    assert server(app, rid).answers["mapped_before"] == "yes"
    desk.goto("/caseload")
    assert desk.locator(".conflicts-open").count() == 1
    desk.goto(f"/responses/{rid}")
    assert desk.locator("form.resolve-form").count() == 1
    audit.axe(desk, f"/responses/<with a conflict> {lang}")
    # Pressing the button with no choice is refused by the browser (required); a stale form
    # is refused by the server with a message, and nothing changes.
    desk.evaluate(
        "() => { const f = document.querySelector('form.resolve-form');"
        " f.querySelector('[name=revision]').value = '1'; }"
    )
    desk.check("form.resolve-form input[value=other]")
    with desk.expect_navigation() as refused:
        desk.click("form.resolve-form button")
    assert refused.value.status == 409
    assert desk.locator("form.resolve-form p.error, li[id^=conflict-] p.error").count() == 1
    audit.axe(desk, f"/responses/<refused resolution> {lang}")
    assert server(app, rid).answers["mapped_before"] == "yes"
    desk.check("form.resolve-form input[value=other]")  # the phone's "unsure"
    with desk.expect_navigation():
        desk.click("form.resolve-form button")
    settled = server(app, rid)
    assert settled.answers["mapped_before"] == "unsure"
    assert revisions.open_conflicts(settled.conflicts) == 0
    assert desk.locator("form.resolve-form").count() == 0
    audit.axe(desk, f"/responses/<settled> {lang}")
    desk.goto("/caseload")
    assert desk.locator(".conflicts-open").count() == 0

    # The phone takes the settled answer on its next refresh.
    phone.reload()
    phone.wait_for_selector("#app .cards")  # the participant's data is open again
    wait_until(
        lambda: (
            next(r for r in stored(phone) if r["id"] == rid)["baseRevision"] == settled.revision
        ),
        30,
        "the settled revision on the phone",
    )
    record = next(r for r in stored(phone) if r["id"] == rid)
    assert record["answers"]["mapped_before"] == "unsure"

    # The participant sends again; the counsellor completes the review.
    phone.goto(f"/app/#/r/{rid}/summary")
    phone.click("#send")
    wait_until(lambda: server(app, rid).status == "submitted", 30, "sent again")
    desk.goto(f"/responses/{rid}")
    desk.select_option("#status", "completed")
    with desk.expect_navigation():
        desk.click("section.review button.primary")
    assert server(app, rid).review_status == "completed"
    audit.axe(desk, f"/responses/<completed> {lang}")
    phone_ctx.close()
    desk_ctx.close()
    audit.assert_clean()
