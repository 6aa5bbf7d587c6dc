"""revisions say why staff wrote them: in a meeting with the participant, or a conflict settled

Revision ID: a4d6e8f0b2c3
Revises: b8e9f0a1c2d3
Create Date: 2026-12-01 18:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4d6e8f0b2c3'
down_revision = 'b8e9f0a1c2d3'
branch_labels = None
depends_on = None


# SQLite copies the table to add a check constraint; the tables it points at need not be read
# (participant has indexes on expressions, which SQLite's reflection skips with a warning).
NO_FKS = {"resolve_fks": False}


def upgrade():
    with op.batch_alter_table('response_revision', schema=None, reflect_kwargs=NO_FKS) as batch_op:
        batch_op.add_column(sa.Column('occasion', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            'occasion_known',
            "occasion IS NULL OR occasion IN ('meeting', 'resolution')",
        )


def downgrade():
    with op.batch_alter_table('response_revision', schema=None, reflect_kwargs=NO_FKS) as batch_op:
        batch_op.drop_constraint('occasion_known', type_='check')
        batch_op.drop_column('occasion')
