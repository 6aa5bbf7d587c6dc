"""remind a participant of a draft left unfinished (at most weekly)

Revision ID: c9e3a1b2d4f7
Revises: b8d2f0a1c3e5
Create Date: 2026-12-01 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9e3a1b2d4f7'
down_revision = 'b8d2f0a1c3e5'
branch_labels = None
depends_on = None

OLD = ("kind IN ('follow_up', 'questionnaire_offered', 'submission', 'message', "
       "'resource_shared', 'next_step_due')")
NEW = ("kind IN ('follow_up', 'questionnaire_offered', 'submission', 'message', "
       "'resource_shared', 'next_step_due', 'draft_reminder')")


def upgrade():
    with op.batch_alter_table('response', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('notification', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint('kind_known', type_='check')
        batch_op.create_check_constraint('kind_known', NEW)


def downgrade():
    # The entries of the new kind cannot be kept under the old rule.
    op.execute("DELETE FROM notification WHERE kind = 'draft_reminder'")
    with op.batch_alter_table('notification', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint('kind_known', type_='check')
        batch_op.create_check_constraint('kind_known', OLD)
    with op.batch_alter_table('response', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('reminded_at')
