"""Progress: two responses of one participant to the same questionnaire, months apart,
compared question by question (the mapping's progress questions first)."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from html import unescape

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Municipality, Participant, Questionnaire, Response
from webapp.questionnaires import editing
from webapp.services import questionnaires as questionnaire_service

from .conftest import FORMS
from .test_caseload import _statements

START = {"norwegian_level": "A1", "short_term_goal_kind": "norwegian", "digital_phone": 2,
         "recognition_wanted": "unsure", "mapped_before": "no", "anything_else": "Hei"}  # fmt: skip
LATER = {"norwegian_level": "B1", "short_term_goal_kind": "work", "digital_phone": 4,
         "recognition_wanted": "yes", "mapped_before": "yes", "anything_else": "Hei"}  # fmt: skip


def _response(app, person_id: int, answers: dict, when: datetime, slug="kartlegging",
              version=None) -> str:  # fmt: skip
    """Store a sent response of the person, started and sent on ``when``."""
    with app.app_context():
        if version is None:
            version = db.session.scalar(sa.select(Questionnaire).filter_by(slug=slug)).latest
        response = Response(
            id=str(uuid.uuid4()), participant_id=person_id, version_id=version.id,
            status="submitted", answers=answers, created_at=when, updated_at=when,
            submitted_at=when,
        )  # fmt: skip
        db.session.add(response)
        db.session.commit()
        return response.id


def _two_mappings(app, world) -> tuple[str, str]:
    first = _response(app, world.p1, START, datetime(2026, 2, 3, 10, tzinfo=UTC))
    second = _response(app, world.p1, LATER, datetime(2026, 9, 14, 10, tzinfo=UTC))
    return first, second


def _reads(app) -> list[tuple[str, str]]:
    with app.app_context():
        return db.session.execute(
            sa.select(AuditEvent.actor, AuditEvent.target).where(
                AuditEvent.action == "response.read"
            )
        ).all()


def test_two_mappings_months_apart_show_progress_first(app, world, as_actor):
    first, second = _two_mappings(app, world)
    client = as_actor(app, "c1")
    page = client.get(f"/participants/{world.p1}").get_data(as_text=True)
    assert f"/participants/{world.p1}/progress" in page
    html = client.get(f"/participants/{world.p1}/progress").get_data(as_text=True)
    # The oldest and the newest by default, with the date of each.
    assert f'selected value="{first}"' in html.split('name="second"')[0]
    assert f'selected value="{second}"' in html.split('name="second"')[1]
    assert "3 February 2026" in html and "14 September 2026" in html  # day first, as in Norway
    key, rest = html.split('id="changed-heading"')
    assert "Goals, Norwegian, recognition of education and digital skills" in key
    for qid in ("norwegian_level", "short_term_goal_kind", "digital_phone", "recognition_wanted"):
        assert f'id="q-{qid}"' in key
    level = key.split('id="q-norwegian_level"')[1].split("</tr>")[0]
    assert level.index("A1") < level.index("B1")  # before, then after
    assert "2 of 5" in key and "4 of 5" in key
    changed, unchanged = rest.split("<details")
    assert 'id="q-mapped_before"' in changed and 'id="q-anything_else"' not in changed
    assert "Unchanged answers (1)" in unchanged and 'id="q-anything_else"' in unchanged


def test_the_counsellor_picks_any_two_and_the_order_is_theirs(app, world, as_actor):
    first, second = _two_mappings(app, world)
    middle = _response(app, world.p1, {**START, "norwegian_level": "A2"},
                       datetime(2026, 5, 1, tzinfo=UTC))  # fmt: skip
    client = as_actor(app, "c1")
    html = client.get(f"/participants/{world.p1}/progress").get_data(as_text=True)
    assert f'value="{middle}"' in html
    html = client.get(f"/participants/{world.p1}/progress?first={second}&second={middle}")
    level = html.get_data(as_text=True).split('id="q-norwegian_level"')[1].split("</tr>")[0]
    assert level.index("B1") < level.index("A2")


def test_versions_are_matched_by_question_id(app, world, as_actor):
    """A later version without one question and with a new one: both are marked."""
    old = _response(app, world.p1, START, datetime(2026, 2, 3, tzinfo=UTC))
    with app.app_context():
        document, problems = questionnaire_service.read_document(FORMS / "kartlegging.json")
        document, _ref = editing.apply(document, "delete_question", {"question": "anything_else"})
        document, _ref = editing.apply(
            document, "add_question",
            {"section": "closing", "widget": "text", "title": "Hva ønsker du nå?", "id": "wish"},
        )  # fmt: skip
        questionnaire_service.import_document(copy.deepcopy(document))
        db.session.commit()
        version = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging")).latest
        assert version.number == 2
    answers = {k: v for k, v in LATER.items() if k != "anything_else"} | {"wish": "Jobb"}
    new = _response(app, world.p1, answers, datetime(2026, 9, 3, tzinfo=UTC), version=version)
    html = (
        as_actor(app, "c1")
        .get(f"/participants/{world.p1}/progress?first={old}&second={new}")
        .get_data(as_text=True)
    )
    gone = html.split('id="q-anything_else"')[1].split("</tr>")[0]
    assert "Not in the later version of the questionnaire" in gone and "Hei" in gone
    added = html.split('id="q-wish"')[1].split("</tr>")[0]
    assert "New in the later version of the questionnaire" in added and "Jobb" in added
    assert "(version 1)" in html and "(version 2)" in html


def test_the_mapping_and_the_municipalitys_copy_of_it_compare(app, world, as_actor):
    """A mapping on the national template, then one on the municipality's copy."""
    with app.app_context():
        document, _problems = questionnaire_service.read_document(FORMS / "kartlegging.json")
        document["slug"] = "kartlegging-a"
        questionnaire_service.import_document(
            document, municipality=db.session.get(Municipality, world.m1)
        )
        copied = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging-a"))
        copied.copied_from_id = db.session.scalar(
            sa.select(Questionnaire.id).filter_by(slug="kartlegging")
        )
        db.session.commit()
    old = _response(app, world.p1, START, datetime(2026, 2, 3, tzinfo=UTC))
    new = _response(app, world.p1, LATER, datetime(2026, 9, 3, tzinfo=UTC), slug="kartlegging-a")
    client = as_actor(app, "c1")
    assert "/progress" in client.get(f"/participants/{world.p1}").get_data(as_text=True)
    html = client.get(f"/participants/{world.p1}/progress").get_data(as_text=True)
    assert f'selected value="{old}"' in html and f'selected value="{new}"' in html
    assert 'id="key-heading"' in html and 'id="q-norwegian_level"' in html


@pytest.mark.parametrize(
    ("actor", "status"),
    [("c1", 200), ("lead1", 200), ("c2", 404), ("c3", 404), ("admin1", 404), ("p1", 404)],
)
def test_only_who_may_read_both_responses_sees_them(app, world, as_actor, actor, status):
    first, second = _two_mappings(app, world)
    url = f"/participants/{world.p1}/progress?first={first}&second={second}"
    response = as_actor(app, actor).get(url)
    assert response.status_code == status
    assert ('id="q-norwegian_level"' in response.get_data(as_text=True)) is (status == 200)


def test_the_read_is_audited_and_shown_to_the_participant(app, world, as_actor):
    first, second = _two_mappings(app, world)
    as_actor(app, "c1").get(f"/participants/{world.p1}/progress")
    staff = f"staff:{world.c1}"
    reads = _reads(app)
    assert (staff, f"response:{first}") in reads and (staff, f"response:{second}") in reads
    shown = as_actor(app, "p1").get("/api/v1/me").get_json()["reads"]
    assert {r["response"] for r in shown if r["what"] == "response"} == {first, second}


def test_bad_pairs_get_a_message_and_nothing_is_recorded(app, world, as_actor):
    first, second = _two_mappings(app, world)
    other_person = _response(app, world.p2, LATER, datetime(2026, 9, 1, tzinfo=UTC))
    plan = _response(app, world.p1, {}, datetime(2026, 9, 2, tzinfo=UTC), slug="muligheter")
    client = as_actor(app, "lead1")  # the lead may read p2's response too
    cases = {
        f"first={first}&second={first}": "Choose two different responses to compare.",
        f"first={first}&second={other_person}": "Both responses must be this participant's.",
        f"first={first}&second={plan}": "These responses answer different questionnaires",
        f"first={first}&second={uuid.uuid4()}": "One of the chosen responses was not found.",
        f"first={first}&second=x": "One of the chosen responses was not found.",
        f"first={first}": "One of the chosen responses was not found.",
    }
    for query, message in cases.items():
        response = client.get(f"/participants/{world.p1}/progress?{query}")
        html = unescape(response.get_data(as_text=True))
        assert response.status_code == 422, query
        assert message in html and 'id="q-' not in html, query
    assert _reads(app) == []
    # Another counsellor's participant's response is unknown to c1, not "another person's".
    html = (
        as_actor(app, "c1")
        .get(f"/participants/{world.p1}/progress?first={first}&second={other_person}")
        .get_data(as_text=True)
    )
    assert "One of the chosen responses was not found." in html


def test_nothing_to_compare_until_a_questionnaire_is_answered_twice(app, world, as_actor):
    _response(app, world.p1, START, datetime(2026, 2, 3, tzinfo=UTC))
    client = as_actor(app, "c1")
    assert "/progress" not in client.get(f"/participants/{world.p1}").get_data(as_text=True)
    html = client.get(f"/participants/{world.p1}/progress").get_data(as_text=True)
    assert "the participant has not answered any questionnaire twice" in html


def test_a_participant_starts_a_new_mapping_after_sending_one(app, world, as_actor):
    """Months later the participant answers the mapping again: a second response."""
    _response(app, world.p1, START, datetime(2026, 2, 3, tzinfo=UTC))
    phone = as_actor(app, "p1")
    home = phone.get("/me/").get_data(as_text=True)
    assert "Answer again" in home
    token = home.split('name="csrf_token" value="')[1].split('"')[0]
    assert phone.post("/me/q/kartlegging/start", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        statuses = db.session.scalars(
            sa.select(Response.status).where(Response.participant_id == world.p1)
        ).all()
    assert sorted(statuses) == ["draft", "submitted"]


def _jobs(count: int) -> dict:
    return {"has_work_experience": True, "jobs": [
        {"occupation": f"Jobb {n}", "country": "SY", "years": 1, "description": "Bra"}
        for n in range(count)
    ]}  # fmt: skip


def test_the_progress_page_does_not_grow_with_the_answers(app, world, as_actor):
    with app.app_context():  # the second person answered twice too
        db.session.execute(sa.update(Participant).values(counsellor_id=world.c1))
        db.session.commit()
    small = [
        _response(app, world.p1, {**START, **_jobs(2)}, datetime(2026, 2, 3, tzinfo=UTC)),
        _response(app, world.p1, {**LATER, **_jobs(3)}, datetime(2026, 9, 3, tzinfo=UTC)),
    ]
    large = [
        _response(app, world.p2, {**START, **_jobs(120)}, datetime(2026, 2, 3, tzinfo=UTC)),
        _response(app, world.p2, {**LATER, **_jobs(125)}, datetime(2026, 9, 3, tzinfo=UTC)),
    ]
    client = as_actor(app, "c1")
    few, html = _statements(app, client, f"/participants/{world.p1}/progress")
    assert "Jobb 2" in html and small[1] in html
    many, html = _statements(app, client, f"/participants/{world.p2}/progress")
    assert "Jobb 124" in html and large[1] in html
    assert many == few, f"{few} statements for 12 answers, {many} for 500"
