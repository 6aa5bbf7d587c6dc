"""indexes for the caseload's order: a page of a municipality or a counsellor stays flat

Revision ID: b8e9f0a1c2d3
Revises: a9d8c7b6e5f4
Create Date: 2026-12-01 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8e9f0a1c2d3'
down_revision = 'a9d8c7b6e5f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_participant_municipality_name', 'participant',
        ['municipality_id', sa.text('lower(display_name)'), 'id'],
    )
    op.create_index(
        'ix_participant_counsellor_name', 'participant',
        ['municipality_id', 'counsellor_id', sa.text('lower(display_name)'), 'id'],
    )


def downgrade():
    op.drop_index('ix_participant_counsellor_name', table_name='participant')
    op.drop_index('ix_participant_municipality_name', table_name='participant')
