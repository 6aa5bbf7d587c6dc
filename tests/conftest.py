"""Fixtures: app -> db -> client -> signed-in actors, on SQLite and (when set) PostgreSQL.

Every test runs once per database: SQLite always, PostgreSQL when ``TEST_DATABASE_URL`` is set
(``.ci/run`` sets it). Each database is built with ``flask db upgrade`` (the real migrations)
once per session, and emptied between tests.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from hypothesis import HealthCheck, settings
from py_vapid import Vapid

from webapp import create_app
from webapp.extensions import db as _db
from webapp.models import Municipality, Participant, name_search
from webapp.services import accounts
from webapp.services import questionnaires as questionnaire_service
from webapp.services import resources as resource_service
from webapp.services import sync as sync_service

ROOT = Path(__file__).resolve().parent.parent
FORMS = ROOT / "forms"
PASSWORD = "correct horse battery staple"

# Hypothesis judges what a test finds, never how fast: the suite runs on two workers at once
# (``make test``), where an example may wait for a core longer than the default 200 ms deadline.
settings.register_profile("loype", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("loype")

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _database_url(kind: str, tmp_path_factory) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    url = os.environ["TEST_DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _worker_database(url, worker) if worker else url


def _worker_database(url: str, worker: str) -> str:
    """The URL of a database of this pytest-xdist worker's own ("test_gw0"), made if missing.

    Each worker empties its database between tests, so two workers cannot share one.
    """
    server = sa.engine.make_url(url)
    name = f"{server.database}_{worker}"
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            found = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not found:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory) -> str:
    url = _database_url(request.param, tmp_path_factory)
    if request.param == "postgresql":
        _reset_postgres(url)
    return url


def _vapid_pem() -> str:
    key = Vapid()
    key.generate_keys()
    return key.private_pem().decode()


@pytest.fixture(scope="session")
def base_app(database_url, tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SERVER_NAME": "loype.test",
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            # Web Push: a key for this test session (never the instance folder's).
            "VAPID_PRIVATE_KEY": _vapid_pem(),
            "VAPID_SUBJECT": "mailto:push@loype.test",
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    yield app
    with app.app_context():
        _db.engine.dispose()  # close pooled connections before the interpreter does


SEARCH = name_search.SQLITE_TABLE


def empty_database(conn) -> None:
    """Delete every row, the append-only audit trail included (its triggers set aside)."""
    if conn.dialect.name == "postgresql":
        # Triggers do not fire for a superuser's replica session; the app is never that.
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        triggers = []
    else:
        triggers = conn.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        for name, _sql in triggers:
            conn.execute(sa.text(f'DROP TRIGGER "{name}"'))
    for table in reversed(_db.metadata.sorted_tables):
        conn.execute(table.delete())
    if conn.dialect.name == "sqlite":  # the name search's index missed those deletes
        conn.execute(sa.text(f"INSERT INTO {SEARCH}({SEARCH}) VALUES ('delete-all')"))
    for _name, sql in triggers:
        conn.execute(sa.text(sql))


@pytest.fixture
def app(base_app):
    """The app, with no context pushed: each request gets its own, as in production."""
    yield base_app
    with base_app.app_context():
        _db.session.remove()
        with _db.engine.begin() as conn:
            empty_database(conn)


def english_client(app):
    """A test client whose browser asks for English (the default language is bokmål)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def client(app):
    return english_client(app)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def forms(app):
    """Import the shipped questionnaires and resources."""
    with app.app_context():
        for name in ("kartlegging.json", "muligheter.json"):
            document, problems = questionnaire_service.read_document(FORMS / name)
            assert problems == []
            questionnaire_service.import_document(document)
        resource_service.import_resources(json.loads((FORMS / "resources.json").read_text()))
        _db.session.commit()


STAFF = {
    "admin1": ("m1", "admin@a.no", "Admin A", "administrator"),
    "c1": ("m1", "c1@a.no", "Counsellor One", "counsellor"),
    "c2": ("m1", "c2@a.no", "Counsellor Two", "counsellor"),
    "c3": ("m2", "c3@b.no", "Counsellor Three", "counsellor"),
    "lead1": ("m1", "lead@a.no", "Lead A", "counsellor"),
}
#: Counsellors who lead their municipality's work (see every participant of it).
LEADS = {"lead1"}
PARTICIPANTS = {"p1": "c1", "p2": "c2", "p3": "c3"}


class World:
    """Two municipalities; admin, counsellors c1, c2 and the lead counsellor lead1 in the
    first, c3 in the second; participants p1 (of c1), p2 (of c2), p3 (of c3). Attributes are
    database ids."""

    def __init__(self, app):
        self.app = app
        self.codes: dict[str, str] = {}
        self.emails = {name: spec[1] for name, spec in STAFF.items()}
        with app.app_context():
            towns = {
                "m1": Municipality(name="Kommune A", county="Oslo"),
                "m2": Municipality(name="Kommune B", county="Agder"),
            }
            _db.session.add_all(towns.values())
            staff = {
                name: accounts.create_staff(towns[m], email, full, role, PASSWORD, "en")
                for name, (m, email, full, role) in STAFF.items()
            }
            for name in LEADS:
                staff[name].lead = True
            _db.session.flush()
            people = {}
            for name, counsellor in PARTICIPANTS.items():
                people[name], self.codes[name] = accounts.create_participant(
                    staff[counsellor], staff[counsellor], name, "en", app.config["SECRET_KEY"], 30
                )
            _db.session.commit()
            for name, obj in [*towns.items(), *staff.items(), *people.items()]:
                setattr(self, name, obj.id)

    def new_code(self, name: str) -> str:
        """Give participant ``name`` a new invite (codes are single-use); return it.

        Like a counsellor's new invite, this signs out the participant's other devices.
        """
        with self.app.app_context():
            person = _db.session.get(Participant, getattr(self, name))
            self.codes[name] = accounts.new_invite(
                person, self.app.config["SECRET_KEY"], self.app.config["INVITE_DAYS"]
            )
            _db.session.commit()
        return self.codes[name]


@pytest.fixture
def world(app, forms) -> World:
    return World(app)


@pytest.fixture
def admin2(app, world) -> int:
    """An administrator of the second municipality."""
    with app.app_context():
        town = _db.session.get(Municipality, world.m2)
        person = accounts.create_staff(
            town, "admin@b.no", "Admin B", "administrator", PASSWORD, "en"
        )
        _db.session.commit()
        return person.id


def mapping_sent(app, participant_id: int) -> str:
    """The mapping questionnaire sent in by the participant (what it requires, through the
    sync write path, as a phone sends it); return the response's id."""
    with app.app_context():
        receipt = sync_service.apply(
            _db.session.get(Participant, participant_id),
            sync_service.Submission(
                id=str(uuid.uuid4()), questionnaire="kartlegging", version=1,
                status="submitted",
                answers={"short_term_goal_kind": "work", "long_term_goal_kind": "work"},
            ),
        )  # fmt: skip
        _db.session.commit()
        return receipt.id


def csrf_token(client, path: str = "/join") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login_staff(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def join(client, code: str):
    """Open the invite link and press its button, as a participant does."""
    token = csrf_token(client, f"/join/{code}")
    return client.post(f"/join/{code}", data={"csrf_token": token})


def copy_session(source, target) -> None:
    """Give ``target`` the session cookie of ``source``: a second tab of the same browser."""
    name = source.application.config["SESSION_COOKIE_NAME"]
    cookie = source.get_cookie(name, domain="loype.test")
    target.set_cookie(name, cookie.value, domain="loype.test")


@pytest.fixture
def as_actor(world):
    """Return a function that gives a client signed in as the named actor (or anonymous).

    Invite codes are single-use, so asking twice for the same participant gives a second
    client with the first one's session (like a second tab on the same phone).
    """
    joined = {}

    def make(app, name: str | None):
        client = english_client(app)
        if name in (None, "anon"):
            return client
        if name in joined:
            copy_session(joined[name], client)
        elif name in PARTICIPANTS:
            assert join(client, world.codes[name]).status_code == 302
            joined[name] = client
        else:
            assert login_staff(client, world.emails[name]).status_code == 302
        return client

    return make
