"""What an operator does from the command line and the environment (docs/deploy.md): add
municipalities and staff, open a closed account again, make a Web Push key, and start-up
checks that refuse a configuration which would only fail later, request by request."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from webapp import config as app_config
from webapp import create_app
from webapp.config import ConfigError
from webapp.extensions import db
from webapp.models import AuditEvent, Municipality, StaffUser
from webapp.services import push_keys

from .conftest import FORMS, ROOT, english_client, login_staff

NEW_PASSWORD = "a long new passphrase"


def add_municipality(runner, name="Lillestrøm", county="Akershus", *extra):
    return runner.invoke(args=["municipalities", "add", name, "--county", county, *extra])


def add_staff(runner, email, *options, password=NEW_PASSWORD, confirm=None):
    typed = f"{password}\n{password if confirm is None else confirm}\n"
    return runner.invoke(args=["staff", "add", email, *options], input=typed)


def signed_in_page(app, email, password=NEW_PASSWORD):
    """Sign in through the login page; return where it leads and that page's text (None if
    the sign-in failed). The login page is in English, the account's pages in bokmål."""
    client = english_client(app)
    answer = login_staff(client, email, password)
    if answer.status_code != 302:
        assert "The e-mail address or the password is wrong." in answer.get_data(as_text=True)
        return None
    where = answer.headers["Location"].replace("http://loype.test", "")
    page = client.get(where)
    assert page.status_code == 200 and "Logg ut" in page.get_data(as_text=True)
    return where, page.get_data(as_text=True)


def test_a_new_deployment_gets_a_municipality_and_staff_who_sign_in(app, runner):
    added = add_municipality(runner)
    assert added.exit_code == 0, added.output
    listed = runner.invoke(args=["municipalities", "list"])
    assert "Lillestrøm (Akershus)  0 staff" in listed.output

    admin = add_staff(runner, "Kari@Lillestrom.Kommune.no", "--name", "Kari Admin",
                      "--role", "admin", "--municipality", "Lillestrøm")  # fmt: skip
    with app.app_context():
        town = db.session.scalar(sa.select(Municipality).filter_by(name="Lillestrøm"))
        town_id = town.id
    lead = add_staff(runner, "leder@lillestrom.kommune.no", "--name", "Leif Leder",
                     "--role", "counsellor", "--lead", "--municipality", str(town_id))  # fmt: skip
    assert admin.exit_code == 0 and lead.exit_code == 0, admin.output + lead.output
    assert NEW_PASSWORD not in admin.output + lead.output  # typed at a hidden prompt

    with app.app_context():
        people = {u.email: u for u in db.session.scalars(sa.select(StaffUser))}
        kari, leif = people["kari@lillestrom.kommune.no"], people["leder@lillestrom.kommune.no"]
        assert (kari.role, kari.lead, kari.municipality_id) == ("administrator", False, town_id)
        assert (leif.role, leif.lead, leif.municipality.county) == ("counsellor", True, "Akershus")
        actions = set(db.session.scalars(sa.select(AuditEvent.action)))
        assert {"municipality.create", "staff.create"} <= actions
    assert "2 staff" in runner.invoke(args=["municipalities", "list"]).output

    assert signed_in_page(app, "kari@lillestrom.kommune.no")[0] == "/admin/questionnaires"
    assert signed_in_page(app, "leder@lillestrom.kommune.no")[0] == "/caseload"
    assert signed_in_page(app, "leder@lillestrom.kommune.no", "wrong password!") is None


@pytest.mark.parametrize(
    ("options", "password", "confirm", "message"),
    [
        (["--municipality", "Nowhere"], NEW_PASSWORD, None, "No municipality 'Nowhere'"),
        (["--municipality", "999"], NEW_PASSWORD, None, "No municipality '999'"),
        ([], "too short", None, "at least 12 characters"),
        ([], "x" * 201, None, "at most 200 characters"),
        ([], NEW_PASSWORD, "another passphrase", "do not match"),
        (["--role", "admin", "--lead"], NEW_PASSWORD, None, "Only a counsellor can be a lead"),
    ],
)
def test_a_staff_account_that_cannot_be_made_is_refused_in_plain_words(
    app, runner, options, password, confirm, message
):
    add_municipality(runner)
    if "--municipality" not in options:
        options = [*options, "--municipality", "Lillestrøm"]
    if "--role" not in options:
        options = [*options, "--role", "counsellor"]
    result = add_staff(runner, "ny@lillestrom.kommune.no", "--name", "Ny Veileder", *options,
                       password=password, confirm=confirm)  # fmt: skip
    assert result.exit_code != 0
    assert message in result.output
    assert isinstance(result.exception, SystemExit)  # said why and exited: no traceback
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffUser)) == 0


def test_the_same_email_or_municipality_twice_is_refused(app, runner):
    assert add_municipality(runner).exit_code == 0
    again = add_municipality(runner)
    assert again.exit_code == 1 and "already a municipality 'Lillestrøm'" in again.output
    options = ("--name", "Kari", "--role", "counsellor", "--municipality", "Lillestrøm")
    assert add_staff(runner, "kari@lk.no", *options).exit_code == 0
    twice = add_staff(runner, " KARI@lk.no ", *options, password="another passphrase")
    assert twice.exit_code == 1 and "already a staff account 'kari@lk.no'" in twice.output
    assert signed_in_page(app, "kari@lk.no") is not None  # the first password still works
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Municipality)) == 1


def test_a_deactivated_account_can_be_opened_again(app, runner):
    add_municipality(runner)
    add_staff(runner, "kari@lk.no", "--name", "Kari", "--role", "counsellor",
              "--municipality", "Lillestrøm")  # fmt: skip
    assert runner.invoke(args=["staff", "deactivate", "kari@lk.no"]).exit_code == 0
    assert signed_in_page(app, "kari@lk.no") is None

    opened = runner.invoke(args=["staff", "activate", "kari@lk.no"])

    assert opened.exit_code == 0 and "active again" in opened.output
    assert signed_in_page(app, "kari@lk.no")[0] == "/caseload"
    unknown = runner.invoke(args=["staff", "activate", "nobody@lk.no"])
    assert unknown.exit_code == 1 and "No staff account" in unknown.output


def test_the_last_administrator_is_closed_only_when_asked_in_so_many_words(app, runner):
    """As in the browser (/admin/staff), a municipality keeps an active administrator: nobody
    could otherwise add, open or close its accounts there."""
    add_municipality(runner)
    add_staff(runner, "ada@lk.no", "--name", "Ada", "--role", "admin",
              "--municipality", "Lillestrøm")  # fmt: skip
    refused = runner.invoke(args=["staff", "deactivate", "ada@lk.no"])
    assert refused.exit_code == 1
    assert "is the last active administrator of its municipality" in refused.output
    assert "--last-administrator" in refused.output
    assert signed_in_page(app, "ada@lk.no")[0] == "/admin/questionnaires"

    add_staff(runner, "bo@lk.no", "--name", "Bo", "--role", "admin",
              "--municipality", "Lillestrøm")  # fmt: skip
    closed = runner.invoke(args=["staff", "deactivate", "ada@lk.no"])
    assert closed.exit_code == 0, closed.output
    assert signed_in_page(app, "ada@lk.no") is None
    again = runner.invoke(args=["staff", "deactivate", "ada@lk.no"])
    assert again.exit_code == 0 and "already deactivated" in again.output
    assert runner.invoke(args=["staff", "deactivate", "bo@lk.no"]).exit_code == 1

    taken_over = runner.invoke(args=["staff", "deactivate", "bo@lk.no", "--last-administrator"])
    assert taken_over.exit_code == 0, taken_over.output
    assert signed_in_page(app, "bo@lk.no") is None
    with app.app_context():
        closed_ids = db.session.scalars(
            sa.select(AuditEvent.target).filter_by(action="staff.deactivate")
        ).all()
    assert len(closed_ids) == 2


def test_a_new_password_is_typed_at_a_prompt_never_given_as_an_option(app, runner):
    add_municipality(runner)
    add_staff(runner, "kari@lk.no", "--name", "Kari", "--role", "counsellor",
              "--municipality", "Lillestrøm")  # fmt: skip
    as_option = runner.invoke(args=["staff", "password", "kari@lk.no", "--password", "x" * 20])
    assert as_option.exit_code == 2 and "No such option" in as_option.output

    weak = runner.invoke(args=["staff", "password", "kari@lk.no"], input="short\nshort\n")
    assert weak.exit_code == 1 and "at least 12 characters" in weak.output
    changed = runner.invoke(
        args=["staff", "password", "kari@lk.no"], input="a changed passphrase\n" * 2
    )
    assert changed.exit_code == 0, changed.output
    assert signed_in_page(app, "kari@lk.no") is None
    assert signed_in_page(app, "kari@lk.no", "a changed passphrase")[0] == "/caseload"


# Start-up checks. Each builds the app as wsgi.py does, from the environment.

FRESH = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"}


@pytest.fixture
def environment(monkeypatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "LOYPE_TIMEZONE", "LOYPE_PUBLIC_URL",
                 "LOYPE_VAPID_PRIVATE_KEY"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_postgresql_without_a_secret_key_refuses_to_start(environment, tmp_path):
    environment.setenv("DATABASE_URL", "postgresql://loype@db.invalid/loype")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set.*every app server"):
        create_app()
    assert app_config.default_config(tmp_path)["SECRET_KEY"] is None
    assert not (tmp_path / "secret_key").exists()  # no key of this machine's own was made

    environment.setenv("SECRET_KEY", "shared-by-every-server")
    assert app_config.default_config(tmp_path)["SECRET_KEY"] == "shared-by-every-server"


def test_sqlite_still_generates_its_secret_key_once(environment, tmp_path):
    environment.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'one.sqlite3'}")
    first = app_config.default_config(tmp_path)["SECRET_KEY"]
    assert len(first) == 64 and app_config.default_config(tmp_path)["SECRET_KEY"] == first
    app_config.check(app_config.default_config(tmp_path))


@pytest.mark.parametrize(
    "command",
    [["flask", "db", "current"], ["gunicorn", "-b", "127.0.0.1:0", "wsgi:app"]],
    ids=["flask", "gunicorn"],
)
def test_the_command_says_why_it_does_not_start(command):
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    env.update(FLASK_APP="wsgi", DATABASE_URL="postgresql://loype@db.invalid/loype")
    result = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 1
    assert "Error: SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr  # the message, not a stack to read to its end


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LOYPE_TIMEZONE", "Europe/Olso", "LOYPE_TIMEZONE 'Europe/Olso' is not a time zone"),
        ("LOYPE_TIMEZONE", "", "LOYPE_TIMEZONE '' is not a time zone"),
        ("LOYPE_PUBLIC_URL", "loype.example.no", "LOYPE_PUBLIC_URL 'loype.example.no' is not"),
        ("LOYPE_PUBLIC_URL", "ftp://loype.example.no", "such as https://loype.example.no"),
        ("LOYPE_PUBLIC_URL", "https://", "is not a web address"),
    ],
)
def test_a_mistyped_setting_refuses_to_start(environment, variable, value, message):
    environment.setenv(variable, value)
    with pytest.raises(ConfigError, match=message):
        create_app(FRESH)


def test_good_settings_start(environment):
    environment.setenv("LOYPE_TIMEZONE", "America/New_York")
    environment.setenv("LOYPE_PUBLIC_URL", "https://loype.example.no/")
    app = create_app(FRESH)
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "America/New_York"
    environment.setenv("LOYPE_PUBLIC_URL", "http://127.0.0.1:5000")
    create_app(FRESH)


def test_a_public_key_pasted_as_the_private_key_refuses_to_start(environment):
    key, _private = push_keys.new_private_key()
    public = push_keys.application_server_key(key)
    for wrong in (public, "not a key at all", "-----BEGIN PRIVATE KEY-----\nxyz\n"):
        environment.setenv("LOYPE_VAPID_PRIVATE_KEY", wrong)
        with pytest.raises(ConfigError, match="LOYPE_VAPID_PRIVATE_KEY is not a VAPID") as raised:
            create_app(FRESH)
        assert wrong.strip() not in str(raised.value)  # a secret is never repeated


def test_push_keys_prints_a_new_private_key_the_servers_take(environment, app, world):
    printed = app.test_cli_runner().invoke(args=["push", "keys", "--new-private"])
    assert printed.exit_code == 0, printed.output
    line, comment = printed.output.splitlines()
    variable, value = line.split("=", 1)
    assert variable == "LOYPE_VAPID_PRIVATE_KEY" and len(value) == 43
    public = comment.rsplit(" ", 1)[1]

    environment.setenv("LOYPE_VAPID_PRIVATE_KEY", value)
    assert create_app(FRESH).config["VAPID_PRIVATE_KEY"] == value  # it starts
    environment.setitem(app.config, "VAPID_PRIVATE_KEY", value)
    counsellor = english_client(app)
    assert login_staff(counsellor, world.emails["c1"]).status_code == 302
    answer = counsellor.get("/api/v1/push/key")
    assert answer.status_code == 200 and answer.get_json()["public_key"] == public
    worker = app.test_cli_runner().invoke(args=["push", "work", "--once"])
    assert worker.exit_code == 0 and "deliveries tried" in worker.output


# forms check on every shipped file, as the README runs it


def test_forms_check_takes_every_shipped_file(runner):
    shipped = sorted(str(path) for path in FORMS.glob("*.json"))
    assert any(path.endswith("resources.json") for path in shipped)
    result = runner.invoke(args=["forms", "check", *shipped])
    assert result.exit_code == 0, result.output
    assert f"{FORMS / 'resources.json'}: ok (resources)" in result.output.splitlines()


def test_forms_check_reports_a_broken_resources_file(runner, tmp_path):
    broken = tmp_path / "resources.json"
    broken.write_text('{"format": "loype-resources/1", "resources": [{"slug": 7}]}')
    result = runner.invoke(args=["forms", "check", str(broken)])
    assert result.exit_code == 1 and f"{broken}: ok" not in result.output
    assert f"{broken}: /resources/0/tags: must be a list of strings" in result.output
