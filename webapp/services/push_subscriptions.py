"""Web Push subscriptions: one per signed-in device, gone with its session.

The worker sends to whatever endpoint a browser gave, so an endpoint must be a push service's:
HTTPS, no port, user name or password in it, on a host of the push services Løype accepts
(``PUSH_SERVICES``: those hosts and their subdomains). Under test configuration only, one
more origin (a stand-in push service on 127.0.0.1) may be accepted: ``PUSH_TEST_ORIGIN``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping

import sqlalchemy as sa

from ..extensions import db
from ..models import LoginSession, Participant, PushSubscription, StaffUser
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
    test_origin = config.get("PUSH_TEST_ORIGIN") if config.get("TESTING") else None
    if test_origin and endpoint.startswith(test_origin.rstrip("/") + "/"):
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
    """Store the device's subscription, replacing what it had (a browser has one at a time)."""
    check(endpoint, p256dh, auth, config)
    person = login.person
    assert person is not None
    # The same endpoint under another session (signed out and in again on the phone) is the
    # same browser: it moves to this session.
    for old in db.session.scalars(
        sa.select(PushSubscription).where(
            (PushSubscription.login_session_id == login.id)
            | (PushSubscription.endpoint == endpoint)
        )
    ):
        db.session.delete(old)
    db.session.flush()
    owner = (
        {"participant_id": person.id}
        if isinstance(person, Participant)
        else {"staff_id": person.id}
    )
    subscription = PushSubscription(
        login_session_id=login.id,
        municipality_id=person.municipality_id,
        endpoint=endpoint,
        p256dh=p256dh,
        auth=auth,
        **owner,
    )
    db.session.add(subscription)
    return subscription


def unsubscribe(login: LoginSession) -> bool:
    """Delete the device's subscription; return whether there was one."""
    result = db.session.execute(
        sa.delete(PushSubscription).where(PushSubscription.login_session_id == login.id)
    )
    return bool(result.rowcount)


def end_for_sessions(session_ids: sa.Select | list[int]) -> None:
    """Delete the subscriptions of sessions that ended (sign-out, revocation, …)."""
    db.session.execute(
        sa.delete(PushSubscription)
        .where(PushSubscription.login_session_id.in_(session_ids))
        .execution_options(synchronize_session=False)
    )


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
