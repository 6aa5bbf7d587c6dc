"""Web Push for a participant's phone or a counsellor's browser: the server's key, and this
device's subscription (tied to this login session and the person's municipality)."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import current_app, request
from flask_babel import gettext as _

from ..auth import current_login
from ..extensions import db
from ..models import PushSubscription
from ..services import push_keys, push_subscriptions
from .base import ApiProblem, bp, device_owner, load_json
from .schemas import PushKeySchema, PushSubscriptionSchema, PushSubscriptionStateSchema


@bp.get("/push/key")
def push_key():
    """The application server key the phone subscribes with."""
    device_owner()
    try:
        key = push_keys.load(current_app.config, current_app.instance_path)
    except push_keys.NoPushKey:
        raise ApiProblem(
            503, _("Notifications are not set up on this server"), code="no_push_key"
        ) from None
    return PushKeySchema().dump({"public_key": push_keys.application_server_key(key)})


@bp.route("/push/subscriptions", methods=["GET", "POST"])
def push_subscribe():
    """Store this device's push subscription (replacing the one it had); GET: which one it has.

    GET answers ``{"endpoint_sha256": <hex> | null}``: a digest of the endpoint this sign-in's
    pushes go to, or null when they go nowhere, so the phone tells "on" from the server's word
    (a new sign-in has none until the phone hands its subscription over) without the endpoint
    travelling back. One view for both, so both have the one access rule (webapp/access.py).
    """
    device_owner()
    if request.method == "GET":
        endpoint = db.session.scalar(
            sa.select(PushSubscription.endpoint).where(
                PushSubscription.login_session_id == current_login().id
            )
        )
        digest = hashlib.sha256(endpoint.encode()).hexdigest() if endpoint else None
        return PushSubscriptionStateSchema().dump({"endpoint_sha256": digest})
    data = load_json(PushSubscriptionSchema())
    try:
        push_subscriptions.subscribe(
            current_login(),
            data["endpoint"],
            data["keys"]["p256dh"],
            data["keys"]["auth"],
            current_app.config,
        )
    except push_subscriptions.BadSubscription as error:
        raise ApiProblem(
            422,
            _("Some fields are not right"),
            errors=[
                {
                    "pointer": f"/{error.field}",
                    "code": "invalid",
                    "detail": _("This is not a push subscription Løype can send to."),
                }
            ],
        ) from None
    db.session.commit()
    return "", 204


@bp.delete("/push/subscriptions")
def push_unsubscribe():
    """Stop pushes to this device (the inbox keeps every notification)."""
    device_owner()
    push_subscriptions.unsubscribe(current_login())
    db.session.commit()
    return "", 204
