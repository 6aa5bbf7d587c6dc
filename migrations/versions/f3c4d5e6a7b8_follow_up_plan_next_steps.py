"""follow-up plan: next steps per participant, career guidance offered where and when

Revision ID: f3c4d5e6a7b8
Revises: f2b3c4d5e6a7
Create Date: 2026-12-01 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3c4d5e6a7b8'
down_revision = 'f2b3c4d5e6a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('next_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('goal', sa.String(length=300), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('responsible', sa.String(length=12), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('shown_to_participant', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("responsible IN ('participant', 'counsellor', 'other')", name=op.f('ck_next_step_responsible_known')),
    sa.CheckConstraint("status IN ('planned', 'in_progress', 'done', 'cancelled')", name=op.f('ck_next_step_status_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_next_step_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_next_step_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_next_step'))
    )
    with op.batch_alter_table('next_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_next_step_participant_id'), ['participant_id'], unique=False)
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guidance_offered_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('guidance_centre', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('guidance_centre')
        batch_op.drop_column('guidance_offered_on')
    with op.batch_alter_table('next_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_next_step_participant_id'))

    op.drop_table('next_step')
