"""a participant's PIN is also checked on the server: a verifier per signed-in phone

Revision ID: a9d8c7b6e5f4
Revises: f3c4d5e6a7b8
Create Date: 2026-12-01 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9d8c7b6e5f4'
down_revision = 'f3c4d5e6a7b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pin_verifier', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_column('pin_verifier')
