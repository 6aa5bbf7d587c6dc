"""Staff accounts in the browser: an administrator adds colleagues (who set their own password
with a one-time link), makes a fresh link for a forgotten password, deactivates and activates
them; a staff member changes their own password."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import LoginSession, StaffUser
from webapp.models.types import utcnow
from webapp.services import accounts, throttle

from .conftest import PASSWORD, csrf_token, english_client, login_staff
from .two_step import events

NEW_PASSWORD = "a new and longer passphrase"
LINK = re.compile(r"/account/set-password/([A-Za-z0-9_-]{43})")


def _send(client, url: str, data: dict | None = None, page: str = "/admin/staff"):
    """POST a form as its page sends it (with the page's CSRF token)."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, page)})


def _add(client, email: str = "new@a.no", **fields):
    data = {"name": "Nora New", "email": email, "role": "counsellor", "language": "en"}
    return _send(client, "/admin/staff", {**data, **fields})


def _token(page) -> str:
    found = LINK.findall(page.get_data(as_text=True))
    assert len(set(found)) == 1, found
    return found[0]


def _set_password(client, token: str, password: str = NEW_PASSWORD, again: str | None = None):
    page = f"/account/set-password/{token}"
    data = {"password": password, "password_again": password if again is None else again}
    return client.post(page, data={**data, "csrf_token": csrf_token(client, page)})


def _account(app, email: str) -> StaffUser | None:
    with app.app_context():
        user = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def _live_sessions(app, staff_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginSession)
            .where(LoginSession.staff_id == staff_id, LoginSession.ended_at.is_(None))
        )


# --- adding a colleague, and the link -------------------------------------------------------


def test_an_added_colleague_sets_a_password_with_the_link_and_signs_in(app, world, as_actor):
    admin = as_actor(app, "admin1")
    form = admin.get("/admin/staff").get_data(as_text=True)
    assert 'name="email"' in form and '<option value="ar"' in form
    shown = _add(admin, email=" Nora.New@A.no ", role="administrator", language="nn")
    assert shown.status_code == 200
    assert "This link is shown only now." in shown.get_data(as_text=True)
    token = _token(shown)
    added = _account(app, "nora.new@a.no")
    assert (added.municipality_id, added.name, added.role, added.language, added.active) == (
        world.m1,
        "Nora New",
        "administrator",
        "nn",
        True,
    )
    assert added.password_link_hash and token not in added.password_link_hash
    left = added.password_link_expires_at - utcnow()
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)
    assert events(app, "staff.create") == [(f"staff:{world.admin1}", f"staff:{added.id}")]
    # The link is shown once: the staff list does not show it again.
    assert token not in admin.get("/admin/staff").get_data(as_text=True)
    # No password works until the colleague sets one.
    assert login_staff(english_client(app), "nora.new@a.no").status_code == 422

    person = english_client(app)
    person.post("/language", data={"lang": "en", "csrf_token": csrf_token(person)})
    page = person.get(f"/account/set-password/{token}")  # in the language this browser chose
    assert page.status_code == 200 and "Set your password" in page.get_data(as_text=True)
    refused = _set_password(person, token, again="something else entirely")
    assert refused.status_code == 422
    assert "The two passwords are not the same." in refused.get_data(as_text=True)
    short = _set_password(person, token, password="too short")
    assert short.status_code == 422
    assert "Please write at least 12 characters." in short.get_data(as_text=True)
    done = _set_password(person, token)
    assert done.status_code == 302 and done.location.endswith("/login")
    signed_in = login_staff(person, "nora.new@a.no", NEW_PASSWORD)
    assert signed_in.status_code == 302 and signed_in.location.endswith("/admin/questionnaires")
    assert events(app, "staff.password") == [(f"staff:{added.id}", f"staff:{added.id}")]
    # The link worked once.
    used = english_client(app).get(f"/account/set-password/{token}")
    assert used.status_code == 404 and "This link does not work" in used.get_data(as_text=True)
    assert _account(app, "nora.new@a.no").password_link_hash is None


def test_the_link_page_speaks_the_language_chosen_for_the_person(app, world, as_actor):
    token = _token(_add(as_actor(app, "admin1"), language="ar"))
    page = english_client(app).get(f"/account/set-password/{token}").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    # A link that does not work names nobody: the browser's language.
    gone = english_client(app).get(f"/account/set-password/{'x' * 43}").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in gone and "This link does not work" in gone


def test_after_setting_the_password_two_step_follows_the_municipalitys_rule(app, world, as_actor):
    token = _token(_add(as_actor(app, "admin1")))
    with app.app_context():
        db.session.get(StaffUser, world.admin1).municipality.require_totp = True
        db.session.commit()
    person = english_client(app)
    assert _set_password(person, token).status_code == 302
    signed_in = login_staff(person, "new@a.no", NEW_PASSWORD)
    assert signed_in.location.endswith("/account/two-step")


@pytest.mark.parametrize(
    "email, said",
    [
        ("c1@a.no", "this e-mail address."),
        (" C1@A.NO ", "this e-mail address."),
        # Another municipality's: one address, one account. The administrator cannot find it
        # in their list, so the error says where it is.
        ("c3@b.no", "this e-mail address in another municipality. An address can have only"),
    ],
)
def test_an_e_mail_address_in_use_is_a_field_error(app, world, as_actor, email, said):
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(StaffUser))
    refused = _add(as_actor(app, "admin1"), email=email)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert re.search(
        r'id="email-error".*There is already a staff account with ' + re.escape(said), page
    )
    assert not LINK.search(page)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffUser)) == before
    assert events(app, "staff.create") == []


def test_a_link_replaces_the_earlier_one_and_the_old_password_works_until_it_is_used(
    app, world, as_actor
):
    counsellor = as_actor(app, "c1")
    admin = as_actor(app, "admin1")
    first = _token(_send(admin, f"/admin/staff/{world.c1}/password-link"))
    second = _token(_send(admin, f"/admin/staff/{world.c1}/password-link"))
    assert first != second
    assert english_client(app).get(f"/account/set-password/{first}").status_code == 404
    # Until the new password is set, nothing changes for the counsellor.
    assert counsellor.get("/caseload").status_code == 200
    assert login_staff(english_client(app), world.emails["c1"]).status_code == 302
    assert "A link to set a password works until" in admin.get("/admin/staff").get_data(
        as_text=True
    )
    assert _set_password(english_client(app), second).status_code == 302
    # Setting it signs them out everywhere; only the new password signs in.
    assert counsellor.get("/caseload").status_code == 302
    assert _live_sessions(app, world.c1) == 0
    assert login_staff(english_client(app), world.emails["c1"]).status_code == 422
    assert login_staff(english_client(app), world.emails["c1"], NEW_PASSWORD).status_code == 302
    assert (
        events(app, "staff.password_link") == [(f"staff:{world.admin1}", f"staff:{world.c1}")] * 2
    )


def test_an_expired_link_is_refused(app, world, as_actor):
    token = _token(_send(as_actor(app, "admin1"), f"/admin/staff/{world.c1}/password-link"))
    person = english_client(app)
    page = f"/account/set-password/{token}"
    form_token = csrf_token(person, page)  # opened in time, sent too late
    with app.app_context():
        db.session.get(StaffUser, world.c1).password_link_expires_at = utcnow() - timedelta(
            seconds=1
        )
        db.session.commit()
    late = person.post(
        page,
        data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "csrf_token": form_token},
    )
    assert late.status_code == 404 and "This link does not work" in late.get_data(as_text=True)
    assert login_staff(english_client(app), world.emails["c1"], NEW_PASSWORD).status_code == 422
    assert login_staff(english_client(app), world.emails["c1"]).status_code == 302


def test_a_link_is_sent_only_with_this_sites_form(app, world, as_actor):
    token = _token(_send(as_actor(app, "admin1"), f"/admin/staff/{world.c1}/password-link"))
    data = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    forged = english_client(app).post(f"/account/set-password/{token}", data=data)
    assert forged.status_code == 400
    assert login_staff(english_client(app), world.emails["c1"]).status_code == 302
    assert _set_password(english_client(app), token).status_code == 302  # still unused


def test_guessing_links_is_throttled(app, world, as_actor):
    token = _token(_send(as_actor(app, "admin1"), f"/admin/staff/{world.c1}/password-link"))
    guesser = english_client(app)
    guesser.environ_base["REMOTE_ADDR"] = "203.0.113.40"
    for index in range(throttle.JOIN_ADDRESS.failures):
        assert guesser.get(f"/account/set-password/{index:043d}").status_code == 404
    refused = guesser.get(f"/account/set-password/{token}")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "ask your administrator" in refused.get_data(as_text=True)
    # The colleague, from another address, uses the link as usual.
    assert _set_password(english_client(app), token).status_code == 302


def test_the_link_never_reaches_the_log(app, world, as_actor, monkeypatch, caplog):
    caplog.set_level("DEBUG")
    admin = as_actor(app, "admin1")
    token = _token(_add(admin))
    logging.getLogger("werkzeug").info('"GET /account/set-password/%s HTTP/1.1" 200 -', token)
    person = english_client(app)
    form_token = csrf_token(person, f"/account/set-password/{token}")

    def fails(*args):  # stands in for any failure: a lost connection, a bug
        raise RuntimeError("the database went away")

    monkeypatch.setattr(accounts, "use_password_link", fails)
    crashed = person.post(
        f"/account/set-password/{token}",
        data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "csrf_token": form_token},
    )
    assert crashed.status_code == 500
    assert "unhandled error on POST /account/set-password/[redacted]" in caplog.text
    assert '"GET /account/set-password/[redacted] HTTP/1.1"' in caplog.text
    assert token not in caplog.text and NEW_PASSWORD not in caplog.text


def test_a_deactivated_colleagues_link_stops_working(app, world, as_actor):
    admin = as_actor(app, "admin1")
    token = _token(_add(admin))
    added = _account(app, "new@a.no")
    assert _send(admin, f"/admin/staff/{added.id}/deactivate").status_code == 302
    assert english_client(app).get(f"/account/set-password/{token}").status_code == 404
    assert _account(app, "new@a.no").password_link_hash is None
    # Activated again, they need a new link, which works.
    assert _send(admin, f"/admin/staff/{added.id}/activate").status_code == 302
    assert english_client(app).get(f"/account/set-password/{token}").status_code == 404
    fresh = _token(_send(admin, f"/admin/staff/{added.id}/password-link"))
    assert _set_password(english_client(app), fresh).status_code == 302


# --- deactivating and activating ------------------------------------------------------------


def test_an_administrator_deactivates_and_activates_a_colleague(app, world, as_actor):
    counsellor = as_actor(app, "c1")
    admin = as_actor(app, "admin1")
    done = _send(admin, f"/admin/staff/{world.c1}/deactivate")
    assert done.status_code == 302
    page = admin.get("/admin/staff").get_data(as_text=True)
    assert "Counsellor One is deactivated and signed out everywhere." in page
    assert not _account(app, world.emails["c1"]).active
    assert _live_sessions(app, world.c1) == 0
    assert counsellor.get("/caseload").status_code == 302
    assert login_staff(english_client(app), world.emails["c1"]).status_code == 422
    # A deactivated colleague gets no password link.
    refused = _send(admin, f"/admin/staff/{world.c1}/password-link")
    assert (
        refused.status_code == 302 and _account(app, world.emails["c1"]).password_link_hash is None
    )
    assert _send(admin, f"/admin/staff/{world.c1}/activate").status_code == 302
    assert _account(app, world.emails["c1"]).active
    assert login_staff(english_client(app), world.emails["c1"]).status_code == 302
    assert events(app, "staff.deactivate") == [(f"staff:{world.admin1}", f"staff:{world.c1}")]
    assert events(app, "staff.activate") == [(f"staff:{world.admin1}", f"staff:{world.c1}")]


def test_another_administrator_can_be_deactivated_while_one_stays(app, world, as_actor):
    admin = as_actor(app, "admin1")
    _set_password(english_client(app), _token(_add(admin, role="administrator")))
    other = _account(app, "new@a.no")
    assert _send(admin, f"/admin/staff/{other.id}/deactivate").status_code == 302
    assert not _account(app, "new@a.no").active


def test_the_last_active_administrator_stays_active(app, world):
    """Two administrators who deactivate each other at the same moment: the second one's
    request still holds its administrator as active, but the database says otherwise."""
    with app.app_context():
        admin = db.session.get(StaffUser, world.admin1)
        other = accounts.create_staff(
            admin.municipality, "admin2@a.no", "Admin Two", "administrator", PASSWORD, "en"
        )
        db.session.flush()
        # The other request deactivated this administrator a moment ago (the object here is
        # as this request read it, before that).
        db.session.execute(
            sa.update(StaffUser)
            .where(StaffUser.id == admin.id)
            .values(active=False)
            .execution_options(synchronize_session=False)
        )
        with pytest.raises(accounts.LastAdministrator):
            accounts.deactivate_colleague(admin, other)
        assert other.active
        db.session.rollback()


@pytest.mark.parametrize("action", ["deactivate", "activate", "password-link"])
@pytest.mark.parametrize(
    ("actor", "target"),
    [
        ("admin1", "admin1"),  # oneself: never
        ("admin1", "c3"),  # another municipality's counsellor
        ("admin2", "c1"),  # another municipality's administrator
        ("c2", "c1"),  # a counsellor is no administrator
    ],
)
def test_outside_ones_own_municipality_nothing_is_found(
    app, world, admin2, as_actor, actor, target, action
):
    if actor == "admin2":
        client = english_client(app)
        assert login_staff(client, "admin@b.no").status_code == 302
    else:
        client = as_actor(app, actor)
    if action == "activate" and actor != target:  # a closed account to open
        with app.app_context():
            db.session.get(StaffUser, getattr(world, target)).active = False
            db.session.commit()
    before = _account(app, world.emails[target])
    response = _send(client, f"/admin/staff/{getattr(world, target)}/{action}", page="/join")
    assert response.status_code == 404
    after = _account(app, world.emails[target])
    assert (after.active, after.password_link_hash) == (before.active, before.password_link_hash)
    for kind in ("staff.deactivate", "staff.activate", "staff.password_link"):
        assert events(app, kind) == []


def test_counsellors_cannot_add_staff(app, world, as_actor):
    counsellor = as_actor(app, "c1")
    assert counsellor.get("/admin/staff").status_code == 404
    refused = _send(counsellor, "/admin/staff", {"name": "X", "email": "x@a.no",
                                                 "role": "administrator", "language": "en"},
                    page="/caseload")  # fmt: skip
    assert refused.status_code == 404
    assert _account(app, "x@a.no") is None


def test_adding_takes_this_sites_form(app, world, as_actor):
    admin = as_actor(app, "admin1")
    data = {"name": "X", "email": "x@a.no", "role": "counsellor", "language": "en"}
    assert admin.post("/admin/staff", data=data).status_code == 400
    assert admin.post(f"/admin/staff/{world.c1}/deactivate").status_code == 400
    assert _account(app, "x@a.no") is None and _account(app, world.emails["c1"]).active


# --- one's own password -------------------------------------------------------------------


def _change(client, current: str, new: str = NEW_PASSWORD, again: str | None = None):
    data = {"current_password": current, "password": new,
            "password_again": new if again is None else again}  # fmt: skip
    return _send(client, "/account/password", data, page="/account/password")


def test_a_counsellor_changes_their_own_password(app, world, as_actor):
    here = as_actor(app, "c1")
    elsewhere = as_actor(app, "c1")
    assert 'href="/account/password"' in here.get("/caseload").get_data(as_text=True)
    wrong = _change(here, "not my password")
    assert wrong.status_code == 422
    assert re.search(r'id="current_password-error".*The password is wrong.',
                     wrong.get_data(as_text=True), re.S)  # fmt: skip
    assert _change(here, PASSWORD, again="another passphrase").status_code == 422
    assert login_staff(english_client(app), world.emails["c1"]).status_code == 302
    done = _change(here, PASSWORD)
    assert done.status_code == 302
    assert here.get("/caseload").status_code == 200  # this browser stays signed in
    assert elsewhere.get("/caseload").status_code == 302  # the others are signed out
    assert _live_sessions(app, world.c1) == 1
    assert login_staff(english_client(app), world.emails["c1"]).status_code == 422
    assert login_staff(english_client(app), world.emails["c1"], NEW_PASSWORD).status_code == 302
    assert events(app, "staff.password") == [(f"staff:{world.c1}", f"staff:{world.c1}")]


def test_an_administrator_finds_the_password_page_on_the_staff_page(app, world, as_actor):
    admin = as_actor(app, "admin1")
    assert 'href="/account/password"' in admin.get("/admin/staff").get_data(as_text=True)
    assert _change(admin, PASSWORD).status_code == 302
    assert login_staff(english_client(app), world.emails["admin1"], NEW_PASSWORD).status_code == 302


def test_wrong_current_passwords_are_throttled(app, world, as_actor):
    client = as_actor(app, "c1")
    for _ in range(throttle.LOGIN_ACCOUNT.failures):
        assert _change(client, "a guess at it").status_code == 422
    blocked = _change(client, PASSWORD)  # even the right one waits
    assert blocked.status_code == 429
    assert "ask your administrator" in blocked.get_data(as_text=True)
    with app.app_context():
        assert accounts.password_matches(db.session.get(StaffUser, world.c1), PASSWORD)
    assert events(app, "staff.password") == []


def test_participants_have_no_password_page(app, world, as_actor):
    assert as_actor(app, "p1").get("/account/password").status_code == 404
