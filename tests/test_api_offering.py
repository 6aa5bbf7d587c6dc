"""Starting a response from the phone needs the questionnaire to be offered to the
participant; documents keep their key order (a group's questions are in document order)."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Participant,
    Questionnaire,
    QuestionnaireAssignment,
    Response,
    ResponseRevision,
)
from webapp.services import builder
from webapp.services import questionnaires as questionnaire_service

from .test_api import body
from .test_builder import small_draft, staff


def _own(app, world, offered_to: str, assigned: bool = False, retired: bool = False) -> str:
    """Publish the municipality's own questionnaire and offer it as told; return its slug."""
    with app.app_context():
        admin = staff(world, "admin1")
        draft = small_draft(admin)
        builder.publish(draft, admin, draft.revision)
        questionnaire = draft.questionnaire
        questionnaire_service.set_offer(admin, questionnaire, offered_to)
        if assigned:
            db.session.add(QuestionnaireAssignment(
                questionnaire_id=questionnaire.id, participant_id=world.p1,
                assigned_by=world.c1))  # fmt: skip
        if retired:
            questionnaire_service.retire(admin, questionnaire)
        db.session.commit()
        return questionnaire.slug


CASES = [
    # (what the municipality does, questionnaire sent, expected status)
    ("nothing of its own", "kartlegging", 201),
    ("offers its own to all", "kartlegging", 404),  # the template is not offered any more
    ("offers its own to all", "own", 201),
    ("offers its own to assigned", "own", 404),
    ("offers its own to assigned, p1 assigned", "own", 201),
    ("retired its own", "own", 404),
]


def _setup(app, world, what: str) -> str | None:
    if what == "nothing of its own":
        return None
    return _own(
        app, world,
        offered_to="assigned" if "assigned" in what else "all",
        assigned="p1 assigned" in what,
        retired="retired" in what,
    )  # fmt: skip


@pytest.mark.parametrize(("what", "sent", "status"), CASES)
@pytest.mark.parametrize("route", ["put", "sync"])
def test_a_new_response_needs_the_questionnaire_offered(app, world, as_actor, what, sent,
                                                        status, route):  # fmt: skip
    slug = _setup(app, world, what)
    phone = as_actor(app, "p1")
    payload = body({}, questionnaire=slug if sent == "own" else sent)
    rid = str(uuid.uuid4())
    if route == "put":
        answered = phone.put(f"/api/v1/responses/{rid}", json=payload).status_code
    else:
        result = phone.post("/api/v1/sync", json={"responses": [{"id": rid, **payload}]})
        answered = result.get_json()["results"][0]["status"]
    assert answered == status
    with app.app_context():
        stored = db.session.get(Response, rid)
        assert (stored is not None) == (status == 201)
        # may_start, asked one questionnaire at a time, agrees with the offered list.
        person = db.session.get(Participant, world.p1)
        offered = {q.id for q in questionnaire_service.offered_questionnaires(person)}
        for questionnaire in db.session.scalars(sa.select(Questionnaire)):
            starts = questionnaire_service.may_start(person, questionnaire)
            assert starts == (questionnaire.id in offered), questionnaire.slug


def test_a_response_started_while_offered_can_still_be_finished(app, world, as_actor):
    phone = as_actor(app, "p1")
    rid = str(uuid.uuid4())
    assert phone.put(f"/api/v1/responses/{rid}", json=body({})).status_code == 201
    _own(app, world, "all")  # from now on the template is not offered to p1
    again = phone.put(f"/api/v1/responses/{rid}", json=body({"mapped_before": "no"}, base=1))
    assert again.status_code == 200


def test_another_municipalitys_participant_cannot_start_it(app, world, as_actor):
    slug = _own(app, world, "all")
    phone = as_actor(app, "p3")
    rid = str(uuid.uuid4())
    assert (
        phone.put(f"/api/v1/responses/{rid}", json=body({}, questionnaire=slug)).status_code == 404
    )


def test_documents_keep_the_order_of_a_groups_questions(app, world, as_actor):
    phone = as_actor(app, "p1")
    with app.app_context():
        stored = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging")).latest
        expected = list(
            stored.document["schema"]["properties"]["educations"]["items"]["properties"]
        )
    assert expected != sorted(expected)  # the case only proves something if they differ
    served = phone.get("/api/v1/questionnaires/kartlegging/versions/1?lang=en")
    document = json.loads(served.get_data(as_text=True))["document"]
    order = list(document["schema"]["properties"]["educations"]["items"]["properties"])
    assert order == expected
    assert list(document)[:3] == ["format", "slug", "title"]


def test_a_new_response_from_a_phone_costs_four_statements_or_two(app, world, as_actor):
    """The sign-in session, and the response, its revision and its audit row: three INSERTs,
    or one on PostgreSQL, with the checks in them (the version, whether the id is stored,
    whether p1 may start it; a lookup of its own before, once the process has seen the
    version: issue 12. The lookup was three statements once, and each INSERT a round trip)."""
    from .test_caseload import StatementCounter

    phone = as_actor(app, "p1")
    # The session's first write also notes the participant's last sync (once a minute), and
    # the process sees the version (a process that has not looks it up first).
    assert phone.put(f"/api/v1/responses/{uuid.uuid4()}", json=body({})).status_code == 201
    with app.app_context():
        engine = db.engine
    rid = str(uuid.uuid4())
    with StatementCounter(engine) as counter:
        assert phone.put(f"/api/v1/responses/{rid}", json=body({})).status_code == 201
    assert counter.count == (2 if engine.dialect.name == "postgresql" else 4)
    with app.app_context():
        assert db.session.get(Response, rid).participant_id == world.p1
        revision = db.session.scalars(
            sa.select(ResponseRevision).where(ResponseRevision.response_id == rid)
        ).one()
        assert (revision.number, revision.source, revision.answers) == (1, "phone", {})
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.target == f"response:{rid}")
        ).one()
        assert (event.action, event.actor) == ("response.start.phone", f"participant:{world.p1}")


def test_an_edit_from_a_phone_costs_four_statements(app, world, as_actor):
    """The sign-in session, the lookup with the revisions an edit may need (a replay, this
    phone's newest, its base: a read of their own until session 21, three reads before that),
    and the response's update and its new revision. A replay: the session and the lookup."""
    from .test_caseload import StatementCounter

    phone = as_actor(app, "p1")
    rid = str(uuid.uuid4())

    def send(sequence: int, base: int | None, goal: str):
        payload = {**body({"short_term_goal": goal}, base=base), "device": "phone-a1",
                   "sequence": sequence}  # fmt: skip
        return phone.put(f"/api/v1/responses/{rid}", json=payload)

    assert send(1, None, "first").status_code == 201
    assert send(2, 1, "second").get_json()["revision"] == 2
    with app.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        assert send(3, 2, "third").get_json()["revision"] == 3
    assert counter.count == 4
    with StatementCounter(engine) as counter:  # the same request again: a replay
        assert send(3, 2, "third").get_json()["revision"] == 3
    assert counter.count == 2
    with app.app_context():
        stored = db.session.get(Response, rid)
        assert stored.answers == {"short_term_goal": "third"} and stored.revision == 3
