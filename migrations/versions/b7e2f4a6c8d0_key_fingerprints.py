"""a fingerprint of each key every app server must share, to refuse a server with another

Revision ID: b7e2f4a6c8d0
Revises: 026d41725ab9
Create Date: 2026-12-06 15:30:00

The first app server or push worker to start after this migration records the fingerprints
of its SECRET_KEY and VAPID key (services/key_check.py); nothing to carry over.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e2f4a6c8d0"
down_revision = "026d41725ab9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "key_fingerprint",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_key_fingerprint")),
    )


def downgrade():
    op.drop_table("key_fingerprint")
