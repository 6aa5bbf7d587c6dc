"""the overview's counts kept per municipality for a few minutes, shared by every app server

Revision ID: d6f8b0c2e4a6
Revises: c5e7a9b1d3f5
Create Date: 2026-12-01 22:35:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd6f8b0c2e4a6'
down_revision = 'c5e7a9b1d3f5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'overview_figures',
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('counted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ['municipality_id'], ['municipality.id'],
            name=op.f('fk_overview_figures_municipality_id_municipality'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('municipality_id', name=op.f('pk_overview_figures')),
    )


def downgrade():
    op.drop_table('overview_figures')
