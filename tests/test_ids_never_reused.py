"""An erased participant's id goes to nobody else, and nobody inherits their audit trail.

On SQLite a plain INTEGER PRIMARY KEY gave the next participant (in any municipality) the id of
an erased one, and with it the erased person's reads ("Who has read your answers") and the
audit entries of their data export. Ids are never given again now (AUTOINCREMENT, migration
f4a6b8c0d2e4), and what is shown to a participant starts when they were added.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from webapp import create_app
from webapp.extensions import db
from webapp.models import AuditEvent, Participant, StaffUser
from webapp.services import accounts, audit, privacy, reads

from .conftest import ROOT, csrf_token

BEFORE = "e7a9c1d3f5b7"  # the revision before f4a6b8c0d2e4, which keeps ids from coming back
AFTER = "f4a6b8c0d2e4"  # not head: later revisions add columns and indexes of their own


def _add_participant(client, name: str, counsellor_id: int) -> tuple[int, str]:
    """Add a participant on the page, as a counsellor does; return the id and invite code."""
    html = client.post(
        "/participants/new",
        data={"csrf_token": csrf_token(client, "/participants/new"), "display_name": name,
              "language": "en", "counsellor_id": str(counsellor_id)},
    ).get_data(as_text=True)  # fmt: skip
    person = int(re.search(r'href="/participants/(\d+)"', html).group(1))
    return person, re.search(r"/join/([A-Z0-9]+)", html).group(1)


def test_an_erased_participants_id_and_trail_go_to_nobody_else(app, world, as_actor):
    counsellor = as_actor(app, "c1")
    erased, _code = _add_participant(counsellor, "Soon Erased", world.c1)
    page = f"/participants/{erased}"
    assert counsellor.get(page).status_code == 200
    assert counsellor.get(f"{page}/export.json").status_code == 200
    assert counsellor.get(f"{page}/print").status_code == 200
    done = counsellor.post(
        f"{page}/erase", data={"csrf_token": csrf_token(counsellor, page), "confirm": "yes"}
    )
    assert done.status_code == 302

    # A counsellor of another municipality adds someone: a new id, and nothing of the erased.
    elsewhere = as_actor(app, "c3")
    fresh, code = _add_participant(elsewhere, "Fresh Start", world.c3)
    assert fresh > erased
    phone = as_actor(app, "anon")
    assert phone.post(f"/join/{code}", data={"csrf_token": csrf_token(phone, f"/join/{code}")})
    assert phone.get("/api/v1/me").get_json()["reads"] == []
    assert "Counsellor One" not in phone.get("/me/").get_data(as_text=True)
    log = phone.get("/api/v1/me/export").get_json()["log"]
    assert {entry["who"] for entry in log} <= {f"staff:{world.c3}", f"participant:{fresh}"}
    assert [entry["action"] for entry in log][0] == "participant.create"


def test_a_given_again_id_brings_no_older_reads(app, world, as_actor):
    """A database made before ids were kept may already have given an erased person's id to
    someone else: what happened before the participant was added is not theirs."""
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        counsellor = db.session.get(StaffUser, world.c3)  # another municipality's, long ago
        label = f"participant:{person.id}"
        before = person.created_at - timedelta(days=30)
        rows = [
            audit.event(counsellor, action, label, counsellor.municipality_id)
            for action in ("participant.read", "participant.export", "participant.print")
        ]
        for row in rows:
            row["at"] = before
        db.session.execute(sa.insert(AuditEvent.__table__), rows)
        db.session.commit()
        assert reads.reads_of(person) == []
        log = privacy.export(person, complete=True)["log"]
        assert [entry["action"] for entry in log] == ["participant.create"]
    phone = as_actor(app, "p1")
    assert phone.get("/api/v1/me").get_json()["reads"] == []
    assert "Counsellor Three" not in phone.get("/me/").get_data(as_text=True)
    log = phone.get("/api/v1/me/export").get_json()["log"]
    assert log and f"staff:{world.c3}" not in {entry["who"] for entry in log}


@pytest.fixture
def fresh_database(database_url, tmp_path):
    """The URL of an empty database of the same kind as the suite's, for migrations."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    server = sa.engine.make_url(database_url)
    name = f"{server.database}_ids"
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _rows(connection, table: str) -> list[tuple]:
    return [tuple(r) for r in connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]


def _add_row(connection, table: str, values: dict) -> int:
    columns = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    return connection.execute(
        sa.text(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id"), values
    ).scalar_one()


def _indexes(connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
    return set(connection.exec_driver_sql(query).scalars())


def test_the_migration_keeps_every_row_and_gives_no_id_twice(fresh_database):
    """Upgrade a database that has staff, participants and an erased participant's trail:
    every row, index and trigger stays, and new ids are above any ever given."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": fresh_database,
                      "PASSWORD_HASH_PROFILE": "CHEAPEST"})  # fmt: skip
    directory = str(ROOT / "migrations")
    with app.app_context():
        upgrade(directory=directory, revision=BEFORE)
        with db.engine.begin() as connection:
            now = "2026-01-01 00:00:00"
            town = _add_row(connection, "municipality", {"name": "Kommune", "created_at": now})
            staff = [
                _add_row(
                    connection,
                    "staff_user",
                    {
                        "municipality_id": town,
                        "email": f"s{n}@a.no",
                        "name": f"Staff {n}",
                        "role": "counsellor",
                        "password_hash": "x",
                        "language": "nb",
                        "active": True,
                        "created_at": now,
                    },
                )  # fmt: skip
                for n in range(3)
            ]
            people = [
                _add_row(
                    connection,
                    "participant",
                    {
                        "municipality_id": town,
                        "counsellor_id": staff[n % 2],
                        "display_name": f"Person {name}",
                        "language": "nb",
                        "created_at": now,
                        "programme": "other",
                    },
                )  # fmt: skip
                for n, name in enumerate(["Ali", "Berit", "Chen"])
            ]
            # The newest was erased (its row deleted); the audit trail names one erased earlier
            # with a higher id still, which the table no longer shows.
            connection.execute(
                sa.text("DELETE FROM participant WHERE id = :id"), {"id": people[-1]}
            )
            erased_before = people[-1] + 5
            connection.execute(
                sa.text(
                    "INSERT INTO audit_event (at, actor, action, target) VALUES "
                    "(:at, :actor, 'participant.erase', :target)"
                ),
                {"at": "2026-01-01", "actor": f"staff:{staff[0]}",
                 "target": f"participant:{erased_before}"},
            )  # fmt: skip
            kept = {t: _rows(connection, t) for t in ("staff_user", "participant")}
            indexes = _indexes(connection)
        upgrade(directory=directory, revision=AFTER)
        with db.engine.begin() as connection:
            assert {t: _rows(connection, t) for t in kept} == kept
            assert _indexes(connection) == indexes
            if connection.dialect.name == "sqlite":
                # The name search's index and triggers work on the rebuilt table.
                found = connection.exec_driver_sql(
                    "SELECT rowid FROM participant_name_search "
                    "WHERE participant_name_search MATCH 'erit'"
                ).scalars()
                assert list(found) == [people[1]]
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                keys = connection.exec_driver_sql("PRAGMA foreign_key_list('participant')").all()
                assert {(k[2], k[3]) for k in keys} == {
                    ("municipality", "municipality_id"),
                    ("staff_user", "counsellor_id"),
                }
            newest = _add_row(connection, "participant", {
                "municipality_id": town, "counsellor_id": staff[0], "display_name": "Dina",
                "language": "nb", "created_at": now,
            })  # fmt: skip
            assert newest > people[-1]
            if connection.dialect.name == "sqlite":
                # SQLite had no counter before: the audit trail's ids are kept from coming
                # back too (PostgreSQL's sequence gave them, and never gives them again).
                assert newest > erased_before
            if connection.dialect.name == "sqlite":
                assert connection.exec_driver_sql(
                    "SELECT rowid FROM participant_name_search "
                    "WHERE participant_name_search MATCH 'Dina'"
                ).scalars().all() == [newest]
            connection.execute(sa.text("DELETE FROM participant WHERE id = :id"), {"id": newest})
            again = _add_row(connection, "participant", {
                "municipality_id": town, "counsellor_id": staff[0], "display_name": "Eli",
                "language": "nb", "created_at": now,
            })  # fmt: skip
            assert again > newest
            connection.execute(sa.text("DELETE FROM staff_user WHERE id = :id"), {"id": staff[2]})
            assert _add_row(connection, "staff_user", {
                "municipality_id": town, "email": "new@a.no", "name": "New", "role": "counsellor",
                "password_hash": "x", "language": "nb", "active": True, "created_at": now,
            }) > staff[2]  # fmt: skip
            rows = {t: _rows(connection, t) for t in kept}
        # Down and up again keeps the rows too.
        downgrade(directory=directory, revision=BEFORE)
        upgrade(directory=directory, revision=AFTER)
        with db.engine.begin() as connection:
            assert {t: _rows(connection, t) for t in kept} == rows
            assert _indexes(connection) == indexes
        db.engine.dispose()


def test_the_models_give_no_id_twice(app, world):
    """On the database the tests use (made by the migrations), as the app adds people."""
    with app.app_context():
        counsellor = db.session.get(StaffUser, world.c1)
        first, _code = accounts.create_participant(
            counsellor, counsellor, "First", "en", app.config["SECRET_KEY"], 30
        )
        db.session.commit()
        erased = first.id
        privacy.erase(first, counsellor)
        db.session.commit()
        second, _code = accounts.create_participant(
            counsellor, counsellor, "Second", "en", app.config["SECRET_KEY"], 30
        )
        db.session.commit()
        assert second.id > erased
