"""notify a participant once when a next step of theirs is due

Revision ID: b8d2f0a1c3e5
Revises: a7c1e9d2b4f6
Create Date: 2026-12-01 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d2f0a1c3e5'
down_revision = 'a7c1e9d2b4f6'
branch_labels = None
depends_on = None

OLD = "kind IN ('follow_up', 'questionnaire_offered', 'submission', 'message', 'resource_shared')"
NEW = ("kind IN ('follow_up', 'questionnaire_offered', 'submission', 'message', "
       "'resource_shared', 'next_step_due')")


def upgrade():
    with op.batch_alter_table('next_step', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('due_notified_on', sa.Date(), nullable=True))
    with op.batch_alter_table('notification', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint('kind_known', type_='check')
        batch_op.create_check_constraint('kind_known', NEW)


def downgrade():
    # The entries of the new kind cannot be kept under the old rule.
    op.execute("DELETE FROM notification WHERE kind = 'next_step_due'")
    with op.batch_alter_table('notification', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint('kind_known', type_='check')
        batch_op.create_check_constraint('kind_known', OLD)
    with op.batch_alter_table('next_step', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('due_notified_on')
