"""The app shell (/app/) is rendered once per language and kept (issue 12); what differs per
person and request must still be right: the language, the CSRF token of the forms on it, a
message flashed for this person."""

from __future__ import annotations

import json
import re

from flask import render_template_string, template_rendered
from flask_babel import force_locale

from webapp.extensions import db
from webapp.models import LoginSession
from webapp.pwa.views import _TOKEN_MARK, client_strings

from .conftest import csrf_token


def forms_token(html: str) -> str:
    [token] = set(re.findall(r'name="csrf_token" value="([^"]+)"', html))
    return token


def test_each_person_gets_their_language_and_their_own_working_token(app, world, as_actor):
    amina, bashir = as_actor(app, "p1"), as_actor(app, "p2")
    # Amina reads Arabic: she chooses it on the shell's own language form.
    amina.post("/language", data={"lang": "ar", "next": "/app/",
                                  "csrf_token": csrf_token(amina, "/app/")})  # fmt: skip
    app.extensions.pop("loype_shells", None)  # kept by an earlier test of this app
    rendered = []

    def note(_app, template, context, **_):
        rendered.append(template.name)

    with template_rendered.connected_to(note, app):
        for _ in range(3):  # the first rendering of each language, then the kept one
            arabic = amina.get("/app/").get_data(as_text=True)
            english = bashir.get("/app/").get_data(as_text=True)
            assert '<html lang="ar" dir="rtl">' in arabic
            assert '<html lang="en" dir="ltr">' in english
            assert "تسجيل الخروج" in arabic and "Sign out" in english
            assert _TOKEN_MARK not in arabic + english
    assert rendered == ["pwa/app.html", "pwa/app.html"]  # once per language
    assert forms_token(arabic) != forms_token(english)

    # Bashir's token from the kept shell signs him out; Amina's session is untouched.
    response = bashir.post("/leave", data={"csrf_token": forms_token(english)})
    assert response.status_code == 302
    with app.app_context():
        ended = {s.participant_id: s.ended_at for s in db.session.query(LoginSession)}
    assert ended[world.p2] is not None and ended[world.p1] is None
    assert bashir.get("/app/").status_code == 302  # signed out: to the join page
    assert amina.get("/app/").status_code == 200


def test_a_token_from_someone_elses_shell_is_refused(app, world, as_actor):
    amina, bashir = as_actor(app, "p1"), as_actor(app, "p2")
    token = forms_token(amina.get("/app/").get_data(as_text=True))
    bashir.get("/app/")
    response = bashir.post("/leave", data={"csrf_token": token})
    assert response.status_code == 400
    with app.app_context():
        bashirs = db.session.query(LoginSession).filter_by(participant_id=world.p2).one()
        assert bashirs.ended_at is None


def test_a_flashed_message_shows_once_on_the_shell(app, world, as_actor):
    amina = as_actor(app, "p1")
    amina.get("/app/")  # the kept shell exists
    with amina.session_transaction() as session:
        session["_flashes"] = [("info", "Your counsellor has a new plan for you.")]
    assert "Your counsellor has a new plan for you." in amina.get("/app/").get_data(as_text=True)
    assert "Your counsellor has a new plan for you." not in amina.get("/app/").get_data(
        as_text=True
    )


def test_the_apps_strings_come_as_utf8_text_and_stay_inert_in_the_page(app, world, as_actor):
    """The shell's strings in Arabic are the letters themselves (2 bytes each), not ``\\u0627``
    escapes (6 bytes): Jinja's ``tojson`` writes with the app's JSON (issue 12)."""
    amina = as_actor(app, "p1")
    amina.post("/language", data={"lang": "ar", "next": "/app/",
                                  "csrf_token": csrf_token(amina, "/app/")})  # fmt: skip
    app.extensions.pop("loype_shells", None)
    html = amina.get("/app/").get_data(as_text=True)
    [text] = re.findall(r'<script type="application/json" id="app-strings">(.*?)</script>', html)
    with app.test_request_context("/app/"), force_locale("ar"):
        expected = client_strings()
    assert json.loads(text) == expected
    assert expected["all_sent"] in text and not expected["all_sent"].isascii()
    assert "\\u0" not in text
    # What ends a script element or an attribute is still escaped where tojson writes it.
    with app.test_request_context("/"):
        written = render_template_string("{{ x|tojson }}", x="</script><b>&'é")
    assert written == '"\\u003c/script\\u003e\\u003cb\\u003e\\u0026\\u0027é"'


def test_the_offline_page_names_its_sign_in_and_holds_nothing_of_the_session(app, world, as_actor):
    """The worker keeps /offline and shows it when a page cannot load: it is drawn in the
    participant's language for their sign-in (the header the worker checks), with no menu and
    no form carrying a session's token."""
    amina = as_actor(app, "p1")
    shell = amina.get("/app/")
    page = amina.get("/offline")
    html = page.get_data(as_text=True)
    assert page.headers["Loype-Owner"] == shell.headers["Loype-Owner"]
    assert "csrf_token" not in html and "<form" not in html and "<nav" not in html
    assert amina.get("/app/").headers["Loype-Owner"] == page.headers["Loype-Owner"]
    assert "Loype-Owner" not in app.test_client().get("/offline").headers  # nobody's


def test_the_sign_out_page_gives_a_working_token(app, world, as_actor):
    """GET /leave: the sign-out as a page, whose token is the session's as it is now (the app
    takes it when its own page was drawn for an earlier session)."""
    bashir = as_actor(app, "p2")
    page = bashir.get("/leave")
    assert page.status_code == 200
    response = bashir.post("/leave", data={"csrf_token": forms_token(page.get_data(as_text=True))})
    assert response.status_code == 302
    with app.app_context():
        [login] = db.session.query(LoginSession).filter_by(participant_id=world.p2).all()
        assert login.ended_at is not None
    assert bashir.get("/leave").headers["Location"].endswith("/join")  # signed out now
