"""The follow-up plan: next steps, the career guidance offer, and who may change them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, NextStep, Participant, StaffUser
from webapp.services import plan

from .conftest import csrf_token

STEP = {
    "goal": "Begynne på videregående",
    "action": "Søke om plass innen fristen",
    "responsible": "participant",
    "due_on": "2027-03-01",
    "status": "planned",
    "shown_to_participant": "y",
}


def _steps(app) -> list[tuple]:
    with app.app_context():
        return [
            (s.participant_id, s.goal, s.action, s.responsible, s.due_on, s.status)
            for s in db.session.scalars(sa.select(NextStep).order_by(NextStep.id))
        ]


def _offer(app, pid: int) -> tuple:
    with app.app_context():
        person = db.session.get(Participant, pid)
        return person.guidance_offered_on, person.guidance_centre


def _post(client, path: str, page: str, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def _step(app, world, name: str = "p1", **changes) -> int:
    with app.app_context():
        values = plan.StepInput("Mål", "Gjøre", "counsellor", None, "planned", True)
        values = plan.StepInput(**(values.__dict__ | changes))
        step = plan.add_step(
            db.session.get(StaffUser, world.c1),
            db.session.get(Participant, getattr(world, name)),
            values,
        )
        db.session.commit()
        return step.id


def test_the_counsellor_plans_and_the_participant_sees_their_steps(app, world, as_actor):
    page = f"/participants/{world.p1}"
    counsellor = as_actor(app, "c1")
    assert _post(counsellor, f"{page}/steps", page, **STEP).status_code == 302
    hidden = STEP | {"goal": "Snakke med NAV", "shown_to_participant": ""}
    assert _post(counsellor, f"{page}/steps", page, **hidden).status_code == 302
    offer = {"guidance_offered_on": "2026-11-20", "guidance_centre": "Karrieresenteret i Oslo"}
    assert _post(counsellor, f"{page}/guidance-offer", page, **offer).status_code == 302
    html = counsellor.get(page).get_data(as_text=True)
    assert "Begynne på videregående" in html and "Not shown to the participant" in html
    assert "Karrieresenteret i Oslo" in html
    assert str(_offer(app, world.p1)[0]) == "2026-11-20"

    phone = as_actor(app, "p1")
    home = phone.get("/me/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Your next steps" in home and "Begynne på videregående" in home
    assert "You do this" in home and "Snakke med NAV" not in home
    [item] = phone.get("/api/v1/me").get_json()["next_steps"]
    assert item["goal"] == "Begynne på videregående" and item["due_on"] == "2027-03-01"
    assert item["responsible"] == "participant" and item["status"] == "planned"

    # Done, then cancelled: a cancelled step leaves the participant's list.
    [sid, _hidden] = [s for s in _step_ids(app)]
    edit = f"{page}/steps/{sid}"
    assert _post(counsellor, edit, edit, **(STEP | {"status": "done"})).status_code == 302
    assert phone.get("/api/v1/me").get_json()["next_steps"][0]["status"] == "done"
    assert _post(counsellor, edit, edit, **(STEP | {"status": "cancelled"})).status_code == 302
    assert phone.get("/api/v1/me").get_json()["next_steps"] == []
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action.like("plan.%"))
        ).all()
    assert sorted(actions) == sorted(
        ["plan.add", "plan.add", "plan.guidance_offer", "plan.update", "plan.update"]
    )


def _step_ids(app) -> list[int]:
    with app.app_context():
        return db.session.scalars(sa.select(NextStep.id).order_by(NextStep.id)).all()


def test_an_overdue_step_shows_in_the_caseload(app, world, as_actor):
    from datetime import date, timedelta

    _step(app, world, due_on=date.today() - timedelta(days=3), goal="Levere papirer")
    html = as_actor(app, "c1").get("/caseload?state=overdue").get_data(as_text=True)
    assert "Next steps overdue: 1" in html and "p1" in html


BAD = [
    ({"due_on": "01.03.2027"}, "Please write the date as year-month-day"),
    ({"due_on": "2027-02-30"}, "Please write the date as year-month-day"),
    ({"due_on": "soon"}, "Please write the date as year-month-day"),
    ({"goal": ""}, "Please write the goal."),
    ({"goal": "x" * 301}, "300"),
    ({"action": "x" * 1001}, "1000"),
    ({"responsible": "nobody"}, "Not a valid choice"),
    ({"status": "forgotten"}, "Not a valid choice"),
]


@pytest.mark.parametrize(("change", "message"), BAD, ids=[str(c)[:30] for c, _ in BAD])
def test_bad_steps_are_refused_with_a_message_and_nothing_changes(
    app, world, as_actor, change, message
):
    sid = _step(app, world)
    before = _steps(app)
    page = f"/participants/{world.p1}"
    counsellor = as_actor(app, "c1")
    for path, form_page in (
        (f"{page}/steps", page),
        (f"{page}/steps/{sid}", f"{page}/steps/{sid}"),
    ):
        response = _post(counsellor, path, form_page, **(STEP | change))
        assert response.status_code == 422, path
        assert message in response.get_data(as_text=True), path
    assert _steps(app) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"guidance_offered_on": "20.11.2026"}, "Please write the date as year-month-day"),
        ({"guidance_centre": "x" * 201}, "200"),
    ],
)
def test_a_bad_guidance_offer_changes_nothing(app, world, as_actor, change, message):
    page = f"/participants/{world.p1}"
    counsellor = as_actor(app, "c1")
    good = {"guidance_offered_on": "2026-11-20", "guidance_centre": "Oslo"}
    response = _post(counsellor, f"{page}/guidance-offer", page, **(good | change))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _offer(app, world.p1) == (None, None)


# (who, whose participant, action) -> status; another counsellor's or municipality's: 404.
ACCESS = [
    (who, whose, action, status)
    for action in ("add", "edit_page", "edit", "offer")
    for who, whose, status in [
        ("c1", "p1", 200 if action == "edit_page" else 302),
        ("lead1", "p1", 200 if action == "edit_page" else 302),
        ("c2", "p1", 404),
        ("c3", "p1", 404),
        ("admin1", "p1", 404),
        ("p1", "p1", 404),
        ("c1", "p3", 404),
        ("anon", "p1", 302),
    ]
]


@pytest.mark.parametrize(("who", "whose", "action", "status"), ACCESS)
def test_who_may_plan_for_whom(app, world, as_actor, who, whose, action, status):
    sid = _step(app, world, name=whose) if whose == "p1" else _step(app, world, name="p1")
    pid = getattr(world, whose)
    before, offer_before = _steps(app), _offer(app, pid)
    client = as_actor(app, who)
    token = _token(client)
    base = f"/participants/{pid}"
    if action == "add":
        got = client.post(f"{base}/steps", data={"csrf_token": token, **STEP})
    elif action == "edit_page":
        got = client.get(f"{base}/steps/{sid}")
    elif action == "edit":
        got = client.post(f"{base}/steps/{sid}", data={"csrf_token": token, **STEP})
    else:
        got = client.post(
            f"{base}/guidance-offer",
            data={"csrf_token": token, "guidance_offered_on": "2026-11-20"},
        )
    assert got.status_code == status
    if status != 302 or who == "anon":
        assert _steps(app) == before and _offer(app, pid) == offer_before


def test_a_step_of_another_participant_is_not_found_through_this_one(app, world, as_actor):
    """The step id of p2 (of c2) reached through c1's own p1: 404, nothing changes."""
    sid = _step(app, world, name="p2")
    before = _steps(app)
    client = as_actor(app, "c1")
    path = f"/participants/{world.p1}/steps/{sid}"
    assert client.get(path).status_code == 404
    got = client.post(path, data={"csrf_token": _token(client), **STEP})
    assert got.status_code == 404 and _steps(app) == before


def _token(client) -> str:
    for page in ("/caseload", "/admin/resources", "/me/", "/join"):
        response = client.get(page, headers={"Accept": "text/html"})
        if response.status_code == 200:
            return csrf_token(client, page)
    return ""


def test_the_participants_own_data_download_has_their_plan_and_shared_resources(
    app, world, as_actor
):
    _step(app, world, goal="Søke skole", shown_to_participant=False)
    with app.app_context():
        from webapp.models import Resource
        from webapp.services import sharing

        guidance = db.session.scalar(
            sa.select(Resource).where(Resource.slug == "karriereveiledning-no")
        )
        person = db.session.get(Participant, world.p1)
        sharing.share(db.session.get(StaffUser, world.c1), person, guidance.id, "Ring dem")
        db.session.commit()
    body = as_actor(app, "p1").get("/api/v1/me/export").get_json()
    assert body["next_steps"] == []  # hidden from the participant (test_security_privacy.py)
    assert [r["note"] for r in body["shared_resources"]] == ["Ring dem"]
