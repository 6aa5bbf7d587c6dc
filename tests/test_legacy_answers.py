"""Answers stored before the write path refused answers to unknown questions.

Until session 28 a builder's document without ``additionalProperties: false`` let a phone
store an answer to a question its version does not have (a deleted question, an older page's).
Nobody sees such an answer, but it stayed in the stored answers, and since both engines refuse
unknown answers every later save of that response was refused as a whole (422), on the phone
and at the web form's submit. Now the next write drops them (the revision history keeps them),
while a new answer to an unknown question is still refused.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Response, ResponseRevision

from .conftest import csrf_token
from .test_write_path import body, put

SPOKEN = {"language": "ar", "level": 5}
FIRST = {"mapped_before": "yes", "languages_spoken": [SPOKEN]}


def _store_legacy(app, rid: str) -> None:
    """Put answers to unknown questions where a pre-session-28 write left them."""
    with app.app_context():
        answers = {**db.session.get(Response, rid).answers, "old_question": "typed long ago"}
    answers["languages_spoken"] = [
        {**entry, "old_child": "x"} for entry in answers["languages_spoken"]
    ]
    store_answers(app, rid, answers)


def store_answers(app, rid: str, answers: dict) -> None:
    """Put answers in the response and in its current revision, as an older rule let them in
    (the write path refuses them now)."""
    with app.app_context():
        response = db.session.get(Response, rid)
        response.answers = answers
        db.session.execute(
            sa.update(ResponseRevision)
            .where(ResponseRevision.response_id == rid,
                   ResponseRevision.number == response.revision)
            .values(answers=answers)
        )  # fmt: skip
        db.session.commit()


def _answers(app, rid: str) -> tuple[dict, list[dict]]:
    with app.app_context():
        response = db.session.get(Response, rid)
        history = db.session.scalars(
            sa.select(ResponseRevision.answers)
            .where(ResponseRevision.response_id == rid)
            .order_by(ResponseRevision.number)
        ).all()
        return dict(response.answers), list(history)


def _phone_with_legacy(app, as_actor):
    """p1's phone, and a response of theirs that holds legacy answers."""
    phone = as_actor(app, "p1")
    rid = str(uuid.uuid4())
    assert put(phone, rid, body(FIRST)).status_code == 201
    _store_legacy(app, rid)
    return phone, rid


def test_a_phone_saves_a_response_holding_legacy_answers(app, world, as_actor):
    phone, rid = _phone_with_legacy(app, as_actor)
    # The phone holds what the server gave it, legacy answers included, and changes one answer.
    echoed = {"mapped_before": "no", "old_question": "typed long ago",
              "languages_spoken": [{**SPOKEN, "old_child": "x"}]}  # fmt: skip
    saved = put(phone, rid, body(echoed, base=1))
    assert saved.status_code == 200, saved.json
    assert saved.json["answers"] == {"mapped_before": "no", "languages_spoken": [SPOKEN]}
    answers, history = _answers(app, rid)
    assert answers == {"mapped_before": "no", "languages_spoken": [SPOKEN]}
    assert history[0]["old_question"] == "typed long ago"  # kept in the history
    # Sent by the phone now, an answer to a question the version does not have is refused.
    refused = put(phone, rid, body({"mapped_before": "no", "old_question": "new"}, base=2))
    assert refused.status_code == 422
    assert refused.json["errors"][0]["pointer"] == "/answers/old_question"
    assert _answers(app, rid)[0] == {"mapped_before": "no", "languages_spoken": [SPOKEN]}


def test_a_phone_that_left_them_out_merges_over_them(app, world, as_actor):
    phone, rid = _phone_with_legacy(app, as_actor)
    # An edit based on an older state than the stored one: merged question by question.
    saved = put(phone, rid, body({"mapped_before": "no", "languages_spoken": [SPOKEN]}, base=1,
                                 device="d" * 32, sequence=5))  # fmt: skip
    assert saved.status_code == 200, saved.json
    assert _answers(app, rid)[0] == {"mapped_before": "no", "languages_spoken": [SPOKEN]}


def test_the_web_form_submits_a_response_holding_legacy_answers(app, world, as_actor):
    web = as_actor(app, "p1")
    token = csrf_token(web, "/me/")
    started = web.post("/me/q/kartlegging/start", data={"csrf_token": token})
    rid = started.location.rsplit("/", 1)[1]
    required = {
        "short_term_goal_kind": "work",
        "long_term_goal_kind": "work",
        "languages_spoken": [SPOKEN],
    }
    first = put(web, rid, body(required, base=1))
    assert first.status_code in (200, 201), first.json
    _store_legacy(app, rid)
    token = csrf_token(web, f"/r/{rid}/summary")
    sent = web.post(f"/r/{rid}/submit", data={"csrf_token": token})
    page = web.get(sent.location).get_data(as_text=True) if sent.status_code == 302 else ""
    with app.app_context():
        response = db.session.get(Response, rid)
        assert response.status == "submitted", page[:2000]
        assert "old_question" not in response.answers
        assert "old_child" not in response.answers["languages_spoken"][0]


def test_the_phone_restores_a_response_without_legacy_answers(app, world, as_actor):
    phone, rid = _phone_with_legacy(app, as_actor)
    restored = next(r for r in phone.get("/api/v1/me").json["responses"] if r["id"] == rid)
    assert restored["answers"] == {"mapped_before": "yes", "languages_spoken": [SPOKEN]}
