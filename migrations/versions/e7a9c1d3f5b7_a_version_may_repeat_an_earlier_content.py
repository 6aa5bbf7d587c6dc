"""a version may hold what an earlier version held (a change taken back is published again)

Revision ID: e7a9c1d3f5b7
Revises: d6f8b0c2e4a6
Create Date: 2026-12-04 19:10:00

Publishing compares the draft with the latest version only. Version 1, a change published as
version 2, and that change taken back: version 3 has version 1's content, which the unique
constraint on (questionnaire_id, content_hash) refused with a server error. Versions stay
unique by (questionnaire_id, number).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e7a9c1d3f5b7'
down_revision = 'd6f8b0c2e4a6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questionnaire_version', schema=None) as batch_op:
        batch_op.drop_constraint(
            'uq_questionnaire_version_questionnaire_id_content_hash', type_='unique'
        )


def downgrade():
    # Fails while two versions of a questionnaire hold the same content, as it should.
    with op.batch_alter_table('questionnaire_version', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            'uq_questionnaire_version_questionnaire_id_content_hash',
            ['questionnaire_id', 'content_hash'],
        )
