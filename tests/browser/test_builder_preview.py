"""The builder's preview draws a language as a phone set to it does: the app's own texts
("optional", "Choose …", a group's "Add another") and the country and language names in that
language. It once drew them in the administrator's language, with empty name lists."""

from __future__ import annotations

import json
import re

from ..documents import minimal_document
from .conftest import TIMEOUT_MS
from .test_builder import copy_in_builder, sign_in

ARABIC = re.compile(r"[\u0600-\u06ff]")
PROBLEMS_FIRST = "The preview cannot be drawn until the problems listed under Problems are fixed."
NO_SECTION = "The preview appears when the questionnaire has a section with a question."


def _names_shown(page, select: str) -> int:
    """Wait until the preview's select has its names (more than "Choose …"); return them."""
    page.wait_for_function(
        "(s) => document.querySelectorAll(`#preview ${s} option`).length > 100", arg=select
    )
    return page.locator(f"#preview {select} option").count()


def test_the_preview_shows_what_the_phone_shows_in_each_language(app, world, browser, live_server):
    ctx, page, errors = copy_in_builder(browser, live_server, world, "kartlegging")
    preview = page.locator("#preview")
    # The administrator reads the builder in English; the preview opens in bokmål, the
    # questionnaire's first language, with bokmål's app texts and names.
    page.click("#ol-q-mother_tongue")
    assert _names_shown(page, "#mother_tongue") > 100
    first = preview.locator("#mother_tongue option").first
    assert first.inner_text() == "Velg …"
    assert "(valgfritt)" in preview.inner_text()
    norwegian = preview.locator("#mother_tongue option[value='so']").inner_text()
    assert norwegian == "somali"

    page.select_option("#preview-lang", "ar")
    page.wait_for_function(
        "() => document.querySelector('#preview #mother_tongue option').textContent === 'اختر …'"
    )
    assert _names_shown(page, "#mother_tongue") > 100
    assert ARABIC.search(preview.locator("#mother_tongue option[value='so']").inner_text())
    assert "(اختياري)" in preview.inner_text()
    text = preview.inner_text()
    assert "valgfritt" not in text and "optional" not in text and "Velg" not in text

    # A group's buttons, and the country list of another page, in Arabic too.
    page.click("#ol-q-educations")
    page.wait_for_function(
        "() => document.getElementById('preview').textContent.includes('إضافة بند آخر')"
    )
    assert "Add another" not in preview.inner_text()
    page.click("#ol-q-driving_licence")
    page.wait_for_selector("#preview [data-item='driving_licence']")
    assert "Ja" not in preview.locator("[data-item='driving_licence']").inner_text()
    assert errors == []
    ctx.close()


def _admin_on_the_list(browser, live_server, world):
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server, bypass_csp=True
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, world.emails["admin1"])
    page.goto("/admin/questionnaires")
    return ctx, page, errors


def test_a_preview_held_back_by_a_problem_says_so(world, browser, live_server, tmp_path):
    """A layout that names a question the schema lacks once gave "The preview appears when the
    questionnaire has a section with a question", beside an outline of five questions."""
    document = minimal_document()
    document["ui"]["sections"][0]["items"].append("ghost")
    path = tmp_path / "ghost.json"
    path.write_text(json.dumps(document))
    ctx, page, errors = _admin_on_the_list(browser, live_server, world)
    page.set_input_files("#import-document", str(path))
    with page.expect_navigation():
        page.click("button:has-text('Import as a new draft')")
    page.wait_for_function("document.getElementById('problems').textContent.includes('ghost')")
    page.wait_for_function("document.getElementById('preview').textContent !== ''")
    shown = page.locator("#preview").inner_text()
    assert shown == PROBLEMS_FIRST, shown
    # A new questionnaire has no section with a question: that is what it says then.
    page.goto("/admin/questionnaires")
    page.fill("#title", "Tom kartlegging")
    with page.expect_navigation():
        page.click("button:has-text('Create and edit')")
    page.wait_for_function("document.getElementById('preview').textContent !== ''")
    assert page.locator("#preview").inner_text() == NO_SECTION
    assert errors == []
    ctx.close()
