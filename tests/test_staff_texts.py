"""What counsellors type and read: line breaks counted as the browser counts them, length
limits worded in their language, and a sign-in lockout that speaks to staff."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Comment, NextStep, Response
from webapp.services import throttle

from .conftest import PASSWORD, csrf_token, english_client, mapping_sent


def _seen(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="seen"[^>]*value="([^"]*)"', html).group(1)


def _typed(limit: int, width: int = 99) -> tuple[str, str]:
    """Text of ``limit`` characters as a browser counts them, lines of ``width`` characters:
    as the form sends it (CR LF) and as it is kept (LF)."""
    lines = limit // (width + 1)
    kept = ("x" * width + "\n") * lines
    assert len(kept) == limit
    return kept.replace("\n", "\r\n"), kept


def test_a_plan_step_as_long_as_the_page_allows_is_kept_with_its_line_breaks(app, world, as_actor):
    page = f"/participants/{world.p1}"
    counsellor = as_actor(app, "c1")
    assert 'maxlength="1000"' in counsellor.get(page).get_data(as_text=True)
    sent, kept = _typed(1000)
    response = counsellor.post(
        f"{page}/steps",
        data={"csrf_token": csrf_token(counsellor, page), "goal": "Goal typed in a browser",
              "action": sent, "responsible": "participant", "status": "planned"},
    )  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        [step] = db.session.scalars(sa.select(NextStep)).all()
        assert step.action == kept.strip() and "\r" not in step.action
    # Changing the step again: the same text, the same count.
    response = counsellor.post(
        f"{page}/steps/{step.id}",
        data={"csrf_token": csrf_token(counsellor, page), "goal": "Goal typed in a browser",
              "action": sent, "responsible": "counsellor", "status": "in_progress"},
    )  # fmt: skip
    assert response.status_code == 302


def test_a_review_note_and_message_as_long_as_the_page_allows_are_kept(app, world, as_actor):
    rid = mapping_sent(app, world.p1)
    page = f"/responses/{rid}"
    counsellor = as_actor(app, "c1")
    html = counsellor.get(page).get_data(as_text=True)
    assert 'maxlength="10000"' in html and 'maxlength="2000"' in html
    note_sent, note_kept = _typed(10000, width=999)
    message_sent, message_kept = _typed(2000, width=199)
    response = counsellor.post(
        page,
        data={"csrf_token": csrf_token(counsellor, page), "seen": _seen(counsellor, page),
              "status": "follow_up", "note": note_sent, "message": message_sent},
    )  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        review = db.session.get(Response, rid).review
        assert (review.status, review.note, review.message) == (
            "follow_up",
            note_kept.strip(),
            message_kept.strip(),
        )


def test_a_message_in_the_thread_keeps_one_kind_of_line_break(app, world, as_actor):
    rid = mapping_sent(app, world.p1)
    page = f"/responses/{rid}"
    counsellor = as_actor(app, "c1")
    sent, kept = _typed(2000, width=199)
    response = counsellor.post(
        f"{page}/comments",
        data={"csrf_token": csrf_token(counsellor, page), "kind": "message", "body": sent},
    )
    assert response.status_code == 302
    with app.app_context():
        [comment] = db.session.scalars(sa.select(Comment)).all()
        assert comment.body == kept.strip()


AT_MOST = {
    "en": "Please write at most {} characters.",
    "nb": "Skriv høyst {} tegn.",
    "nn": "Skriv høgst {} teikn.",
    "ar": "يُرجى ألّا يزيد عدد الأحرف على {}.",
}


def _in_language(app, world, as_actor, lang: str):
    client = as_actor(app, "lead1")
    client.post(
        "/language",
        data={"csrf_token": csrf_token(client, "/caseload"), "lang": lang, "next": "/caseload"},
    )
    return client


def _errors(response) -> str:
    return " ".join(
        re.findall(r'<p class="error"[^>]*>(.*?)</p>', response.get_data(as_text=True), re.S)
    )


@pytest.mark.parametrize("lang", ["en", "nb", "nn", "ar"])
def test_a_text_too_long_is_refused_in_the_readers_language(app, world, as_actor, lang):
    rid = mapping_sent(app, world.p1)
    client = _in_language(app, world, as_actor, lang)
    page = f"/participants/{world.p2}"
    token = csrf_token(client, page)
    answers = {
        120: [
            client.get("/caseload", query_string={"q": "Z" * 121}),
            client.post("/participants/new", data={
                "csrf_token": token, "display_name": "N" * 121, "language": "nb",
                "counsellor_id": str(world.lead1),
            }),
        ],
        300: [client.post(f"{page}/steps", data={
            "csrf_token": token, "goal": "g" * 301, "responsible": "participant",
            "status": "planned",
        })],
        200: [client.post(f"{page}/guidance-offer",
                          data={"csrf_token": token, "guidance_centre": "c" * 201})],
        10000: [client.post(f"/responses/{rid}", data={
            "csrf_token": token, "seen": _seen(client, f"/responses/{rid}"),
            "status": "in_review", "note": "n" * 10001,
        })],
        2000: [client.post(f"/responses/{rid}", data={
            "csrf_token": token, "seen": _seen(client, f"/responses/{rid}"),
            "status": "follow_up", "message": "m" * 2001,
        })],
    }  # fmt: skip
    for limit, responses in answers.items():
        for response in responses:
            errors = _errors(response)
            assert AT_MOST[lang].format(limit) in errors, (limit, errors)
            assert "Field cannot be longer" not in errors


def _login(client, email: str, password: str):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_staff_locked_out_of_signing_in_are_not_sent_to_a_counsellor(app, world):
    client = english_client(app)
    for _ in range(throttle.LOGIN_ACCOUNT.failures):
        assert _login(client, world.emails["c1"], "guess").status_code == 422
    blocked = _login(client, world.emails["c1"], PASSWORD)
    assert blocked.status_code == 429
    text = blocked.get_data(as_text=True)
    assert "too many wrong attempts" in text and "ask your administrator" in text
    assert "your counsellor" not in text


def test_a_participant_locked_out_is_still_sent_to_their_counsellor(app, world):
    phone = english_client(app)
    for index in range(throttle.JOIN_ADDRESS.failures):
        phone.get(f"/join/ABCDEFGH{index:02d}")
    page = phone.get("/join/ABCDEFGHJK")
    assert page.status_code == 429
    assert "ask your counsellor" in page.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["nn", "ar"])
def test_the_sign_in_form_says_its_limits_in_the_readers_language(app, world, lang):
    """Every form of the site says its length limits in the reader's language, the sign-in
    too (WTForms' own sentence is English in nn and ar)."""
    client = english_client(app)
    client.post(
        "/language",
        data={"csrf_token": csrf_token(client, "/login"), "lang": lang, "next": "/login"},
    )
    response = _login(client, "a" * 250 + "@example.org", "x" * 201)
    errors = _errors(response)
    assert AT_MOST[lang].format(254) in errors and AT_MOST[lang].format(200) in errors
    assert "Field cannot be longer" not in errors


def test_a_resource_description_as_long_as_the_page_allows_is_kept(app, world, as_actor):
    from webapp.models import Resource
    from webapp.services.resource_editing import DESCRIPTION_MAX

    admin = as_actor(app, "admin1")
    sent, kept = _typed(DESCRIPTION_MAX)
    response = admin.post(
        "/admin/resources/new",
        data={"csrf_token": csrf_token(admin, "/admin/resources/new"),
              "url": "https://a.example/", "title_nb": "Kurs", "description_nb": sent,
              "tags": "norwegian-course", "region": "municipality",
              "audience": "participant", "active": "y"},
    )  # fmt: skip
    assert response.status_code == 302, _errors(response)
    with app.app_context():
        resource = db.session.scalar(sa.select(Resource).where(Resource.slug == "kurs"))
        assert resource.description["nb"] == kept.strip()  # texts are kept stripped
