"""The review's states: submitted → in review → follow-up needed → completed, and the
transitions a response's state does not allow (refused with a message, nothing stored)."""

from __future__ import annotations

from html import unescape

import pytest
import sqlalchemy as sa
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from webapp.extensions import db
from webapp.models import (
    REVIEW_STATUSES,
    AuditEvent,
    Participant,
    Questionnaire,
    Response,
    Review,
    StaffUser,
)
from webapp.models.types import utcnow
from webapp.services import questionnaires as questionnaire_service
from webapp.services import responses as response_service
from webapp.services import reviews, revisions
from webapp.services.caseload import progress_state

from .conftest import csrf_token
from .stateful import run_against_model
from .test_write_path import model_document, start_model_draft

NOT_SENT = "The participant has not sent these answers yet, so they cannot be reviewed."
IN_FOLLOW_UP = "The participant is changing the answers after your request for follow-up."


def _response(app, world, sent: bool) -> str:
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        response = response_service.start(person, kartlegging)
        if sent:  # a stand-in for sending (the write path's own tests check that)
            response.status, response.submitted_at = "submitted", utcnow()
        db.session.commit()
        return response.id


def _seen(app, rid: str) -> str:
    """The state a review form opened now is on (the page carries it as ``seen``)."""
    with app.app_context():
        return reviews.review_state(db.session.get(Response, rid))


def _post(client, rid: str, status: str, message: str = ""):
    token = csrf_token(client, f"/responses/{rid}")
    return client.post(
        f"/responses/{rid}",
        data={"csrf_token": token, "seen": _seen(client.application, rid), "status": status,
              "note": "", "message": message},
    )  # fmt: skip


def _state(app, rid: str) -> tuple[str, list[str], int]:
    """The response's status, its reviews' statuses and the number of review audit events."""
    with app.app_context():
        response = db.session.get(Response, rid)
        audited = db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "response.review")
        )
        return response.status, [r.status for r in response.reviews], audited


def test_every_allowed_transition_in_order(app, world, as_actor):
    rid = _response(app, world, sent=True)
    counsellor = as_actor(app, "c1")
    assert _post(counsellor, rid, "in_review").status_code == 302
    assert _post(counsellor, rid, "follow_up", "Se på målet").status_code == 302
    assert _state(app, rid)[:2] == ("draft", ["in_review", "follow_up"])
    # While it is open the message may change (a follow-up again).
    assert _post(counsellor, rid, "follow_up", "Og utdanningen").status_code == 302
    with app.app_context():  # the participant sends the changed answers again
        response = db.session.get(Response, rid)
        response.status, response.submitted_at = "submitted", utcnow()
        db.session.commit()
    assert _post(counsellor, rid, "completed").status_code == 302
    status, statuses, audited = _state(app, rid)
    assert status == "submitted" and statuses[-1] == "completed" and audited == 4
    page = counsellor.get(f"/responses/{rid}").get_data(as_text=True)
    assert "Completed" in page


@pytest.mark.parametrize("status", ["new", "in_review", "follow_up", "completed"])
def test_a_response_never_sent_cannot_be_reviewed(app, world, as_actor, status):
    rid = _response(app, world, sent=False)
    response = _post(as_actor(app, "c1"), rid, status, "Se")
    assert response.status_code == 422
    assert NOT_SENT in unescape(response.get_data(as_text=True))
    assert _state(app, rid) == ("draft", [], 0)


@pytest.mark.parametrize("status", ["new", "in_review", "completed"])
def test_while_open_for_follow_up_only_the_follow_up_may_change(app, world, as_actor, status):
    rid = _response(app, world, sent=True)
    counsellor = as_actor(app, "c1")
    assert _post(counsellor, rid, "follow_up", "Se på målet").status_code == 302
    before = _state(app, rid)
    response = _post(counsellor, rid, status)
    assert response.status_code == 422
    assert IN_FOLLOW_UP in unescape(response.get_data(as_text=True))
    assert _state(app, rid) == before == ("draft", ["follow_up"], 1)
    with app.app_context():
        assert reviews.follow_up_message(db.session.get(Response, rid)) == "Se på målet"


def test_a_follow_up_message_over_the_limit_is_refused_and_nothing_changes(app, world, as_actor):
    rid = _response(app, world, sent=True)
    response = _post(as_actor(app, "c1"), rid, "follow_up", "x" * (reviews.MESSAGE_LIMIT + 1))
    assert response.status_code == 422
    assert "Please write at most 2000 characters." in response.get_data(as_text=True)
    assert _state(app, rid) == ("submitted", [], 0)


def test_the_service_refuses_the_same_transitions(app, world):
    rid = _response(app, world, sent=False)
    with app.app_context():
        response = db.session.get(Response, rid)
        staff = db.session.get(StaffUser, world.c1)
        with pytest.raises(reviews.ReviewError) as refused:
            reviews.add_review(response, staff, "in_review", "")
        assert refused.value.code == "not_sent"
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 0


def test_answers_sent_again_after_a_follow_up_are_to_be_reviewed_again(app, world, as_actor):
    """Not "Follow-up needed" any more: the caseload, its filters, the export, the
    participant's page say the answers came back, and the review form starts from "New", so
    saving a note does not open the answers for changes again."""
    rid = _response(app, world, sent=True)
    counsellor = as_actor(app, "c1")
    assert _post(counsellor, rid, "follow_up", "Se på målet").status_code == 302
    assert "p1" in counsellor.get("/caseload?state=follow_up").get_data(as_text=True)
    with app.app_context():  # the participant sends the changed answers again
        response = db.session.get(Response, rid)
        response.status, response.submitted_at = "submitted", utcnow()
        db.session.commit()

    def listed(state: str) -> bool:
        html = counsellor.get(f"/caseload?state={state}").get_data(as_text=True)
        return f"/participants/{world.p1}" in html

    assert listed("submitted") and not listed("follow_up")
    caseload = " ".join(counsellor.get("/caseload").get_data(as_text=True).split())
    assert "<strong>Follow-up needed</strong>" not in caseload and ": Submitted</li>" in caseload
    person = counsellor.get(f"/participants/{world.p1}").get_data(as_text=True)
    assert "Follow-up needed" not in person and ">New<" in person
    page = counsellor.get(f"/responses/{rid}").get_data(as_text=True)
    assert '<option selected value="new">' in page
    # Saving the form as it starts (with a note) keeps the answers sent.
    token = csrf_token(counsellor, f"/responses/{rid}")
    saved = counsellor.post(f"/responses/{rid}", data={
        "csrf_token": token, "seen": _seen(app, rid), "status": "new", "note": "Leser",
        "message": ""})  # fmt: skip
    assert saved.status_code == 302
    assert _state(app, rid)[:2] == ("submitted", ["follow_up", "new"])
    assert listed("submitted")


MESSAGES = ["", "Se igjen", "Og målet", "  "]


class Reviewing(RuleBasedStateMachine):
    """A response sent, reviewed, opened for follow-up and sent again in any order, by
    counsellors in several tabs, against a model of the rules: reviewed once sent; while open
    for follow-up, only the follow-up (its message in force kept until changed); a message
    only with a follow-up; and a review from a tab opened before the response was sent again
    or reviewed since is refused, with nothing stored."""

    app = None
    world = None

    @initialize()
    def start(self):
        self.rid = start_model_draft(self.app, self.world.p1, {"name": "Ada"})
        self.status = "draft"
        self.reviews: list[str] = []
        # What the caseload says, from the events alone: sending makes it "submitted" (to be
        # reviewed, again after a follow-up); each accepted review sets it ("new" is the same
        # as not reviewed since).
        self.progress = "draft"
        # The follow-up message the participant is shown (while open for follow-up).
        self.message = ""
        # Each change a review form can be outdated by (a send, a review saved) starts a new
        # era; a tab remembers the era it was opened in, and the state its page carried.
        self.era = 0
        self.tabs: list[tuple[int, str]] = []

    @precondition(lambda self: self.status == "draft")
    @rule()
    def participant_sends(self):
        with self.app.app_context():
            response = db.session.get(Response, self.rid)
            person = db.session.get(Participant, self.world.p1)
            revisions.retrying(
                lambda: revisions.write(
                    response, revisions.Author("web", person), base=response.revision,
                    answers={"name": "Ada", "work": "no"}, status="submitted",
                )
            )  # fmt: skip
        self.status = "submitted"
        self.progress = "submitted"
        self.era += 1

    @precondition(lambda self: self.status == "draft" and self.reviews)
    @rule()
    def participant_edits_during_follow_up(self):
        """Changing the answers while they are open outdates no review form."""
        with self.app.app_context():
            response = db.session.get(Response, self.rid)
            person = db.session.get(Participant, self.world.p1)
            name = "Bo" if response.answers.get("name") == "Ada" else "Ada"
            revisions.retrying(
                lambda: revisions.write(
                    response, revisions.Author("phone", person), base=response.revision,
                    answers={"name": name}, status="draft",
                )
            )  # fmt: skip

    @rule()
    def counsellor_opens_a_tab(self):
        with self.app.app_context():
            seen = reviews.review_state(db.session.get(Response, self.rid))
        self.tabs.append((self.era, seen))

    @rule(
        status=st.sampled_from(REVIEW_STATUSES),
        message=st.sampled_from(MESSAGES),
        tab=st.integers(-1, 50),
    )
    def counsellor_reviews(self, status, message, tab):
        """Save a review from a tab opened earlier (``tab`` >= 0, when there is one) or from
        the page as it is now."""
        era, seen = self.tabs[tab % len(self.tabs)] if tab >= 0 and self.tabs else (None, None)
        with self.app.app_context():
            response = db.session.get(Response, self.rid)
            staff = db.session.get(StaffUser, self.world.c1)
            if seen is None:
                era, seen = self.era, reviews.review_state(response)
            try:
                revisions.retrying(
                    lambda: reviews.add_review(response, staff, status, "", message, seen=seen)
                )
            except reviews.ReviewError as error:
                refused = error.code
            else:
                refused = None
        assert refused == self._verdict(status, message, era)
        if refused is None:
            self._accept(status, message)

    def _verdict(self, status: str, message: str, era: int) -> str | None:
        """What the model says of a review from a page opened in ``era``."""
        if era != self.era:
            return "stale"
        if self.status == "draft" and not self.reviews:
            return "not_sent"
        if self.status == "draft" and status != "follow_up":
            return "in_follow_up"
        if message.strip() and status != "follow_up":
            return "message_without_follow_up"
        return None

    def _accept(self, status: str, message: str) -> None:
        """The model after a review it says is stored."""
        self.reviews.append(status)
        self.era += 1
        if status == "follow_up":
            self.status = "draft"
            self.message = message.strip()
        self.progress = "submitted" if status == "new" else status

    @invariant()
    def stored_response_matches_the_model(self):
        with self.app.app_context():
            response = db.session.get(Response, self.rid)
            assert response.status == self.status
            assert [r.status for r in response.reviews] == self.reviews
            # Never reviewed as done while the participant can still change it.
            if response.status == "draft" and response.reviews:
                assert response.review_status == "follow_up"
            # The caseload's state (SQL, for filters and counts) and the pages' (Python) agree
            # with the model: a response sent again after a follow-up is to be reviewed again.
            in_sql = db.session.scalar(sa.select(progress_state()).where(Response.id == self.rid))
            assert response.progress == in_sql == self.progress
            # The participant sees the message in force while the answers are open for them.
            shown = self.message if self.progress == "follow_up" else ""
            assert reviews.follow_up_message(response) == shown


def test_reviewing_against_the_model(app, world):
    with app.app_context():
        questionnaire_service.import_document(model_document())
        db.session.commit()
    Reviewing.app, Reviewing.world = app, world
    run_against_model(Reviewing, 25, 16)
