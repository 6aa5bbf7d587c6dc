"""staff password links: a one-time link to set one's own password

Revision ID: c4d6e8f0a2b4
Revises: b3e5f7a9c1d2
Create Date: 2026-12-06 12:00:00

An administrator adds a colleague, or helps one who forgot their password, with a link the
colleague opens to set their own password. Only the link's HMAC and its expiry are kept.
Nullable columns and a unique index, so existing rows need no data step (nobody has a link).
Plain ADD COLUMN and CREATE INDEX rather than a batch: on SQLite a batch rebuilds the table,
and ``staff_user`` keeps its AUTOINCREMENT (ids are never given again).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4d6e8f0a2b4"
down_revision = "b3e5f7a9c1d2"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "staff_user", sa.Column("password_link_hash", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "staff_user",
        sa.Column("password_link_expires_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        op.f("ix_staff_user_password_link_hash"), "staff_user", ["password_link_hash"], unique=True
    )


def downgrade():
    op.drop_index(op.f("ix_staff_user_password_link_hash"), table_name="staff_user")
    op.drop_column("staff_user", "password_link_expires_at")
    op.drop_column("staff_user", "password_link_hash")
