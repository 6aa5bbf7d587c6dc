"""tell the counsellor of a sync conflict in their caseload (notification kind sync_conflict)

Revision ID: d4a7c2e9f1b3
Revises: e2f3a4b5c6d7
Create Date: 2026-12-01 19:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4a7c2e9f1b3'
down_revision = 'e2f3a4b5c6d7'
branch_labels = None
depends_on = None

OLD = ("kind IN ('follow_up', 'questionnaire_offered', 'submission', 'message', "
       "'resource_shared', 'next_step_due', 'draft_reminder')")
NEW = ("kind IN ('follow_up', 'questionnaire_offered', 'submission', 'message', "
       "'resource_shared', 'next_step_due', 'draft_reminder', 'sync_conflict')")


def upgrade():
    with op.batch_alter_table('notification', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint('kind_known', type_='check')
        batch_op.create_check_constraint('kind_known', NEW)


def downgrade():
    # The entries of the new kind cannot be kept under the old rule.
    op.execute("DELETE FROM notification WHERE kind = 'sync_conflict'")
    with op.batch_alter_table('notification', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint('kind_known', type_='check')
        batch_op.create_check_constraint('kind_known', OLD)
