"""Server-side sessions: sign-out, a new invite, a revoked device, a deactivated account and a
new password end a session everywhere at once, and an old cookie replayed later is refused.

Also: the invite link does not sign in on a plain GET (login CSRF); codes are single-use and
expire; a new session id at every sign-in.
"""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import LoginSession, Participant, StaffUser
from webapp.models.types import utcnow
from webapp.services.sessions import device_label

from .conftest import copy_session, csrf_token, english_client, join, login_staff

ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)


def _replay(app, client):
    """A second client holding a copy of ``client``'s cookie, as an attacker would."""
    thief = english_client(app)
    copy_session(client, thief)
    return thief


def _cookie(client) -> str:
    name = client.application.config["SESSION_COOKIE_NAME"]
    return client.get_cookie(name, domain="loype.test").value


def test_staff_cookie_replayed_after_sign_out_is_refused(app, world, as_actor):
    counsellor = as_actor(app, "c1")
    thief = _replay(app, counsellor)
    assert thief.get("/caseload").status_code == 200  # a copy works while signed in ...
    token = csrf_token(counsellor, "/caseload")
    assert counsellor.post("/logout", data={"csrf_token": token}).status_code == 302
    response = thief.get("/caseload")  # ... and not after sign-out
    assert response.status_code == 302 and "/login" in response.location
    page = thief.get("/caseload", follow_redirects=True).get_data(as_text=True)
    # The text a person sees, not the tags: the sign-in form's random CSRF token held "p1"
    # about once in 150 runs.
    assert "p1" not in re.sub(r"<[^>]*>", " ", page)


def test_participant_cookie_replayed_after_sign_out_is_refused(app, world, as_actor):
    phone = as_actor(app, "p1")
    thief = _replay(app, phone)
    assert thief.get("/api/v1/me").status_code == 200
    token = csrf_token(phone, "/me/")
    assert phone.post("/leave", data={"csrf_token": token}).status_code == 302
    response = thief.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["title"] == "Please sign in again"
    assert thief.get("/me/").status_code == 302


def test_a_new_session_id_at_every_sign_in(app, world):
    client = english_client(app)
    csrf_token(client, "/login")
    anonymous = _cookie(client)
    login_staff(client, world.emails["c1"])
    first = _cookie(client)
    stale = _replay(app, client)
    login_staff(client, world.emails["c1"])
    second = _cookie(client)
    assert len({anonymous, first, second}) == 3
    assert stale.get("/caseload").status_code == 302  # the first session ended with the second
    assert client.get("/caseload").status_code == 200
    with app.app_context():
        live = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginSession)
            .where(LoginSession.ended_at.is_(None))
        )
        assert live == 1


def test_deactivated_staff_are_signed_out_everywhere(app, world, as_actor, runner):
    counsellor = as_actor(app, "c1")
    result = runner.invoke(args=["staff", "deactivate", world.emails["c1"]])
    assert result.exit_code == 0, result.output
    assert counsellor.get("/caseload").status_code == 302
    again = english_client(app)
    assert login_staff(again, world.emails["c1"]).status_code == 422
    with app.app_context():
        assert db.session.get(StaffUser, world.c1).active is False


def test_a_new_password_signs_out_everywhere(app, world, as_actor, runner):
    counsellor = as_actor(app, "c1")
    result = runner.invoke(
        args=["staff", "password", world.emails["c1"]],
        input="a brand new password\na brand new password\n",
    )
    assert result.exit_code == 0, result.output
    assert counsellor.get("/caseload").status_code == 302
    assert login_staff(english_client(app), world.emails["c1"]).status_code == 422
    fresh = english_client(app)
    assert login_staff(fresh, world.emails["c1"], "a brand new password").status_code == 302


def test_staff_session_lasts_the_configured_hours(app, world, as_actor):
    counsellor = as_actor(app, "c1")
    with app.app_context():
        login = db.session.scalar(sa.select(LoginSession).filter_by(staff_id=world.c1))
        hours = (login.expires_at - login.created_at) / timedelta(hours=1)
        assert round(hours) == app.config["STAFF_SESSION_HOURS"]
    assert counsellor.get("/caseload").status_code == 200


def test_invite_link_does_not_sign_in_on_a_plain_get(app, world):
    """A link from another site (a top-level GET) only shows a page with a button."""
    phone = english_client(app)
    page = phone.get(f"/join/{world.codes['p1']}")
    assert page.status_code == 200
    assert "Press the button to sign in" in page.get_data(as_text=True)
    assert phone.get("/api/v1/me").status_code == 401  # not signed in
    assert phone.get("/me/").status_code == 302
    # A cross-site form post has no CSRF token from this site: refused, nobody signed in.
    forged = phone.post(f"/join/{world.codes['p1']}")
    assert forged.status_code == 400
    assert phone.get("/api/v1/me").status_code == 401
    assert join(phone, world.codes["p1"]).status_code == 302  # the button does sign in
    assert phone.get("/api/v1/me").status_code == 200


def test_invite_codes_are_single_use(app, world):
    assert join(english_client(app), world.codes["p1"]).status_code == 302
    second = english_client(app)
    response = join(second, world.codes["p1"])
    assert response.status_code == 404
    assert "does not work any more" in response.get_data(as_text=True)
    token = csrf_token(second, "/join")
    typed = second.post("/join", data={"code": world.codes["p1"], "csrf_token": token})
    assert typed.status_code == 422


def test_invite_codes_expire_after_the_configured_days(app, world):
    assert app.config["INVITE_DAYS"] == 7  # the default (README's configuration table)
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        assert person.invite_expires_at - utcnow() > timedelta(days=6, hours=23)
        person.invite_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert join(english_client(app), world.codes["p1"]).status_code == 404


def test_counsellor_sees_and_signs_out_a_participants_device(app, world, as_actor):
    phone = english_client(app)
    phone.environ_base["HTTP_USER_AGENT"] = ANDROID_CHROME
    assert join(phone, world.codes["p1"]).status_code == 302
    counsellor = as_actor(app, "c1")
    page = counsellor.get(f"/participants/{world.p1}").get_data(as_text=True)
    assert "Signed-in devices" in page and "Chrome · Android" in page
    with app.app_context():
        device = db.session.scalar(sa.select(LoginSession).filter_by(participant_id=world.p1))
    # Another counsellor (same municipality, not assigned) cannot even see it.
    other = as_actor(app, "c2")
    token = csrf_token(other, "/caseload")
    url = f"/participants/{world.p1}/sessions/{device.id}/end"
    assert other.post(url, data={"csrf_token": token}).status_code == 404
    assert phone.get("/api/v1/me").status_code == 200
    token = csrf_token(counsellor, f"/participants/{world.p1}")
    response = counsellor.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "The device is signed out." in response.get_data(as_text=True)
    assert "Not signed in on any device." in response.get_data(as_text=True)
    assert phone.get("/api/v1/me").status_code == 401  # the revoked device, at its next request
    with app.app_context():
        ended = db.session.get(LoginSession, device.id)
        assert ended.ended_reason == "revoked"


def test_the_cookie_holds_no_identity_and_the_database_no_token(app, world, as_actor):
    phone = as_actor(app, "p1")
    with phone.session_transaction() as session:
        assert set(session) <= {"sid", "csrf_token", "lang", "_permanent", "_flashes"}
        token = session["sid"]
    with app.app_context():
        stored = db.session.scalars(sa.select(LoginSession.token_hash)).all()
    assert token not in stored and len(stored) == 1


def test_device_labels():
    assert device_label(ANDROID_CHROME) == "Chrome · Android"
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Safari/605.1"
    assert device_label(iphone) == "Safari · iPhone"
    # Chromium without a window (as in these tests) names itself HeadlessChrome, and Safari too.
    headless = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/156.0.0.0 Safari/537.36"
    )
    assert device_label(headless) == "Chrome · Linux"
    assert device_label("") == "" and device_label(None) == ""


def test_a_request_finds_its_session_and_person_in_one_statement(app, world, as_actor):
    from webapp.services import sessions

    from .test_caseload import StatementCounter

    as_actor(app, "p1")
    as_actor(app, "c1")
    with app.app_context():
        tokens = {"p1": "p1-token", "c1": "c1-token"}
        for name, token in tokens.items():  # known tokens for the two live sessions
            column = LoginSession.participant_id if name == "p1" else LoginSession.staff_id
            login = db.session.scalars(
                sa.select(LoginSession).where(column == getattr(world, name))
            ).one()
            login.token_hash = sessions._hash(token)
        db.session.commit()
        db.session.expunge_all()
        for name, token in tokens.items():
            with StatementCounter(db.engine) as counter:
                person = sessions.find(token).person
                assert person.id == getattr(world, name)
            assert counter.count == 1


def test_staff_read_that_they_are_signed_out_in_their_own_language(app, world, as_actor):
    """The browser asks for English; the counsellor works in Ukrainian. "You are signed out."
    was made after the session's language was cleared, so it came in English."""
    with app.app_context():
        db.session.get(StaffUser, world.c1).language = "uk"
        db.session.commit()
    counsellor = as_actor(app, "c1")
    token = csrf_token(counsellor, "/caseload")
    left = counsellor.post("/logout", data={"csrf_token": token})
    assert left.status_code == 302 and left.location.endswith("/login")
    page = counsellor.get(left.location).get_data(as_text=True)
    assert "Ви вийшли із системи." in page and "You are signed out" not in page
    assert 'lang="uk"' in page
    # Signing in again as someone else without choosing a language keeps theirs.
    assert login_staff(counsellor, world.emails["c2"]).status_code == 302
    with app.app_context():
        assert db.session.get(StaffUser, world.c2).language != "uk"
