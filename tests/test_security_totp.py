"""Two-step sign-in, the service: codes read as typed, accepted within a step of now and only
once, enrolling with a first code, and who may reset it or require it."""

from __future__ import annotations

import pyotp
import pytest

from webapp.extensions import db
from webapp.models import Municipality
from webapp.services import totp as totp_service
from webapp.services.totp import Check

from .two_step import Clock, enrol, events, staff, wrong


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock.installed(monkeypatch)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("123456", "123456"),
        (" 123 456 ", "123456"),
        ("123-456", "123456"),
        ("١٢٣٤٥٦", "123456"),  # Arabic-Indic digits
        ("۱۲۳۴۵۶", "123456"),  # Persian digits
        ("12345", None),
        ("1234567", None),
        ("12345a", None),
        ("", None),
        ("²²²²²²", None),  # superscripts are digits but not decimal ones
    ],
)
def test_codes_are_read_as_typed(typed, expected):
    assert totp_service.normalize_code(typed) == expected


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (-60, Check.WRONG),  # too old
        (-30, Check.ACCEPTED),  # a phone clock half a minute behind
        (0, Check.ACCEPTED),
        (30, Check.ACCEPTED),  # ... or ahead
        (60, Check.WRONG),
    ],
)
def test_a_code_is_accepted_within_one_step_of_now(app, world, clock, offset, expected):
    with app.app_context():
        user = staff("c1", world)
        totp_service.start_enrolment(user)
        assert totp_service.check_code(user, clock.code(user.totp_secret, offset)) is expected


def test_a_code_works_once_and_older_codes_never_again(app, world, clock):
    with app.app_context():
        user = staff("c1", world)
        totp_service.start_enrolment(user)
        secret = user.totp_secret
        assert totp_service.check_code(user, clock.code(secret)) is Check.ACCEPTED
        assert totp_service.check_code(user, clock.code(secret)) is Check.USED
        assert totp_service.check_code(user, clock.code(secret, -30)) is Check.USED
        assert totp_service.check_code(user, "000000") in (Check.WRONG, Check.USED)
        clock.advance()
        assert totp_service.check_code(user, clock.code(secret)) is Check.ACCEPTED
        db.session.commit()
        assert staff("c1", world).totp_last_step == pyotp.TOTP(secret).timecode(clock.now)


def test_a_code_for_another_secret_iswrong(app, world, clock):
    with app.app_context():
        user = staff("c1", world)
        totp_service.start_enrolment(user)
        other = pyotp.random_base32()
        assert totp_service.check_code(user, clock.code(other)) is Check.WRONG
        user.totp_secret = None
        assert totp_service.check_code(user, clock.code(other)) is Check.WRONG


def test_enrolling_needs_a_first_code_from_the_new_key(app, world, clock):
    with app.app_context():
        user = staff("c1", world)
        totp_service.start_enrolment(user)
        assert not user.has_totp
        uri = totp_service.provisioning_uri(user)
        assert uri.startswith("otpauth://totp/") and f"secret={user.totp_secret}" in uri
        assert "issuer=L%C3%B8ype" in uri
        mistyped = wrong(clock.code(user.totp_secret))
        assert totp_service.confirm_enrolment(user, mistyped) is Check.WRONG
        assert not user.has_totp
        assert totp_service.confirm_enrolment(user, clock.code(user.totp_secret)) is (
            Check.ACCEPTED
        )
        assert user.has_totp and user.totp_confirmed_at == clock.now
        with pytest.raises(ValueError):
            totp_service.start_enrolment(user)  # a key in use is not replaced behind its back
        db.session.commit()
    assert events(app, "staff.totp_enrol") == [(f"staff:{world.c1}", f"staff:{world.c1}")]


def test_only_an_administrator_of_the_same_municipality_resets(app, world, clock):
    enrol(app, world, "c3", clock)
    with app.app_context():
        admin, c3, c2 = staff("admin1", world), staff("c3", world), staff("c2", world)
        for outsider in (admin, c2):  # another municipality's admin; a counsellor
            with pytest.raises(PermissionError):
                totp_service.reset(c3, outsider)
        assert c3.has_totp
        town = db.session.get(Municipality, world.m2)
        with pytest.raises(PermissionError):
            totp_service.set_required(town, True, admin)
        assert not town.require_totp


def test_the_command_line_resets_too(app, world, clock, runner):
    enrol(app, world, "admin1", clock)
    result = runner.invoke(args=["staff", "reset-totp", world.emails["admin1"]])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert not staff("admin1", world).has_totp
    assert events(app, "staff.totp_reset") == [("cli", f"staff:{world.admin1}")]
