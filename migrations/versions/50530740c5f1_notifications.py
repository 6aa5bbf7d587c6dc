"""notifications: inbox entries, push subscriptions, and the delivery outbox

A notification is the inbox entry (participant or staff, a kind, a random public id); a
delivery is one push of it to one subscription, written in the same transaction as the event,
and sent by `flask push work`. A subscription belongs to one login session and goes with it.
Written from autogenerate and checked by hand: new tables only, nothing to migrate.

Revision ID: 50530740c5f1
Revises: e3a8f5c2b190
Create Date: 2026-12-01 15:59:25.960130

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '50530740c5f1'
down_revision = 'e3a8f5c2b190'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('response_id', sa.String(length=36), nullable=True),
    sa.Column('questionnaire_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('follow_up', 'questionnaire_offered', 'submission')", name=op.f('ck_notification_kind_known')),
    sa.CheckConstraint('(participant_id IS NULL) <> (staff_id IS NULL)', name=op.f('ck_notification_one_kind_of_person')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_notification_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_notification_questionnaire_id_questionnaire'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_notification_response_id_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], name=op.f('fk_notification_staff_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('public_id', name=op.f('uq_notification_public_id'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_questionnaire_id'), ['questionnaire_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_response_id'), ['response_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_staff_id'), ['staff_id'], unique=False)

    op.create_table('push_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login_session_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=1024), nullable=False),
    sa.Column('p256dh', sa.String(length=100), nullable=False),
    sa.Column('auth', sa.String(length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(participant_id IS NULL) <> (staff_id IS NULL)', name=op.f('ck_push_subscription_one_kind_of_person')),
    sa.ForeignKeyConstraint(['login_session_id'], ['login_session.id'], name=op.f('fk_push_subscription_login_session_id_login_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_push_subscription_municipality_id_municipality')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_push_subscription_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], name=op.f('fk_push_subscription_staff_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscription')),
    sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscription_endpoint')),
    sa.UniqueConstraint('login_session_id', name=op.f('uq_push_subscription_login_session_id'))
    )
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscription_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_push_subscription_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_push_subscription_staff_id'), ['staff_id'], unique=False)

    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'sent', 'gone', 'failed')", name=op.f('ck_delivery_state_known')),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_delivery_notification_id_notification'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['push_subscription.id'], name=op.f('fk_delivery_subscription_id_push_subscription'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery'))
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_notification_id'), ['notification_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_subscription_id'), ['subscription_id'], unique=False)



def downgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_notification_id'))
        batch_op.drop_index('ix_delivery_due')

    op.drop_table('delivery')
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_subscription_staff_id'))
        batch_op.drop_index(batch_op.f('ix_push_subscription_participant_id'))
        batch_op.drop_index(batch_op.f('ix_push_subscription_municipality_id'))

    op.drop_table('push_subscription')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_staff_id'))
        batch_op.drop_index(batch_op.f('ix_notification_response_id'))
        batch_op.drop_index(batch_op.f('ix_notification_questionnaire_id'))
        batch_op.drop_index(batch_op.f('ix_notification_participant_id'))

    op.drop_table('notification')
