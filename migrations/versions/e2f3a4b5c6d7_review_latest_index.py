"""a response's latest review read from one index (the caseload's state of every row)

Revision ID: e2f3a4b5c6d7
Revises: d1e2f3a4b5c6
Create Date: 2026-12-01 19:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e2f3a4b5c6d7'
down_revision = 'd1e2f3a4b5c6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_review_response_latest', 'review', ['response_id', 'id'])
    op.drop_index('ix_review_response_id', table_name='review')


def downgrade():
    op.create_index('ix_review_response_id', 'review', ['response_id'])
    op.drop_index('ix_review_response_latest', table_name='review')
