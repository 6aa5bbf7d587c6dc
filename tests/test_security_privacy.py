"""GDPR: right of access (the participant's complete data, from the app and from the
counsellor), erasure (everything gone but the pseudonymous audit trail) and retention."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    LoginSession,
    Participant,
    Questionnaire,
    QuestionnaireAssignment,
    Response,
    ResponseRevision,
    Review,
    StaffUser,
)
from webapp.models.types import utcnow
from webapp.services import accounts, comments, plan, responses, reviews
from webapp.services import questionnaires as questionnaire_service

from .conftest import FORMS, csrf_token

SECRET_ANSWER = "Jeg har vært på flukt i tre år"


def _with_answers(app, world) -> str:
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        response = responses.start(person, kartlegging)
        response.answers = {"short_term_goal_kind": "other", "short_term_goal": SECRET_ANSWER}
        response.status = "submitted"  # a stand-in: a response is reviewed once sent
        reviews.add_review(response, db.session.get(StaffUser, world.c1), "in_review", "Ring")
        db.session.commit()
        return response.id


def _count(app, model, **where) -> int:
    with app.app_context():
        query = sa.select(sa.func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.scalar(query)


def test_participant_gets_all_their_data_from_the_app(app, world, as_actor):
    response_id = _with_answers(app, world)
    phone = as_actor(app, "p1")
    export = phone.get("/api/v1/me/export")
    assert export.status_code == 200 and export.headers["Cache-Control"] == "no-store"
    data = export.json
    assert data["participant"]["display_name"] == "p1"
    assert data["participant"]["counsellor"] == "Counsellor One"
    (response,) = data["responses"]
    assert response["id"] == response_id
    assert response["answers"]["short_term_goal"] == SECRET_ANSWER
    assert response["reviews"][0]["status"] == "in_review"
    assert data["devices"] and data["log"]
    assert any(entry["action"] == "participant.join" for entry in data["log"])


STAFF_ONLY = ("Bare for ansatte: samtale med lege", "Intern vurdering: usikker", "Skjult steg")


def _with_staff_only_content(app, world) -> None:
    """Add what the product promises only staff see, next to what the participant is told."""
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        c1 = db.session.get(StaffUser, world.c1)
        response = db.session.scalars(
            sa.select(Response).where(Response.participant_id == world.p1)
        ).one()
        comments.add(response, c1, "note", STAFF_ONLY[0])
        comments.add(response, c1, "message", "Husk å laste opp vitnemålet")
        reviews.add_review(response, c1, "completed", STAFF_ONLY[1])
        for goal, shown in ((STAFF_ONLY[2], False), ("Norskkurs", True)):
            plan.add_step(c1, person, plan.StepInput(goal, "Gjøre", "counsellor", None,
                                                     "planned", shown))  # fmt: skip
        muligheter = db.session.scalar(sa.select(Questionnaire).filter_by(slug="muligheter"))
        about = responses.start(person, muligheter, author=c1)
        about.answers = {"labour_market_local": STAFF_ONLY[0]}
        db.session.commit()
        assert about.id


def test_the_participants_download_leaves_out_what_only_staff_see(app, world, as_actor):
    """The review form promises "Only counsellors see this note", and a step can be hidden
    from the participant: their own download keeps those promises. The counsellor's download
    (an access request the municipality answers) holds everything."""
    response_id = _with_answers(app, world)
    _with_staff_only_content(app, world)
    own = as_actor(app, "p1").get("/api/v1/me/export").get_data(as_text=True)
    for secret in STAFF_ONLY:
        assert secret not in own
    data = json.loads(own)
    assert data["contents"] == "participant"
    assert [r["id"] for r in data["responses"]] == [response_id]  # not the counsellor's form
    (response,) = data["responses"]
    assert [c["body"] for c in response["comments"]] == ["Husk å laste opp vitnemålet"]
    assert [(v["status"], "note" in v) for v in response["reviews"]] == [
        ("in_review", False), ("completed", False)]  # fmt: skip
    assert [s["goal"] for s in data["next_steps"]] == ["Norskkurs"]
    assert response["answers"]["short_term_goal"] == SECRET_ANSWER

    complete = as_actor(app, "c1").get(f"/participants/{world.p1}/export.json")
    everything = json.loads(complete.get_data(as_text=True))
    assert everything["contents"] == "complete"
    for secret in STAFF_ONLY:
        assert secret in complete.get_data(as_text=True)
    assert len(everything["responses"]) == 2
    assert [v["note"] for v in everything["responses"][0]["reviews"]] == ["Ring", STAFF_ONLY[1]]


def test_counsellor_downloads_the_same_data(app, world, as_actor):
    _with_answers(app, world)
    counsellor = as_actor(app, "c1")
    download = counsellor.get(f"/participants/{world.p1}/export.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert (
        json.loads(download.get_data(as_text=True))["responses"][0]["answers"]["short_term_goal"]
        == SECRET_ANSWER
    )
    # Another counsellor, or an administrator, gets nothing.
    assert as_actor(app, "c2").get(f"/participants/{world.p1}/export.json").status_code == 404
    assert as_actor(app, "admin1").get(f"/participants/{world.p1}/export.json").status_code == 404


def test_erasure_removes_everything_but_the_pseudonymous_audit_trail(app, world, as_actor):
    response_id = _with_answers(app, world)
    phone = as_actor(app, "p1")
    counsellor = as_actor(app, "c1")
    token = csrf_token(counsellor, f"/participants/{world.p1}")
    unconfirmed = counsellor.post(f"/participants/{world.p1}/erase", data={"csrf_token": token},
                                  follow_redirects=True)  # fmt: skip
    assert "Tick the box" in unconfirmed.get_data(as_text=True)
    assert _count(app, Participant, id=world.p1) == 1
    done = counsellor.post(
        f"/participants/{world.p1}/erase",
        data={"csrf_token": token, "confirm": "yes"},
        follow_redirects=True,
    )
    assert "The participant and all their answers are deleted." in done.get_data(as_text=True)
    assert _count(app, Participant, id=world.p1) == 0
    assert _count(app, Response, participant_id=world.p1) == 0
    assert _count(app, ResponseRevision, response_id=response_id) == 0
    assert _count(app, Review, response_id=response_id) == 0
    assert _count(app, LoginSession, participant_id=world.p1) == 0
    assert phone.get("/api/v1/me").status_code == 401
    with app.app_context():
        trail = db.session.scalars(sa.select(AuditEvent)).all()
        assert any(e.action == "participant.erase" for e in trail)
        text = " ".join(f"{e.actor} {e.action} {e.target}" for e in trail)
    assert "p1" not in text.split() and SECRET_ANSWER not in text  # ids only, never names


def _new_participant(app, world) -> int:
    with app.app_context():
        counsellor = db.session.get(StaffUser, world.c1)
        person, _code = accounts.create_participant(
            counsellor, counsellor, "p4", "en", app.config["SECRET_KEY"], 30
        )
        db.session.commit()
        return person.id


def _offered(app, participant_id: int) -> list[str]:
    with app.app_context():
        person = db.session.get(Participant, participant_id)
        return [q.slug for q in questionnaire_service.offered_questionnaires(person)]


def test_erasure_removes_the_questionnaires_offered_to_them_alone(app, world, as_actor):
    """The offer of a questionnaire to one participant was left behind: on PostgreSQL its
    foreign key made *Delete the participant* fail, and on SQLite the next participant, given
    the freed id, was offered it."""
    with app.app_context():
        admin = db.session.get(StaffUser, world.admin1)
        document = json.loads((FORMS / "kartlegging.json").read_text())
        document["slug"] = "own-kartlegging"
        questionnaire_service.import_document(document, admin.municipality, actor=admin)
        own = db.session.scalar(sa.select(Questionnaire).filter_by(slug="own-kartlegging"))
        questionnaire_service.set_offer(admin, own, "assigned")
        db.session.commit()
    person = _new_participant(app, world)  # the newest: SQLite gives its id to the next one
    counsellor = as_actor(app, "c1")
    page = f"/participants/{person}"
    offer = counsellor.post(
        f"{page}/offer/own-kartlegging", data={"csrf_token": csrf_token(counsellor, page)}
    )
    assert offer.status_code == 302
    assert "own-kartlegging" in _offered(app, person)
    done = counsellor.post(
        f"{page}/erase",
        data={"csrf_token": csrf_token(counsellor, "/caseload"), "confirm": "yes"},
        follow_redirects=True,
    )
    assert "The participant and all their answers are deleted." in done.get_data(as_text=True)
    assert _count(app, Participant, id=person) == 0
    assert _count(app, QuestionnaireAssignment, participant_id=person) == 0
    assert "own-kartlegging" not in _offered(app, _new_participant(app, world))


def test_retention_purge_dry_run_idempotent_and_logged(app, world, as_actor, runner, caplog):
    _with_answers(app, world)
    counsellor = as_actor(app, "c1")
    token = csrf_token(counsellor, f"/participants/{world.p1}")
    counsellor.post(f"/participants/{world.p1}/left", data={"csrf_token": token})
    page = counsellor.get(f"/participants/{world.p1}").get_data(as_text=True)
    assert "Left the programme" in page
    days = app.config["RETENTION_DAYS"]
    assert (
        runner.invoke(args=["privacy", "purge"])
        .output.strip()
        .endswith("deleted 0 participants []")
    )
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        person.left_programme_at = utcnow() - timedelta(days=days + 1)
        db.session.commit()
    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert f"would delete 1 participants [{world.p1}]" in dry.output
    assert _count(app, Participant, id=world.p1) == 1
    with caplog.at_level("INFO", logger="webapp.services.privacy"):
        real = runner.invoke(args=["privacy", "purge"])
    assert f"deleted 1 participants [{world.p1}]" in real.output
    assert any("privacy purge" in r.getMessage() for r in caplog.records)
    assert _count(app, Participant, id=world.p1) == 0
    assert _count(app, Participant) == 2  # the others stay
    again = runner.invoke(args=["privacy", "purge"])
    assert "deleted 0 participants []" in again.output
