"""The comment thread on a response: staff notes, messages to the participant, limits."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Comment, Participant, Questionnaire
from webapp.services import comments
from webapp.services import responses as response_service

from .conftest import csrf_token
from .review_forms import post_review


def _response(app, world) -> str:
    with app.app_context():
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        response = response_service.start(db.session.get(Participant, world.p1), kartlegging)
        db.session.commit()
        return response.id


def _post(client, url: str, page: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


def _comments(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (c.kind, c.body) for c in db.session.scalars(sa.select(Comment).order_by(Comment.id))
        ]


def test_notes_stay_with_staff_messages_reach_the_participant(app, world, as_actor):
    rid = _response(app, world)
    page = f"/responses/{rid}"
    counsellor = as_actor(app, "c1")
    assert (
        _post(counsellor, f"{page}/comments", page, kind="note", body="Ring tolk").status_code
        == 302
    )
    response = _post(counsellor, f"{page}/comments", page, kind="message", body="Se på side 3")
    assert response.status_code == 302
    html = counsellor.get(page).get_data(as_text=True)
    assert "Ring tolk" in html and "Se på side 3" in html and "Counsellor One" in html
    # The lead reads the thread too, and adds to it.
    lead = as_actor(app, "lead1")
    assert _post(lead, f"{page}/comments", page, kind="note", body="Enig").status_code == 302

    phone = as_actor(app, "p1")
    home = phone.get("/me/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Se på side 3" in home and "Ring tolk" not in home and "Enig" not in home
    me = phone.get("/api/v1/me").get_json()
    [summary] = me["responses"]
    assert [m["body"] for m in summary["messages"]] == ["Se på side 3"]
    assert summary["messages"][0]["author"] == "Counsellor One"
    assert summary["messages"][0]["edited_at"] is None


def test_length_limits_are_told_and_nothing_is_stored(app, world, as_actor):
    rid = _response(app, world)
    page = f"/responses/{rid}"
    client = as_actor(app, "c1")
    long_message = "x" * (comments.LIMITS["message"] + 1)
    response = _post(client, f"{page}/comments", page, kind="message", body=long_message)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert (
        "A message to the participant can be at most 2000 characters long. Yours has 2001." in html
    )
    assert long_message in html  # the text is kept in the form to shorten
    response = _post(client, f"{page}/comments", page, kind="note", body="y" * 4001)
    assert "A note can be at most 4000 characters long. Yours has 4001." in response.get_data(
        as_text=True
    )
    response = _post(client, f"{page}/comments", page, kind="note", body="   ")
    assert response.status_code == 422
    assert "A comment cannot be empty: write it in the box." in response.get_data(as_text=True)
    assert _post(client, f"{page}/comments", page, kind="shout", body="x").status_code == 422
    assert _comments(app) == []
    assert _post(client, f"{page}/comments", page, kind="note", body="z" * 4000).status_code == 302


def test_only_the_author_edits_and_only_for_a_while(app, world, as_actor):
    rid = _response(app, world)
    page = f"/responses/{rid}"
    client = as_actor(app, "c1")
    _post(client, f"{page}/comments", page, kind="message", body="Hei")
    with app.app_context():
        cid = db.session.scalar(sa.select(Comment.id))
    edit = f"{page}/comments/{cid}"
    assert "Change the text" in client.get(page).get_data(as_text=True)
    assert _post(client, edit, edit, body="Hei igjen").status_code == 302
    assert _comments(app) == [("message", "Hei igjen")]
    assert "changed" in client.get(page).get_data(as_text=True)

    lead = as_actor(app, "lead1")  # reads the response, but did not write the comment
    assert lead.get(edit).status_code == 404
    assert "Change the text" not in lead.get(page).get_data(as_text=True)
    assert as_actor(app, "c2").get(edit).status_code == 404

    with app.app_context():
        comment = db.session.get(Comment, cid)
        comment.created_at -= timedelta(minutes=comments.EDIT_MINUTES + 1)
        db.session.commit()
    token = csrf_token(client, page)
    response = client.post(edit, data={"csrf_token": token, "body": "For sent"})
    assert response.status_code == 409
    assert "can no longer be changed" in response.get_data(as_text=True)
    assert _comments(app) == [("message", "Hei igjen")]
    assert "Change the text" not in client.get(page).get_data(as_text=True)


def test_there_is_no_way_to_delete_a_comment(app):
    assert not [
        r for r in app.url_map.iter_rules() if "comments" in r.rule and "DELETE" in r.methods
    ]
    assert not hasattr(comments, "delete")


def _counsellors_form(app, world) -> str:
    """A sent response to the counsellor's own questionnaire about p1 (muligheter)."""
    with app.app_context():
        from webapp.models import StaffUser

        muligheter = db.session.scalar(sa.select(Questionnaire).filter_by(slug="muligheter"))
        response = response_service.start(
            db.session.get(Participant, world.p1), muligheter,
            author=db.session.get(StaffUser, world.c1),
        )  # fmt: skip
        response.status = "submitted"
        db.session.commit()
        return response.id


def test_no_message_goes_where_the_participant_never_looks(app, world, as_actor):
    """The participant never sees the counsellor's own questionnaires, so a message on one
    would be stored and never read: the page offers notes only, and a message is refused
    with a reason, in the counsellor's language, with nothing stored or reopened."""
    from webapp.models import Notification, Response, Review

    rid = _counsellors_form(app, world)
    page = f"/responses/{rid}"
    counsellor = as_actor(app, "c1")
    html = counsellor.get(page).get_data(as_text=True)
    assert "comments here are internal notes" in html
    assert "Message to the participant" not in html  # neither the comment kind nor the field
    refused = _post(counsellor, f"{page}/comments", page, kind="message", body="Se på dette")
    assert refused.status_code == 422
    assert "a message to them here would never reach them" in refused.get_data(as_text=True)
    assert _comments(app) == []
    noted = _post(counsellor, f"{page}/comments", page, kind="note", body="Ring NAV")
    assert noted.status_code == 302
    assert _comments(app) == [("note", "Ring NAV")]

    review = post_review(counsellor, rid, status="follow_up", note="", message="Fyll ut mer")
    assert "Leave the message empty. Nothing was changed." in review.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Response, rid).status == "submitted"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    # Without a message, follow-up opens it for the counsellor again, as before.
    assert post_review(counsellor, rid, status="follow_up", note="", message="").status_code == 302
    with app.app_context():
        assert db.session.get(Response, rid).status == "draft"
    opened = counsellor.get(page).get_data(as_text=True)
    assert "staff can change the answers again" in opened
    assert "the participant can change the answers" not in opened
    assert as_actor(app, "p1").get("/api/v1/me").get_json()["responses"] == []


def test_the_message_refusal_is_in_the_counsellors_language(app, world, as_actor):
    from webapp.models import StaffUser

    rid = _counsellors_form(app, world)
    with app.app_context():
        db.session.get(StaffUser, world.c1).language = "nb"
        db.session.commit()
    page = f"/responses/{rid}"
    counsellor = as_actor(app, "c1")
    html = _post(counsellor, f"{page}/comments", page, kind="message", body="x").get_data(
        as_text=True
    )
    assert "Deltakeren ser ikke dette skjemaet" in html and "never reach them" not in html
