"""ids of participants and staff are never given again (SQLite: AUTOINCREMENT)

Revision ID: f4a6b8c0d2e4
Revises: e7a9c1d3f5b7
Create Date: 2026-12-06 06:00:00

On SQLite a plain INTEGER PRIMARY KEY gives a new row the highest id plus one, so the id of
an erased participant (the newest) went to the next participant added, in any municipality,
who then inherited the erased person's audit trail ("Who has read your answers", the audit
entries of their data export). ``participant`` and ``staff_user`` are rebuilt with
AUTOINCREMENT, keeping every row, index, constraint and the name search's triggers, and the
counter starts above the highest id the audit trail names, so an id erased before this
migration is not given again either. PostgreSQL's sequences never reuse an id: nothing to do.

The tables are written out here as they are at this revision (not read from the models, which
change later, nor reflected: SQLite's indexes on expressions cannot be reflected); those
indexes and the triggers go with the old table and are made again.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f4a6b8c0d2e4"
down_revision = "e7a9c1d3f5b7"
branch_labels = None
depends_on = None

#: The name search's triggers (migration c5e7a9b1d3f5): dropped with the table they are on.
NAME_SEARCH_TRIGGERS = (
    """CREATE TRIGGER participant_name_search_insert AFTER INSERT ON participant BEGIN
          INSERT INTO participant_name_search(rowid, display_name)
          VALUES (new.id, new.display_name);
        END""",
    """CREATE TRIGGER participant_name_search_delete AFTER DELETE ON participant BEGIN
          INSERT INTO participant_name_search(participant_name_search, rowid, display_name)
          VALUES ('delete', old.id, old.display_name);
        END""",
    """CREATE TRIGGER participant_name_search_update AFTER UPDATE OF display_name ON participant
        BEGIN
          INSERT INTO participant_name_search(participant_name_search, rowid, display_name)
          VALUES ('delete', old.id, old.display_name);
          INSERT INTO participant_name_search(rowid, display_name)
          VALUES (new.id, new.display_name);
        END""",
)


def _staff_user(metadata: sa.MetaData) -> sa.Table:
    sa.Table("municipality", metadata, sa.Column("id", sa.Integer(), primary_key=True))
    return sa.Table(
        "staff_user",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("lead", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_staff_user"),
        sa.UniqueConstraint("email", name="uq_staff_user_email"),
        sa.CheckConstraint(
            "role IN ('administrator', 'counsellor')", name="ck_staff_user_role_known"
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name="fk_staff_user_municipality_id_municipality",
        ),
        sa.CheckConstraint(
            "NOT lead OR role = 'counsellor'", name="ck_staff_user_lead_is_counsellor"
        ),
        sa.Index("ix_staff_user_municipality_id", "municipality_id"),
    )


def _participant(metadata: sa.MetaData) -> sa.Table:
    sa.Table("staff_user", metadata, sa.Column("id", sa.Integer(), primary_key=True))
    table = sa.Table(
        "participant",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("counsellor_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("invite_code_hash", sa.String(length=64), nullable=True),
        sa.Column("invite_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("show_norwegian", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("left_programme_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("phone_key", sa.LargeBinary(length=32), nullable=True),
        sa.Column("programme", sa.String(length=20), nullable=True),
        sa.Column("programme_start", sa.Date(), nullable=True),
        sa.Column("mapping_completed_on", sa.Date(), nullable=True),
        sa.Column("guidance_completed_on", sa.Date(), nullable=True),
        sa.Column("guidance_offered_on", sa.Date(), nullable=True),
        sa.Column("guidance_centre", sa.String(length=200), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_participant"),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name="fk_participant_municipality_id_municipality",
        ),
        sa.UniqueConstraint("invite_code_hash", name="uq_participant_invite_code_hash"),
        sa.ForeignKeyConstraint(
            ["counsellor_id"], ["staff_user.id"], name="fk_participant_counsellor_id_staff_user"
        ),
        sa.CheckConstraint(
            "programme IS NULL OR programme IN ('integration_act', 'introduction_act', 'other')",
            name="ck_participant_programme_known",
        ),
        sa.Index("ix_participant_municipality_id", "municipality_id"),
        sa.Index("ix_participant_counsellor_id", "counsellor_id"),
    )
    return table


#: The caseload's indexes on expressions (migrations b8e9f0a1c2d3 and d1e2f3a4b5c6), made
#: again after the copy as they were made then.
SYNC_ORDER = [
    sa.text("(last_synced_at IS NULL)"),
    sa.text("last_synced_at DESC"),
    sa.text("lower(display_name)"),
    "id",
]
PARTICIPANT_INDEXES = {
    "ix_participant_municipality_name": ["municipality_id", sa.text("lower(display_name)"), "id"],
    "ix_participant_counsellor_name": [
        "municipality_id",
        "counsellor_id",
        sa.text("lower(display_name)"),
        "id",
    ],
    "ix_participant_municipality_synced": ["municipality_id", *SYNC_ORDER],
    "ix_participant_counsellor_synced": ["municipality_id", "counsellor_id", *SYNC_ORDER],
}

#: Each table, and how the audit trail names its rows ("staff:3", "participant:7:step:2").
TABLES = ((_staff_user, "staff:"), (_participant, "participant:"))


def _rebuild(build, autoincrement: bool) -> sa.Table:
    table = build(sa.MetaData())
    with op.batch_alter_table(
        table.name,
        recreate="always",
        copy_from=table,
        table_kwargs={"sqlite_autoincrement": autoincrement},
    ):
        pass
    return table


def _participant_extras() -> None:
    """Make what the copy of ``participant`` left out: the indexes on expressions, and the name
    search's triggers and index (migration c5e7a9b1d3f5; webapp/models/name_search.py)."""
    for name, columns in PARTICIPANT_INDEXES.items():
        op.create_index(name, "participant", columns)
    bind = op.get_bind()
    found = bind.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'participant_name_search'"
    ).scalar()
    if not found:
        return
    for statement in NAME_SEARCH_TRIGGERS:
        op.execute(statement)
    op.execute("INSERT INTO participant_name_search(participant_name_search) VALUES ('rebuild')")


def _highest_named(prefix: str) -> int:
    """Return the highest id the audit trail names with ``prefix`` (0 if none).

    ``CAST`` reads the leading digits of "12:step:3" as 12. Only what an id can be (the app
    takes none beyond PostgreSQL's integer) counts: a counter at SQLite's largest integer
    would refuse every new row.
    """
    start = len(prefix) + 1
    bind = op.get_bind()
    highest = 0
    for column in ("actor", "target"):
        found = bind.execute(
            sa.text(
                f"SELECT max(n) FROM (SELECT CAST(substr({column}, {start}) AS INTEGER) AS n "
                f"FROM audit_event WHERE {column} LIKE :pattern) WHERE n < 2147483648"
            ),
            {"pattern": prefix + "%"},
        ).scalar()
        highest = max(highest, found or 0)
    return highest


def _start_counter_above(table: str, prefix: str) -> None:
    """Make the next id higher than any the table or the audit trail ever held: an id erased
    before this migration is not given again either."""
    bind = op.get_bind()
    floor = _highest_named(prefix)
    current = bind.execute(
        sa.text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": table}
    ).scalar()
    if current is None:
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence(name, seq) VALUES (:name, :seq)"),
            {"name": table, "seq": floor},
        )
    elif current < floor:
        bind.execute(
            sa.text("UPDATE sqlite_sequence SET seq = :seq WHERE name = :name"),
            {"name": table, "seq": floor},
        )


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL: sequences never give an id twice
    for build, prefix in TABLES:
        table = _rebuild(build, autoincrement=True)
        _start_counter_above(table.name, prefix)
    _participant_extras()


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for build, _prefix in TABLES:
        _rebuild(build, autoincrement=False)
    _participant_extras()
