"""Web Push for a participant's phone or a counsellor's browser: the server's key, and this
device's subscription (tied to this login session and the person's municipality)."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from ..auth import current_login
from ..extensions import db
from ..services import push_keys, push_subscriptions
from .base import ApiProblem, bp, device_owner, load_json
from .schemas import PushKeySchema, PushSubscriptionSchema


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


@bp.post("/push/subscriptions")
def push_subscribe():
    """Store this device's push subscription (replacing the one it had)."""
    device_owner()
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
