"""languages a published version does not offer to participants

The builder publishes a language with missing texts only as *not offered for this version*;
the version records which. Existing versions offer every language they declare, as before.

Revision ID: b7c41e0a9d52
Revises: b2d4f6a81b20
Create Date: 2027-01-12 10:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'b7c41e0a9d52'
down_revision = 'b2d4f6a81b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questionnaire_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'withheld_languages',
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            server_default='[]',
            nullable=False,
        ))


def downgrade():
    with op.batch_alter_table('questionnaire_version', schema=None) as batch_op:
        batch_op.drop_column('withheld_languages')
