"""A participant who answers a questionnaire again: the answers sent before the new draft still
need the counsellor, and the caseload, its filters and the overview must not lose them."""

from __future__ import annotations

import re
import uuid
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Response, StaffUser
from webapp.services import overview, reviews
from webapp.services import sync as sync_service

ANSWERS = {"short_term_goal_kind": "work", "long_term_goal_kind": "work"}
DEVICE = "phone-of-p1"


class Phone:
    """The participant's app, writing through the sync write path as the phone does: each
    request carries the phone's device id and its edit counter for the response."""

    def __init__(self, app, participant_id: int) -> None:
        self.app, self.participant_id, self.sequence = app, participant_id, 0

    def send(self, response_id: str, status: str, base: int | None) -> int:
        self.sequence += 1
        with self.app.app_context():
            receipt = sync_service.apply(
                db.session.get(Participant, self.participant_id),
                sync_service.Submission(
                    id=response_id, questionnaire="kartlegging", version=1, status=status,
                    answers=ANSWERS, base_revision=base, device=DEVICE, sequence=self.sequence,
                ),
            )  # fmt: skip
            db.session.commit()
            return receipt.revision

    def answer_again(self) -> tuple[str, int]:
        """Press *Answer again*: a new response to the same questionnaire, a draft."""
        response_id = str(uuid.uuid4())
        return response_id, self.send(response_id, "draft", None)


def _answered_twice_and_again(app, world) -> list[str]:
    """The tester's steps: send the mapping, answer again and send again, answer again.
    Return the ids of the responses, oldest first."""
    phone = Phone(app, world.p1)
    first = str(uuid.uuid4())
    phone.send(first, "submitted", None)
    second, revision = phone.answer_again()
    phone.send(second, "submitted", revision)
    third, _revision = phone.answer_again()
    with app.app_context():
        stored = db.session.execute(
            sa.select(Response.id, Response.status)
            .where(Response.participant_id == world.p1)
            .order_by(Response.created_at, Response.id)
        ).all()
    assert sorted(stored) == sorted([(first, "submitted"), (second, "submitted"), (third, "draft")])
    return [first, second, third]


def _row(html: str) -> str:
    """The text of the caseload table's only row, tags and spacing taken out."""
    [row] = re.findall(r"<tr[^>]*>\s*<th scope=\"row\">.*?</tr>", html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


def test_a_new_draft_does_not_hide_the_answers_sent_before_it(app, world, as_actor):
    first, second, third = _answered_twice_and_again(app, world)
    client = as_actor(app, "c1")

    row = _row(client.get("/caseload").get_data(as_text=True))
    # Both sent responses wait for the counsellor; the newest response is a draft on the phone.
    assert re.search(r"Submitted; New draft, synced \S", row), row
    html = client.get("/caseload?state=submitted").get_data(as_text=True)
    assert "Participants found: 1" in html and "Submitted; New draft, synced" in _row(html)
    assert "Participants found: 1" in client.get("/caseload?state=draft").get_data(as_text=True)
    for other in ("in_review", "follow_up", "completed"):
        html = client.get(f"/caseload?state={other}").get_data(as_text=True)
        assert "Participants found: 0" in html, other

    # The counsellor's other pages list each response: the participant page all three, the
    # inbox one entry for each answers sent.
    page = client.get(f"/participants/{world.p1}").get_data(as_text=True)
    assert all(f"/responses/{rid}" in page for rid in (first, second, third))
    inbox = client.get("/inbox").get_data(as_text=True)
    assert inbox.count('class="card inbox-entry unread"') == 2

    # Reviewing one as "in review" shows both states; once both are completed nothing sent
    # waits any more, and the row shows the draft alone.
    with app.app_context():
        staff = db.session.get(StaffUser, world.c1)
        reviews.add_review(db.session.get(Response, first), staff, "in_review", "")
        db.session.commit()
    row = _row(client.get("/caseload").get_data(as_text=True))
    assert re.search(r"Submitted; In review; New draft, synced \S", row), row
    for state in ("submitted", "in_review", "draft"):
        html = client.get(f"/caseload?state={state}").get_data(as_text=True)
        assert "Participants found: 1" in html, state
    with app.app_context():
        staff = db.session.get(StaffUser, world.c1)
        for rid in (first, second):
            reviews.add_review(db.session.get(Response, rid), staff, "completed", "")
        db.session.commit()
    row = _row(client.get("/caseload").get_data(as_text=True))
    assert re.search(r": Draft, synced \S", row) and "Submitted" not in row, row
    assert "Completed" not in row  # the newest response is what stands for the rest
    for state in ("submitted", "in_review", "completed"):
        html = client.get(f"/caseload?state={state}").get_data(as_text=True)
        assert "Participants found: 0" in html, state


def test_the_overview_counts_the_mapping_sent_not_the_new_draft(app, world):
    """The overview's chart of where mappings stand puts each participant in one group: the
    newest mapping still open when there is one, as the caseload's filters find them."""
    first, second, _third = _answered_twice_and_again(app, world)
    tz = ZoneInfo("Europe/Oslo")
    with app.app_context():
        counted = overview.count(world.m1, date(2026, 12, 1), tz)["states"]
        assert (counted["submitted"], counted["draft"]) == (1, 0)
        staff = db.session.get(StaffUser, world.c1)
        for rid in (first, second):
            reviews.add_review(db.session.get(Response, rid), staff, "completed", "")
        db.session.commit()
        counted = overview.count(world.m1, date(2026, 12, 1), tz)["states"]
        assert (counted["submitted"], counted["completed"], counted["draft"]) == (0, 0, 1)
