"""The app's summary page and what the server refused, as a participant reads them.

- Each "Change answers on this page" link is a 44 px touch target whose accessible name says
  which page it changes (as the server's summary, answers.html), and the page passes axe.
- A refusal kept on the phone is shown in the language the app is in now: from the app's own
  texts by the problem's code (and, for refused answers, the phone's own check of them); words
  it has no text for stay as the server sent them, marked with their language (WCAG 3.1.2).
"""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from webapp.extensions import db
from webapp.models import Participant, Response
from webapp.pwa.views import client_strings
from webapp.services import responses as response_service

from .app_driver import DB_MODULE, open_app, outbox, start_mapping, stored, wait_until
from .test_accessibility import AXE, Audit, axe_available, choose_language  # noqa: F401 (a fixture)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ALREADY_SENT = "These answers were already sent"
ARABIC = "\u0600-\u06ff"


def strings(app, lang: str) -> dict:
    """The texts the app gets in language lang."""
    with app.test_request_context("/app/"), force_locale(lang):
        return client_strings()


def answered_draft(context, world) -> tuple[object, str]:
    page = open_app(context, world.codes["p1"])
    rid = start_mapping(page)
    page.check("#mapped_before-0")
    page.fill("#previous_mapping_where", "NAV Alna")
    wait_until(lambda: any(r["answers"].get("previous_mapping_where") == "NAV Alna"
                           for r in stored(page)), message="stored")  # fmt: skip
    return page, rid


CHANGE_LINKS = """() => [...document.querySelectorAll("#app .answer-section a[href*='#/r/']")]
  .map((a) => ({ name: a.textContent, line: a.parentElement.className,
                 height: a.getBoundingClientRect().height,
                 heading: a.closest("section").querySelector("h2").textContent,
                 labelled: a.closest("section").getAttribute("aria-labelledby")
                   === a.closest("section").querySelector("h2").id }))"""


@pytest.mark.usefixtures("axe_available")
def test_the_summary_links_are_touch_targets_named_by_their_page(app, world, context):
    context.add_init_script(path=str(AXE))
    page, rid = answered_draft(context, world)
    audit = Audit()
    for lang in ("en", "ar"):
        if lang != "en":
            choose_language(page, lang)
        page.goto(f"/app/#/r/{rid}/summary")
        page.wait_for_selector("#app .answer-section a[href*='#/r/']")
        links = page.evaluate(CHANGE_LINKS)
        change = strings(app, lang)["change"]
        assert links, "no link to change the answers"
        for link in links:
            assert link["line"] == "link-line", link
            assert link["height"] >= 44, link
            assert link["name"] == f"{change}: {link['heading']}", link
            assert link["labelled"], link
            # A screen reader finds each by its own name (the browser computes it with a space
            # before the colon of the hidden text, as on the server's summary).
            name = re.compile(rf"^{re.escape(change)}\s*:\s*{re.escape(link['heading'])}$")
            assert page.get_by_role("link", name=name).count() == 1, link
        assert len({link["name"] for link in links}) == len(links), links
        audit.check(page, f"/app/#/r/<draft>/summary {lang}", narrow=True)
    audit.assert_clean()


def refuse_as_sent(app, world, page, rid, faults):
    """Send the draft, change it on the phone while the server cannot be reached, and have it
    sent from another place meanwhile: the phone's change is refused (409, "submitted")."""
    page.click("#send-now")
    wait_until(lambda: outbox(page) == [], message="sent")
    faults.blocked = True
    page.fill("#previous_mapping_where", "Bydel Grorud")
    wait_until(lambda: outbox(page), message="the change queued")
    with app.app_context():
        response = db.session.get(Response, rid)
        response.answers = {**response.answers, "short_term_goal_kind": "work",
                            "long_term_goal_kind": "work"}  # fmt: skip
        assert response_service.submit(response, db.session.get(Participant, world.p1)) == []
        db.session.commit()
    faults.blocked = False
    page.goto("/app/")
    page.click("#send-now")
    page.wait_for_selector(f'#app [data-response="{rid}"] a[href$="summary"]')


@pytest.mark.usefixtures("axe_available")
def test_a_refusal_is_shown_in_the_language_the_app_is_in_now(app, world, context, faults):
    context.add_init_script(path=str(AXE))
    page, rid = answered_draft(context, world)
    refuse_as_sent(app, world, page, rid, faults)
    status = f'#app [data-response="{rid}"]'
    assert ALREADY_SENT in page.inner_text(status)
    choose_language(page, "ar")
    arabic = strings(app, "ar")["refusals"]["submitted"]
    assert arabic and ALREADY_SENT not in arabic
    page.wait_for_selector(f"{status} a[href$='summary']")
    assert arabic in page.inner_text(status)
    assert ALREADY_SENT not in page.inner_text("#app")
    page.goto(f"/app/#/r/{rid}/summary")
    page.wait_for_selector("#app .refused")
    assert arabic in page.inner_text("#app .refused h2")
    assert ALREADY_SENT not in page.inner_text("#app")
    audit = Audit()
    audit.check(page, "/app/#/r/<refused>/summary ar", narrow=True)
    audit.assert_clean()


KEEP_REFUSED = f"""async ([id, problem]) => {{ {DB_MODULE}
  const record = await records.response(id);
  await records.refuse(id, {{ localRevision: record.localRevision }}, problem);
}}"""


def test_words_the_app_has_no_text_for_keep_the_language_they_came_in(app, world, context):
    page, rid = answered_draft(context, world)
    page.click("#send-now")
    wait_until(lambda: outbox(page) == [], message="sent")
    # A refusal with no code the app knows (as marshmallow's field errors come), in English.
    problem = {"type": "about:blank", "status": 422, "title": "Some fields are not right",
               "errors": [{"pointer": "/answers/previous_mapping_where", "code": "null",
                           "detail": "This field cannot be empty."}]}  # fmt: skip
    page.evaluate(KEEP_REFUSED, [rid, problem])
    assert next(r for r in stored(page) if r["id"] == rid)["problem"]["lang"] == "en"
    page.goto("/app/")
    page.wait_for_selector("#app .cards")
    choose_language(page, "fa")
    marked = f'#app [data-response="{rid}"] [lang="en"][dir="auto"]'
    page.wait_for_selector(marked)
    assert page.inner_text(marked) == "Some fields are not right"
    page.goto(f"/app/#/r/{rid}/summary")
    page.wait_for_selector("#app .refused")
    reason = page.locator('#app .refused h2 [lang="en"][dir="auto"]')
    assert reason.inner_text() == "Some fields are not right"
    item = page.locator('#app .refused li [lang="en"][dir="auto"]')
    assert item.inner_text() == "This field cannot be empty."


SAVE_INVALID = f"""async (id) => {{ {DB_MODULE}
  await records.saveAnswers(id, {{ page: {{ household: ["children"], children_count: 25 }},
    questions: ["household", "children_count"] }});
}}"""


@pytest.mark.usefixtures("axe_available")
def test_refused_answers_are_worded_in_the_language_the_app_is_in_now(app, world, context):
    # An answer the server refuses (a number over its maximum, put in the phone's store past
    # the page's own check): 422 with the question's error, in English.
    context.add_init_script(path=str(AXE))
    page, rid = answered_draft(context, world)
    page.evaluate(SAVE_INVALID, rid)
    page.goto("/app/")
    page.click("#send-now")
    page.wait_for_selector(f'#app [data-response="{rid}"] a[href$="summary"]')
    problem = next(r for r in stored(page) if r["id"] == rid)["problem"]
    assert problem["code"] == "answers", problem
    assert [e["pointer"] for e in problem["errors"]] == ["/answers/children_count"], problem
    english = problem["errors"][0]["detail"]
    choose_language(page, "ar")
    page.goto(f"/app/#/r/{rid}/summary")
    page.wait_for_selector("#app .refused li")
    texts = strings(app, "ar")
    assert texts["refusals"]["answers"] in page.inner_text("#app .refused h2")
    item = page.inner_text("#app .refused li")
    message = texts["messages"]["maximum"].replace("%(limit)s", "20")
    # Which question, linked to its page at the field, as the list of problems before sending.
    link = page.locator("#app .refused li a")
    assert link.get_attribute("href") == f"#/r/{rid}/3?check=children_count"
    title = link.inner_text()  # in the language of the questionnaire texts the phone has
    assert title in ("كم طفلًا يسكن معك؟", "Hvor mange barn bor sammen med deg?"), title
    assert item.replace("\n", "") == f"{title}: {message}", item  # (the link is a block)
    assert english not in page.inner_text("#app")
    audit = Audit()
    audit.check(page, "/app/#/r/<refused answers>/summary ar", narrow=True)
    # "Fix" opens the page of the refused answer, which marks it at once.
    page.click("#app .refused button.primary")
    page.wait_for_url(f"**/app/#/r/{rid}/3")
    page.wait_for_selector("#children_count-error")
    assert message in page.inner_text("#children_count-error")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    audit.check(page, "/app/#/r/<refused answers>/3 ar", narrow=True)
    audit.assert_clean()
