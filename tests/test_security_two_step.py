"""Two-step sign-in, through the pages: the code after the password, codes that work once,
throttled guessing, setting it up and turning it off, a municipality that requires it, and an
administrator's reset (never of another municipality's staff)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from webapp.auth import session as auth_session
from webapp.extensions import db
from webapp.models import LoginSession, Municipality, ThrottleCounter
from webapp.services import accounts, throttle
from webapp.services import totp as totp_service

from .conftest import PASSWORD, csrf_token, english_client, login_staff
from .two_step import Clock, enrol, events, staff, wrong


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock.installed(monkeypatch)


def _post(client, url: str, data: dict, page: str):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)})


def _send_code(client, code: str):
    return _post(client, "/login/code", {"code": code}, "/login/code")


def _require(app, world, town: str = "m1", required: bool = True) -> None:
    with app.app_context():
        db.session.get(Municipality, getattr(world, town)).require_totp = required
        db.session.commit()


def test_without_two_step_the_password_signs_in(app, world):
    client = english_client(app)
    response = login_staff(client, world.emails["c1"])
    assert response.status_code == 302 and response.location.endswith("/caseload")


def test_with_two_step_the_password_then_the_code_signs_in(app, world, clock):
    secret = enrol(app, world, "c1", clock)
    client = english_client(app)
    response = client.post(
        "/login?next=/participants/new",
        data={
            "email": world.emails["c1"],
            "password": PASSWORD,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 302 and response.location.endswith("/login/code")
    # The password alone signs in nobody.
    assert client.get("/caseload").status_code == 302
    page = client.get("/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    response = _send_code(client, clock.code(secret))
    assert response.status_code == 302 and response.location.endswith("/participants/new")
    assert client.get("/caseload").status_code == 200
    assert events(app, "staff.login") == [(f"staff:{world.c1}", "")]


def test_a_wrong_code_is_refused_and_signs_in_nobody(app, world, clock):
    secret = enrol(app, world, "c1", clock)
    client = english_client(app)
    login_staff(client, world.emails["c1"])
    response = _send_code(client, wrong(clock.code(secret)))
    assert response.status_code == 422
    assert "This code is not right" in response.get_data(as_text=True)
    assert client.get("/caseload").status_code == 302


def test_a_code_cannot_be_used_twice(app, world, clock):
    secret = enrol(app, world, "c1", clock)
    clock.advance()
    code = clock.code(secret)
    first = english_client(app)
    login_staff(first, world.emails["c1"])
    assert _send_code(first, code).status_code == 302
    # Someone who saw the code (over a shoulder, in a log) tries it at once, with the password.
    second = english_client(app)
    login_staff(second, world.emails["c1"])
    replayed = _send_code(second, code)
    assert replayed.status_code == 422
    assert "This code has been used already" in replayed.get_data(as_text=True)
    assert second.get("/caseload").status_code == 302
    clock.advance()  # the next code from the app works
    assert _send_code(second, clock.code(secret)).status_code == 302


def test_wrong_codes_are_throttled_then_forgiven(app, world, clock):
    secret = enrol(app, world, "c1", clock)
    client = english_client(app)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nb"
    login_staff(client, world.emails["c1"])
    for _ in range(throttle.TOTP_ACCOUNT.failures):
        assert _send_code(client, wrong(clock.code(secret))).status_code == 422
    blocked = _send_code(client, clock.code(secret))  # even the right code waits
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    assert "For mange forsøk" in blocked.get_data(as_text=True)
    # The limit is on the account: from another place, with the right password, still held.
    elsewhere = english_client(app)
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.30"
    login_staff(elsewhere, world.emails["c1"])
    assert _send_code(elsewhere, clock.code(secret)).status_code == 429
    with app.app_context():  # no permanent lockout: the window ends by itself
        for counter in db.session.scalars(sa.select(ThrottleCounter)):
            counter.window_started_at -= timedelta(minutes=16)
        db.session.commit()
    assert _send_code(elsewhere, clock.code(secret)).status_code == 302


@pytest.mark.parametrize("change", ["nothing", "expired", "password", "deactivated", "reset"])
def test_the_code_step_ends_when_the_password_step_no_longer_holds(
    app, world, clock, monkeypatch, change
):
    secret = enrol(app, world, "c1", clock)
    client = english_client(app)
    login_staff(client, world.emails["c1"])
    with app.app_context():
        user = staff("c1", world)
        if change == "expired":
            monkeypatch.setattr(auth_session, "SECOND_STEP_SECONDS", -1)
        elif change == "password":
            accounts.set_password(user, "a brand new password")
        elif change == "deactivated":
            accounts.deactivate_staff(user)
        elif change == "reset":
            totp_service.reset(user, None)
        db.session.commit()
    if change == "nothing":
        assert _send_code(client, clock.code(secret)).status_code == 302
        return
    response = client.get("/login/code")
    assert response.status_code == 302 and response.location.endswith("/login")
    response = _post(client, "/login/code", {"code": clock.code(secret)}, "/login")
    assert response.status_code == 302 and response.location.endswith("/login")
    assert client.get("/caseload").status_code == 302


def test_the_code_step_without_a_password_first_goes_to_sign_in(app, world):
    response = english_client(app).get("/login/code")
    assert response.status_code == 302 and response.location.endswith("/login")


# --- setting it up and turning it off, through the pages ---------------------------------


def test_a_counsellor_sets_up_two_step_sign_in(app, world, clock, as_actor):
    client = as_actor(app, "c1")
    page = client.get("/account/two-step").get_data(as_text=True)
    assert "Set up two-step sign-in" in page
    assert _post(client, "/account/two-step/new", {}, "/account/two-step").status_code == 302
    page = client.get("/account/two-step").get_data(as_text=True)
    with app.app_context():
        secret = staff("c1", world).totp_secret
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert grouped in page  # the key as text, to type by hand
    assert "otpauth://totp/" in page and f"secret={secret}" in page  # the link for the app
    assert "<svg" in page  # the QR code
    wrong = _post(client, "/account/two-step/confirm", {"code": "12345"}, "/account/two-step")
    assert wrong.status_code == 422 and "This code is not right" in wrong.get_data(as_text=True)
    right = _post(
        client, "/account/two-step/confirm", {"code": clock.code(secret)}, "/account/two-step"
    )
    assert right.status_code == 302 and right.location.endswith("/caseload")
    page = client.get("/account/two-step").get_data(as_text=True)
    assert "Two-step sign-in has been on since" in page and secret not in page.replace(" ", "")
    with app.app_context():
        assert staff("c1", world).has_totp


def test_making_a_new_key_replaces_one_not_yet_confirmed(app, world, as_actor):
    client = as_actor(app, "c1")
    secrets = []
    for _ in range(2):
        _post(client, "/account/two-step/new", {}, "/account/two-step")
        with app.app_context():
            secrets.append(staff("c1", world).totp_secret)
    assert secrets[0] != secrets[1]


def test_turning_it_off_takes_the_password_and_a_code(app, world, clock, as_actor):
    client = as_actor(app, "c1")  # signed in before enrolling, so no code needed here
    secret = enrol(app, world, "c1", clock)
    clock.advance()
    url, page = "/account/two-step/off", "/account/two-step"
    bad_password = _post(client, url, {"password": "nope", "code": clock.code(secret)}, page)
    assert bad_password.status_code == 422
    assert "The password is wrong." in bad_password.get_data(as_text=True)
    bad_code = _post(client, url, {"password": PASSWORD, "code": "12345"}, page)
    assert bad_code.status_code == 422
    right = _post(client, url, {"password": PASSWORD, "code": clock.code(secret)}, page)
    assert right.status_code == 302
    with app.app_context():
        user = staff("c1", world)
        assert not user.has_totp and user.totp_secret is None
    assert events(app, "staff.totp_disable") == [(f"staff:{world.c1}", f"staff:{world.c1}")]
    # The password alone signs in again.
    assert login_staff(english_client(app), world.emails["c1"]).location.endswith("/caseload")


def test_participants_have_no_two_step_pages(app, world, as_actor):
    phone = as_actor(app, "p1")
    assert phone.get("/account/two-step").status_code == 404


# --- a municipality that requires it ------------------------------------------------------


def test_an_administrator_requires_it_for_their_municipality(app, world, clock, as_actor):
    admin = as_actor(app, "admin1")
    page = admin.get("/admin/staff").get_data(as_text=True)
    assert "Counsellor One" in page and "Counsellor Three" not in page  # own municipality only
    response = _post(admin, "/admin/staff/two-step", {"required": "y"}, "/admin/staff")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Municipality, world.m1).require_totp
        assert not db.session.get(Municipality, world.m2).require_totp
    assert events(app, "municipality.require_totp") == [
        (f"staff:{world.admin1}", f"municipality:{world.m1}")
    ]
    # The administrator is staff of the municipality too: set it up before anything else ...
    response = admin.get("/admin/staff")
    assert response.status_code == 302 and response.location.endswith("/account/two-step")
    enrol(app, world, "admin1", clock)
    # ... then it can be made optional again (the box unticked).
    assert _post(admin, "/admin/staff/two-step", {}, "/admin/staff").status_code == 302
    with app.app_context():
        assert not db.session.get(Municipality, world.m1).require_totp
    assert len(events(app, "municipality.totp_optional")) == 1


#: Where a counsellor who must still set up two-step sign-in gets (method, url, status).
BEFORE_ENROLMENT = [
    ("GET", "/caseload", 302),
    ("GET", "/participants/new", 302),
    ("GET", "/participants/{p1}", 302),
    ("GET", "/", 302),
    ("GET", "/join", 302),
    ("GET", "/account/two-step", 200),
    ("GET", "/healthz", 200),
    ("GET", "/manifest.webmanifest", 200),
    ("GET", "/admin/staff", 302),  # not theirs: sent on like everywhere else, nothing shown
]


def test_staff_of_a_municipality_that_requires_it_set_it_up_first(app, world, clock, as_actor):
    _require(app, world)
    client = english_client(app)
    response = login_staff(client, world.emails["c1"])
    assert response.status_code == 302 and response.location.endswith("/account/two-step")
    for method, url, status in BEFORE_ENROLMENT:
        response = client.open(url.format(p1=world.p1), method=method)
        assert response.status_code == status, url
        if status == 302:
            assert response.location.endswith("/account/two-step"), url
    page = client.get("/account/two-step").get_data(as_text=True)
    assert "Your municipality requires two-step sign-in." in page
    # A write is not done either: it is sent to set up first.
    token = csrf_token(client, "/account/two-step")
    response = client.post(f"/participants/{world.p1}/invite", data={"csrf_token": token})
    assert response.status_code == 302 and response.location.endswith("/account/two-step")
    # Another municipality's staff are not asked.
    assert as_actor(app, "c3").get("/caseload").status_code == 200
    # Once set up, everything is open again.
    _post(client, "/account/two-step/new", {}, "/account/two-step")
    with app.app_context():
        secret = staff("c1", world).totp_secret
    confirm = _post(
        client, "/account/two-step/confirm", {"code": clock.code(secret)}, "/account/two-step"
    )
    assert confirm.location.endswith("/caseload")
    assert client.get("/caseload").status_code == 200


def test_a_signed_in_counsellor_is_stopped_when_it_becomes_required(app, world, as_actor):
    client = as_actor(app, "c1")
    assert client.get("/caseload").status_code == 200
    _require(app, world)
    response = client.get("/caseload")
    assert response.status_code == 302 and response.location.endswith("/account/two-step")


def test_the_rule_comes_with_the_sign_in_lookup_and_is_read_fresh_each_request(
    app, world, as_actor
):
    """Every staff request asks whether the municipality requires two-step sign-in: the
    municipality comes in the sign-in lookup, not in a statement of its own (issue 12), and
    is read again on each request, so a change holds at the next one."""
    client = as_actor(app, "c1")
    client.get("/caseload")
    with app.app_context():
        engine = db.engine
    sent: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        sent.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get("/caseload").status_code == 200
        [lookup] = [s for s in sent if "FROM login_session" in s]
        assert "JOIN municipality" in lookup
        assert not any(s.startswith("SELECT municipality.") for s in sent)
        _require(app, world)
        assert client.get("/caseload").status_code == 302
        _require(app, world, required=False)
        assert client.get("/caseload").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


# --- an administrator's reset --------------------------------------------------------------


def test_an_administrator_resets_a_lost_phone(app, world, clock, as_actor):
    counsellor = as_actor(app, "c1")
    secret = enrol(app, world, "c1", clock)
    admin = as_actor(app, "admin1")
    page = admin.get("/admin/staff").get_data(as_text=True)
    assert re.search(r"Counsellor One.*?Two-step sign-in is on.", page, re.S)
    response = _post(admin, f"/admin/staff/{world.c1}/reset-two-step", {}, "/admin/staff")
    assert response.status_code == 302
    with app.app_context():
        user = staff("c1", world)
        assert not user.has_totp and user.totp_secret is None and user.totp_last_step is None
        live = db.session.scalars(
            sa.select(LoginSession).where(
                LoginSession.staff_id == world.c1, LoginSession.ended_at.is_(None)
            )
        ).all()
        assert live == []
    assert counsellor.get("/caseload").status_code == 302  # signed out everywhere
    assert events(app, "staff.totp_reset") == [(f"staff:{world.admin1}", f"staff:{world.c1}")]
    # The old key no longer counts: the password alone signs in (the municipality allows it).
    response = login_staff(english_client(app), world.emails["c1"])
    assert response.location.endswith("/caseload")
    assert secret


@pytest.mark.parametrize(
    ("actor", "target"),
    [
        ("admin1", "c3"),  # another municipality's counsellor
        ("admin1", "admin1"),  # oneself: that is the own page, with password and code
        ("c2", "c1"),  # a counsellor is not an administrator
    ],
)
def test_a_reset_outside_ones_own_municipality_is_not_found(
    app, world, clock, as_actor, actor, target
):
    client = as_actor(app, actor)
    enrol(app, world, target, clock)
    token = csrf_token(client, "/join")
    response = client.post(
        f"/admin/staff/{getattr(world, target)}/reset-two-step", data={"csrf_token": token}
    )
    assert response.status_code == 404
    with app.app_context():
        assert staff(target, world).has_totp
    assert events(app, "staff.totp_reset") == []
