"""What is typed in the builder is never lost or saved over unseen: not by the JSON text saved
after a change in the settings, not by a link followed while a change is on its way, not by a
reload or Back while a field is being typed in."""

from __future__ import annotations

import pytest

from .app_driver import wait_until
from .test_builder import Held, copy_in_builder, press_on, settled, stored_draft

# The page's script is the same whatever the database behind it.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SLUG = "muligheter-kommune-a"


def editor_text(page) -> str:
    return page.locator("#json-editor .cm-content").inner_text()


def test_json_text_typed_before_a_settings_change_is_refused_not_saved_over_it(
    app, world, browser, live_server
):
    ctx, page, errors = copy_in_builder(browser, live_server, world, "muligheter")
    press_on(page, "#json-open")
    page.wait_for_selector("#json-editor .cm-content")
    # A space typed after the first "{": the text now differs from the draft, still valid.
    page.focus("#json-editor .cm-content")
    page.keyboard.press("Control+Home")
    page.keyboard.press("End")
    page.keyboard.type(" ")
    # Then the questionnaire's title is changed in the settings, and saved.
    press_on(page, "#ol-meta")
    page.fill("#f-title", "Tittel fra skjemaet")
    page.keyboard.press("Tab")
    settled(app, page, SLUG, lambda d: d["title"] == "Tittel fra skjemaet")
    revision, _ = stored_draft(app, SLUG, revision=True)
    assert editor_text(page).startswith("{ \n"), "the typed JSON text is kept in the editor"

    # The JSON text still holds the old title: saving it is refused and says what changed.
    press_on(page, "#json-save")
    page.wait_for_selector("#builder-error .error-summary li")
    refusal = page.locator("#builder-error").inner_text()
    assert "Someone saved this questionnaire since you opened it" in refusal
    assert "Your change was not saved" in refusal
    assert stored_draft(app, SLUG, revision=True)[0] == revision
    assert stored_draft(app, SLUG)["title"] == "Tittel fra skjemaet"
    assert editor_text(page).startswith("{ \n"), "the refused text stays where it was typed"

    # Leaving now would lose the typed text: the browser asks first (here: stay).
    dialogs: list[str] = []

    def stay(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.locator("#builder-error button").click()  # Reload
    wait_until(lambda: dialogs, 10, "the question before leaving")
    assert dialogs == ["beforeunload"]
    assert editor_text(page).startswith("{ \n")
    assert errors == []
    ctx.close()


def test_json_text_not_typed_in_follows_the_settings_and_saves(app, world, browser, live_server):
    ctx, page, errors = copy_in_builder(browser, live_server, world, "muligheter")
    press_on(page, "#json-open")
    page.wait_for_selector("#json-editor .cm-content")
    press_on(page, "#ol-meta")
    page.fill("#f-title", "Tittel fra skjemaet")
    page.keyboard.press("Tab")
    settled(app, page, SLUG, lambda d: d["title"] == "Tittel fra skjemaet")
    page.wait_for_function(
        "document.querySelector('.cm-content').textContent.includes('Tittel fra skjemaet')"
    )
    revision, _ = stored_draft(app, SLUG, revision=True)
    press_on(page, "#json-save")
    settled(app, page, SLUG, lambda d: True)
    wait_until(lambda: stored_draft(app, SLUG, revision=True)[0] > revision, 10, "the JSON saved")
    assert page.locator("#builder-error").inner_text() == ""
    assert stored_draft(app, SLUG)["title"] == "Tittel fra skjemaet"
    assert errors == []
    ctx.close()


def test_check_and_publish_waits_for_the_change_on_its_way(app, world, browser, live_server):
    ctx, page, errors = copy_in_builder(browser, live_server, world, "muligheter")
    builder_url = page.url
    question = page.locator("#outline ol ol button").first
    question.click()
    held = Held(page)  # a slow network: the change is on its way when the link is clicked
    page.focus("#f-help")
    page.keyboard.type("Hjelp skrevet rett før publisering")
    page.click("a:has-text('Check and publish')")  # leaving the field sends the change
    held.wait_for(1)
    page.wait_for_timeout(300)
    assert page.url == builder_url, "the link waits for the change"
    held.release()
    page.wait_for_url("**/publish")
    revision, document = stored_draft(app, SLUG, revision=True)
    assert "Hjelp skrevet rett før publisering" in str(document["ui"]["questions"])
    # The publish page is drawn on the revision that holds it, so Publish is not refused.
    assert page.get_attribute("input[name=revision]", "value") == str(revision)
    assert errors == []
    ctx.close()


@pytest.mark.parametrize("how", ["reload", "back"])
def test_text_typed_in_a_field_is_saved_when_the_page_goes(app, world, browser, live_server, how):
    ctx, page, errors = copy_in_builder(browser, live_server, world, "muligheter")
    page.locator("#outline ol ol button").first.click()
    page.focus("#f-help")
    page.keyboard.type(f"Hjelp før {how}")  # still in the field: not saved on leaving it yet
    dialogs: list[str] = []

    def leave(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", leave)
    if how == "reload":
        page.reload()
    else:
        page.go_back()
    page.wait_for_load_state()
    assert dialogs == ["beforeunload"], "the page asks before what is typed could be lost"
    wait_until(
        lambda: f"Hjelp før {how}" in str(stored_draft(app, SLUG)["ui"]["questions"]),
        10, "the typed text saved on the way out",
    )  # fmt: skip
    assert errors == []
    ctx.close()
