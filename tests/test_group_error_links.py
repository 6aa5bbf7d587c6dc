"""Error summaries that lead to the field in error inside a group's entry (without JavaScript).

The error summary of a page, and the summary's list of answers a "send" refused, linked to the
group as a whole ("Work experience"): someone with a screen reader or a keyboard landed on the
group and had to search its entries for the field in error. Each link now leads to the field
itself (the id the page draws its input with), and the field shows its own message.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from .conftest import csrf_token
from .test_legacy_answers import store_answers
from .test_participant_flow import post_page, start, stored

TOO_MANY_YEARS = "The number must be 60 or less."  # work experience: 0 to 60 years a job
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Page(HTMLParser):
    """The elements of a page that have an id (each with the elements around it and its
    text), and the links of its error summary."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.open: list[dict] = []
        self.by_id: dict[str, dict] = {}
        self.summary_links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        node = {"tag": tag, "attrs": dict(attrs), "text": [], "around": list(self.open)}
        if "id" in node["attrs"]:
            self.by_id[node["attrs"]["id"]] = node
        in_summary = any(n["attrs"].get("id") == "error-summary" for n in self.open)
        if tag == "a" and in_summary:
            self.summary_links.append(node["attrs"]["href"])
        if tag not in VOID:
            self.open.append(node)

    def handle_endtag(self, tag):
        while self.open and self.open.pop()["tag"] != tag:
            pass

    def handle_data(self, data):
        for node in self.open:
            node["text"].append(data)

    def text(self, element_id: str) -> str:
        return " ".join("".join(self.by_id[element_id]["text"]).split())

    def input_named(self, name: str) -> dict:
        found = [n for n in self.by_id.values() if n["attrs"].get("name") == name]
        assert len(found) == 1, name
        return found[0]


# Page 4 of the mapping questionnaire: an education and two jobs.
WORK = {"educations-0-level": "primary", "has_work_experience": "true",
        "jobs-0-occupation": "Nurse", "jobs-0-country": "SY", "jobs-0-years": "6",
        "jobs-1-occupation": "Cook", "jobs-1-country": "TR", "jobs-1-years": "2"}  # fmt: skip


def _with_work(participant) -> str:
    """Start a mapping and say "I have worked", so that page 4 shows the work experience."""
    rid = start(participant)
    post_page(participant, rid, 4, {"has_work_experience": "true"}, action="save")
    return rid


def _assert_message_beside(page: _Page, field_id: str) -> None:
    """The field is marked in error and its own message stands beside it, tied to it."""
    field = page.by_id[field_id]
    message_id = f"{field_id}-error"
    assert TOO_MANY_YEARS in page.text(message_id)
    assert field["attrs"].get("aria-invalid") == "true"
    assert message_id in field["attrs"].get("aria-describedby", "").split()
    holder = field["around"][-1]  # the field's own block, with its label and message
    assert "field" in holder["attrs"].get("class", "").split()
    assert page.by_id[message_id]["around"][-1] is holder
    others = [i for i in page.by_id if i.endswith("-error") and i != message_id]
    assert others == [], others  # the message is on this entry's field, and only there


@pytest.fixture
def participant(app, world, as_actor):
    return as_actor(app, "p1")


@pytest.mark.parametrize("entry", [0, 1])
def test_the_pages_error_summary_links_to_the_field_in_the_entry(app, participant, entry):
    rid = _with_work(participant)
    refused = post_page(participant, rid, 4, {**WORK, f"jobs-{entry}-years": "99"})
    assert refused.status_code == 422
    page = _Page(refused.get_data(as_text=True))
    years = page.input_named(f"jobs-{entry}-years")["attrs"]["id"]
    assert page.summary_links == [f"#{years}"]
    summary = page.text("error-summary")
    assert f"How many years? (Work experience, entry {entry + 1})" in summary
    _assert_message_beside(page, years)
    assert "jobs" not in stored(app, rid).answers  # nothing of the page was stored


@pytest.mark.parametrize("entry", [0, 1])
def test_the_refused_send_links_to_the_field_on_its_page(app, participant, entry):
    rid = _with_work(participant)
    goals = {"short_term_goal_kind": "norwegian", "long_term_goal_kind": "work"}
    assert post_page(participant, rid, 2, goals, action="save").status_code == 302
    assert post_page(participant, rid, 4, WORK, action="save").status_code == 302
    answers = stored(app, rid).answers
    answers["jobs"][entry]["years"] = 99
    store_answers(app, rid, answers)

    token = csrf_token(participant, f"/r/{rid}/summary")
    sent = participant.post(f"/r/{rid}/submit", data={"csrf_token": token})
    assert sent.status_code == 422
    summary = _Page(sent.get_data(as_text=True))
    assert f"How many years? (Work experience, entry {entry + 1})" in summary.text("error-summary")
    assert TOO_MANY_YEARS in summary.text("error-summary")
    [link] = summary.summary_links
    address = urlsplit(link)
    assert address.path == f"/r/{rid}/4"

    # The link opens the page at the field, which says what to change.
    opened = participant.get(f"{address.path}?{address.query}")
    assert opened.status_code == 200
    page = _Page(opened.get_data(as_text=True))
    years = page.input_named(f"jobs-{entry}-years")["attrs"]["id"]
    assert address.fragment == years
    assert page.summary_links == [f"#{years}"]
    _assert_message_beside(page, years)
    assert stored(app, rid).status == "draft"
