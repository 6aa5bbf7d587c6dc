"""comments on responses: notes between staff and messages to the participant

Revision ID: b2d4f6a81b20
Revises: a1c3e5f70a10
Create Date: 2026-12-08 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b2d4f6a81b20'
down_revision = 'a1c3e5f70a10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('response_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.String(length=36), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('note', 'message')", name=op.f('ck_response_comment_kind_known')),
    sa.ForeignKeyConstraint(['author_id'], ['staff_user.id'], name=op.f('fk_response_comment_author_id_staff_user')),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_response_comment_response_id_response')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_comment'))
    )
    with op.batch_alter_table('response_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_comment_response_id'), ['response_id'], unique=False)


def downgrade():
    with op.batch_alter_table('response_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_comment_response_id'))

    op.drop_table('response_comment')
