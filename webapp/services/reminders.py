"""Reminders of drafts left unfinished: written by the push worker at each pass.

A participant's draft of one of their own questionnaires, untouched for ``DRAFT_REMINDER_DAYS``
(configuration; 0 turns reminders off), gets an inbox entry and a push: at most one per draft
a week, and never in the quiet hours (21:00 to 08:00 in Norway). A participant who left the
programme is not reminded. A new reminder stands for the ones before it: the draft's earlier
reminders still unread are marked read, so a draft has at most one unread reminder (as its
push's ``Topic`` replaces an unseen push), however long nobody opens the inbox. The reminder and
the draft's mark are written in one transaction; on PostgreSQL workers running at once skip
each other's drafts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import Notification, Participant, Questionnaire, QuestionnaireVersion, Response
from . import notifications

#: At most one reminder per draft in this long.
REMIND_AGAIN_AFTER = timedelta(days=7)


def remind_drafts(now: datetime, delay_days: int, limit: int = 100) -> int:
    """Remind participants of drafts untouched for ``delay_days``; return how many."""
    if delay_days <= 0 or notifications.quiet(now):
        return 0
    query = (
        sa.select(Response)
        .join(QuestionnaireVersion, Response.version_id == QuestionnaireVersion.id)
        .join(Questionnaire, QuestionnaireVersion.questionnaire_id == Questionnaire.id)
        .join(Participant, Response.participant_id == Participant.id)
        .where(
            Response.status == "draft",
            Questionnaire.audience == "participant",
            Participant.left_programme_at.is_(None),
            Response.updated_at <= now - timedelta(days=delay_days),
            Response.reminded_at.is_(None) | (Response.reminded_at <= now - REMIND_AGAIN_AFTER),
        )
        .order_by(Response.updated_at, Response.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Response, skip_locked=True)
    drafts = db.session.scalars(query).all()
    if drafts:
        db.session.execute(
            sa.update(Notification)
            .where(
                Notification.kind == "draft_reminder",
                Notification.response_id.in_([draft.id for draft in drafts]),
                Notification.read_at.is_(None),
            )
            .values(read_at=now)
        )
    for draft in drafts:
        notifications.notify(draft.participant, "draft_reminder", response=draft)
        draft.reminded_at = now
    return len(drafts)
