"""Send due deliveries (the outbox) with Web Push: VAPID (RFC 8292), aes128gcm (RFC 8291).

Each delivery is claimed, sent and recorded in its own transaction. On PostgreSQL the claim is
``SELECT … FOR UPDATE SKIP LOCKED``, so several workers never send one delivery at once; on
SQLite run a single worker. A worker that dies between the push service's answer and the
commit leaves the delivery pending: it is sent again (at most a duplicate, which the app
recognises by the notification's id), never lost. A database error while one delivery is
sent (a deadlock, a lost connection) rolls that one back, to be sent again later; the worker
goes on.

A push goes only to a subscription of the notification's recipient. In one pass a delivery is
tried once at most. A push service that did not answer in time (or could not be reached) is
not tried again for a while, by this worker or any other (services/push_backoff.py): its other
deliveries wait, and everyone else's go first.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from flask_babel import force_locale
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from ..extensions import db
from ..models import Delivery, Notification, Participant, PushSubscription, StaffUser
from ..models.types import utcnow
from . import notifications, push_backoff, push_subscriptions

log = logging.getLogger(__name__)

#: Backoff after a failed attempt: 30 s, 1 min, 2 min, … at most 6 hours.
FIRST_DELAY = timedelta(seconds=30)
LONGEST_DELAY = timedelta(hours=6)
MAX_ATTEMPTS = 10
#: The longest wait a push service's Retry-After is followed for; a longer one is cut to it.
LONGEST_RETRY_AFTER = timedelta(days=1)
#: How long to wait for a push service to answer.
TIMEOUT_SECONDS = 10
#: How long to wait for a connection to a push service: one that is down is known sooner.
CONNECT_TIMEOUT_SECONDS = 3


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


def _claim_next(now: datetime, tried: set[int], skipped: set[str]) -> Delivery | None:
    """Return the next due delivery, but none tried in this pass already (a failed one may be
    due again before the pass ends) nor one to a push service skipped in this pass or waited
    out (push_backoff)."""
    skipped = skipped | push_backoff.waiting(now)
    query = (
        sa.select(Delivery)
        .where(Delivery.state == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(1)
    )
    if tried:
        query = query.where(Delivery.id.not_in(tried))
    if skipped:
        to_skipped = sa.or_(
            *(PushSubscription.endpoint.startswith(f"{origin}/", autoescape=True)
              for origin in sorted(skipped))
        )  # fmt: skip
        query = query.where(
            ~sa.exists().where(PushSubscription.id == Delivery.subscription_id, to_skipped)
        )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query)


def send_due(
    key: Vapid, config: Mapping, limit: int = 100, stop: Callable[[], bool] = lambda: False
) -> int:
    """Send up to ``limit`` due deliveries, one transaction each, until ``stop()`` says so;
    return how many were tried."""
    tried: set[int] = set()
    skipped: set[str] = set()
    while len(tried) < limit and not stop():
        delivery_id = None
        try:
            now = utcnow()
            delivery = _claim_next(now, tried, skipped)
            if delivery is None:
                db.session.rollback()
                break
            delivery_id = delivery.id
            origin = _origin(delivery.subscription.endpoint) if delivery.subscription else None
            if origin is not None and not push_backoff.may_try(origin, now):
                # Another worker is trying it after its wait, or has just begun one.
                db.session.rollback()
                skipped.add(origin)
                continue
            tried.add(delivery_id)
            unreachable = _attempt(delivery, key, config)
            db.session.commit()
        except sa.exc.OperationalError as error:
            # A deadlock, a lost connection, the database restarting: this delivery stays as
            # it was (pending), to be sent again later. Only the error's kind is logged: its
            # text holds the statement's values (the endpoint and keys).
            db.session.rollback()
            log.warning(
                "delivery %s: database error (%s), rolled back: tried again later",
                delivery_id,
                type(error.orig).__name__,
            )
            if delivery_id is None:
                break  # no delivery could even be claimed: the next pass tries again
            continue
        if unreachable is not None:
            log.info("push service %s did not answer: waited out, then tried again", unreachable)
            skipped.add(unreachable)
    return len(tried)


def _origin(endpoint: str) -> str:
    """The push service an endpoint is on: its scheme and host (and port, for a test's)."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def _for_recipient(subscription: PushSubscription, notification: Notification) -> bool:
    """Whether the subscription is a device of the person the notification is for."""
    return (subscription.participant_id, subscription.staff_id) == (
        notification.participant_id,
        notification.staff_id,
    )


def _attempt(delivery: Delivery, key: Vapid, config: Mapping) -> str | None:
    """Send one delivery and record what became of it; return the push service's origin if it
    did not answer in time or could not be reached, else None."""
    now = utcnow()
    subscription = delivery.subscription
    if subscription is not None and not _for_recipient(subscription, delivery.notification):
        # Never someone else's device: whatever made the delivery name it, it is not sent.
        delivery.subscription = None
        _finish(delivery, "gone", None, "subscription is not the recipient's")
        return None
    login = subscription.login_session if subscription is not None else None
    if login is None or login.ended_at is not None or login.expires_at <= now:
        _gone(delivery, None, "no live subscription")
        return None
    if not push_subscriptions.endpoint_allowed(subscription.endpoint, config):
        # The push services accepted were changed since the browser subscribed.
        _finish(delivery, "failed", None, "endpoint no longer allowed")
        return None
    kind = PUSH_KINDS[delivery.notification.kind]
    if now - delivery.created_at > timedelta(seconds=kind.ttl):
        _finish(delivery, "failed", None, "expired before it could be sent")
        return None
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
            timeout=(CONNECT_TIMEOUT_SECONDS, TIMEOUT_SECONDS),
        )  # fmt: skip
    except WebPushException as error:
        push_backoff.reachable(_origin(subscription.endpoint))
        _refused(delivery, error, now)
        return None
    except (requests.Timeout, requests.ConnectionError) as error:
        # Slow or down: its other deliveries would wait as long, holding up everyone's.
        _retry(delivery, now, None, type(error).__name__)
        push_backoff.unreachable(_origin(subscription.endpoint), now)
        return _origin(subscription.endpoint)
    except requests.RequestException as error:
        _retry(delivery, now, None, type(error).__name__)
        return None
    except ValueError as error:
        # The browser's key is not a point on the curve: nothing can be encrypted to it.
        _finish(delivery, "failed", None, f"cannot encrypt: {type(error).__name__}")
        return None
    push_backoff.reachable(_origin(subscription.endpoint))
    _finish(delivery, "sent", answer.status_code, None)
    return None


def _gone(delivery: Delivery, status: int | None, reason: str) -> None:
    """The delivery's subscription is dead: the delivery is "gone", and the subscription is
    deleted (with what else waits for it) unless someone else is at it already."""
    subscription_id = delivery.subscription_id
    delivery.subscription = None
    _finish(delivery, "gone", status, reason)
    if subscription_id is not None:
        push_subscriptions.end_gone(subscription_id)


def _refused(delivery: Delivery, error: WebPushException, now: datetime) -> None:
    status = error.response.status_code if error.response is not None else None
    reason = f"{status} {error.response.reason}" if error.response is not None else "no answer"
    if status in (404, 410):
        # The browser dropped the subscription (or the person revoked permission).
        _gone(delivery, status, reason)
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
