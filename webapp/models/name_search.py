"""The index behind the caseload's name search, which lives outside the models.

A search for part of a name (``ILIKE '%ali%'``) cannot use an ordinary index, so without help
it reads every name of the municipality (issue 12: 5.8 times slower at 100,000 participants
than at 1,000). Each database gets its own kind of index, made by the migration
``c5e7a9b1d3f5``:

- PostgreSQL: a trigram GIN index on ``participant.display_name`` (the ``pg_trgm`` extension),
  which ``ILIKE`` uses by itself.
- SQLite: an FTS5 table with the trigram tokenizer over the same column, kept up to date by
  triggers on ``participant``; the caseload asks it first (services/caseload.py).

Neither can be said in SQLAlchemy's models, so Alembic's comparisons leave them out
(``outside_models``). **A migration that recreates ``participant`` on SQLite (batch mode) drops
the triggers: it must create them again** (``tests/test_caseload.py`` searches after all
migrations, so a lost trigger fails it).
"""

from __future__ import annotations

#: The SQLite FTS5 table (and the prefix of its shadow tables).
SQLITE_TABLE = "participant_name_search"
#: The PostgreSQL trigram index.
POSTGRESQL_INDEX = "ix_participant_name_trgm"


def outside_models(_object, name: str | None, type_: str, _reflected, _compare_to) -> bool:
    """Alembic's ``include_object``: False for the name search's tables and index."""
    if type_ == "table" and name and name.startswith(SQLITE_TABLE):
        return False
    return not (type_ == "index" and name == POSTGRESQL_INDEX)
