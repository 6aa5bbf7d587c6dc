"""Filling in together starts a new response only where the participant could start one
themselves (services/questionnaires.py ``may_start``): not on a retired questionnaire, nor on
one no longer offered to them. An unfinished response is continued in a meeting whatever the
offer, as on the participant's own list."""

from __future__ import annotations

import re

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Municipality, Participant, Questionnaire, Response, StaffUser
from webapp.models.types import utcnow
from webapp.services import questionnaires as questionnaire_service
from webapp.services import responses as response_service

from .documents import minimal_document
from .test_meeting import open_meeting


def _own_questionnaire(app, world, *, sent: bool) -> str:
    """The municipality's own questionnaire, offered to all; p1's response to it (sent, or
    unfinished), its id."""
    with app.app_context():
        document = minimal_document()
        document["slug"] = "own"
        questionnaire_service.import_document(document, db.session.get(Municipality, world.m1))
        own = db.session.scalar(sa.select(Questionnaire).filter_by(slug="own"))
        own.offered_to = "all"
        response = response_service.start(db.session.get(Participant, world.p1), own)
        if sent:  # a stand-in for sending (the write path's own tests check that)
            response.status, response.submitted_at = "submitted", utcnow()
        db.session.commit()
        return response.id


def _retire(app, world, slug: str) -> None:
    with app.app_context():
        questionnaire = db.session.scalar(sa.select(Questionnaire).filter_by(slug=slug))
        questionnaire_service.retire(db.session.get(StaffUser, world.admin1), questionnaire)
        db.session.commit()


def _responses(app, world) -> list[tuple[str, str]]:
    with app.app_context():
        return sorted(
            (r.version.questionnaire.slug, r.status)
            for r in db.session.scalars(
                sa.select(Response).where(Response.participant_id == world.p1)
            )
        )


def _offered(client, world) -> set[str]:
    """The questionnaires the participant page offers to fill in together."""
    page = client.get(f"/participants/{world.p1}").get_data(as_text=True)
    return set(re.findall(rf"/participants/{world.p1}/meeting/([\w-]+)", page))


def test_a_retired_questionnaire_is_not_started_in_a_meeting(app, world, as_actor):
    _own_questionnaire(app, world, sent=True)
    _retire(app, world, "own")
    counsellor = as_actor(app, "c1")
    assert "own" not in _offered(counsellor, world)
    before = _responses(app, world)
    assert open_meeting(counsellor, world.p1, "own").status_code == 404
    assert _responses(app, world) == before == [("own", "submitted")]


def test_a_questionnaire_no_longer_offered_is_not_started_in_a_meeting(app, world, as_actor):
    """The participant answered the national mapping; their municipality now offers its own
    questionnaire instead, so the mapping is no longer theirs to start (but still listed)."""
    with app.app_context():
        mapping = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        response = response_service.start(db.session.get(Participant, world.p1), mapping)
        response.status, response.submitted_at = "submitted", utcnow()
        db.session.commit()
    _own_questionnaire(app, world, sent=True)
    counsellor = as_actor(app, "c1")
    assert _offered(counsellor, world) == {"own"}
    before = _responses(app, world)
    assert open_meeting(counsellor, world.p1, "kartlegging").status_code == 404
    assert _responses(app, world) == before
    # The participant's own start is refused the same way.
    phone = as_actor(app, "p1")
    page = phone.get("/me/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert phone.post("/me/q/kartlegging/start", data={"csrf_token": token}).status_code == 404


def test_an_unfinished_response_to_a_retired_questionnaire_is_continued(app, world, as_actor):
    rid = _own_questionnaire(app, world, sent=False)
    _retire(app, world, "own")
    counsellor = as_actor(app, "c1")
    assert "own" in _offered(counsellor, world)
    opened = open_meeting(counsellor, world.p1, "own")
    assert opened.status_code == 302 and f"/r/{rid}/meeting" in opened.location
    assert _responses(app, world) == [("own", "draft")]


def test_an_offered_questionnaire_is_still_started_in_a_meeting(app, world, as_actor):
    counsellor = as_actor(app, "c1")
    assert "kartlegging" in _offered(counsellor, world)
    assert open_meeting(counsellor, world.p1, "kartlegging").status_code == 302
    assert _responses(app, world) == [("kartlegging", "draft")]
