"""Send due deliveries (the outbox) with Web Push: VAPID (RFC 8292), aes128gcm (RFC 8291).

Each delivery is claimed, sent and recorded in its own transaction. On PostgreSQL the claim is
``SELECT … FOR UPDATE SKIP LOCKED``, so several workers never send one delivery at once; on
SQLite run a single worker. A worker that dies between the push service's answer and the
commit leaves the delivery pending: it is sent again (at most a duplicate, which the app
recognises by the notification's id), never lost.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import requests
import sqlalchemy as sa
from flask_babel import force_locale
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from ..extensions import db
from ..models import Delivery, Notification, Participant, StaffUser
from ..models.types import utcnow
from . import notifications, push_subscriptions

log = logging.getLogger(__name__)

#: Backoff after a failed attempt: 30 s, 1 min, 2 min, … at most 6 hours.
FIRST_DELAY = timedelta(seconds=30)
LONGEST_DELAY = timedelta(hours=6)
MAX_ATTEMPTS = 10
#: The longest wait a push service's Retry-After is followed for; a longer one is cut to it.
LONGEST_RETRY_AFTER = timedelta(days=1)
#: How long to wait for a push service to answer.
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class PushKind:
    """How pushes of one kind are sent: how long the push service keeps them (TTL, seconds),
    their urgency (RFC 8030 5.3), and a topic when a newer one replaces an unseen older one."""

    ttl: int
    urgency: str = "normal"
    topic: str | None = None


PUSH_KINDS: dict[str, PushKind] = {
    "follow_up": PushKind(ttl=7 * 24 * 3600),
    "questionnaire_offered": PushKind(ttl=7 * 24 * 3600),
    "submission": PushKind(ttl=2 * 24 * 3600, urgency="low"),
    "message": PushKind(ttl=7 * 24 * 3600),
    "resource_shared": PushKind(ttl=7 * 24 * 3600, urgency="low"),
    # Several steps due at once: an unseen push is replaced by the newer one.
    "next_step_due": PushKind(ttl=24 * 3600, topic="next-step-due"),
    "draft_reminder": PushKind(ttl=24 * 3600, urgency="low", topic="draft-reminder"),
    "sync_conflict": PushKind(ttl=2 * 24 * 3600, urgency="low"),
}


def payload_for(delivery: Delivery) -> dict[str, str]:
    """Return what the push carries: the notification's id, generic texts in the recipient's
    language, and whose app opens it ("participant": the phone app, "staff": the workspace).
    Nothing about the person or their answers (docs/privacy.md)."""
    notification = delivery.notification
    recipient = _recipient(delivery)
    with force_locale(recipient.language if recipient is not None else None):
        return {
            "id": notification.public_id,
            "title": notifications.push_title(),
            "body": notifications.push_body(),
            "audience": "participant" if notification.participant_id is not None else "staff",
        }


def _recipient(delivery: Delivery) -> Participant | StaffUser | None:
    notification = delivery.notification
    if notification.participant_id is not None:
        return db.session.get(Participant, notification.participant_id)
    return db.session.get(StaffUser, notification.staff_id)


def _claim_next(now: datetime) -> Delivery | None:
    query = (
        sa.select(Delivery)
        .where(Delivery.state == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(1)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query)


def send_due(
    key: Vapid, config: Mapping, limit: int = 100, stop: Callable[[], bool] = lambda: False
) -> int:
    """Send up to ``limit`` due deliveries, one transaction each, until ``stop()`` says so;
    return how many were tried."""
    tried = 0
    while tried < limit and not stop():
        delivery = _claim_next(utcnow())
        if delivery is None:
            db.session.rollback()
            break
        _attempt(delivery, key, config)
        db.session.commit()
        tried += 1
    return tried


def _attempt(delivery: Delivery, key: Vapid, config: Mapping) -> None:
    now = utcnow()
    subscription = delivery.subscription
    login = subscription.login_session if subscription is not None else None
    if login is None or login.ended_at is not None or login.expires_at <= now:
        if subscription is not None:
            db.session.delete(subscription)
        _finish(delivery, "gone", None, "no live subscription")
        return
    if not push_subscriptions.endpoint_allowed(subscription.endpoint, config):
        # The push services accepted were changed since the browser subscribed.
        _finish(delivery, "failed", None, "endpoint no longer allowed")
        return
    kind = PUSH_KINDS[delivery.notification.kind]
    if now - delivery.created_at > timedelta(seconds=kind.ttl):
        _finish(delivery, "failed", None, "expired before it could be sent")
        return
    delivery.attempts += 1
    headers = {"Urgency": kind.urgency}
    if kind.topic:
        headers["Topic"] = kind.topic
    try:
        answer = webpush(
            {"endpoint": subscription.endpoint,
             "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
            data=json.dumps(payload_for(delivery), ensure_ascii=False),
            vapid_private_key=key,
            # A fresh dict each time: pywebpush writes aud and exp into the one it is given.
            vapid_claims={"sub": config["VAPID_SUBJECT"]},
            content_encoding="aes128gcm",
            ttl=kind.ttl,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
        )  # fmt: skip
    except WebPushException as error:
        _refused(delivery, error, now)
        return
    except requests.RequestException as error:
        _retry(delivery, now, None, type(error).__name__)
        return
    except ValueError as error:
        # The browser's key is not a point on the curve: nothing can be encrypted to it.
        _finish(delivery, "failed", None, f"cannot encrypt: {type(error).__name__}")
        return
    _finish(delivery, "sent", answer.status_code, None)


def _refused(delivery: Delivery, error: WebPushException, now: datetime) -> None:
    status = error.response.status_code if error.response is not None else None
    reason = f"{status} {error.response.reason}" if error.response is not None else "no answer"
    if status in (404, 410):
        # The browser dropped the subscription (or the person revoked permission).
        subscription = delivery.subscription
        delivery.subscription = None
        db.session.delete(subscription)
        _finish(delivery, "gone", status, reason)
    elif status == 429 or status is None or status >= 500:
        wait = _retry_after(error.response, now) if status == 429 else None
        _retry(delivery, now, status, reason, wait)
    else:
        # 400, 403, 413, …: sending the same again would be refused the same way.
        _finish(delivery, "failed", status, reason)


def _retry_after(answer: requests.Response | None, now: datetime) -> timedelta | None:
    """Return the wait a 429's Retry-After asks for (seconds or an HTTP date), if any."""
    value = (answer.headers.get("Retry-After") or "").strip() if answer is not None else ""
    if re.fullmatch(r"[0-9]+", value):
        # Any number of ASCII digits: a wait beyond the longest is the longest ("²" is a digit
        # to isdigit() but not to int(), and 10**20 seconds overflow a datetime).
        return timedelta(seconds=int(value)) if len(value) < 10 else LONGEST_RETRY_AFTER
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


def _retry(
    delivery: Delivery,
    now: datetime,
    status: int | None,
    reason: str,
    wait: timedelta | None = None,
) -> None:
    delivery.last_status, delivery.last_error = status, reason[:200]
    if delivery.attempts >= MAX_ATTEMPTS:
        _finish(delivery, "failed", status, f"gave up after {delivery.attempts} attempts: {reason}")
        return
    backoff = min(FIRST_DELAY * 2 ** (delivery.attempts - 1), LONGEST_DELAY)
    delivery.next_attempt_at = now + max(backoff, min(wait or timedelta(0), LONGEST_RETRY_AFTER))
    log.info("delivery %d: %s, attempt %d, again later", delivery.id, reason, delivery.attempts)


def _finish(delivery: Delivery, state: str, status: int | None, reason: str | None) -> None:
    delivery.state = state
    delivery.last_status = status
    delivery.last_error = reason[:200] if reason else None
    delivery.finished_at = utcnow()
    log.info("delivery %d: %s (%s)", delivery.id, state, status)


#: How many failed deliveries an administrator's page lists (newest first).
FAILED_SHOWN = 200


@dataclass(frozen=True)
class FailedDelivery:
    """A push that will not be sent, as an administrator sees it: never whom it was for by
    name, nor the endpoint, keys or the notification's id."""

    id: int
    kind: str
    to_participant: bool
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


def _of_municipality(municipality_id: int) -> sa.ColumnElement[bool]:
    town = sa.func.coalesce(Participant.municipality_id, StaffUser.municipality_id)
    return town == municipality_id


def _with_recipient(query: sa.Select) -> sa.Select:
    return (
        query.join(Notification, Delivery.notification_id == Notification.id)
        .outerjoin(Participant, Notification.participant_id == Participant.id)
        .outerjoin(StaffUser, Notification.staff_id == StaffUser.id)
    )


def failed(municipality_id: int) -> list[FailedDelivery]:
    """Return the municipality's failed deliveries (to its participants and staff), newest
    first: their inbox entries stay, and an administrator sees what became of the pushes."""
    rows = db.session.execute(
        _with_recipient(
            sa.select(Delivery, Notification.kind, Notification.participant_id.is_not(None))
        )
        .where(Delivery.state == "failed", _of_municipality(municipality_id))
        .order_by(Delivery.finished_at.desc(), Delivery.id.desc())
        .limit(FAILED_SHOWN)
    ).all()
    return [
        FailedDelivery(d.id, kind, bool(to_participant), d.attempts, d.last_status,
                       d.last_error, d.created_at, d.finished_at)
        for d, kind, to_participant in rows
    ]  # fmt: skip


def counts(municipality_id: int) -> dict[str, int]:
    """Return how many of the municipality's deliveries are in each state."""
    rows = db.session.execute(
        _with_recipient(sa.select(Delivery.state, sa.func.count(Delivery.id)))
        .where(_of_municipality(municipality_id))
        .group_by(Delivery.state)
    ).all()
    return {state: count for state, count in rows}
