"""Notifications: the inbox entry and its deliveries, written with the event that causes them.

``notify`` adds a Notification (the inbox entry) and one pending Delivery per push
subscription of the recipient to the caller's transaction: the event and its notification are
committed together or not at all (a transactional outbox; ``flask push work`` sends them).
Texts are generated from the kind in the reader's language when read, never stored, and a
push carries only a generic sentence and the notification's random id (docs/notifications.md).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..models import (
    NOTIFICATION_KINDS,
    Delivery,
    LoginSession,
    Notification,
    Participant,
    PushSubscription,
    Questionnaire,
    Response,
    StaffUser,
)
from ..models.types import utcnow

Recipient = Participant | StaffUser

#: How many entries already read the inbox lists (the newest): every unread one is listed.
INBOX_SIZE = 100
#: Norwegian time: notifications the clock brings (steps due, reminders) wait for the morning.
NORWAY = ZoneInfo("Europe/Oslo")
QUIET_FROM, QUIET_UNTIL = 21, 8


def quiet(now: datetime) -> bool:
    """Return whether ``now`` (aware) is in the quiet hours, 21:00 to 08:00 in Norway."""
    hour = now.astimezone(NORWAY).hour
    return hour >= QUIET_FROM or hour < QUIET_UNTIL


def notify(
    recipient: Recipient,
    kind: str,
    response: Response | None = None,
    questionnaire: Questionnaire | None = None,
    *,
    response_id: str | None = None,
) -> Notification:
    """Add an inbox entry for ``recipient`` and a delivery to each of their devices (about
    ``response``, or the response with ``response_id`` when the writer holds no object)."""
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(kind)
    owner = (
        {"participant_id": recipient.id}
        if isinstance(recipient, Participant)
        else {"staff_id": recipient.id}
    )
    notification = Notification(
        public_id=secrets.token_urlsafe(16),
        kind=kind,
        response_id=response.id if response is not None else response_id,
        questionnaire_id=questionnaire.id if questionnaire is not None else None,
        **owner,
    )
    db.session.add(notification)
    now = utcnow()
    for subscription in _live_subscriptions(recipient):
        db.session.add(
            Delivery(notification=notification, subscription=subscription, next_attempt_at=now)
        )
    return notification


def _live_subscriptions(recipient: Recipient) -> Iterable[PushSubscription]:
    column = (
        PushSubscription.participant_id
        if isinstance(recipient, Participant)
        else PushSubscription.staff_id
    )
    return db.session.scalars(
        sa.select(PushSubscription)
        .join(LoginSession)
        .where(
            column == recipient.id,
            LoginSession.ended_at.is_(None),
            LoginSession.expires_at > utcnow(),
        )
    )


def text_for(kind: str) -> str:
    """Return the inbox text for a kind of notification, in the current language."""
    texts = {
        "follow_up": _("Your counsellor asked you to look at your answers again."),
        "questionnaire_offered": _("You have a new questionnaire to fill in."),
        "submission": _("A participant sent in their answers."),
        "message": _("Your counsellor sent you a message."),
        "resource_shared": _("Your counsellor shared something for you to read."),
        "next_step_due": _("One of your next steps is due."),
        "draft_reminder": _("You have a questionnaire that is not finished."),
        "sync_conflict": _("Two changes to a participant's answers clashed: choose which to keep."),
    }
    return texts[kind]


def label_for(kind: str) -> str:
    """Return what a kind of notification is, for staff (the list of failed deliveries)."""
    labels = {
        "follow_up": _("Follow-up asked, with a message"),
        "questionnaire_offered": _("New questionnaire offered"),
        "submission": _("Answers sent in"),
        "message": _("Message from a counsellor"),
        "resource_shared": _("Resource shared"),
        "next_step_due": _("Next step due"),
        "draft_reminder": _("Reminder of an unfinished questionnaire"),
        "sync_conflict": _("Sync conflict to settle"),
    }
    return labels[kind]


def push_title() -> str:
    """Return the title every push shows: the app's name (a name, so not translated)."""
    return "Løype"


def push_body() -> str:
    """Return the text every push shows on a lock screen, in the current language."""
    return _("You have a new message in Løype")


def _owned_by(person: Recipient) -> sa.ColumnElement[bool]:
    if isinstance(person, Participant):
        return Notification.participant_id == person.id
    return Notification.staff_id == person.id


def _newest_first() -> tuple[sa.ColumnElement, ...]:
    return Notification.created_at.desc(), Notification.id.desc()


def inbox(person: Recipient, entry: str | None = None) -> list[Notification]:
    """Return a participant's or a member of staff's inbox: every entry not read yet, newest
    first, then the ``INBOX_SIZE`` newest of those read, newest first; in one statement.

    Every unread entry is listed however many there are, so each one ``unread_count`` counts
    can be opened (only the oldest of those read are left out). ``entry``, the public id a
    push carries (``/inbox?entry=<id>``), is listed too when it is the person's, however old.
    """
    owned = _owned_by(person)
    newest_read = (
        sa.select(Notification.id)
        .where(owned, Notification.read_at.is_not(None))
        .order_by(*_newest_first())
        .limit(INBOX_SIZE)
    )
    listed = Notification.read_at.is_(None) | Notification.id.in_(newest_read)
    if entry and entry.isascii() and len(entry) <= 32:
        listed = listed | (Notification.public_id == entry)
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(owned, listed)
            .order_by(sa.case((Notification.read_at.is_(None), 0), else_=1), *_newest_first())
        )
    )


def unread_count(person: Recipient) -> int:
    """Return how many of the person's entries are not read yet (``inbox`` lists them all)."""
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            _owned_by(person), Notification.read_at.is_(None)
        )
    )


def has_unread(person: Recipient, kind: str, response: Response) -> bool:
    """Return whether the person has an unread entry of ``kind`` about ``response``."""
    return (
        db.session.scalar(
            sa.select(Notification.id)
            .where(
                _owned_by(person),
                Notification.kind == kind,
                Notification.response_id == response.id,
                Notification.read_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )


def _still_to_do(entry: Notification) -> bool:
    """Whether what a staff entry is about still waits for a counsellor: answers sent in and
    not reviewed since, or a sync conflict nobody has settled."""
    response = db.session.get(Response, entry.response_id)
    if response is None:
        return False
    if entry.kind == "submission":
        return response.progress == "submitted"
    if entry.kind == "sync_conflict":
        return bool(response.conflicts)
    return False


def hand_over(participant: Participant, old: StaffUser, new: StaffUser) -> None:
    """Give ``new`` the entries ``old`` has about the participant's responses (the caller has
    just made ``new`` their counsellor, and commits).

    ``old`` may no longer open them. What still waits for a counsellor (answers not reviewed,
    a conflict not settled) comes to ``new`` unread, with a push to each of their devices;
    the rest comes as it was, read. Pushes not yet sent to ``old``'s devices are dropped.
    """
    entries = db.session.scalars(
        sa.select(Notification).where(
            Notification.staff_id == old.id,
            Notification.response_id.in_(
                sa.select(Response.id).where(Response.participant_id == participant.id)
            ),
        )
    ).all()
    if not entries:
        return
    db.session.execute(
        sa.delete(Delivery).where(
            Delivery.notification_id.in_([e.id for e in entries]), Delivery.state == "pending"
        )
    )
    now = utcnow()
    for entry in entries:
        entry.staff_id = new.id
        if entry.read_at is not None and _still_to_do(entry):
            entry.read_at = None
        if entry.read_at is None:
            for subscription in _live_subscriptions(new):
                db.session.add(
                    Delivery(notification=entry, subscription=subscription, next_attempt_at=now)
                )


def mark_read_about(person: Recipient, response: Response) -> None:
    """Mark the person's unread entries about ``response`` read: they have just opened it, as
    the inbox's **Open** would have (one statement, whatever the number of entries)."""
    db.session.execute(
        sa.update(Notification)
        .where(
            _owned_by(person),
            Notification.response_id == response.id,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )


def mark_read(person: Recipient, public_id: str) -> Notification | None:
    """Mark one of the person's entries read (once); None if it is not theirs."""
    notification = db.session.scalar(
        sa.select(Notification).where(Notification.public_id == public_id, _owned_by(person))
    )
    if notification is not None and notification.read_at is None:
        notification.read_at = utcnow()
    return notification
