"""resources curated by municipalities: owner, municipality region, audience

Revision ID: f1a2b3c4d5e6
Revises: 50530740c5f1
Create Date: 2026-12-01 16:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d5e6'
down_revision = '50530740c5f1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.add_column(sa.Column('municipality_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('region_municipality_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('audience', sa.String(length=20), server_default='participant', nullable=False))
        batch_op.create_index(batch_op.f('ix_resource_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_resource_municipality_id_municipality'), 'municipality', ['municipality_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_resource_region_municipality_id_municipality'), 'municipality', ['region_municipality_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_resource_audience_known'), "audience IN ('participant', 'counsellor')")


def downgrade():
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_resource_audience_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_resource_region_municipality_id_municipality'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_resource_municipality_id_municipality'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_resource_municipality_id'))
        batch_op.drop_column('audience')
        batch_op.drop_column('region_municipality_id')
        batch_op.drop_column('municipality_id')
