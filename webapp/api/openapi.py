"""``GET /openapi.json``: the OpenAPI 3 document, generated from the marshmallow schemas."""

from __future__ import annotations

from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from . import schemas
from .base import bp

_PROBLEM = {"application/problem+json": {"schema": "Problem"}}


def _problems(*codes: int) -> dict[str, dict]:
    return {str(code): {"description": "Problem details", "content": _PROBLEM} for code in codes}


@cache
def build_spec() -> dict:
    spec = APISpec(
        title="Løype sync API",
        version="1",
        openapi_version="3.0.3",
        info={"description": "Participants' phones sync responses here. See docs/sync.md."},
        servers=[{"url": "/api/v1"}],
        plugins=[MarshmallowPlugin()],
    )
    for name in ("ResponsePut", "Receipt", "Problem", "Batch", "BatchResponse", "Me", "Document",
                 "Preferences"):  # fmt: skip
        spec.components.schema(name, schema=getattr(schemas, f"{name}Schema"))
    cookie = {"type": "apiKey", "in": "cookie", "name": "session"}
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
                "application/json": {"schema": "Me"}}}, **_problems(401)},
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
                "application/json": {"schema": "Preferences"}}}, **_problems(401, 415, 422)},
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
                "304": {"description": "Not modified (If-None-Match)"}, **_problems(401, 404)},
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
                **_problems(400, 401, 413, 415, 422)},
        }},
    )  # fmt: skip
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi():
    return build_spec()
