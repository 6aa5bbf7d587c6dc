"""participant.last_synced_at: the caseload sorts by last sync in index order

Revision ID: d1e2f3a4b5c6
Revises: c9e3a1b2d4f7
Create Date: 2026-12-01 19:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd1e2f3a4b5c6'
down_revision = 'c9e3a1b2d4f7'
branch_labels = None
depends_on = None

SYNC_ORDER = [
    sa.text('(last_synced_at IS NULL)'), sa.text('last_synced_at DESC'),
    sa.text('lower(display_name)'), 'id',
]


def upgrade():
    # A plain ADD COLUMN (SQLite's batch mode would copy the table and lose its expression
    # indexes), then what the responses already say.
    op.add_column('participant', sa.Column('last_synced_at', sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE participant SET last_synced_at = (SELECT max(response.synced_at) FROM response "
        "WHERE response.participant_id = participant.id)"
    )
    op.create_index('ix_participant_municipality_synced', 'participant',
                    ['municipality_id', *SYNC_ORDER])
    op.create_index('ix_participant_counsellor_synced', 'participant',
                    ['municipality_id', 'counsellor_id', *SYNC_ORDER])


def downgrade():
    op.drop_index('ix_participant_counsellor_synced', table_name='participant')
    op.drop_index('ix_participant_municipality_synced', table_name='participant')
    op.drop_column('participant', 'last_synced_at')  # SQLite 3.35+ drops columns in place
