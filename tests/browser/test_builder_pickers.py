"""The builder's "Show only when" pickers offer earlier questions and start with a rule that can
hold; a draft whose JSON text has parts of odd shapes still shows its outline and problems."""

from __future__ import annotations

import copy
import json

import pytest
import sqlalchemy as sa

from webapp.builder.messages import problem_views
from webapp.extensions import db
from webapp.models import Questionnaire
from webapp.services import builder

from ..test_builder import staff
from .conftest import TIMEOUT_MS
from .test_builder import copy_in_builder, press_on, settled, sign_in, stored_draft

# The page's script is the same whatever the database behind it.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def new_draft(app, world, questions: list[tuple[str, str, list[str] | None]]) -> str:
    """A new questionnaire of Kommune A with one section of these (widget, title, options)."""
    with app.app_context():
        admin = staff(world, "admin1")
        draft = builder.new_questionnaire(admin, "Betingelser", "participant", "nb").draft
        builder.apply_operation(draft, admin, draft.revision, "add_section", {"title": "Side 1"})
        for widget, title, options in questions:
            args = {"section": "side_1", "widget": widget, "title": title}
            if options:
                args["options"] = options
            builder.apply_operation(draft, admin, draft.revision, "add_question", args)
        slug = draft.questionnaire.slug
        db.session.commit()
    return slug


def open_builder(browser, live_server, world, slug: str, viewport: dict | None = None):
    errors: list[str] = []
    ctx = browser.new_context(
        viewport=viewport or {"width": 1280, "height": 900}, base_url=live_server, bypass_csp=True
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, world.emails["admin1"])
    page.goto(f"/admin/builder/{slug}")
    page.wait_for_selector("#outline button")
    return ctx, page, errors


def test_a_section_opening_with_information_offers_only_earlier_questions(
    app, world, browser, live_server
):
    ctx, page, errors = copy_in_builder(browser, live_server, world, "kartlegging")
    slug = "kartlegging-kommune-a"
    document = stored_draft(app, slug)
    first, second = document["ui"]["sections"][:2]
    assert first["items"][0] in document["ui"]["info"]  # both open with an information block
    assert second["items"][0] in document["ui"]["info"]
    before = [i for i in first["items"] if i in document["schema"]["properties"]]
    titles = [document["schema"]["properties"][q]["title"] for q in before]

    # The second section offers the first section's questions, and nothing after it.
    press_on(page, f"#ol-s-{second['id']}")
    assert page.locator("#c-add").count() == 1
    press_on(page, "#c-add")
    settled(app, page, slug, lambda d: "visible_if" in d["ui"]["sections"][1])
    assert page.locator("#c-0-question option").all_inner_texts() == titles
    stored = stored_draft(app, slug)["ui"]["sections"][1]["visible_if"]
    assert stored["question"] == before[-1]

    # The first section has no earlier question to depend on.
    press_on(page, f"#ol-s-{first['id']}")
    assert "There is no earlier question to depend on." in page.inner_text("#settings")
    assert page.locator("#c-add").count() == 0
    assert errors == []
    ctx.close()


@pytest.mark.parametrize("widget", ["text", "date", "number"])
def test_a_new_rule_on_a_typed_answer_asks_whether_it_is_answered(
    app, world, browser, live_server, widget
):
    slug = new_draft(app, world, [(widget, "Første", None), ("text", "Andre", None)])
    ctx, page, errors = open_builder(browser, live_server, world, slug)
    press_on(page, "#ol-q-andre")
    press_on(page, "#c-add")
    settled(app, page, slug, lambda d: "visible_if" in d["ui"]["questions"].get("andre", {}))
    rule = stored_draft(app, slug)["ui"]["questions"]["andre"]["visible_if"]
    assert rule == {"question": "forste", "answered": True}
    assert page.locator("#c-0-operator option:checked").inner_text() == "answered or not"
    assert page.locator("#c-0-value option:checked").inner_text() == "answered"
    # The rule holds for someone: the preview shows the question once the first is answered.
    assert not page.locator("#preview [data-item='andre']").is_visible()
    value = {"text": "Oslo", "date": "2024-05-01", "number": "3"}[widget]
    page.fill("#preview #forste", value)
    page.keyboard.press("Tab")
    page.wait_for_selector("#preview [data-item='andre']", state="visible")
    assert errors == []
    ctx.close()


def test_a_new_rule_on_a_choice_starts_at_its_first_option(app, world, browser, live_server):
    slug = new_draft(app, world, [("choice", "Farge", ["Rød", "Blå"]), ("text", "Hvorfor", None)])
    ctx, page, errors = open_builder(browser, live_server, world, slug)
    press_on(page, "#ol-q-hvorfor")
    press_on(page, "#c-add")
    settled(app, page, slug, lambda d: "visible_if" in d["ui"]["questions"].get("hvorfor", {}))
    rule = stored_draft(app, slug)["ui"]["questions"]["hvorfor"]["visible_if"]
    assert rule == {"question": "farge", "equals": "rod"}
    assert errors == []
    ctx.close()


def odd_shapes(good: dict) -> dict[str, dict]:
    def variant(change) -> dict:
        document = copy.deepcopy(good)
        change(document)
        return document

    def question_ui(name: str, **values):
        return lambda d: d["ui"]["questions"].setdefault(name, {}).update(values)

    def condition(value):
        return question_ui("hvorfor", visible_if=value)

    def farge(document: dict) -> dict:
        return document["schema"]["properties"]["farge"]

    return {
        "sections an object": variant(lambda d: d["ui"].update(sections={})),
        "sections [null]": variant(lambda d: d["ui"].update(sections=[None])),
        "section items a text": variant(lambda d: d["ui"]["sections"][0].update(items="farge")),
        "properties a text": variant(lambda d: d["schema"].update(properties="x")),
        "questions null": variant(lambda d: d["ui"].update(questions=None)),
        "options [null]": variant(lambda d: farge(d).update(oneOf=[None])),
        "resource tags a text": variant(question_ui("farge", resource_tags={"rod": "t"})),
        "condition a text": variant(condition("x")),
        "condition all a text": variant(condition({"all": "x"})),
        "condition in a text": variant(condition({"question": "farge", "in": "rod"})),
    }


def test_odd_shapes_in_the_json_text_leave_outline_and_problems_shown(
    app, world, browser, live_server
):
    slug = new_draft(app, world, [("choice", "Farge", ["Rød", "Blå"]), ("text", "Hvorfor", None)])
    good = stored_draft(app, slug)
    ctx, page, errors = open_builder(browser, live_server, world, slug)
    for name, document in odd_shapes(good).items():
        with app.app_context():
            admin = staff(world, "admin1")
            questionnaire = db.session.scalar(sa.select(Questionnaire).filter_by(slug=slug))
            draft = builder.draft_for(admin, questionnaire)
            text = json.dumps(document)
            problems = builder.replace_document(draft, admin, draft.revision, text).problems
            db.session.commit()
            with app.test_request_context():  # one line per sentence and element
                shown = len(problem_views(problems, document))
        assert problems, name
        page.goto(f"/admin/builder/{slug}")
        page.wait_for_selector("#outline #ol-meta")
        assert page.locator("#problems li").count() == shown, name
        assert page.inner_text("#problems") != "No problems.", name
        for question in ("farge", "hvorfor"):
            if page.locator(f"#ol-q-{question}").count():
                press_on(page, f"#ol-q-{question}")
                page.wait_for_selector("#settings #f-title")
        if name.startswith("condition"):  # the pickers leave it to the JSON text
            assert "can only be changed in the JSON text" in page.inner_text("#settings")
        for button in page.locator("#problems li button").all():
            button.click()
        assert errors == [], (name, errors)
    ctx.close()
