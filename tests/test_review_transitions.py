"""The review's states: submitted → in review → follow-up needed → completed, and the
transitions a response's state does not allow (refused with a message, nothing stored)."""

from __future__ import annotations

from html import unescape

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Participant, Questionnaire, Response, Review, StaffUser
from webapp.models.types import utcnow
from webapp.services import responses as response_service
from webapp.services import reviews

from .conftest import csrf_token

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


def _post(client, rid: str, status: str, message: str = ""):
    token = csrf_token(client, f"/responses/{rid}")
    return client.post(
        f"/responses/{rid}",
        data={"csrf_token": token, "status": status, "note": "", "message": message},
    )


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
