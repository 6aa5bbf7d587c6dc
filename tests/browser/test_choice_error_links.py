"""Following an error summary's link puts the focus on a control, for a choice question too.

A question drawn as radio buttons or check boxes is a fieldset, which takes no focus: a link to
it scrolled there, and keyboard and screen reader users looked for the options. The links lead
to the first option now. And the app's summary linked a refused answer to its page only: it
opens the page at the field now (#/r/<id>/<page>?check=<field>), with what to change marked,
as the server's summary does with ?check=1#<field>.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Questionnaire
from webapp.services import responses as response_service

from .app_driver import DB_MODULE, open_app, press_join, start_mapping
from .conftest import TIMEOUT_MS
from .test_accessibility import NEXT, submit

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

FOCUSED = "document.activeElement && document.activeElement.id"

SAVE = f"""async ([id, page]) => {{ {DB_MODULE}
  await records.saveAnswers(id, {{ page, questions: Object.keys(page) }});
}}"""


def test_without_javascript_the_links_lead_to_the_first_option(app, world, browser, live_server):
    with app.app_context():
        questionnaire = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        rid = response_service.start(db.session.get(Participant, world.p1), questionnaire).id
        db.session.commit()
    ctx = browser.new_context(base_url=live_server, java_script_enabled=False)
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    press_join(page, world.codes["p1"])
    page.goto(f"/r/{rid}/2")
    submit(page, NEXT)  # the goals unanswered
    link = page.locator("#error-summary a").first
    assert link.get_attribute("href") == "#short_term_goal_kind-0"
    link.click()
    assert page.evaluate(FOCUSED) == "short_term_goal_kind-0"

    page.goto(f"/r/{rid}/summary")
    submit(page)  # "Send my answers": refused, the goals are missing
    link = page.locator("#error-summary a[href*='/2?check=1#']").first
    assert link.get_attribute("href").endswith("/2?check=1#short_term_goal_kind-0")
    with page.expect_navigation():
        link.click()
    assert page.locator("#short_term_goal_kind-0").evaluate("(e) => e.type") == "radio"
    assert page.query_selector("#short_term_goal_kind-error")
    # The browser puts the focus on the link's target when it is a control (it did not on the
    # fieldset: it stayed on the error summary, autofocus).
    page.wait_for_timeout(300)
    assert page.evaluate(FOCUSED) == "short_term_goal_kind-0"
    ctx.close()


def test_the_apps_page_links_a_choice_in_an_entry_to_its_first_option(world, context):
    page = open_app(context, world.codes["p1"])
    rid = start_mapping(page)
    answers = {"educations": [{"level": "primary", "completed": "perhaps"}]}
    page.evaluate(SAVE, [rid, answers])
    page.goto(f"/app/#/r/{rid}/4")
    page.reload()
    page.wait_for_selector("#error-summary")  # a refused answer is marked at once
    links = page.eval_on_selector_all("#error-summary a", "as => as.map((a) => a.hash)")
    assert links == ["#educations-0-completed-0"]
    page.click("#error-summary a")
    assert page.evaluate(FOCUSED) == "educations-0-completed-0"
    assert page.url.endswith(f"#/r/{rid}/4")


def test_the_apps_summary_opens_the_page_at_the_field(world, context):
    page = open_app(context, world.codes["p1"])
    rid = start_mapping(page)
    answers = {"educations": [{"level": "primary"}, {"level": "primary", "completed": "perhaps"}]}
    page.evaluate(SAVE, [rid, answers])
    page.goto(f"/app/#/r/{rid}/summary")
    page.reload()
    page.click("#send")
    page.wait_for_selector("#problems .error-summary")
    hrefs = page.eval_on_selector_all(
        "#problems .error-summary a", "as => as.map((a) => a.getAttribute('href'))"
    )
    assert f"#/r/{rid}/2?check=short_term_goal_kind-0" in hrefs  # required, unanswered
    assert f"#/r/{rid}/4?check=educations-1-completed-0" in hrefs  # entry 2's yes/no

    page.click(f"#problems a[href='#/r/{rid}/2?check=short_term_goal_kind-0']")
    page.wait_for_function(f"{FOCUSED} === 'short_term_goal_kind-0'")
    # The address names the page alone again; what sending would refuse is marked there.
    assert page.url.endswith(f"#/r/{rid}/2")
    assert "Please answer this question." in page.inner_text("#short_term_goal_kind-error")
    page.wait_for_timeout(300)  # a route drawn late would have taken the focus by now
    assert page.evaluate(FOCUSED) == "short_term_goal_kind-0"

    page.go_back()  # to the summary
    page.wait_for_selector("#send")
    page.click("#send")
    page.click(f"#problems a[href='#/r/{rid}/4?check=educations-1-completed-0']")
    page.wait_for_function(f"{FOCUSED} === 'educations-1-completed-0'")
    assert page.url.endswith(f"#/r/{rid}/4")
    assert page.query_selector("#educations-1-completed-error")
