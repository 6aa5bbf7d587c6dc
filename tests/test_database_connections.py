"""Pooled connections to PostgreSQL: checked before use only after sitting idle (issue 12),
and one the database closed is replaced without the request seeing it. SQLite needs no check."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from webapp.extensions import tune_engine


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
