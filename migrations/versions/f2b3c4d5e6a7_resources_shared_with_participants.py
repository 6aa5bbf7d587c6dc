"""resources shared with participants, with a counsellor's note

Revision ID: f2b3c4d5e6a7
Revises: f1a2b3c4d5e6
Create Date: 2026-12-01 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2b3c4d5e6a7'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shared_resource',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('shared_by_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('shared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_shared_resource_participant_id_participant')),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_shared_resource_resource_id_resource')),
    sa.ForeignKeyConstraint(['shared_by_id'], ['staff_user.id'], name=op.f('fk_shared_resource_shared_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_resource')),
    sa.UniqueConstraint('participant_id', 'resource_id', name=op.f('uq_shared_resource_participant_id_resource_id'))
    )
    with op.batch_alter_table('shared_resource', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_resource_participant_id'), ['participant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('shared_resource', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_resource_participant_id'))

    op.drop_table('shared_resource')
