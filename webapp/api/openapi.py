"""``GET /openapi.json``: the OpenAPI 3 document, generated from the marshmallow schemas."""

from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app

from ..input_guard import MAX_DEPTH, MAX_KEYS, MAX_STRING
from ..services import push_subscriptions
from . import schemas
from .base import bp

_PROBLEM = {"application/problem+json": {"schema": "Problem"}}

_DESCRIPTION = f"""Participants' phones sync responses here. See docs/sync.md.

Every operation can also answer:

- **400** (problem details) when the request cannot be read: a body that is not standard JSON
  (NaN, Infinity, a number too large to hold, duplicate keys, comments), nested deeper than
  {MAX_DEPTH} levels, with more than {MAX_KEYS} keys or a text longer than {MAX_STRING}
  characters, or a NUL character or a lone surrogate anywhere in the URL or the body.
- **401** when the session cookie is missing, expired, signed out or revoked.
- **405** with an `Allow` header listing the methods the path takes, for any other method.
- **413** when the body is larger than the server accepts.
- **429** with `Retry-After` when too many attempts came from one place.
"""


def _problems(*codes: int) -> dict[str, dict]:
    return {str(code): {"description": "Problem details", "content": _PROBLEM} for code in codes}


def build_spec(cookie_name: str, endpoint_pattern: str | None = None) -> dict:
    """Return the OpenAPI document; the session cookie's name depends on the configuration."""
    spec = APISpec(
        title="Løype sync API",
        version="1",
        openapi_version="3.1.0",
        info={"description": _DESCRIPTION},
        servers=[{"url": "/api/v1"}],
        plugins=[MarshmallowPlugin()],
    )
    for name in ("ResponsePut", "Receipt", "Problem", "BatchItem", "Batch", "BatchResponse",
                 "Me", "Document",
                 "Preferences", "PhoneKey", "PinProof", "PinCheck", "PushKey", "PushSubscription",
                 "PushSubscriptionState",
                 "InboxEntry", "Inbox"):  # fmt: skip
        spec.components.schema(name, schema=getattr(schemas, f"{name}Schema"))
    spec.components.response(
        "MethodNotAllowed",
        {
            "description": "This path does not take this method",
            "headers": {
                "Allow": {"description": "The methods it takes", "schema": {"type": "string"}}
            },
            "content": _PROBLEM,
        },
    )
    cookie = {
        "type": "apiKey",
        "in": "cookie",
        "name": cookie_name,
        "description": "The session cookie set when the participant joined with an invite.",
    }
    spec.components.security_scheme("participantSession", cookie)
    security = [{"participantSession": []}]
    uuid_param = {
        "in": "path", "name": "response_id", "required": True,
        "schema": {"type": "string", "pattern": schemas.UUID_PATTERN},
        "description": "The id the phone generated for the response (a UUID).",
    }  # fmt: skip
    spec.path(
        path="/me",
        operations={"get": {
            "summary": "The participant's questionnaires and responses", "security": security,
            "responses": {"200": {"description": "OK", "content": {
                "application/json": {"schema": "Me"}}}, **_problems(400, 401)},
        }},
    )  # fmt: skip
    spec.path(
        path="/me/export",
        operations={"get": {
            "summary": "The participant's data (GDPR right of access), without staff-only notes",
            "security": security,
            "responses": {"200": {"description": "OK", "content": {
                "application/json": {"schema": {"type": "object"}}}},
                **_problems(400, 401)},
        }},
    )  # fmt: skip
    spec.path(
        path="/me/phone-key",
        operations={"get": {
            "summary": "The key the phone encrypts the participant's stored answers with",
            "security": security,
            "responses": {"200": {"description": "OK", "content": {
                "application/json": {"schema": "PhoneKey"}}},
                **_problems(400, 401)},
        }},
    )  # fmt: skip
    spec.path(
        path="/me/pin",
        operations={
            "put": {
                "summary": "Set the PIN of this phone: the server keeps a hash of its proof",
                "security": security,
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": "PinProof"}}},
                "responses": {"204": {"description": "Set"}, **_problems(400, 401, 422)},
            },
            "delete": {
                "summary": "Remove the PIN of this phone",
                "security": security,
                "responses": {"204": {"description": "Removed"}, **_problems(401)},
            },
        },
    )  # fmt: skip
    spec.path(
        path="/me/pin/check",
        operations={"post": {
            "summary": "Check a PIN typed on this phone; wrong ones count in the database "
                       "(429 with Retry-After when there were too many)",
            "security": security,
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": "PinProof"}}},
            "responses": {"200": {"description": "The right PIN", "content": {
                "application/json": {"schema": "PinCheck"}}},
                "403": {"description": "A wrong PIN (code pin_wrong)", "content": _PROBLEM},
                "404": {"description": "No PIN is set for this phone (code no_pin)",
                        "content": _PROBLEM},
                **_problems(400, 401, 422, 429)},
        }},
    )  # fmt: skip
    spec.path(
        path="/me/preferences",
        operations={"put": {
            "summary": "Remember the participant's choice to see Norwegian beside their language",
            "security": security,
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": "Preferences"}}},
            "responses": {"200": {"description": "OK", "content": {
                "application/json": {"schema": "Preferences"}}},
                **_problems(400, 401, 413, 415, 422)},
        }},
    )  # fmt: skip
    spec.path(
        path="/questionnaires/{slug}/versions/{number}",
        operations={"get": {
            "summary": "One questionnaire version, localized", "security": security,
            "parameters": [
                {"in": "path", "name": "slug", "required": True, "schema": {"type": "string"}},
                {"in": "path", "name": "number", "required": True,
                 "schema": {"type": "integer", "minimum": 1, "maximum": schemas.MAX_INT}},
                {"in": "query", "name": "lang", "required": False, "schema": {"type": "string"}},
            ],
            "responses": {"200": {"description": "OK", "content": {
                "application/json": {"schema": "Document"}}},
                "304": {"description": "Not modified (If-None-Match)"}, **_problems(400, 401, 404)},
        }},
    )  # fmt: skip
    spec.path(
        path="/responses/{response_id}",
        operations={"put": {
            "summary": "Store a response (idempotent; merged per question when stale)",
            "security": security, "parameters": [uuid_param],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": "ResponsePut"}}},
            "responses": {
                "201": {"description": "Stored for the first time", "content": {
                    "application/json": {"schema": "Receipt"}}},
                "200": {"description": "Stored (or already stored: the same receipt)",
                        "content": {"application/json": {"schema": "Receipt"}}},
                **_problems(400, 401, 404, 409, 413, 415, 422)},
        }},
    )  # fmt: skip
    spec.path(
        path="/sync",
        operations={"post": {
            "summary": "Store up to 25 responses; each one on its own", "security": security,
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": "Batch"}}},
            "responses": {"200": {"description": "One result per response", "content": {
                "application/json": {"schema": "BatchResponse"}}},
                **_problems(400, 401, 409, 413, 415, 422)},
        }},
    )  # fmt: skip
    spec.path(
        path="/push/key",
        operations={"get": {
            "summary": "The server's VAPID public key, to subscribe to pushes with",
            "security": security,
            "responses": {"200": {"description": "OK", "content": {
                "application/json": {"schema": "PushKey"}}},
                **_problems(400, 401, 503)},
        }},
    )  # fmt: skip
    spec.path(
        path="/push/subscriptions",
        operations={
            "get": {
                "summary": "Whether pushes go to this device, and where (as a digest)",
                "security": security,
                "responses": {"200": {"description": "OK", "content": {
                    "application/json": {"schema": "PushSubscriptionState"}}},
                              **_problems(400, 401)},
            },
            "post": {
                "summary": "Send pushes to this device (its PushSubscription, as toJSON gives it)",
                "security": security,
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": "PushSubscription"}}},
                "responses": {"204": {"description": "Stored for this device"},
                              **_problems(400, 401, 413, 415, 422)},
            },
            "delete": {
                "summary": "Send no more pushes to this device",
                "security": security,
                "responses": {"204": {"description": "No subscription is kept for this device"},
                              **_problems(400, 401)},
            },
        },
    )  # fmt: skip
    spec.path(
        path="/inbox",
        operations={"get": {
            "summary": "Every unread notification, then the 100 newest read ones, newest first",
            "security": security,
            "responses": {"200": {"description": "OK", "content": {
                "application/json": {"schema": "Inbox"}}}, **_problems(400, 401)},
        }},
    )  # fmt: skip
    spec.path(
        path="/inbox/{notification_id}/read",
        operations={"post": {
            "summary": "Mark one notification read", "security": security,
            "parameters": [{
                "in": "path", "name": "notification_id", "required": True,
                "schema": {"type": "string", "pattern": schemas.NOTIFICATION_ID_PATTERN},
                "description": "The id from the inbox or a push",
            }],
            "responses": {"200": {"description": "OK", "content": {
                "application/json": {"schema": "InboxEntry"}}}, **_problems(400, 401, 404)},
        }},
    )  # fmt: skip
    document = spec.to_dict()
    if endpoint_pattern:
        found = document["components"]["schemas"]["PushSubscription"]["properties"]["endpoint"]
        found["pattern"] = endpoint_pattern
    return document


def _text_language_keys(document: dict) -> dict:
    """Describe what marshmallow checks but apispec cannot say: answer pointers as keys
    (``propertyNames``, which OpenAPI 3.1's full JSON Schema has)."""
    for name in ("ResponsePut", "BatchItem"):
        found = document["components"]["schemas"].get(name)
        if found and "text_languages" in found.get("properties", {}):
            found["properties"]["text_languages"]["propertyNames"] = {
                "pattern": schemas.TEXT_LANGUAGE_KEY
            }
    return document


@bp.get("/openapi.json")
def openapi():
    cache = current_app.extensions.setdefault("loype_openapi", {})
    name = current_app.config["SESSION_COOKIE_NAME"]
    # The push services accepted are configured, so the document says which.
    pattern = push_subscriptions.endpoint_pattern(
        push_subscriptions.push_services(current_app.config)
    )
    if (name, pattern) not in cache:
        cache[(name, pattern)] = _text_language_keys(build_spec(name, pattern))
    return cache[(name, pattern)]
