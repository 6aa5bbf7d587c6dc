"""The builder in Chromium, with the keyboard only: copy the template, build, preview, publish."""

from __future__ import annotations

import re

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Questionnaire, QuestionnaireDraft

from ..conftest import PASSWORD
from .app_driver import wait_until
from .conftest import TIMEOUT_MS


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


def stored_draft(app, slug: str, revision: bool = False):
    """The draft's document as stored now (with its revision number first if asked)."""
    with app.app_context():
        draft = db.session.scalar(
            sa.select(QuestionnaireDraft)
            .join(Questionnaire)
            .where(Questionnaire.slug == slug)
            .execution_options(populate_existing=True)
        )
        found = (draft.revision, draft.document) if revision else draft.document
        db.session.rollback()
    return found


def settled(app, page, slug: str, check) -> None:
    """Wait until the stored draft passes ``check`` and the page shows that revision.

    "Saved" in #announce may be an earlier operation's while a later one is still queued.
    (Typing on then once lost what was typed: the later answer drew the settings again. The
    page now keeps it; see the test of typing while a change is saved, below.) The page writes
    the revision it shows into the import form (#import-revision).
    """
    revision = None

    def stored():
        nonlocal revision
        number, document = stored_draft(app, slug, revision=True)
        revision = number if check(document) else None
        return revision is not None

    wait_until(stored, 15, "the draft saved")
    page.wait_for_function(
        "(r) => document.getElementById('import-revision').value === String(r)", arg=revision
    )


def copy_in_builder(browser, live_server, world, template: str):
    """An administrator of Kommune A copies ``template`` and is on the copy's builder page."""
    errors: list[str] = []
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server, bypass_csp=True
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, world.emails["admin1"])
    page.goto("/admin/questionnaires")
    with page.expect_navigation():
        press_on(page, f"form[action$='/{template}/copy'] button")
    return ctx, page, errors


def test_build_a_questionnaire_with_the_keyboard(app, world, browser, live_server):
    ctx, page, errors = copy_in_builder(browser, live_server, world, "kartlegging")
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
    # Focus went with "Nei" (its Move up button, now first), not to "Ja" now in its place.
    assert page.evaluate("document.activeElement.id") == "f-opt-0-up"

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
    ctx, page, errors = copy_in_builder(browser, live_server, world, "muligheter")
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


class Held:
    """Hold the builder's operations on their way to the server until ``release()``.

    A slow network, or a fast typist: the next field is typed in while a change is saved.
    (Playwright runs a route's handler only while the test is in one of its calls, so after
    ``release()`` no handler is left in the way of the page's requests.)
    """

    def __init__(self, page) -> None:
        self.page = page
        self.routes: list = []
        self._hold = lambda route: self.routes.append(route)
        page.route("**/operations", self._hold)

    def wait_for(self, count: int) -> None:
        for _ in range(100):
            if len(self.routes) >= count:
                return
            self.page.wait_for_timeout(50)
        raise AssertionError(f"{count} operation(s) expected, {len(self.routes)} sent")

    def release(self) -> None:
        while self.routes:
            self.routes.pop(0).continue_()
        self.page.unroute("**/operations", self._hold)


def test_what_is_typed_while_a_change_is_saved_is_kept_and_saved(app, world, browser, live_server):
    ctx, page, errors = copy_in_builder(browser, live_server, world, "muligheter")
    slug = "muligheter-kommune-a"

    # The title is saved on leaving the field; the description is typed while that is on its way.
    held = Held(page)
    press_on(page, "#ol-meta")
    page.fill("#f-title", "Muligheter i kommunen")
    page.keyboard.press("Tab")
    held.wait_for(1)
    page.keyboard.type("Fylles ut ")
    held.release()
    announced(page, "Saved")
    page.wait_for_function("document.getElementById('ol-meta').textContent.includes('kommunen')")
    page.keyboard.type("sammen med deltakeren.")
    assert page.locator("#f-description").input_value() == "Fylles ut sammen med deltakeren."
    page.keyboard.press("Tab")
    wait_until(
        lambda: stored_draft(app, slug)["description"] == "Fylles ut sammen med deltakeren.",
        15, "the whole description saved",
    )  # fmt: skip
    assert stored_draft(app, slug)["title"] == "Muligheter i kommunen"

    # A new question's text typed while the section's new title is saved is not wiped out.
    section = page.locator("#outline ol ol").first.locator("..").locator("button").first
    section.focus()
    page.keyboard.press("Enter")
    held = Held(page)
    page.fill("#f-title", "Samarbeid")
    page.keyboard.press("Tab")
    held.wait_for(1)
    page.focus("#new-question-title")
    page.keyboard.type("Hvem samarbeider")
    held.release()
    page.wait_for_function(
        "document.querySelector('#outline .current').textContent === 'Samarbeid'"
    )
    page.keyboard.type(" du med?")
    assert page.locator("#new-question-title").input_value() == "Hvem samarbeider du med?"
    press_on(page, "#add-question-submit")
    page.wait_for_function("document.activeElement.id === 'f-title'")
    assert page.locator("#f-title").input_value() == "Hvem samarbeider du med?"

    # Renamed, and its help text changed before the new name is stored: both are kept.
    held = Held(page)
    page.fill("#f-id", "samarbeidspartnere")
    press_on(page, "#f-id-save")
    held.wait_for(1)
    page.fill("#f-help", "Skriv alle du kjenner til.")
    page.keyboard.press("Tab")
    held.release()

    def renamed_with_help() -> bool:
        document = stored_draft(app, slug)
        help_text = document["ui"]["questions"].get("samarbeidspartnere", {}).get("help")
        return "hvem_samarbeider_du_med" not in document["schema"]["properties"] and (
            help_text == "Skriv alle du kjenner til."
        )

    wait_until(renamed_with_help, 15, "the rename and the help text")
    assert page.locator("#builder-error").inner_text() == ""

    # Two languages unticked one after the other while the first is still being saved: both go.
    press_on(page, "#ol-meta")
    assert {"so", "uk"} <= set(stored_draft(app, slug)["languages"])
    held = Held(page)
    for code in ("so", "uk"):
        press_on(page, f"#f-lang-{code}", " ")
    held.wait_for(1)
    held.release()
    wait_until(
        lambda: not {"so", "uk"} & set(stored_draft(app, slug)["languages"]), 15, "both gone"
    )
    page.wait_for_function("!document.getElementById('f-lang-uk').checked")
    page.wait_for_timeout(300)  # nothing queued after them puts either back
    assert not {"so", "uk"} & set(stored_draft(app, slug)["languages"])
    assert not page.locator("#f-lang-so").is_checked()

    # An option deleted above the one being edited: the edit stays with its option.
    def options() -> list[dict]:
        return stored_draft(app, slug)["schema"]["properties"]["actor_kinds"]["items"]["anyOf"]

    press_on(page, "#ol-q-actor_kinds")
    first = options()
    held = Held(page)
    press_on(page, "#f-opt-0-delete")
    held.wait_for(1)
    page.focus("#f-opt-2-title")
    page.keyboard.press("Control+A")
    page.keyboard.type("Frivillige")
    page.keyboard.press("Tab")  # saved after the deletion: the option is at 1 by then
    held.release()
    wait_until(lambda: len(options()) == len(first) - 1, 15, "the option deleted")
    wait_until(lambda: options()[1]["title"] == "Frivillige", 15, "the title saved")
    assert options()[1]["const"] == first[2]["const"]
    assert [o["title"] for o in options()[2:]] == [o["title"] for o in first[3:]]

    first = options()
    page.wait_for_function(f"!document.getElementById('f-opt-{len(first)}-title')")
    held = Held(page)
    press_on(page, "#f-opt-0-delete")
    held.wait_for(1)
    page.focus("#f-opt-3-title")
    page.keyboard.press("Control+A")
    page.keyboard.type("Lag og ")  # ... while the deletion is on its way
    held.release()
    page.wait_for_function(f"!document.getElementById('f-opt-{len(first) - 1}-title')")
    page.keyboard.type("foreninger")
    assert page.evaluate("document.activeElement.id") == "f-opt-2-title"
    assert page.locator("#f-opt-2-title").input_value() == "Lag og foreninger"
    page.keyboard.press("Tab")
    wait_until(lambda: options()[2]["title"] == "Lag og foreninger", 15, "the title saved")
    assert options()[2]["const"] == first[3]["const"]

    # A value the server refuses (another option has it) is not put back by the next change:
    # the field shows what is stored again.
    first = options()
    page.fill("#f-opt-0-value", first[1]["const"])
    page.keyboard.press("Tab")
    page.wait_for_function("document.getElementById('builder-error').textContent !== ''")
    page.fill("#f-opt-0-title", "Offentlige etater")
    page.keyboard.press("Tab")
    wait_until(lambda: options()[0]["title"] == "Offentlige etater", 15, "the title saved")
    page.wait_for_function(
        "(v) => document.getElementById('f-opt-0-title').value === 'Offentlige etater'"
        " && document.getElementById('import-revision').value === String(v)",
        arg=stored_draft(app, slug, revision=True)[0],
    )
    assert page.locator("#builder-error").inner_text() == ""
    assert page.locator("#f-opt-0-value").input_value() == first[0]["const"]
    assert options()[0]["const"] == first[0]["const"]
    assert errors == []
    ctx.close()


def test_a_rename_follows_conditions_picked_before_it_and_frees_the_old_name(
    app, world, browser, live_server
):
    ctx, page, errors = copy_in_builder(browser, live_server, world, "muligheter")
    slug = "muligheter-kommune-a"

    def questions() -> dict:
        return stored_draft(app, slug)["ui"]["questions"]

    # A question renamed; while that is on its way, a later one is made to show only after it.
    press_on(page, "#ol-q-actor_kinds")
    held = Held(page)
    page.fill("#f-id", "aktortyper")
    press_on(page, "#f-id-save")
    held.wait_for(1)
    press_on(page, "#ol-q-actors_inside")
    press_on(page, "#c-add")  # a rule on the question just before: the renamed one
    held.release()
    wait_until(
        lambda: questions().get("actors_inside", {}).get("visible_if", {}).get("question")
        == "aktortyper",
        15, "the condition saved with the new name",
    )  # fmt: skip
    settled(app, page, slug, lambda d: "visible_if" in d["ui"]["questions"]["actors_inside"])
    assert page.locator("#problems").inner_text().strip() == "No problems."

    # A new question that takes the old name is itself: its help text is not the renamed one's.
    press_on(page, "#ol-s-actors")
    type_into(page, "#new-question-title", "Actor kinds")
    press_on(page, "#add-question-submit")
    page.wait_for_function("document.activeElement.id === 'f-title'")
    assert "actor_kinds" in stored_draft(app, slug)["schema"]["properties"]
    page.fill("#f-help", "Hvilke aktører er det snakk om?")
    page.keyboard.press("Tab")
    wait_until(
        lambda: questions().get("actor_kinds", {}).get("help") == "Hvilke aktører er det snakk om?",
        15, "the new question's help text saved",
    )  # fmt: skip
    assert questions().get("aktortyper", {}).get("help") != "Hvilke aktører er det snakk om?"
    assert page.locator("#builder-error").inner_text() == ""
    assert errors == []
    ctx.close()


def test_a_refused_change_says_why_and_never_saved(app, world, browser, live_server):
    """A refusal made before the builder's view (the session, so the form's token, is gone)
    comes back as problem details: the page says what to do, never "Saved"."""
    ctx, page, errors = copy_in_builder(browser, live_server, world, "muligheter")
    before = stored_draft(app, "muligheter-kommune-a", revision=True)
    ctx.clear_cookies()
    type_into(page, "#new-section-title", "Jobb i kommunen")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "document.getElementById('builder-error').textContent.includes('open too long')"
    )
    assert "Saved" not in page.locator("#announce").inner_text()
    assert stored_draft(app, "muligheter-kommune-a", revision=True) == before
    assert errors == []
    ctx.close()


def test_each_file_field_on_the_questionnaire_list_is_its_own(world, browser, live_server):
    """The import form's and the check form's file fields were both id="document": the check
    form's label opened the import form's file picker, and its field had no label."""
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server, bypass_csp=True
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    sign_in(page, world.emails["admin1"])
    page.goto("/admin/questionnaires")
    for label, button in [
        ("Questionnaire file (JSON or XLSForm .xlsx)", "Import as a new draft"),
        ("Questionnaire file (JSON)", "Check"),
    ]:
        with page.expect_file_chooser() as chosen:
            page.get_by_text(label, exact=True).click()
        form = chosen.value.element.evaluate("(input) => input.form.textContent")
        assert button in form, (label, form)
        # A screen reader names each field by its own label, and reads its own help.
        field = page.get_by_label(label, exact=True)
        assert field.count() == 1
        assert field.evaluate("(input) => input.form.textContent").count(button) == 1
        helps = field.get_attribute("aria-describedby").split()
        said = " ".join(page.locator(f"#{h}").inner_text() for h in helps)
        assert ("new draft" in said) == (button != "Check"), said
    ids = page.evaluate("[...document.querySelectorAll('[id]')].map((e) => e.id)")
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    ctx.close()
