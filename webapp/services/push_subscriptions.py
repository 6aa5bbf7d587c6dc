"""Web Push subscriptions: one per signed-in device, gone with its session.

The worker sends to whatever endpoint a browser gave, so an endpoint must be a push service's:
HTTPS, no port, user name or password in it, on a host of the push services Løype accepts
(``PUSH_SERVICES``: those hosts and their subdomains). Under test configuration only, one
more origin (a stand-in push service on 127.0.0.1) may be accepted: ``PUSH_TEST_ORIGIN`` (or a
list of them, for tests with more than one push service).

A subscription is deleted only here. Whatever deletes one first lets go of the deliveries that
name it (a waiting one is "gone"), in the same transaction: the foreign key's ``ON DELETE SET
NULL`` would keep a waiting delivery pending with nowhere to go. And locks are taken in one
order everywhere (PostgreSQL): the login session, then the endpoints a subscribe moves (an
advisory lock each, in order), then subscriptions, then deliveries; the worker, which already
holds a delivery, only takes a subscription that nobody else holds (services/push_delivery.py).

An endpoint belongs to one sign-in, the last to post it: a browser has one endpoint, and
whoever turned pushes on there last is who gets them. What waited for the one before is gone
(a subscription's id is never given again, so it cannot follow the endpoint).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Mapping

import sqlalchemy as sa

from ..extensions import db
from ..models import Delivery, LoginSession, Participant, PushSubscription, StaffUser
from ..models.types import utcnow

MAX_ENDPOINT = 1024

#: The push services of the browsers people use (Chrome/Android, Firefox, Safari, Edge).
DEFAULT_PUSH_SERVICES = (
    "fcm.googleapis.com",
    "push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
)


#: The browser's key: a P-256 point, uncompressed (65 bytes, the first 0x04), base64url.
P256DH_PATTERN = r"^B[A-P][A-Za-z0-9_-]{84}[AEIMQUYcgkosw048]$"
#: The browser's auth secret: 16 bytes, base64url.
AUTH_PATTERN = r"^[A-Za-z0-9_-]{21}[AQgw]$"


def endpoint_pattern(services: Iterable[str]) -> str:
    """Return the regular expression an endpoint matches: HTTPS, no port or user name, a
    push service's host, URL characters only. The OpenAPI document says the same."""
    hosts = "|".join(re.escape(host) for host in services)
    return rf"^https://([a-z0-9-]+\.)*({hosts})/[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]*$"


class BadSubscription(ValueError):
    """The subscription cannot be stored; ``field`` says which part is wrong."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


def _b64url_bytes(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def endpoint_allowed(endpoint: str, config: Mapping) -> bool:
    """Return whether the worker may send to ``endpoint``."""
    if len(endpoint) > MAX_ENDPOINT:
        return False
    test_origins = config.get("PUSH_TEST_ORIGIN") if config.get("TESTING") else None
    if isinstance(test_origins, str):
        test_origins = [test_origins]
    for origin in test_origins or ():
        if endpoint.startswith(origin.rstrip("/") + "/"):
            return True
    return re.fullmatch(endpoint_pattern(push_services(config)), endpoint) is not None


def push_services(config: Mapping) -> Iterable[str]:
    return config.get("PUSH_SERVICES") or DEFAULT_PUSH_SERVICES


def check(endpoint: str, p256dh: str, auth: str, config: Mapping) -> None:
    """Raise BadSubscription unless this is a subscription the worker can encrypt and send to."""
    if not endpoint_allowed(endpoint, config):
        raise BadSubscription("endpoint")
    key = _b64url_bytes(p256dh) if re.fullmatch(P256DH_PATTERN, p256dh) else None
    if key is None or len(key) != 65 or key[0] != 4:
        raise BadSubscription("keys/p256dh")
    secret = _b64url_bytes(auth) if re.fullmatch(AUTH_PATTERN, auth) else None
    if secret is None or len(secret) != 16:
        raise BadSubscription("keys/auth")


def subscribe(
    login: LoginSession, endpoint: str, p256dh: str, auth: str, config: Mapping
) -> PushSubscription:
    """Store the device's subscription, replacing what it had (a browser has one at a time).

    Two of one sign-in at once (the service worker's ``pushsubscriptionchange`` and the app's
    hand-over) wait for each other on the login session's row, and the second replaces the
    first's. Two sign-ins with one endpoint at once (two people on a shared phone) wait for
    each other on the endpoint's lock, and the second takes it from the first. Each answer is
    a success, never a clash on a unique constraint.
    """
    check(endpoint, p256dh, auth, config)
    person = login.person
    assert person is not None
    _lock_sessions([login.id])
    had = db.session.scalar(
        sa.select(PushSubscription.endpoint).where(PushSubscription.login_session_id == login.id)
    )
    # Both the endpoint given up and the one taken: two sign-ins swapping theirs at once would
    # otherwise each hold the row the other one deletes.
    _lock_endpoints({endpoint, had} - {None})
    # The same endpoint under another session (signed out and in again on the phone, or someone
    # else signed in on it) is the same browser: it moves to this session, and what waited for
    # the other session is gone.
    _delete(
        (PushSubscription.endpoint == endpoint) & (PushSubscription.login_session_id != login.id)
    )
    owner = (
        {"participant_id": person.id, "staff_id": None}
        if isinstance(person, Participant)
        else {"participant_id": None, "staff_id": person.id}
    )
    # Held, so a worker that found it dead (410) cannot delete it under this update.
    subscription = db.session.scalar(
        sa.select(PushSubscription)
        .where(PushSubscription.login_session_id == login.id)
        .with_for_update()
    )
    if subscription is None:
        subscription = PushSubscription(login_session_id=login.id)
        db.session.add(subscription)
    elif subscription.endpoint != endpoint:
        # The push service replaced the browser's subscription: the same device, so what still
        # waits for it goes to the new one.
        subscription.created_at = utcnow()
    subscription.municipality_id = person.municipality_id
    subscription.endpoint, subscription.p256dh, subscription.auth = endpoint, p256dh, auth
    for column, value in owner.items():
        setattr(subscription, column, value)
    db.session.flush()
    return subscription


def unsubscribe(login: LoginSession) -> bool:
    """Delete the device's subscription; return whether there was one."""
    _lock_sessions([login.id])
    return bool(_delete(PushSubscription.login_session_id == login.id))


def end_for_sessions(session_ids: sa.Select | list[int]) -> None:
    """Delete the subscriptions of sessions that ended (sign-out, revocation, …)."""
    _lock_sessions(session_ids)
    _delete(PushSubscription.login_session_id.in_(session_ids))


def end_gone(subscription_id: int) -> bool:
    """Delete a subscription the worker found dead (the push service said 404/410, or its
    session ended), unless someone else holds it now; return whether it was deleted.

    The worker holds one of its deliveries already: waiting for the subscription could close
    a circle (another worker, or a sign-out, holds the subscription and waits for that
    delivery). Whoever holds it deletes it, or the next push to it finds it dead again.
    """
    return bool(_delete(PushSubscription.id == subscription_id, skip_locked=True))


def _lock_sessions(session_ids: sa.Select | list[int]) -> None:
    """Hold these login sessions' rows until the commit: the first lock of the order.

    On SQLite a write takes the one write lock instead, so what is read next is the newest (a
    transaction there starts at its first write).
    """
    table = LoginSession.__table__
    if db.session.get_bind().dialect.name == "sqlite":
        statement = sa.update(table).where(table.c.id.in_(session_ids))
        db.session.execute(statement.values(last_seen_at=table.c.last_seen_at))
        return
    db.session.execute(
        sa.select(table.c.id)
        .where(table.c.id.in_(session_ids))
        .order_by(table.c.id)
        .with_for_update()
    ).all()


#: The first key of the endpoints' advisory locks ("push"), apart from any other kind of lock.
ENDPOINT_LOCKS = 0x70757368


def _lock_endpoints(endpoints: set[str]) -> None:
    """Hold these endpoints until the commit (PostgreSQL), in one order: whoever moves an
    endpoint to a sign-in. A row cannot be locked before it is inserted, so two sign-ins
    inserting one endpoint would both pass a row lock; a lock on the endpoint itself holds.

    SQLite needs none: ``_lock_sessions`` took the one write lock already.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        return
    # A clash of two endpoints' keys only makes one wait for the other.
    keys = {
        int.from_bytes(hashlib.sha256(endpoint.encode()).digest()[:4], "big", signed=True)
        for endpoint in endpoints
    }
    for key in sorted(keys):
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(ENDPOINT_LOCKS, key)))


def _delete(where: sa.ColumnElement[bool], skip_locked: bool = False) -> list[int]:
    """Delete the subscriptions ``where`` picks, after letting go of the deliveries that name
    them (a waiting one is "gone"); return their ids."""
    ids = list(
        db.session.scalars(
            sa.select(PushSubscription.id)
            .where(where)
            .order_by(PushSubscription.id)
            .with_for_update(skip_locked=skip_locked)
        )
    )
    if not ids:
        return []
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.subscription_id.in_(ids), Delivery.state == "pending")
        .values(
            state="gone",
            subscription_id=None,
            last_status=None,
            last_error="subscription ended",
            finished_at=utcnow(),
        )
    )
    db.session.execute(
        sa.update(Delivery).where(Delivery.subscription_id.in_(ids)).values(subscription_id=None)
    )
    db.session.execute(sa.delete(PushSubscription).where(PushSubscription.id.in_(ids)))
    return ids


def sessions_with_push(session_ids: list[int]) -> set[int]:
    """Return which of these sessions (devices) have a push subscription."""
    if not session_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(PushSubscription.login_session_id).where(
                PushSubscription.login_session_id.in_(session_ids)
            )
        )
    )


def has_subscription(login: LoginSession) -> bool:
    """Return whether this device (login session) gets pushes."""
    return bool(sessions_with_push([login.id]))


def staff_device_count(person: StaffUser) -> int:
    """Return how many of a staff member's signed-in devices get pushes."""
    return db.session.scalar(
        sa.select(sa.func.count(PushSubscription.id))
        .join(LoginSession)
        .where(
            PushSubscription.staff_id == person.id,
            LoginSession.ended_at.is_(None),
            LoginSession.expires_at > utcnow(),
        )
    )
