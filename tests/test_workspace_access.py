"""The counsellor's workspace, as one table of role x object x action -> status.

Roles: counsellors c1 and c2 and the lead counsellor lead1 of municipality A, counsellor c3
of municipality B, the administrator of A, and participants. Objects: p1 (c1's), p2 (c2's)
and p3 (c3's, in B), and their responses. A page that is not yours is 404; anonymous visitors
are sent to sign in (302).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Questionnaire, StaffUser
from webapp.services import comments, responses

from .conftest import csrf_token

ACTORS = ["anon", "p1", "c1", "c2", "lead1", "c3", "admin1"]

#: (method, url, form, {actor: status}); actors not listed expect 404.
TABLE = [
    ("GET", "/participants/{p1}", {}, {"c1": 200, "lead1": 200, "anon": 302}),
    ("GET", "/participants/{p2}", {}, {"c2": 200, "lead1": 200, "anon": 302}),
    ("GET", "/participants/{p3}", {}, {"c3": 200, "anon": 302}),
    ("POST", "/participants/{p1}/programme", {"programme": "other"},
     {"c1": 302, "lead1": 302, "anon": 302}),
    ("POST", "/participants/{p3}/programme", {"programme": "other"}, {"c3": 302, "anon": 302}),
    ("POST", "/participants/{p2}/counsellor", {"counsellor_id": "{c2}"},
     {"lead1": 302, "anon": 302}),
    ("POST", "/participants/{p1}/counsellor", {"counsellor_id": "{c1}"},
     {"lead1": 302, "anon": 302}),
    ("GET", "/responses/{r1}", {}, {"c1": 200, "lead1": 200, "anon": 302}),
    ("GET", "/responses/{r3}", {}, {"c3": 200, "anon": 302}),
    ("POST", "/responses/{r1}/comments", {"kind": "note", "body": "x"},
     {"c1": 302, "lead1": 302, "anon": 302}),
    ("POST", "/responses/{r3}/comments", {"kind": "message", "body": "x"},
     {"c3": 302, "anon": 302}),
    ("GET", "/responses/{r1}/comments/{k1}", {}, {"c1": 200, "anon": 302}),
    ("POST", "/responses/{r1}/comments/{k1}", {"body": "y"}, {"c1": 302, "anon": 302}),
    ("GET", "/responses/{r1}/history", {}, {"c1": 200, "lead1": 200, "anon": 302}),
    ("GET", "/responses/{r3}/history", {}, {"c3": 200, "anon": 302}),
    ("GET", "/participants/{p1}/progress", {}, {"c1": 200, "lead1": 200, "anon": 302}),
    ("GET", "/participants/{p3}/progress", {}, {"c3": 200, "anon": 302}),
]  # fmt: skip


@pytest.fixture
def records(app, world):
    with app.app_context():
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        r1 = responses.start(db.session.get(Participant, world.p1), kartlegging)
        r3 = responses.start(db.session.get(Participant, world.p3), kartlegging)
        k1 = comments.add(r1, db.session.get(StaffUser, world.c1), "note", "Ring")
        db.session.commit()
        return {
            "p1": world.p1, "p2": world.p2, "p3": world.p3, "c1": world.c1, "c2": world.c2,
            "r1": r1.id, "r3": r3.id, "k1": k1.id,
        }  # fmt: skip


@pytest.mark.parametrize(
    ("method", "url", "form", "allowed"), TABLE, ids=[f"{m} {u}" for m, u, _f, _a in TABLE]
)
def test_role_object_action(app, as_actor, records, method, url, form, allowed):
    target = url.format(**records)
    for actor in ACTORS:
        client = as_actor(app, actor)
        if method == "GET":
            status = client.get(target).status_code
        else:
            data = {key: value.format(**records) for key, value in form.items()}
            data["csrf_token"] = csrf_token(client, "/join")
            status = client.post(target, data=data).status_code
        expected = allowed.get(actor, 404)
        assert status == expected, f"{actor} {method} {target}: {status}, expected {expected}"
