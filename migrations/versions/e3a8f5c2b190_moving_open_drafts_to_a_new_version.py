"""moving unfinished responses to a newer version of their questionnaire

Each revision records the version its answers were given on, so a draft moved forward keeps
its earlier revisions (and the answers that did not fit) on the old version; the response
lists its moves. Existing revisions are on their response's version.

Revision ID: e3a8f5c2b190
Revises: b7c41e0a9d52
Create Date: 2027-01-12 11:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'e3a8f5c2b190'
down_revision = 'b7c41e0a9d52'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'version_moves',
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            server_default='[]',
            nullable=False,
        ))
    with op.batch_alter_table('response_revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_response_revision_version_id_questionnaire_version'),
            'questionnaire_version', ['version_id'], ['id'],
        )
    op.execute(
        "UPDATE response_revision SET version_id = (SELECT response.version_id FROM response "
        "WHERE response.id = response_revision.response_id)"
    )


def downgrade():
    with op.batch_alter_table('response_revision', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_response_revision_version_id_questionnaire_version'), type_='foreignkey'
        )
        batch_op.drop_column('version_id')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('version_moves')
