"""Flask extensions, created unbound and bound to the app in ``create_app``."""

from __future__ import annotations

import time

from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event, exc
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry

# Named constraints, so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
babel = Babel()
csrf = CSRFProtect()


def _sqlite_pragmas(connection, _record) -> None:
    """Settings every connection to the embedded SQLite database gets.

    - WAL: readers and the writer do not block each other (``make run`` serves with several
      gunicorn workers), and a commit writes one log file instead of a journal and the database.
    - synchronous FULL: a commit is on disk before the server acknowledges it, so answers the
      phone was told are stored survive a power cut (the phone then forgets them).
    - busy_timeout: a writer waits for another for up to ten seconds instead of failing.
    - secure_delete: what is deleted is overwritten, so an erased participant's answers are not
      left in the file's free pages for a copy of it (a backup) to hold. Debian's SQLite has
      it on by default; a build without it does not.
    - foreign_keys: references are enforced, with their ``ON DELETE`` rules, as PostgreSQL
      does (SQLite leaves them off unless asked). Migrations turn it off while they rebuild
      tables (migrations/env.py), as dropping the old copy would cascade.

    And ``unicode_lower(text)``, Python's ``str.lower``: SQLite's own ``lower()`` (and so its
    ``ILIKE``) folds ASCII letters only, so a search for "øystein" missed "Øystein". A function
    of its own name, never SQLite's ``lower``, which the caseload's order indexes are built on.
    """
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    connection.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(text: object) -> object:
    return text.lower() if isinstance(text, str) else text


def tune_engine(engine: Engine, ping_after_idle: float) -> None:
    """Apply the database's connection settings: the embedded database's pragmas on every new
    connection; on a database server, a check that a pooled connection still works before it is
    used, if it sat unused for ``ping_after_idle`` seconds or more."""
    if engine.dialect.name == "sqlite":
        # A file on this machine has no connection to lose: no check at all.
        if not event.contains(engine, "connect", _sqlite_pragmas):
            event.listen(engine, "connect", _sqlite_pragmas)
        return

    def note_idle(_dbapi_connection, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    def ping_if_idle(dbapi_connection, record: ConnectionPoolEntry, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since < ping_after_idle:
            return  # used a moment ago: a busy server skips a round trip on every request
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool drops its connections and takes a new one
            raise exc.InvalidatePoolError("the database closed this connection") from error

    event.listen(engine, "connect", note_idle)
    event.listen(engine, "checkin", note_idle)
    event.listen(engine, "checkout", ping_if_idle)
