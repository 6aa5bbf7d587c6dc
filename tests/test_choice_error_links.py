"""Error summaries that lead to an option of a choice question (without JavaScript).

A question drawn as radio buttons or check boxes is a fieldset, and the error summary linked to
it: following the link scrolled there, but the focus landed on no option, so someone with a
keyboard or a screen reader had to look for them. Each such link now leads to the first
option's input (as the GOV.UK Design System's error summary does), on the page, inside a
group's entry, and from the summary's list of what sending refused (``?check=1#<option>``).
A drop-down, a text or a number field is a control itself and keeps its own id.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from .conftest import csrf_token
from .test_group_error_links import _Page
from .test_legacy_answers import store_answers
from .test_participant_flow import post_page, start, stored


@pytest.fixture
def participant(app, world, as_actor):
    return as_actor(app, "p1")


def _assert_leads_to(page: _Page, target: str, tag: str = "input") -> dict:
    """The link's target is on the page and is a control that takes focus."""
    assert target in page.by_id, (target, sorted(page.by_id))
    element = page.by_id[target]
    assert element["tag"] == tag, element
    return element


PAGE_ERRORS = [
    # (page, answers stored first, posted data, the link's text, the id it leads to)
    (2, {}, {"short_term_goal": "x", "long_term_goal_kind": "work"},  # required, unanswered
     "What is your most important goal for the next year?", "short_term_goal_kind-0"),
    (1, {}, {"mapped_before": "hacked"}, "Have you been through a mapping before?",
     "mapped_before-0"),
    (5, {}, {"skills": ["care", "juggling"]}, "", "skills-0"),  # check boxes
    (5, {}, {"driving_licence": "maybe"}, "", "driving_licence-0"),  # yes/no
    (7, {}, {"norwegian_confidence": "9"}, "", "norwegian_confidence-0"),  # a scale
    (4, {}, {"educations-0-documentation": "maybe"}, "(Schooling and education, entry 1)",
     "educations-0-documentation-0"),
    (4, {}, {"educations-0-completed": "maybe"}, "(Schooling and education, entry 1)",
     "educations-0-completed-0"),
]  # fmt: skip


@pytest.mark.parametrize(("page_number", "first", "data", "name", "target"), PAGE_ERRORS)
def test_the_pages_error_summary_links_to_the_first_option(
    app, participant, page_number, first, data, name, target
):
    rid = start(participant)
    if first:
        post_page(participant, rid, page_number, first, action="save")
    refused = post_page(participant, rid, page_number, data)
    assert refused.status_code == 422
    page = _Page(refused.get_data(as_text=True))
    assert page.summary_links == [f"#{target}"]
    option = _assert_leads_to(page, target)
    assert option["attrs"]["type"] in ("radio", "checkbox")
    # The first of the question's options, inside the fieldset that holds its message.
    question = target.removesuffix("-0")
    assert option["attrs"]["name"] == question
    fieldset = next(n for n in reversed(option["around"]) if n["tag"] == "fieldset")
    assert fieldset["attrs"]["id"] == question
    assert f"{question}-error" in fieldset["attrs"]["aria-describedby"].split()
    assert name in page.text("error-summary")


def test_a_drop_down_is_linked_to_itself(app, participant):
    """A choice of more than eight options is drawn as a drop-down: a control by itself."""
    rid = start(participant)
    refused = post_page(participant, rid, 4, {"educations-0-level": "astronaut"})
    assert refused.status_code == 422
    page = _Page(refused.get_data(as_text=True))
    assert page.summary_links == ["#educations-0-level"]
    _assert_leads_to(page, "educations-0-level", tag="select")


SENT_ERRORS = [
    # (answers stored past the page's check, the page, the id the link leads to)
    ({"short_term_goal_kind": "dreaming"}, 2, "short_term_goal_kind-0"),
    ({"household": ["children", "dogs"]}, 3, "household-0"),
    ({"educations": [{"level": "primary", "completed": "perhaps"}]}, 4,
     "educations-0-completed-0"),  # a yes/no
    # The second item of the answer is drawn as the page's first entry (the first is no object).
    ({"educations": ["junk", {"level": "primary", "documentation": "boxes"}]}, 4,
     "educations-0-documentation-0"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "page_number", "target"), SENT_ERRORS)
def test_the_refused_send_links_to_the_first_option_on_its_page(
    app, participant, bad, page_number, target
):
    rid = start(participant)
    goals = {"short_term_goal_kind": "norwegian", "long_term_goal_kind": "work"}
    assert post_page(participant, rid, 2, goals, action="save").status_code == 302
    store_answers(app, rid, {**stored(app, rid).answers, **bad})

    token = csrf_token(participant, f"/r/{rid}/summary")
    sent = participant.post(f"/r/{rid}/submit", data={"csrf_token": token})
    assert sent.status_code == 422
    summary = _Page(sent.get_data(as_text=True))
    [link] = [link for link in summary.summary_links if urlsplit(link).fragment == target]
    address = urlsplit(link)
    assert (address.path, address.query) == (f"/r/{rid}/{page_number}", "check=1")

    # The link opens the page at the option, whose question says what to change.
    opened = participant.get(f"{address.path}?{address.query}")
    assert opened.status_code == 200
    page = _Page(opened.get_data(as_text=True))
    option = _assert_leads_to(page, target)
    assert option["attrs"]["type"] in ("radio", "checkbox")
    assert f"#{target}" in page.summary_links
    label, message = page.text(f"{target.removesuffix('-0')}-error").split(": ", 1)
    assert label == "Error" and message in summary.text("error-summary")
    assert stored(app, rid).status == "draft"


def test_an_error_on_a_whole_group_links_to_the_first_field_of_its_first_entry(app, participant):
    """A group is a fieldset too: its link leads into its first entry (a page always has one)."""
    rid = start(participant)
    too_many = [{"level": "primary"}] * 16  # the most is 15
    store_answers(app, rid, {"educations": too_many})
    token = csrf_token(participant, f"/r/{rid}/summary")
    sent = participant.post(f"/r/{rid}/submit", data={"csrf_token": token})
    summary = _Page(sent.get_data(as_text=True))
    [link] = [link for link in summary.summary_links if urlsplit(link).path == f"/r/{rid}/4"]
    assert urlsplit(link).fragment == "educations-0-level"  # a drop-down
    page = _Page(participant.get(f"/r/{rid}/4?check=1").get_data(as_text=True))
    assert "#educations-0-level" in page.summary_links
    _assert_leads_to(page, "educations-0-level", tag="select")
