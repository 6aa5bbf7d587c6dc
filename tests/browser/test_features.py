"""Features for participants who read little: listen, Norwegian beside, pictograms."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from webapp.config import LANGUAGES
from webapp.extensions import db
from webapp.models import Participant, Questionnaire, StaffUser
from webapp.services import audio

from ..test_audio_and_languages import wav
from .app_driver import open_app, start_mapping
from .conftest import TIMEOUT_MS


def test_listen_button_plays_a_recording_or_a_voice_never_nothing(app, world, context):
    with app.app_context():
        questionnaire = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        admin = db.session.get(StaffUser, world.admin1)
        audio.store_clip(questionnaire, "mapped_before", "en", wav(), admin)
        db.session.commit()
    page = open_app(context, world.codes["p1"])
    page.click("#app .card button.primary")
    page.wait_for_selector('[data-item="mapped_before"] .read-aloud')
    voices = page.evaluate(
        "speechSynthesis.getVoices().filter((v) => v.lang.startsWith('en')).length"
    )
    button = page.locator('[data-item="mapped_before"] .read-aloud')
    assert button.get_attribute("data-source") == "clip"
    others = page.locator('[data-item="documents_available"] .read-aloud')
    assert others.count() == (1 if voices else 0)  # no voice for the language: no button
    button.click()  # plays the clip (no error even without a sound card)
    page.wait_for_timeout(300)


def test_norwegian_beside_and_pictograms_in_the_app(app, world, context):
    with app.app_context():
        db.session.get(Participant, world.p1).language = "ar"
        db.session.commit()
    page = open_app(context, world.codes["p1"])
    assert page.get_attribute("html", "dir") == "rtl"
    page.click("#app .card button.primary")
    page.wait_for_selector("#fields")
    page.click("#app form.questionnaire > .actions button[type=submit]")  # to the goals page
    page.wait_for_selector("#short_term_goal_kind-0")
    assert page.locator("#fields .picto").count() >= 6  # option pictograms
    assert page.locator(".nb-text").count() == 0
    page.click("#side-by-side")
    page.wait_for_selector('.nb-text[lang="nb"]')
    assert page.get_attribute("#side-by-side", "aria-pressed") == "true"
    page.reload()
    page.wait_for_selector('.nb-text[lang="nb"]')  # remembered on the phone
    with app.app_context():
        assert db.session.get(Participant, world.p1).show_norwegian is True  # and the server


def read_by_counsellor(app, world, lang: str):
    """p1 (in ``lang``) has a draft of the mapping that c1 has read; return when it was read."""
    from webapp.models import AuditEvent
    from webapp.services import reads
    from webapp.services import responses as response_service

    with app.app_context():
        person = db.session.get(Participant, world.p1)
        person.language = lang
        questionnaire = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        draft = response_service.start(person, questionnaire)
        reads.record_response(db.session.get(StaffUser, world.c1), draft)
        db.session.commit()
        return db.session.scalar(
            sa.select(sa.func.max(AuditEvent.at)).filter_by(action="response.read")
        )


def test_dates_on_the_phone_are_day_first_in_a_language_the_browser_has_no_formats_for(
    app, world, browser, live_server
):
    """Chromium has no date formats for some of the app's languages (nn, ti, so, ps and ckb in
    Chromium 156): the app writes dates as in bokmål then, never in the browser's own default
    (month first in en-US, where the 4th of December reads 12/4/2026). Without seconds, as
    the server's pages write them."""
    from zoneinfo import ZoneInfo

    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="en-US", timezone_id="America/New_York",
        base_url=live_server,
    )  # fmt: skip
    context.set_default_timeout(TIMEOUT_MS)
    probe = context.new_page()
    known = probe.evaluate("(codes) => Intl.DateTimeFormat.supportedLocalesOf(codes)", WITHOUT_DATA)
    probe.close()
    missing = [code for code in WITHOUT_DATA if code not in known]
    if not missing:
        pytest.skip(f"this Chromium has date formats for all of {WITHOUT_DATA}: nothing falls back")
    lang = missing[0]
    at = read_by_counsellor(app, world, lang)
    page = open_app(context, world.codes["p1"])
    assert page.get_attribute("html", "lang") == lang
    read = page.inner_text("#app .reads li")
    local = at.replace(tzinfo=at.tzinfo or ZoneInfo("UTC")).astimezone(ZoneInfo("America/New_York"))
    assert read.startswith(f"{local:%d.%m.%Y, %H:%M}: "), read
    context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_app_writes_a_moment_as_the_servers_pages_do(
    app, world, browser, live_server, as_actor, lang
):
    """The same read on the participant's server page (/me/, Babel's "short") and in the app:
    the same numbers in the same order, in Latin digits (no seconds; the Gregorian calendar and
    Latin digits in Persian too, where the browser's own would be the Persian ones);
    day first (Persian: year first), in English and Tigrinya too, whose own short formats put
    the month first (12/4/26 for the 4th of December), and in every language the browser has no
    formats for (Somali, Pashto, Sorani), which the server writes as the app does."""
    import re
    from zoneinfo import ZoneInfo

    at = read_by_counsellor(app, world, lang)
    local = at.replace(tzinfo=at.tzinfo or ZoneInfo("UTC")).astimezone(ZoneInfo("Europe/Oslo"))
    html = as_actor(app, "p1").get("/me/").get_data(as_text=True)
    section = html.split('id="reads-heading"', 1)[1]
    on_server = re.search(r"<li>\s*([^:]+:\d\d[^:]*):", section).group(1)
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="en-US", timezone_id="Europe/Oslo",
        base_url=live_server,
    )  # fmt: skip
    context.set_default_timeout(TIMEOUT_MS)
    page = open_app(context, world.new_code("p1"))
    in_app = page.inner_text("#app .reads li")
    context.close()

    def numbers(text: str) -> list[int]:  # in Latin digits, as every other number is written
        return [int(n) for n in re.findall(r"[0-9]+", text)]

    assert numbers(in_app.split(": ")[0]) == numbers(on_server), (in_app, on_server)
    assert len(numbers(on_server)) == 5  # day, month, year, hours, minutes
    year_first = lang.startswith("fa")
    day_and_month = numbers(on_server)[1:3] if year_first else numbers(on_server)[:2][::-1]
    assert day_and_month == [local.month, local.day], on_server


#: Languages of the app that Chromium 156 has no date formats for.
WITHOUT_DATA = ["so", "ti", "ps", "ckb", "nn"]


def test_in_page_links_move_the_focus_and_stay_in_the_questionnaire(world, context):
    """The error summary's links (#<question>) and the skip link (#main) are links to places on
    the page: following one drew the list of questionnaires instead, out of the questionnaire."""
    page = open_app(context, world.codes["p1"])
    rid = start_mapping(page)
    page.goto(f"/app/#/r/{rid}/2")
    page.wait_for_selector("#short_term_goal_kind")
    heading = page.inner_text("#app h1")
    page.click("#app form.questionnaire > .actions button[type=submit]")  # "Next", unanswered
    page.wait_for_selector("#error-summary")
    page.click("#error-summary a[href='#short_term_goal_kind-0']")  # the first option
    assert page.url.endswith(f"#/r/{rid}/2")
    assert page.inner_text("#app h1") == heading
    assert page.evaluate("document.activeElement.id") == "short_term_goal_kind-0"
    page.focus("a.skip")
    page.keyboard.press("Enter")
    assert page.url.endswith(f"#/r/{rid}/2") and page.inner_text("#app h1") == heading
    assert page.evaluate("document.activeElement.id") == "main"
    page.wait_for_timeout(300)  # a route drawn late would have replaced the page by now
    assert page.query_selector("#short_term_goal_kind")


def test_an_error_inside_a_group_links_to_its_field_and_names_its_entry(world, context):
    """The error summary named the group ("Work experience") and its link led there: someone
    with a keyboard or a screen reader then searched the group's entries for the field in
    error. It links to the field itself now, named with its entry, as the server's pages do."""
    from .app_driver import DB_MODULE

    page = open_app(context, world.codes["p1"])
    rid = start_mapping(page)
    answers = {"educations": [{"level": "primary"}], "has_work_experience": True,
               "jobs": [{"occupation": "Cook", "years": 2},
                        {"occupation": "Nurse", "years": 99}]}  # fmt: skip  # 0 to 60 years
    page.evaluate(
        f"async ([id, page]) => {{ {DB_MODULE} await records.saveAnswers(id, {{ page }}); }}",
        [rid, answers],
    )
    page.goto(f"/app/#/r/{rid}/4")
    page.reload()
    page.wait_for_selector("#jobs-1-years")
    page.click("#app form.questionnaire > .actions button[type=submit]")  # "Next"
    page.wait_for_selector("#error-summary")
    links = page.eval_on_selector_all(
        "#error-summary a", "links => links.map((a) => [a.getAttribute('href'), a.textContent])"
    )
    assert [href for href, _ in links] == ["#jobs-1-years"]
    [name] = [text for _, text in links]
    assert name == "How many years? (Work experience, entry 2)"  # p1 reads English
    assert page.query_selector("#jobs-1-years-error")
    page.click("#error-summary a")
    assert page.evaluate("document.activeElement.id") == "jobs-1-years"


def _summary_of_a_draft(page, answers: dict) -> None:
    """Start the mapping in the app, keep ``answers`` on the phone and show its summary."""
    from .app_driver import DB_MODULE

    rid = start_mapping(page)
    page.evaluate(
        f"async ([id, page]) => {{ {DB_MODULE} await records.saveAnswers(id, {{ page }}); }}",
        [rid, answers],
    )
    page.goto(f"/app/#/r/{rid}/summary")
    page.reload()
    page.wait_for_selector("#app dl.answers")


def test_the_apps_summary_writes_dates_numbers_and_scales_in_the_participants_language(
    app, world, context
):
    """As the server's pages do: "2019-02-28", "2.5" and a bare "4" were shown before."""

    with app.app_context():
        db.session.get(Participant, world.p1).language = "nb"
        db.session.commit()
    page = open_app(context, world.codes["p1"])
    answers = {"mapped_before": "yes", "previous_mapping_when": "2019-02-28",
               "norwegian_confidence": 4, "has_work_experience": True,
               "jobs": [{"title": "Sjåfør", "years": 2.5}]}  # fmt: skip
    _summary_of_a_draft(page, answers)
    text = page.inner_text("#app")
    assert "28.02.2019" in text and "2019-02-28" not in text
    assert "4 av 5" in text
    assert "2,5" in text and "2.5" not in text
    assert "null" not in text and "undefined" not in text and "NaN" not in text


def test_changing_the_language_keeps_the_page_and_what_was_just_typed(world, context):
    """Online: the app opens again on the same page in the new language, with what was typed a
    moment before (it went back to the list, and text typed within the save delay was lost).
    Offline: it says to go online, not the browser's "No internet" page."""
    page = open_app(context, world.codes["p1"])
    rid = start_mapping(page)
    page.check("#mapped_before-0")
    page.fill("#previous_mapping_where", "NAV Alna")
    context.set_offline(True)
    page.select_option("#lang-select", "nb")
    page.click("form.language button[type=submit]")
    page.wait_for_selector(".language-offline:not([hidden])")
    assert page.inner_text(".language-offline") == "Go online to change the language."
    assert page.url.endswith(f"#/r/{rid}/1") and page.query_selector("#previous_mapping_where")
    context.set_offline(False)
    page.fill("#previous_mapping_where", "NAV Alna og Grorud")
    page.click("form.language button[type=submit]")  # at once: within the save delay
    page.wait_for_selector("html[lang=nb] #previous_mapping_where")
    assert page.url.endswith(f"#/r/{rid}/1")
    assert page.input_value("#previous_mapping_where") == "NAV Alna og Grorud"


def test_going_to_the_list_shows_it_from_the_top_with_the_focus_on_its_heading(world, context):
    """After "Send my answers" the list was drawn scrolled down, its heading off the screen."""
    page = open_app(context, world.codes["p1"])
    rid = start_mapping(page)
    page.goto(f"/app/#/r/{rid}/4")
    page.wait_for_selector("#educations")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("window.scrollY") > 0
    page.evaluate("location.hash = '#/'")
    page.wait_for_selector("#app .cards")
    page.wait_for_function("document.activeElement.matches('#app h1')")
    assert page.evaluate("window.scrollY") == 0


@pytest.mark.parametrize("lang", ["uk", "fa_AF", "ti", "en"])
def test_a_date_answer_reads_the_same_in_the_app_and_on_the_servers_pages(
    app, world, context, as_actor, lang
):
    """The server's pages wrote a date answer long ("15 березня 2021 р.", "20 جولای 2022") while
    the app wrote the language's short date ("15.03.21", "2022/7/20"): both write it short."""
    import html as html_lib
    import re

    from ..test_reading_a_response import _response

    answers = {"mapped_before": "yes", "previous_mapping_when": "2021-03-15"}
    with app.app_context():
        db.session.get(Participant, world.p1).language = lang
        db.session.commit()
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        definition = kartlegging.latest.definition
        title = definition.text(
            definition.questions["previous_mapping_when"].pointer + "/title", lang
        )
    # Another participant's response on the server: the phone's own draft stays the phone's.
    on_server_id = _response(app, world, answers, lang, who="p2")
    server = as_actor(app, "p2").get(f"/r/{on_server_id}/summary").get_data(as_text=True)
    found = re.search(re.escape(html_lib.escape(title, quote=False)) + r"</dt>\s*<dd>(.*?)</dd>",
                      server, re.S)  # fmt: skip
    assert found, title
    on_server = html_lib.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()

    page = open_app(context, world.new_code("p1"))
    _summary_of_a_draft(page, answers)
    in_app = page.locator("#app dl.answers dt", has_text=title).locator(
        "xpath=following-sibling::dd[1]"
    )
    assert in_app.inner_text().strip() == on_server, (in_app.inner_text(), on_server)
