"""notifications for a counsellor's message and a shared resource

Revision ID: a7c1e9d2b4f6
Revises: a4d5e6f7b8c9
Create Date: 2026-12-01 18:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c1e9d2b4f6'
down_revision = 'a4d5e6f7b8c9'
branch_labels = None
depends_on = None

OLD = "kind IN ('follow_up', 'questionnaire_offered', 'submission')"
NEW = "kind IN ('follow_up', 'questionnaire_offered', 'submission', 'message', 'resource_shared')"


def upgrade():
    with op.batch_alter_table('notification', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint('kind_known', type_='check')
        batch_op.create_check_constraint('kind_known', NEW)


def downgrade():
    # The entries of the new kinds cannot be kept under the old rule.
    op.execute("DELETE FROM notification WHERE kind IN ('message', 'resource_shared')")
    with op.batch_alter_table('notification', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint('kind_known', type_='check')
        batch_op.create_check_constraint('kind_known', OLD)
