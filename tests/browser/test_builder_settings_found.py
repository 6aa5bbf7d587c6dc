"""Builder defects an exploratory tester found, on a phone-wide window and on a desktop one.

A ticked language reached the preview's language list and the Translate links only after a
reload; a new questionnaire said "has no questions yet" twice beside raw JSON paths; an empty
page was previewed as "skipped with the answers given"; "Add option" with an empty box said
nothing where the administrator could see it; the same option text twice was "No problems.";
and the pictogram lists showed the pictograms' English file names.
"""

from __future__ import annotations

import pytest

from webapp.extensions import db
from webapp.services import builder

from ..test_builder import staff
from .conftest import PHONE
from .test_builder import announced, press_on, settled, type_into
from .test_builder_pickers import open_builder

# The page's script is the same whatever the database behind it.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _new_questionnaire(app, world, title: str) -> str:
    with app.app_context():
        slug = builder.new_questionnaire(staff(world, "admin1"), title, "participant", "nb").slug
        db.session.commit()
    return slug


def _said_beside(page, box: str, message: str) -> None:
    """An empty box's error: next to the box, in sight on a phone, the box focused and
    described by it; the page's own error box (out of sight above) says nothing."""
    error = page.locator(f"#{box}-error")
    error.wait_for(state="visible")
    assert error.inner_text() == message
    assert page.evaluate("document.activeElement.id") == box
    assert page.get_attribute(f"#{box}", "aria-describedby") == f"{box}-error"
    assert page.get_attribute(f"#{box}", "aria-invalid") == "true"
    shown = error.bounding_box()
    assert shown is not None and 0 <= shown["y"] and shown["y"] + shown["height"] <= PHONE["height"]
    assert page.locator("#builder-error").inner_text() == ""


def test_a_new_questionnaire_built_on_a_phone_wide_window(app, world, browser, live_server):
    slug = _new_questionnaire(app, world, "Farger")
    ctx, page, errors = open_builder(browser, live_server, world, slug, PHONE)
    problems = page.locator("#problems li")
    # Said once, by the questionnaire's name, without the JSON paths.
    assert problems.count() == 1
    assert problems.text_content() == "Farger: The questionnaire has no questions yet."

    # An empty "Add section" box is said next to it, in sight on a phone, and not after.
    page.focus("#new-section-title")
    page.keyboard.press("Enter")
    _said_beside(page, "new-section-title", "Please write a text.")

    # An empty page is empty, not skipped by a condition.
    type_into(page, "#new-section-title", "Farger")
    page.keyboard.press("Enter")
    announced(page, "Added")
    assert page.locator("#new-section-title-error").count() == 0
    assert page.get_attribute("#new-section-title", "aria-invalid") is None
    preview = page.locator("#preview")
    page.wait_for_function(
        "() => document.getElementById('preview').textContent.includes('no questions yet')"
    )
    assert "This page has no questions yet." in preview.inner_text()
    assert "skipped" not in preview.inner_text()

    page.select_option("#new-question-widget", "choice")
    press_on(page, "#add-question-submit")
    _said_beside(page, "new-question-title", "Please write a text.")
    type_into(page, "#new-question-title", "Favorittfarge?")
    press_on(page, "#add-question-submit")
    page.wait_for_function("document.activeElement.id === 'f-title'")

    # "Add option" with an empty box says what to do next to the box, in sight on a phone.
    press_on(page, "#f-add-option")
    _said_beside(page, "f-new-option", "Write the text of the new answer option in the box first.")

    for label in ("Rød", "Blå", "Rød"):
        type_into(page, "#f-new-option", label)
        press_on(page, "#f-add-option")
        announced(page, f"Added: {label}")
    settled(
        app, page, slug, lambda d: len(d["schema"]["properties"]["favorittfarge"]["oneOf"]) == 3
    )
    assert page.locator("#f-new-option-error").is_hidden()  # drawn anew, without the error
    said = page.locator("#problems").text_content()
    assert "Favorittfarge?: The question “Favorittfarge?” has two answer options with the same " \
           "text, “Rød”." in said  # fmt: skip
    assert "No problems." not in said
    assert errors == []
    ctx.close()


def test_languages_and_pictograms_on_a_desktop_window(app, world, browser, live_server):
    slug = _new_questionnaire(app, world, "Språk")
    ctx, page, errors = open_builder(browser, live_server, world, slug)
    type_into(page, "#new-section-title", "Om deg")
    page.keyboard.press("Enter")
    announced(page, "Added")
    page.select_option("#new-question-widget", "text")
    type_into(page, "#new-question-title", "Navn")
    press_on(page, "#add-question-submit")
    page.wait_for_function("document.activeElement.id === 'f-title'")

    # The pictograms by their names, the chosen one drawn beside the list.
    labels = page.locator("#f-icon option").all_inner_texts()
    assert "Car" in labels and "Tick" in labels and "Information" in labels
    assert "car" not in labels and "check" not in labels
    assert page.locator("#f-icon-shown").is_hidden()
    page.select_option("#f-icon", "car")
    settled(app, page, slug, lambda d: d["ui"]["questions"]["navn"].get("icon") == "car")
    shown = page.locator("#f-icon-shown")
    assert shown.is_visible() and "picto-car" in shown.get_attribute("class")

    # A ticked language is in the preview's list and among the Translate links at once.
    page.click("#ol-meta")
    assert page.locator("#translate").is_hidden()
    assert page.locator("#preview-lang option").evaluate_all("os => os.map(o => o.value)") == ["nb"]
    page.check("#f-lang-en")
    settled(app, page, slug, lambda d: d["languages"] == ["nb", "en"])
    assert page.locator("#preview-lang option").evaluate_all("os => os.map(o => o.value)") == [
        "nb",
        "en",
    ]
    link = page.locator("#translate a")
    assert page.locator("#translate").is_visible() and link.inner_text() == "English"
    assert link.get_attribute("href") == f"/admin/builder/{slug}/translations/en"
    page.select_option("#preview-lang", "en")
    page.wait_for_function("document.getElementById('preview-phone').lang === 'en'")

    # Unticked again: gone from both, and the preview back in the language it is written in.
    page.uncheck("#f-lang-en")
    settled(app, page, slug, lambda d: d["languages"] == ["nb"])
    assert page.locator("#translate").is_hidden()
    assert page.locator("#preview-lang").input_value() == "nb"
    page.wait_for_function("document.getElementById('preview-phone').lang === 'nb'")
    assert errors == []
    ctx.close()
