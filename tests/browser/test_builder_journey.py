"""Issue 9's whole journey in Chromium: an administrator, with the keyboard only, copies the
national template, adds a section and three questions (a choice, a text question shown only
when the choice is "Ja", and a repeatable group), translates them into Arabic, previews the
Arabic page right-to-left and publishes; a participant fills it in on the phone app, partly
offline; while that draft is open the administrator publishes a changed version with
"move unfinished answers" on; back online, the phone finishes the draft on the new version with
the answers that still fit. axe-core checks every builder page on the way.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Questionnaire, Response

from ..conftest import PASSWORD
from .app_driver import next_page, open_app, outbox, stored, wait_for_app, wait_until
from .conftest import TIMEOUT_MS
from .test_accessibility import AXE, Audit

# What a page looks like to a screen reader does not depend on the database behind it.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SLUG = "kartlegging-kommune-a"
DESKTOP = {"width": 1280, "height": 900}
ARABIC = re.compile(r"[\u0600-\u06ff]")

# The Norwegian texts the administrator writes, and their Arabic translations.
SECTION = "Jobb i kommunen"
CHOICE = "Vil du jobbe i kommunen?"
WHICH = "Hvilken jobb?"
GROUP = "Tidligere jobber"
EMPLOYER = "Arbeidsgiver"
START = "Hvilken dag kan du begynne?"  # added in version 2
ARABIC_TEXTS = {
    SECTION: "العمل في البلدية",
    CHOICE: "هل تريد العمل في البلدية؟",
    "Ja": "نعم",
    "Nei": "لا",
    WHICH: "أي عمل؟",
    GROUP: "الوظائف السابقة",
    EMPLOYER: "صاحب العمل",
    START: "متى يمكنك أن تبدأ؟",
}


# ------------------------------------------------------------------------ the keyboard


def press_on(page, selector: str, key: str = "Enter") -> None:
    """Focus a control and press a key on it, as someone tabbing to it would."""
    page.focus(selector)
    page.keyboard.press(key)


def type_into(page, selector: str, text: str) -> None:
    page.focus(selector)
    page.keyboard.type(text)


def follow(page, selector: str) -> None:
    """Press Enter on a link or a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        press_on(page, selector)


def choose(page, selector: str, *, value: str | None = None, label: str | None = None) -> None:
    """Choose an option of a closed <select> with the arrow keys (each key press changes it,
    as in Chromium on Linux and Windows), by its value or its visible text."""
    where = """([selector, value, label]) => {
      const e = document.querySelector(selector);
      const target = [...e.options].findIndex(
        (o) => value !== null ? o.value === value : o.textContent.trim() === label);
      return [e.selectedIndex, target, document.activeElement === e];
    }"""
    page.focus(selector)
    for _ in range(80):
        current, target, focused = page.evaluate(where, [selector, value, label])
        assert target >= 0, f"{selector} has no option {value or label!r}"
        if current == target:
            return
        if not focused:  # the builder drew the control again
            page.focus(selector)
        page.keyboard.press("ArrowDown" if target > current else "ArrowUp")
        page.wait_for_function(
            "([s, i]) => document.querySelector(s).selectedIndex !== i", arg=[selector, current]
        )
    raise AssertionError(f"could not choose {value or label!r} in {selector}")


def announced(page, text: str) -> None:
    page.wait_for_function(
        "(t) => document.getElementById('announce').textContent.includes(t)", arg=text
    )


def sign_in(page, email: str) -> None:
    page.goto("/login")
    type_into(page, "#email", email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url


# ------------------------------------------------------------------------ the builder


def add_question(page, section_button: str, widget: str, title: str) -> None:
    """Choose a section (or group) in the outline and add a question of a type to it."""
    press_on(page, section_button)
    page.wait_for_selector("#new-question-title")
    choose(page, "#new-question-widget", value=widget)
    type_into(page, "#new-question-title", title)
    press_on(page, "#add-question-submit")
    page.wait_for_function(
        "(t) => document.activeElement.id === 'f-title' && document.activeElement.value === t",
        arg=title,
    )


def translate_missing(page, audit: Audit, where: str, expected: set[str]) -> None:
    """On the Arabic translation page, show only the missing texts, translate each, save."""
    choose(page, "#status", value="missing")
    follow(page, "main form[method=get] button[type=submit]")
    audit.check(page, f"{where}: missing Arabic texts")
    page.set_viewport_size(DESKTOP)
    sources = page.locator("table.translations tbody tr td:nth-child(2)").all_inner_texts()
    assert set(sources) == expected
    for row in page.locator("table.translations tbody tr").all():
        source = row.locator("td:nth-child(2)").inner_text()
        box = row.locator("textarea")
        assert box.get_attribute("dir") == "rtl" and box.get_attribute("lang") == "ar"
        box.focus()
        page.keyboard.type(ARABIC_TEXTS[source])
    follow(page, "main form[method=post] button.primary")
    assert f"Translations saved: {len(expected)}." in page.inner_text("main")
    assert "No texts match." in page.inner_text("main")  # none is missing any more


def publish(page, audit: Audit, where: str) -> str:
    """From the builder, check and publish; return the publish page's text before publishing."""
    follow(page, "main a.button[href$='/publish']")
    audit.check(page, where)
    page.set_viewport_size(DESKTOP)
    text = page.inner_text("main")
    follow(page, "main form button.primary")
    return text


# ------------------------------------------------------------------------ the server


def server_responses(app, participant: int) -> list[dict]:
    with app.app_context():
        return [
            {
                "version": r.version.number,
                "status": r.status,
                "revision": r.revision,
                "answers": r.answers,
                "moves": r.version_moves,
            }
            for r in db.session.scalars(
                sa.select(Response).where(Response.participant_id == participant)
            )
        ]


def test_build_translate_publish_fill_offline_and_move_the_draft(app, world, browser, live_server):
    assert AXE.exists(), "axe-core is needed: run `npm ci` (or `make test`)"
    audit = Audit()
    errors: list[str] = []
    admin_ctx = browser.new_context(viewport=DESKTOP, base_url=live_server, bypass_csp=True)
    admin_ctx.set_default_timeout(TIMEOUT_MS)
    admin_ctx.add_init_script(path=str(AXE))
    admin = admin_ctx.new_page()
    admin.on("pageerror", lambda e: errors.append(str(e)))
    admin.on("dialog", lambda dialog: dialog.accept())  # "Delete …?": Enter on the dialog

    # --- The administrator copies the national template into the municipality.
    sign_in(admin, world.emails["admin1"])
    admin.goto("/admin/questionnaires")
    audit.check(admin, "questionnaires")
    admin.set_viewport_size(DESKTOP)
    follow(admin, "form[action$='/kartlegging/copy'] button")
    assert admin.url.endswith(f"/admin/builder/{SLUG}")
    admin.wait_for_selector("#outline button")
    assert admin.inner_text("#problems").strip() == "No problems."
    audit.check(admin, "builder, the copy")
    admin.set_viewport_size(DESKTOP)

    # --- A section with three questions: a choice, a text shown when it is "Ja", a group.
    type_into(admin, "#new-section-title", SECTION)
    admin.keyboard.press("Enter")
    announced(admin, "Added")
    assert admin.input_value("#settings #f-title") == SECTION
    section = "#ol-s-jobb_i_kommunen"

    add_question(admin, section, "choice", CHOICE)
    for label in ("Ja", "Nei"):
        type_into(admin, "#f-new-option", label)
        press_on(admin, "#f-add-option")
        announced(admin, f"Added: {label}")
    assert [admin.input_value(f"#f-opt-{i}-value") for i in (0, 1)] == ["ja", "nei"]
    audit.check(admin, "builder, a choice with its options")
    admin.set_viewport_size(DESKTOP)

    add_question(admin, section, "text", WHICH)
    press_on(admin, "#c-add")  # Show only when: a rule on the choice before it
    admin.wait_for_selector("#c-0-question")
    choose(admin, "#c-0-question", value="vil_du_jobbe_i_kommunen")
    admin.wait_for_selector("#c-0-value")
    choose(admin, "#c-0-value", label="Ja")
    announced(admin, "Saved")
    assert admin.locator("#c-0-operator option:checked").inner_text() != ""
    audit.check(admin, "builder, a question with a condition")
    admin.set_viewport_size(DESKTOP)

    add_question(admin, section, "group", GROUP)
    add_question(admin, "#ol-q-tidligere_jobber", "text", EMPLOYER)
    admin.wait_for_selector("#ol-q-tidligere_jobber-arbeidsgiver")
    assert admin.inner_text("#problems").strip() == "No problems."
    audit.check(admin, "builder, a question in a group")
    admin.set_viewport_size(DESKTOP)

    # --- Into Arabic: only the new texts are missing (the template's were copied).
    follow(admin, "nav[aria-labelledby=translate-title] a[href$='/translations/ar']")
    audit.check(admin, "translations into Arabic")
    admin.set_viewport_size(DESKTOP)
    translate_missing(
        admin, audit, "translations", {SECTION, CHOICE, "Ja", "Nei", WHICH, GROUP, EMPLOYER}
    )

    # --- The Arabic preview of the new page, right to left, drawn by the phone's engine.
    follow(admin, "main a.button[href$='/admin/builder/" + SLUG + "']")
    admin.wait_for_selector("#outline button")
    press_on(admin, section)
    admin.wait_for_selector("#preview [data-item='vil_du_jobbe_i_kommunen']")
    choose(admin, "#preview-lang", value="ar")
    preview = admin.locator("#preview")
    admin.wait_for_function(
        "(t) => document.getElementById('preview').textContent.includes(t)",
        arg=ARABIC_TEXTS[CHOICE],
    )
    assert admin.get_attribute("#preview-phone", "dir") == "rtl"
    assert admin.get_attribute("#preview-phone", "lang") == "ar"
    shown = preview.inner_text()
    for norwegian in (SECTION, CHOICE, GROUP, EMPLOYER):
        assert ARABIC_TEXTS[norwegian] in shown and norwegian not in shown
    # The condition works in the preview: the text question shows once "Ja" (نعم) is chosen.
    assert preview.locator("[data-item='hvilken_jobb']").is_hidden()
    press_on(admin, "#preview #vil_du_jobbe_i_kommunen-0", "Space")
    assert preview.locator("[data-item='hvilken_jobb']").is_visible()
    assert ARABIC_TEXTS[WHICH] in preview.inner_text()
    audit.check(admin, "builder, Arabic preview")
    admin.set_viewport_size(DESKTOP)

    # --- Publish version 1 (languages without the new texts are withheld), offer it to all.
    before = publish(admin, audit, "publish version 1")
    assert "Publish without these languages" in before
    assert admin.url.endswith("/admin/questionnaires")
    assert "Published version 1." in admin.inner_text("main")
    choose(admin, f"#{SLUG}-offered_to", value="all")
    follow(admin, f"form[action$='/{SLUG}/offer'] button[type=submit]")
    audit.check(admin, "questionnaires, published and offered")
    admin.set_viewport_size(DESKTOP)
    with app.app_context():
        copy = db.session.scalar(sa.select(Questionnaire).where(Questionnaire.slug == SLUG))
        assert copy.latest.number == 1 and "ar" in copy.latest.offered_languages
        assert copy.latest.document["ui"]["questions"]["hvilken_jobb"]["visible_if"] == {
            "question": "vil_du_jobbe_i_kommunen",
            "equals": "ja",
        }

    # --- The participant (who reads Arabic) fills it in on the phone app.
    with app.app_context():
        db.session.get(Participant, world.p1).language = "ar"
        db.session.commit()
    phone_ctx = browser.new_context(
        viewport={"width": 360, "height": 740}, base_url=live_server, bypass_csp=True
    )
    phone_ctx.set_default_timeout(TIMEOUT_MS)
    phone = open_app(phone_ctx, world.codes["p1"])
    phone.on("pageerror", lambda e: errors.append(f"phone: {e}"))
    assert phone.get_attribute("html", "dir") == "rtl"
    card = phone.locator(f"#app li.card[data-slug='{SLUG}']")
    assert phone.locator("#app li.card").count() == 1  # the municipality's own, not the template
    card.locator("button.primary").click()
    phone.wait_for_selector("#fields")
    phone.check("#mapped_before-0")
    next_page(phone)
    phone.wait_for_selector("#short_term_goal_kind-2")
    phone.check("#short_term_goal_kind-2")
    phone.check("#long_term_goal_kind-0")
    for _ in range(8):  # through the template's other pages to the new one
        # Each "Next" waits for the page it leads to: the next page is drawn a moment after
        # the press (the answers are checked and saved first), and a press while the page
        # before is still shown reads that page's heading and then skips a page.
        heading = phone.evaluate("document.querySelector('#app h1').textContent")
        next_page(phone)
        phone.wait_for_function(
            "(h) => document.querySelector('#app h1')?.textContent !== h", arg=heading
        )
        phone.wait_for_selector("#fields")
        if phone.locator("#fields [data-item='vil_du_jobbe_i_kommunen']").count():
            break
    phone.wait_for_selector("[data-item='vil_du_jobbe_i_kommunen']")
    page_text = phone.inner_text("#app")
    for norwegian in (SECTION, CHOICE, GROUP, EMPLOYER):
        assert ARABIC_TEXTS[norwegian] in page_text
    assert phone.locator("[data-item='hvilken_jobb']").is_hidden()
    phone.check("#vil_du_jobbe_i_kommunen-0")
    phone.wait_for_selector("#hvilken_jobb")
    phone.fill("#hvilken_jobb", "Renholder")
    [response_id] = [r["id"] for r in stored(phone)]
    wait_until(
        lambda: any(
            r["answers"].get("hvilken_jobb") == "Renholder" for r in server_responses(app, world.p1)
        ),
        message="the online answers to reach the server",
    )
    wait_until(lambda: not outbox(phone), message="the outbox to empty")
    [on_server] = server_responses(app, world.p1)
    assert on_server["version"] == 1 and on_server["status"] == "draft"

    # Offline: the participant changes one answer and adds another; they wait on the phone.
    phone_ctx.set_offline(True)
    phone.fill("#hvilken_jobb", "Lærer")
    phone.fill("#tidligere_jobber-0-arbeidsgiver", "Oslo kommune")
    phone.locator("#tidligere_jobber-0-arbeidsgiver").blur()
    wait_until(
        lambda: (
            [r["answers"].get("tidligere_jobber") for r in stored(phone)]
            == [[{"arbeidsgiver": "Oslo kommune"}]]
        ),
        message="the offline answers to be kept on the phone",
    )
    assert len(outbox(phone)) == 1
    assert server_responses(app, world.p1)[0]["answers"]["hvilken_jobb"] == "Renholder"

    # --- Meanwhile the administrator publishes version 2: "Hvilken jobb?" goes, a new
    # question comes, and the unfinished answers move to it.
    follow(admin, f"a[href$='/admin/builder/{SLUG}']")
    admin.wait_for_selector("#ol-q-hvilken_jobb")
    press_on(admin, "#ol-q-hvilken_jobb")
    admin.wait_for_function("document.getElementById('f-title').value === 'Hvilken jobb?'")
    press_on(admin, "#act-delete")
    admin.wait_for_selector("#ol-q-hvilken_jobb", state="detached")
    add_question(admin, section, "text", START)
    assert admin.inner_text("#problems").strip() == "No problems."
    audit.check(admin, "builder, version 2")
    admin.set_viewport_size(DESKTOP)
    follow(admin, "nav[aria-labelledby=translate-title] a[href$='/translations/ar']")
    translate_missing(admin, audit, "translations for version 2", {START})
    follow(admin, "main a.button[href$='/admin/builder/" + SLUG + "']")
    admin.wait_for_selector("#outline button")
    follow(admin, "main a.button[href$='/publish']")
    audit.check(admin, "publish version 2")
    admin.set_viewport_size(DESKTOP)
    check = admin.inner_text("main")
    assert "Changes since version 1" in check
    assert "Unfinished answers to earlier versions: 1." in check
    assert admin.is_checked("#move-drafts")
    follow(admin, "main form button.primary")
    shown = admin.inner_text("main")
    assert "Published version 2." in shown
    assert "Unfinished answers moved to the new version: 1." in shown

    [moved] = server_responses(app, world.p1)
    assert moved["version"] == 2 and moved["status"] == "draft"
    assert moved["answers"] == {
        "mapped_before": "yes",
        "short_term_goal_kind": "norwegian",
        "long_term_goal_kind": "work",
        "vil_du_jobbe_i_kommunen": "ja",
    }
    [move] = moved["moves"]
    assert (move["from"], move["to"]) == (1, 2)
    assert move["left_behind"] == ["hvilken_jobb"]
    assert move["new_questions"] == ["hvilken_dag_kan_du_begynne"]
    audit.assert_clean()  # every builder page the administrator saw
    assert errors == []

    # --- Online again: the phone takes the moved draft and keeps the unsent edit that fits.
    phone_ctx.set_offline(False)
    phone.goto("/app/")
    wait_for_app(phone)
    wait_until(
        lambda: [(r["version"], r["id"]) for r in stored(phone)] == [(2, response_id)],
        message="the phone to take the moved draft on version 2",
    )
    wait_until(lambda: not outbox(phone), message="the unsent edits to be sent")
    [now] = server_responses(app, world.p1)
    assert now["version"] == 2
    assert now["answers"]["tidligere_jobber"] == [{"arbeidsgiver": "Oslo kommune"}]
    assert "hvilken_jobb" not in now["answers"]

    # The participant continues on version 2's page: the kept answers, the new question.
    assert [r.get("newQuestions") for r in stored(phone)] == [["hvilken_dag_kan_du_begynne"]]
    phone.goto("/app/")
    wait_for_app(phone)
    phone.locator(f"#app li.card[data-slug='{SLUG}'] a.button").click()
    phone.wait_for_selector("#fields")
    assert phone.is_visible("#app .moved")  # told that the questionnaire changed, 1 new question
    phone.goto(f"/app/#/r/{response_id}/10")
    phone.wait_for_selector("[data-item='hvilken_dag_kan_du_begynne']")
    assert phone.locator("[data-item='hvilken_jobb']").count() == 0
    assert phone.is_checked("#vil_du_jobbe_i_kommunen-0")
    assert phone.input_value("#tidligere_jobber-0-arbeidsgiver") == "Oslo kommune"
    assert ARABIC_TEXTS[START] in phone.inner_text("#app")
    phone.fill("#hvilken_dag_kan_du_begynne", "1. august")
    next_page(phone)
    phone.wait_for_selector("#send")
    phone.click("#send")
    wait_until(
        lambda: server_responses(app, world.p1)[0]["status"] == "submitted",
        message="the response to be sent",
    )
    [sent] = server_responses(app, world.p1)
    assert sent["version"] == 2
    assert sent["answers"] == {
        "mapped_before": "yes",
        "short_term_goal_kind": "norwegian",
        "long_term_goal_kind": "work",
        "vil_du_jobbe_i_kommunen": "ja",
        "tidligere_jobber": [{"arbeidsgiver": "Oslo kommune"}],
        "hvilken_dag_kan_du_begynne": "1. august",
    }
    assert errors == []
    phone_ctx.close()
    admin_ctx.close()
