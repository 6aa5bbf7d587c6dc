"""Programme status per participant; the lead sees the whole municipality and reassigns."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Participant, Response

from .conftest import csrf_token


def _participant(app, pid: int) -> Participant:
    with app.app_context():
        person = db.session.get(Participant, pid)
        db.session.expunge(person)
        return person


def test_the_lead_sees_every_participant_of_the_municipality(app, world, as_actor):
    lead = as_actor(app, "lead1").get("/caseload").get_data(as_text=True)
    assert ">p1<" in lead and ">p2<" in lead and ">p3<" not in lead
    own = as_actor(app, "c1").get("/caseload").get_data(as_text=True)
    assert ">p1<" in own and ">p2<" not in own


def test_programme_is_recorded_and_shown(app, world, as_actor):
    client = as_actor(app, "c1")
    page = f"/participants/{world.p1}"
    response = client.post(
        f"{page}/programme",
        data={
            "csrf_token": csrf_token(client, page),
            "programme": "integration_act",
            "programme_start": "2026-09-01",
            "mapping_completed_on": "2026-09-20",
            "guidance_completed_on": "",
        },
    )
    assert response.status_code == 302
    person = _participant(app, world.p1)
    assert person.programme == "integration_act"
    assert person.programme_start == date(2026, 9, 1)
    assert person.mapping_completed_on == date(2026, 9, 20)
    assert person.guidance_completed_on is None
    html = client.get(page).get_data(as_text=True)
    assert 'value="2026-09-01"' in html
    assert '<option selected value="integration_act">' in html


def test_a_bad_date_or_programme_is_refused_and_nothing_changes(app, world, as_actor):
    client = as_actor(app, "c1")
    page = f"/participants/{world.p1}"
    for data in ({"programme": "other", "programme_start": "31.02.2026"}, {"programme": "x"}):
        response = client.post(
            f"{page}/programme", data={**data, "csrf_token": csrf_token(client, page)}
        )
        assert response.status_code == 422
        assert 'id="error-summary"' in response.get_data(as_text=True)
    assert _participant(app, world.p1).programme is None


def test_a_start_date_far_away_is_refused_and_one_stored_breaks_no_page(app, world, as_actor):
    client = as_actor(app, "c1")
    page = f"/participants/{world.p1}"
    response = client.post(
        f"{page}/programme",
        data={
            "csrf_token": csrf_token(client, page),
            "programme": "integration_act",
            "programme_start": "9999-12-31",
        },
    )
    assert response.status_code == 422
    assert "Please write a date between the years 1900 and 2099." in response.get_data(as_text=True)
    assert _participant(app, world.p1).programme_start is None
    # One stored before the form refused such dates: the municipality's pages still open.
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        person.programme, person.programme_start = "integration_act", date(9999, 12, 31)
        db.session.commit()
    for actor, url in (("c1", "/caseload"), ("c1", "/caseload?sort=start"), ("lead1", "/caseload"),
                       ("lead1", "/overview"), ("c1", page)):  # fmt: skip
        response = as_actor(app, actor).get(url)
        assert response.status_code == 200, url


def test_the_lead_reassigns_within_the_municipality(app, world, as_actor):
    lead = as_actor(app, "lead1")
    page = f"/participants/{world.p1}"
    response = lead.post(
        f"{page}/counsellor", data={"csrf_token": csrf_token(lead, page), "counsellor_id": world.c2}
    )
    assert response.status_code == 302
    assert _participant(app, world.p1).counsellor_id == world.c2
    assert as_actor(app, "c1").get(page).status_code == 404  # no longer c1's
    assert as_actor(app, "c2").get(page).status_code == 200
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "participant.reassign" in actions


def test_another_municipalitys_counsellor_is_refused_clearly(app, world, as_actor):
    lead = as_actor(app, "lead1")
    page = f"/participants/{world.p1}"
    for counsellor in (world.c3, world.admin1, 999999):
        response = lead.post(
            f"{page}/counsellor",
            data={"csrf_token": csrf_token(lead, page), "counsellor_id": counsellor},
        )
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "Choose a counsellor in your municipality" in html
        assert "Counsellor Three" not in html  # nothing about the other municipality
    assert _participant(app, world.p1).counsellor_id == world.c1


def test_a_counsellor_who_is_not_the_lead_cannot_reassign(app, world, as_actor):
    client = as_actor(app, "c1")
    page = f"/participants/{world.p1}"
    assert "Change counsellor" not in client.get(page).get_data(as_text=True)
    response = client.post(
        f"{page}/counsellor",
        data={"csrf_token": csrf_token(client, page), "counsellor_id": world.c2},
    )
    assert response.status_code == 404
    assert _participant(app, world.p1).counsellor_id == world.c1


def test_a_counsellor_is_made_lead_on_the_command_line(app, world, runner, as_actor):
    assert runner.invoke(args=["staff", "lead", "c2@a.no"]).exit_code == 0
    assert ">p1<" in as_actor(app, "c2").get("/caseload").get_data(as_text=True)
    assert runner.invoke(args=["staff", "lead", "c2@a.no", "--off"]).exit_code == 0
    assert ">p1<" not in as_actor(app, "c2").get("/caseload").get_data(as_text=True)
    refused = runner.invoke(args=["staff", "lead", "admin@a.no"])
    assert refused.exit_code == 1 and "Only a counsellor" in refused.output


def test_only_the_assigned_counsellor_fills_in_the_counsellors_forms(app, world, as_actor):
    """The lead reads another counsellor's participant; the counsellor's forms about them are
    that counsellor's to fill in (the lead was offered one, which made a draft nobody could
    open)."""
    page = f"/participants/{world.p1}"
    lead = as_actor(app, "lead1")
    assert "Fill in: " not in lead.get(page).get_data(as_text=True)
    refused = lead.post(f"{page}/forms/muligheter", data={"csrf_token": csrf_token(lead, page)})
    assert refused.status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
    counsellor = as_actor(app, "c1")
    assert "Fill in: " in counsellor.get(page).get_data(as_text=True)
    started = counsellor.post(f"{page}/forms/muligheter",
                              data={"csrf_token": csrf_token(counsellor, page)})  # fmt: skip
    assert started.status_code == 302
    assert counsellor.get(started.headers["Location"], follow_redirects=True).status_code == 200
