"""the key participants' phones encrypt stored answers with

Revision ID: 5b1e0c7a9d21
Revises: d6001854ed18
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1e0c7a9d21'
down_revision = 'd6001854ed18'
branch_labels = None
depends_on = None


def upgrade():
    # Made on first use: existing participants get theirs when a phone next asks.
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_key', sa.LargeBinary(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('phone_key')
