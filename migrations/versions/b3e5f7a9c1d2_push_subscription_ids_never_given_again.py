"""push subscription ids are never given again (SQLite: AUTOINCREMENT)

Revision ID: b3e5f7a9c1d2
Revises: f4a6b8c0d2e4
Create Date: 2026-12-08 09:00:00

A delivery names its subscription by id (``delivery.subscription_id``). SQLite never enforced
the foreign key's ``ON DELETE SET NULL`` (its foreign keys are off), and a plain INTEGER
PRIMARY KEY gives a new row the highest id plus one: a push waiting for a subscription that
was deleted (its person signed out, or the push service said 410) went to whoever subscribed
next, on any phone, in any municipality. ``push_subscription`` is rebuilt with AUTOINCREMENT,
keeping every row, index and constraint, its counter starting above any id a delivery names;
deliveries that name a subscription that is gone, or one that is not their recipient's, let go
of it (a waiting one is "gone", as the app now does when it deletes a subscription).
PostgreSQL enforced the foreign key and its sequences never reuse an id: nothing to do.

The table is written out as it is at this revision (not read from the models, which may change
later).
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b3e5f7a9c1d2"
down_revision = "f4a6b8c0d2e4"
branch_labels = None
depends_on = None


def _push_subscription(metadata: sa.MetaData) -> sa.Table:
    for parent in ("login_session", "participant", "staff_user", "municipality"):
        sa.Table(parent, metadata, sa.Column("id", sa.Integer(), primary_key=True))
    return sa.Table(
        "push_subscription",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login_session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=1024), nullable=False),
        sa.Column("p256dh", sa.String(length=100), nullable=False),
        sa.Column("auth", sa.String(length=30), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(participant_id IS NULL) <> (staff_id IS NULL)",
            name="ck_push_subscription_one_kind_of_person",
        ),
        sa.ForeignKeyConstraint(
            ["login_session_id"],
            ["login_session.id"],
            name="fk_push_subscription_login_session_id_login_session",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name="fk_push_subscription_municipality_id_municipality",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name="fk_push_subscription_participant_id_participant",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_user.id"],
            name="fk_push_subscription_staff_id_staff_user",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_push_subscription"),
        sa.UniqueConstraint("endpoint", name="uq_push_subscription_endpoint"),
        sa.UniqueConstraint("login_session_id", name="uq_push_subscription_login_session_id"),
        sa.Index("ix_push_subscription_municipality_id", "municipality_id"),
        sa.Index("ix_push_subscription_participant_id", "participant_id"),
        sa.Index("ix_push_subscription_staff_id", "staff_id"),
    )


def _rebuild(autoincrement: bool) -> None:
    table = _push_subscription(sa.MetaData())
    with op.batch_alter_table(
        table.name,
        recreate="always",
        copy_from=table,
        table_kwargs={"sqlite_autoincrement": autoincrement},
    ):
        pass


def _let_go_of_lost_subscriptions() -> None:
    """What ``ON DELETE SET NULL`` would have done, and more: a delivery naming a subscription
    that is gone, or one that is not its recipient's (its id given again), lets go of it; one
    still waiting will not be sent ("gone"). Its record stays."""
    mine = """EXISTS (
        SELECT 1 FROM push_subscription s JOIN notification n ON n.id = delivery.notification_id
        WHERE s.id = delivery.subscription_id
          AND s.participant_id IS n.participant_id AND s.staff_id IS n.staff_id)"""
    now = sa.bindparam("now", datetime.now(UTC), type_=sa.DateTime(timezone=True))
    op.get_bind().execute(
        sa.text(
            "UPDATE delivery SET state = 'gone', subscription_id = NULL, finished_at = :now, "
            "last_status = NULL, last_error = 'subscription ended' "
            f"WHERE state = 'pending' AND subscription_id IS NOT NULL AND NOT {mine}"
        ).bindparams(now)
    )
    op.execute(
        "UPDATE delivery SET subscription_id = NULL "
        f"WHERE subscription_id IS NOT NULL AND NOT {mine}"
    )


def _start_counter_above(floor: int) -> None:
    bind = op.get_bind()
    current = bind.execute(
        sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'push_subscription'")
    ).scalar()
    if current is None:
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence(name, seq) VALUES ('push_subscription', :seq)"),
            {"seq": floor},
        )
    elif current < floor:
        bind.execute(
            sa.text("UPDATE sqlite_sequence SET seq = :seq WHERE name = 'push_subscription'"),
            {"seq": floor},
        )


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL: the foreign key is enforced, and sequences never give an id twice
    # Every id a delivery ever named, the deleted subscriptions' too, stays given.
    floor = bind.execute(
        sa.text(
            "SELECT max(coalesce((SELECT max(id) FROM push_subscription), 0), "
            "coalesce((SELECT max(subscription_id) FROM delivery), 0))"
        )
    ).scalar()
    _let_go_of_lost_subscriptions()
    _rebuild(autoincrement=True)
    _start_counter_above(floor or 0)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(autoincrement=False)
