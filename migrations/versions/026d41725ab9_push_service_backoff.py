"""push services that could not be reached are waited out by every worker

Revision ID: 026d41725ab9
Revises: c4d6e8f0a2b4
Create Date: 2026-12-06 12:00:00

One row per push service (its origin) that failed to connect or answer in time: how many
times in a row, and until when no worker tries it again (services/push_backoff.py). Nothing
to carry over: a push service failing now is noted at its next try.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "026d41725ab9"
down_revision = "c4d6e8f0a2b4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "push_service_backoff",
        sa.Column("origin", sa.String(length=1024), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("origin", name=op.f("pk_push_service_backoff")),
    )


def downgrade():
    op.drop_table("push_service_backoff")
