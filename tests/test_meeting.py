"""Filling in together: the counsellor fills in the participant's questionnaire with them in a
meeting, on the server pages, both languages side by side; every answer a revision by that
counsellor "in a meeting", through the same write path as the phone."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Participant, Response

from .conftest import csrf_token
from .test_write_path import body, put, revision_rows, stored


@pytest.fixture
def arabic_p1(app, world):
    with app.app_context():
        db.session.get(Participant, world.p1).language = "ar"
        db.session.commit()


def open_meeting(client, participant_id: int, slug: str = "kartlegging"):
    token = csrf_token(client, f"/participants/{participant_id}")
    return client.post(f"/participants/{participant_id}/meeting/{slug}",
                       data={"csrf_token": token})  # fmt: skip


def meeting_id(answer) -> str:
    return re.search(r"/r/([0-9a-f-]{36})/meeting", answer.location).group(1)


def post_meeting_page(client, rid: str, page: int, data: dict, action: str = "next"):
    html = client.get(f"/r/{rid}/meeting/{page}").get_data(as_text=True)
    base = re.search(r'name="base_revision" value="(\d+)"', html).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post(
        f"/r/{rid}/meeting/{page}",
        data={**data, "csrf_token": token, "action": action, "base_revision": base},
    )


def test_the_counsellor_fills_in_with_both_languages_and_each_answer_says_so(
    app, world, as_actor, arabic_p1
):
    counsellor = as_actor(app, "c1")
    page = counsellor.get(f"/participants/{world.p1}").get_data(as_text=True)
    assert "Fill in together: Mapping" in page
    opened = open_meeting(counsellor, world.p1)
    assert opened.status_code == 302
    rid = meeting_id(opened)
    first = counsellor.get(f"/r/{rid}/meeting", follow_redirects=True)
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "Filling in together with" in html and "in a meeting" in html
    # The question in English (the counsellor's language) with the Arabic beside it.
    assert "Have you been through a mapping before?" in html
    assert re.search(r'<span class="nb-text" lang="ar" dir="rtl">[^<]*[\u0600-\u06ff]', html)
    assert f'action="/r/{rid}/meeting/1"' in html

    saved = post_meeting_page(counsellor, rid, 1, {"mapped_before": "no"})
    assert saved.status_code == 302 and saved.location.endswith(f"/r/{rid}/meeting/2")
    assert stored(app, rid).answers == {"mapped_before": "no"}
    rows = revision_rows(app, rid)
    assert [(r.source, r.staff_id, r.occasion) for r in rows] == [
        ("staff", world.c1, "meeting"),
        ("staff", world.c1, "meeting"),
    ]
    history = counsellor.get(f"/responses/{rid}/history").get_data(as_text=True)
    assert "in a meeting with the participant" in history
    # The participant's app gets the answers on its next sync.
    me = as_actor(app, "p1").get("/api/v1/me").json
    (mine,) = [r for r in me["responses"] if r["id"] == rid]
    assert mine["answers"] == {"mapped_before": "no"} and mine["revision"] == 2
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.target == f"response:{rid}")
        ).all()
        assert {"response.meeting", "response.read"} <= set(actions)


def test_a_phone_edit_from_an_older_base_is_merged_with_the_meeting_answers(app, world, as_actor):
    phone = as_actor(app, "p1")
    rid = str(uuid.uuid4())
    assert put(phone, rid, body({"mapped_before": "yes"})).status_code in (200, 201)
    counsellor = as_actor(app, "c1")
    assert meeting_id(open_meeting(counsellor, world.p1)) == rid  # the open draft is resumed
    post_meeting_page(counsellor, rid, 1, {"mapped_before": "yes",
                                           "previous_mapping_where": "NAV Alna"})  # fmt: skip
    # The phone, still on revision 1, adds an answer to a question the meeting did not touch.
    merged = put(phone, rid, body({"mapped_before": "yes", "anything_else": "Takk"}, base=1))
    assert merged.json["merged"] is True and merged.json["conflicts"] == []
    assert stored(app, rid).answers == {
        "mapped_before": "yes", "previous_mapping_where": "NAV Alna", "anything_else": "Takk",
    }  # fmt: skip


def test_a_stale_meeting_page_is_merged_not_overwriting(app, world, as_actor):
    counsellor = as_actor(app, "c1")
    rid = meeting_id(open_meeting(counsellor, world.p1))
    html = counsellor.get(f"/r/{rid}/meeting/1").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    put(as_actor(app, "p1"), rid, body({"anything_else": "fra telefonen"}, base=1))
    answer = counsellor.post(
        f"/r/{rid}/meeting/1",
        data={"csrf_token": token, "mapped_before": "no", "base_revision": 1, "action": "next"},
    )
    assert answer.status_code == 302
    assert stored(app, rid).answers == {"mapped_before": "no", "anything_else": "fra telefonen"}


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [("c1", True), ("lead1", True), ("c2", False), ("c3", False), ("admin1", False),
     ("p1", False), ("anon", False)],
)  # fmt: skip
def test_only_the_participants_counsellor_or_the_lead_fills_in_with_them(
    app, world, as_actor, actor, allowed
):
    rid = meeting_id(open_meeting(as_actor(app, "c1"), world.p1))
    before = stored(app, rid).revision
    client = as_actor(app, actor)
    page = client.get(f"/r/{rid}/meeting/1")
    token = csrf_token(as_actor(app, "c1"), f"/r/{rid}/meeting/1")
    posted = client.post(
        f"/r/{rid}/meeting/1",
        data={"csrf_token": token, "mapped_before": "no", "base_revision": before,
              "action": "next"},
    )  # fmt: skip
    if allowed:
        assert page.status_code == 200
        assert open_meeting(client, world.p1).status_code == 302
    else:
        assert page.status_code in (302, 404) and posted.status_code in (302, 400, 404)
        if actor != "anon":
            assert page.status_code == 404
        assert stored(app, rid).revision == before


def test_a_sent_response_is_not_changed_in_a_meeting(app, world, as_actor):
    counsellor = as_actor(app, "c1")
    phone = as_actor(app, "p1")
    rid = str(uuid.uuid4())
    sent = {"mapped_before": "no", "short_term_goal_kind": "work", "long_term_goal_kind": "work"}
    assert put(phone, rid, body(sent, status="submitted")).status_code in (200, 201)
    page = counsellor.get(f"/r/{rid}/meeting/1")
    assert page.status_code == 302 and page.location.endswith(f"/responses/{rid}")
    assert stored(app, rid).status == "submitted"
    with app.app_context():
        assert db.session.get(Response, rid).revision == 1


def test_a_counsellor_whose_session_ended_in_a_meeting_signs_in_again_as_staff(
    app, world, as_actor
):
    """The meeting pages are the participant's questionnaire pages: an ended staff session
    went to the participants' invite page, with "ask your counsellor for a new code"."""
    from datetime import timedelta

    import sqlalchemy as sa

    from webapp.models import LoginSession
    from webapp.models.types import utcnow

    counsellor = as_actor(app, "c1")
    rid = meeting_id(open_meeting(counsellor, world.p1))
    with app.app_context():
        for login in db.session.scalars(sa.select(LoginSession)):
            login.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = counsellor.get(f"/r/{rid}/meeting/1")
    assert response.status_code == 302 and "/login" in response.location
    page = counsellor.get(response.location).get_data(as_text=True)
    assert "Your session has expired. Please sign in again." in page
    assert "new code" not in page


def test_a_meeting_page_with_a_strange_base_revision_keeps_the_answer(app, world, as_actor):
    """ "²" passed isdigit() and failed int(): a server error on the meeting pages too."""
    counsellor = as_actor(app, "c1")
    rid = meeting_id(open_meeting(counsellor, world.p1))
    html = counsellor.get(f"/r/{rid}/meeting/2").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    answer = counsellor.post(f"/r/{rid}/meeting/2", data={
        "csrf_token": token, "action": "back", "short_term_goal": "Norsk",
        "base_revision": "²"})  # fmt: skip
    assert answer.status_code == 302
    assert stored(app, rid).answers["short_term_goal"] == "Norsk"
