"""Pooled connections to PostgreSQL: checked before use only after sitting idle (issue 12),
and one the database closed is replaced without the request seeing it. SQLite needs no check."""

from __future__ import annotations

import time
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from webapp import create_app
from webapp.extensions import db, tune_engine
from webapp.models import Delivery, Response
from webapp.services import sessions

from .conftest import ROOT


@pytest.fixture
def server_engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("a check for lost connections is for a database server")
    engine = sa.create_engine(database_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _count_pings(engine, monkeypatch) -> list[int]:
    pings = []
    real = engine.dialect.do_ping

    def counting(dbapi_connection):
        pings.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return pings


def _backend(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.text("SELECT pg_backend_pid()"))


def test_a_connection_in_steady_use_is_not_checked_and_an_idle_one_is(server_engine, monkeypatch):
    # Two seconds: five uses in a row never sit that long, even on a busy machine.
    tune_engine(server_engine, ping_after_idle=2.0)
    pings = _count_pings(server_engine, monkeypatch)
    first = _backend(server_engine)  # a new connection: nothing to check
    for _ in range(5):
        assert _backend(server_engine) == first
    assert pings == []
    time.sleep(2.1)
    assert _backend(server_engine) == first
    assert pings == [1]


def test_a_connection_the_database_closed_while_idle_is_replaced(server_engine, database_url):
    tune_engine(server_engine, ping_after_idle=0.1)
    lost = _backend(server_engine)
    killer = sa.create_engine(database_url)
    with killer.connect() as connection:
        assert connection.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": lost})
    killer.dispose()
    time.sleep(0.2)
    assert _backend(server_engine) != lost  # no error: the check found it closed


def test_the_embedded_database_is_never_pinged(tmp_path, monkeypatch):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ping.sqlite3'}")
    tune_engine(engine, ping_after_idle=0)
    pings = _count_pings(engine, monkeypatch)
    for _ in range(3):
        with engine.connect() as connection:
            assert connection.scalar(sa.text("PRAGMA journal_mode")) == "wal"
    assert pings == []
    engine.dispose()


class _Transactions:
    """Note, for each SQL statement sent, whether it ran inside a transaction (psycopg's
    autocommit flag: off means a BEGIN went first and a COMMIT or ROLLBACK follows)."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _note(self, connection, _cursor, statement, *_args):
        inside = not connection.connection.dbapi_connection.autocommit
        self.seen.append((statement.split(None, 1)[0].upper(), inside))

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._note)


def test_the_sign_in_lookup_is_one_round_trip_and_the_writes_stay_in_a_transaction(
    app, world, as_actor, database_url
):
    """Issue 12: on PostgreSQL the session lookup that starts every request runs on its own,
    without the BEGIN and ROLLBACK around it (two of a page's three round trips), and what the
    request then writes is still one transaction."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite starts no transaction for a read: nothing to save")
    phone = as_actor(app, "p1")
    assert phone.get("/app/").status_code == 200  # warm: the first requests do more
    with app.app_context():
        engine = db.engine
    with _Transactions(engine) as shell:
        assert phone.get("/app/").status_code == 200
    assert shell.seen == [("SELECT", False)]

    rid = str(uuid.uuid4())
    item = {"id": rid, "questionnaire": "kartlegging", "version": 1, "status": "draft",
            "answers": {"mapped_before": "no"}}  # fmt: skip
    with _Transactions(engine) as sync:
        sent = phone.post("/api/v1/sync", json={"responses": [item]})
    assert sent.status_code == 200 and sent.json["results"][0]["status"] == 201
    assert sync.seen[0] == ("SELECT", False)  # the lookup
    assert len(sync.seen) > 1 and all(inside for _verb, inside in sync.seen[1:])
    with app.app_context():
        assert db.session.get(Response, rid).answers == {"mapped_before": "no"}
        # Ending the session still takes effect on the very next request.
        participant = db.session.get(Response, rid).participant
        assert sessions.end_all(participant, "logout") >= 1
        db.session.commit()
    assert phone.get("/app/").status_code == 302


def test_references_are_enforced_on_both_databases(app):
    """SQLite left foreign keys unenforced: a push could be queued for a notification that does
    not exist (PostgreSQL refused it). Both refuse it now."""
    with app.app_context():
        db.engine.dispose()  # new connections: the one migrations used was set by them
        db.session.add(Delivery(notification_id=434343))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_an_upgrade_names_references_broken_before_they_were_enforced(tmp_path, capfd):
    """An older SQLite file may hold rows naming rows long deleted: the upgrade says which
    tables, and goes on (stopping would stop the service)."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    migrations = str(ROOT / "migrations")
    with app.app_context():
        upgrade(directory=migrations)
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.exec_driver_sql(
                "INSERT INTO delivery (notification_id, state, attempts, next_attempt_at, "
                "created_at) VALUES (434343, 'pending', 0, '2026-01-01', '2026-01-01')"
            )
            connection.commit()
        downgrade(directory=migrations, revision="-1")
        capfd.readouterr()
        upgrade(directory=migrations)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 1
        db.engine.dispose()
    # The migrations' logging (alembic.ini) writes to standard error, as `flask db upgrade` does.
    printed = capfd.readouterr().err
    assert "WARNI [alembic.env] 1 row(s) of delivery refer to rows of notification" in printed
