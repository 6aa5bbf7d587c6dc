"""programme status per participant, lead counsellors

A participant gets the programme they are in (introduction programme under the Integration
Act, under the older Introduction Act, or another qualification path), its start date and the
dates the competence mapping and the career guidance were completed; all empty for existing
participants (not recorded yet). A counsellor can be the municipality's lead (sees every
participant of the municipality, can reassign them); nobody is one until set.

Revision ID: a1c3e5f70a10
Revises: 91eb026ae964
Create Date: 2026-12-08 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1c3e5f70a10'
down_revision = '91eb026ae964'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('programme_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('mapping_completed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('guidance_completed_on', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            'programme_known',
            "programme IS NULL OR programme IN ('integration_act', 'introduction_act', 'other')",
        )

    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('lead', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_check_constraint('lead_is_counsellor', "NOT lead OR role = 'counsellor'")


def downgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_constraint('lead_is_counsellor', type_='check')
        batch_op.drop_column('lead')

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_constraint('programme_known', type_='check')
        batch_op.drop_column('guidance_completed_on')
        batch_op.drop_column('mapping_completed_on')
        batch_op.drop_column('programme_start')
        batch_op.drop_column('programme')
