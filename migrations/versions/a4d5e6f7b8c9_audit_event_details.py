"""audit events carry details: the filter of an export (never answers)

Revision ID: a4d5e6f7b8c9
Revises: a4d6e8f0b2c3
Create Date: 2026-12-01 18:10:00

A plain ADD COLUMN, not a batch operation: SQLite's batch mode copies the table, and the copy
would lose the triggers that keep audit_event append-only.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'a4d5e6f7b8c9'
down_revision = 'a4d6e8f0b2c3'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'audit_event',
        sa.Column(
            'details',
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            nullable=True,
        ),
    )


def downgrade():
    op.drop_column('audit_event', 'details')
