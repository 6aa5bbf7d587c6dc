"""Flask extensions, created unbound and bound to the app in ``create_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

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
    """
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def tune_engine(engine: Engine) -> None:
    """Apply the embedded database's settings to every new connection (no-op on PostgreSQL)."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _sqlite_pragmas):
        event.listen(engine, "connect", _sqlite_pragmas)
