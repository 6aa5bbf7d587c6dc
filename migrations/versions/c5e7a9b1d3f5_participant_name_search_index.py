"""an index for the caseload's search by part of a name: trigrams on both databases

Revision ID: c5e7a9b1d3f5
Revises: d4a7c2e9f1b3
Create Date: 2026-12-01 21:50:00

PostgreSQL: the pg_trgm extension and a GIN index that ILIKE '%…%' uses. SQLite: an FTS5
table with the trigram tokenizer over participant.display_name, filled now and kept up to date
by triggers. See webapp/models/name_search.py.
"""
import logging

from alembic import op


# revision identifiers, used by Alembic.
revision = 'c5e7a9b1d3f5'
down_revision = 'd4a7c2e9f1b3'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

SQLITE_TRIGGERS = {
    "participant_name_search_insert": """
        CREATE TRIGGER participant_name_search_insert AFTER INSERT ON participant BEGIN
          INSERT INTO participant_name_search(rowid, display_name)
          VALUES (new.id, new.display_name);
        END""",
    "participant_name_search_delete": """
        CREATE TRIGGER participant_name_search_delete AFTER DELETE ON participant BEGIN
          INSERT INTO participant_name_search(participant_name_search, rowid, display_name)
          VALUES ('delete', old.id, old.display_name);
        END""",
    "participant_name_search_update": """
        CREATE TRIGGER participant_name_search_update AFTER UPDATE OF display_name ON participant
        BEGIN
          INSERT INTO participant_name_search(participant_name_search, rowid, display_name)
          VALUES ('delete', old.id, old.display_name);
          INSERT INTO participant_name_search(rowid, display_name)
          VALUES (new.id, new.display_name);
        END""",
}


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # The extension ships with PostgreSQL (contrib); creating it needs a privileged role.
        # Without it the search still works, reading every name as before: say so loudly.
        savepoint = bind.begin_nested()
        try:
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as error:  # noqa: BLE001 - any refusal means "no extension"
            savepoint.rollback()
            log.warning(
                "pg_trgm could not be created (%s): the caseload's name search stays a full "
                "read; see docs/deploy.md", type(error).__name__,
            )
            return
        savepoint.commit()
        op.execute(
            "CREATE INDEX ix_participant_name_trgm ON participant "
            "USING gin (display_name gin_trgm_ops)"
        )
    elif bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE participant_name_search USING fts5("
            "display_name, content='participant', content_rowid='id', tokenize='trigram')"
        )
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
        op.execute(
            "INSERT INTO participant_name_search(participant_name_search) VALUES ('rebuild')"
        )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_participant_name_trgm")
    elif bind.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS participant_name_search")
