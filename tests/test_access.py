"""Deny by default: who reaches what, as one table of actor x page -> status.

A page that exists but is not yours answers 404 (not 403), so ids leak nothing.
Anonymous visitors are sent to sign in (302).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Questionnaire, StaffUser
from webapp.services import responses

from .conftest import csrf_token

ACTORS = ["anon", "p1", "p2", "p3", "c1", "c2", "c3", "admin1"]

# (method, url, {actor: status}); actors not listed expect 404.
TABLE = [
    ("GET", "/me/", {"p1": 200, "p2": 200, "p3": 200, "anon": 302}),
    ("GET", "/caseload", {"c1": 200, "c2": 200, "c3": 200, "anon": 302}),
    ("GET", "/participants/new", {"c1": 200, "c2": 200, "c3": 200, "anon": 302}),
    ("GET", "/admin/questionnaires", {"admin1": 200, "anon": 302}),
    ("GET", "/admin/resources", {"admin1": 200, "anon": 302}),
    ("GET", "/admin/questionnaires/kartlegging/1.json", {"admin1": 200, "anon": 302}),
    ("GET", "/participants/{p1}", {"c1": 200, "anon": 302}),
    ("GET", "/participants/{p3}", {"c3": 200, "anon": 302}),
    ("POST", "/participants/{p1}/invite", {"c1": 200, "anon": 302}),
    ("POST", "/participants/{p1}/forms/muligheter", {"c1": 302, "anon": 302}),
    ("GET", "/responses/{r1}", {"c1": 200, "anon": 302}),
    ("GET", "/responses/{r3}", {"c3": 200, "anon": 302}),
    ("GET", "/responses/{m1}", {"c1": 200, "anon": 302}),
    ("GET", "/r/{r1}/1", {"p1": 200, "anon": 302}),
    ("GET", "/r/{r1}/summary", {"p1": 200, "anon": 302}),
    ("POST", "/r/{r1}/1", {"p1": 302, "anon": 302}),
    ("POST", "/r/{r1}/submit", {"p1": 422, "anon": 302}),
    ("GET", "/r/{m1}/1", {"c1": 200, "anon": 302}),
    ("GET", "/r/{m1}/summary", {"c1": 200, "anon": 302}),
    ("GET", "/responses/00000000-0000-4000-8000-000000000000", {"anon": 302}),
    ("GET", "/participants/999999", {"anon": 302}),
]


@pytest.fixture
def records(app, world):
    with app.app_context():
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        muligheter = db.session.scalar(sa.select(Questionnaire).filter_by(slug="muligheter"))
        p1, p3 = db.session.get(Participant, world.p1), db.session.get(Participant, world.p3)
        r1 = responses.start(p1, kartlegging)
        r3 = responses.start(p3, kartlegging)
        m1 = responses.start(p1, muligheter, author=db.session.get(StaffUser, world.c1))
        db.session.commit()
        return {"p1": world.p1, "p3": world.p3, "r1": r1.id, "r3": r3.id, "m1": m1.id}


@pytest.mark.parametrize(("method", "url", "allowed"), TABLE, ids=[f"{m} {u}" for m, u, _ in TABLE])
def test_access_table(app, as_actor, records, method, url, allowed):
    target = url.format(**records)
    for actor in ACTORS:
        client = as_actor(app, actor)
        if method == "GET":
            status = client.get(target).status_code
        else:
            token = csrf_token(client, "/join")
            status = client.post(target, data={"csrf_token": token, "action": "save"}).status_code
        expected = allowed.get(actor, 404)
        assert status == expected, f"{actor} {method} {target}: {status}, expected {expected}"


def test_caseload_lists_only_own_participants(app, as_actor, world):
    html = as_actor(app, "c1").get("/caseload").get_data(as_text=True)
    assert "p1" in html and ">p2<" not in html and ">p3<" not in html


def test_new_invite_signs_out_the_old_phone(app, as_actor, world):
    phone = as_actor(app, "p1")
    assert phone.get("/me/").status_code == 200
    counsellor = as_actor(app, "c1")
    token = csrf_token(counsellor, "/caseload")
    assert (
        counsellor.post(f"/participants/{world.p1}/invite", data={"csrf_token": token}).status_code
        == 200
    )
    response = phone.get("/me/")
    assert response.status_code == 302 and "/join" in response.location
    assert as_actor(app, None).get(f"/join/{world.codes['p1']}").status_code == 404
