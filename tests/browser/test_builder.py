"""The builder in Chromium, with the keyboard only: copy the template, build, preview, publish."""

from __future__ import annotations

import re

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Questionnaire, QuestionnaireDraft

from ..conftest import PASSWORD
from .app_driver import wait_until


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def press_on(page, selector: str, key: str = "Enter") -> None:
    """Focus a control and press a key on it, as someone tabbing to it would."""
    page.focus(selector)
    page.keyboard.press(key)


def type_into(page, selector: str, text: str) -> None:
    page.focus(selector)
    page.keyboard.type(text)


def announced(page, text: str) -> None:
    page.wait_for_function(
        "(t) => document.getElementById('announce').textContent.includes(t)", arg=text
    )


def settled(app, page, slug: str, check) -> None:
    """Wait until the stored draft passes ``check`` and the page shows that revision.

    "Saved" in #announce may be an earlier operation's while a later one is still queued:
    typing on then, the later answer's rendering replaced what was typed (seen once in a full
    run). The page writes the revision it shows into the import form (#import-revision).
    """
    revision = None

    def stored():
        nonlocal revision
        with app.app_context():
            draft = db.session.scalar(
                sa.select(QuestionnaireDraft)
                .join(Questionnaire)
                .where(Questionnaire.slug == slug)
                .execution_options(populate_existing=True)
            )
            revision = draft.revision if draft is not None and check(draft.document) else None
            db.session.rollback()
        return revision is not None

    wait_until(stored, 15, "the draft saved")
    page.wait_for_function(
        "(r) => document.getElementById('import-revision').value === String(r)", arg=revision
    )


def test_build_a_questionnaire_with_the_keyboard(app, world, browser, live_server):
    errors: list[str] = []
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server, bypass_csp=True
    )
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, world.emails["admin1"])
    page.goto("/admin/questionnaires")
    with page.expect_navigation():
        press_on(page, "form[action$='/kartlegging/copy'] button")
    assert "/admin/builder/kartlegging-kommune-a" in page.url
    assert page.locator("#problems").inner_text().strip() == "No problems."

    # A new section, then three questions in it: a choice, a text shown by it, and a group.
    type_into(page, "#new-section-title", "Jobb i kommunen")
    page.keyboard.press("Enter")
    announced(page, "Added")
    assert page.locator("#settings #f-title").input_value() == "Jobb i kommunen"
    assert "has no questions yet" in page.locator("#problems").inner_text()

    page.select_option("#new-question-widget", "choice")
    type_into(page, "#new-question-title", "Vil du jobbe i kommunen?")
    press_on(page, "#add-question-submit")
    page.wait_for_function("document.activeElement.id === 'f-title'")
    assert "needs at least one answer option" in page.locator("#problems").inner_text()
    for label in ("Ja", "Nei"):
        type_into(page, "#f-new-option", label)
        press_on(page, "#f-add-option")
        announced(page, f"Added: {label}")
    assert page.locator("#f-opt-0-value").input_value() == "ja"
    press_on(page, "#f-opt-1-up")  # "Nei" first, by keyboard
    announced(page, "Moved up: Nei")
    assert page.locator("#f-opt-0-title").input_value() == "Nei"

    press_on(page, "#ol-s-jobb_i_kommunen")
    page.select_option("#new-question-widget", "text")
    type_into(page, "#new-question-title", "Hvilken jobb?")
    press_on(page, "#add-question-submit")
    page.wait_for_function("document.activeElement.id === 'f-title'")
    press_on(page, "#c-add")  # a rule: shown when the earlier choice ...
    page.wait_for_selector("#c-0-question")
    page.select_option("#c-0-question", "vil_du_jobbe_i_kommunen")
    page.wait_for_selector("#c-0-value")
    page.select_option("#c-0-value", label="Ja")
    announced(page, "Saved")
    settled(
        app, page, "kartlegging-kommune-a",
        lambda document: document["ui"]["questions"].get("hvilken_jobb", {}).get("visible_if")
        == {"question": "vil_du_jobbe_i_kommunen", "equals": "ja"},
    )  # fmt: skip

    press_on(page, "#ol-s-jobb_i_kommunen")
    page.select_option("#new-question-widget", "group")
    type_into(page, "#new-question-title", "Tidligere jobber")
    press_on(page, "#add-question-submit")
    page.wait_for_function("document.activeElement.id === 'f-title'")
    type_into(page, "#new-question-title", "Arbeidsgiver")
    press_on(page, "#add-question-submit")
    page.wait_for_selector("#ol-q-tidligere_jobber-arbeidsgiver")
    assert page.locator("#problems").inner_text().strip() == "No problems."

    # The preview is the phone's engine: the text question shows only after "Ja" is chosen.
    press_on(page, "#ol-q-hvilken_jobb")
    preview = page.locator("#preview")
    assert preview.locator("[data-item='hvilken_jobb']").is_hidden()
    preview.get_by_label("Ja").check()
    assert preview.locator("[data-item='hvilken_jobb']").is_visible()
    # ... and in Arabic it is right-to-left, with the copied translations of other pages.
    page.select_option("#preview-lang", "ar")
    assert page.locator("#preview-phone").get_attribute("dir") == "rtl"
    press_on(page, "#preview-back")
    assert re.search(r"[\u0600-\u06ff]", preview.inner_text())

    with page.expect_navigation():
        page.goto(page.url + "/publish")
    with page.expect_navigation():
        press_on(page, "main form button.primary")
    assert "Published version 1." in page.content()
    assert errors == []
    with app.app_context():
        copy = db.session.scalar(
            sa.select(Questionnaire).where(Questionnaire.slug == "kartlegging-kommune-a")
        )
        document = copy.latest.document
        assert document["ui"]["questions"]["hvilken_jobb"]["visible_if"] == {
            "question": "vil_du_jobbe_i_kommunen",
            "equals": "ja",
        }
        assert [o["const"] for o in document["schema"]["properties"][
            "vil_du_jobbe_i_kommunen"]["oneOf"]] == ["nei", "ja"]  # fmt: skip
        actions = set(db.session.scalars(sa.select(AuditEvent.action)))
        assert {
            "questionnaire.copy",
            "builder.add_section",
            "builder.add_question",
            "builder.add_option",
            "builder.move_option",
            "questionnaire.publish",
        } <= actions
    ctx.close()


def test_the_json_view_keeps_unreadable_text_and_reports_it(app, world, browser, live_server):
    errors: list[str] = []
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server, bypass_csp=True
    )
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, world.emails["admin1"])
    page.goto("/admin/questionnaires")
    with page.expect_navigation():
        press_on(page, "form[action$='/muligheter/copy'] button")
    press_on(page, "#json-open")
    page.wait_for_selector(".cm-content")
    # The JSON keeps the document's order (a group's questions are in the order of its keys).
    assert page.locator(".cm-content").inner_text().startswith('{\n  "format"')
    page.focus(".cm-content")
    page.keyboard.press("Control+End")
    page.keyboard.type(" oops")
    press_on(page, "#json-save")
    page.wait_for_function(
        "document.getElementById('problems').textContent.includes('cannot be read')"
    )
    page.reload()
    press_on(page, "#json-open")
    page.wait_for_selector(".cm-content")
    page.focus(".cm-content")
    page.keyboard.press("Control+End")  # the editor draws only the lines in view
    page.wait_for_function(
        "document.querySelector('.cm-content').textContent.trimEnd().endsWith('} oops')"
    )
    for _ in range(5):
        page.keyboard.press("Backspace")
    press_on(page, "#json-save")
    page.wait_for_function("document.getElementById('problems').textContent === 'No problems.'")
    # A change in the builder shows up in the JSON text.
    press_on(page, "#ol-meta")
    page.fill("#f-title", "Muligheter i Kommune A")
    page.keyboard.press("Tab")
    page.wait_for_function(
        "document.querySelector('.cm-content').textContent.includes('Muligheter i Kommune A')"
    )
    assert errors == []
    with app.app_context():
        draft = db.session.scalar(
            sa.select(Questionnaire).where(Questionnaire.slug == "muligheter-kommune-a")
        ).draft
        assert draft.source_text is None and draft.document["title"] == "Muligheter i Kommune A"
    ctx.close()
