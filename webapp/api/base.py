"""The ``/api/v1`` blueprint: JSON in, JSON out, problem details on error, never cached."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields

from ..auth import current_actor
from ..models import Participant, StaffUser
from ..questionnaires import AnswerError, Definition
from ..questionnaires.pointers import pointer_escape
from ..rendering.messages import message_for
from .schemas import ProblemSchema

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class ApiProblem(Exception):
    """Answer with RFC 9457 problem details."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        errors: list | None = None,
        current: dict | None = None,
        code: str | None = None,
    ):
        super().__init__(title)
        #: A machine-readable reason, e.g. "revision" (unknown base) or "submitted".
        self.code = code
        self.status, self.title, self.detail, self.errors = status, title, detail, errors or []
        #: For a 409 on a response: the stored state (revision, status, answers) to rebase onto.
        self.current = current


def problem_body(
    status: int,
    title: str,
    detail: str = "",
    errors: list | None = None,
    current: dict | None = None,
    code: str | None = None,
) -> dict:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if code:
        body["code"] = code
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    if current is not None:
        body["current"] = current
    return ProblemSchema().dump(body)


def problem(
    status: int,
    title: str,
    detail: str = "",
    errors: list | None = None,
    current: dict | None = None,
    code: str | None = None,
) -> Response:
    response = jsonify(problem_body(status, title, detail, errors, current, code))
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


@bp.errorhandler(ApiProblem)
def _api_problem(error: ApiProblem):
    return problem(error.status, error.title, error.detail, error.errors, error.current, error.code)


@bp.after_request
def _never_cache(response: Response) -> Response:
    # Answers and everything else from the API stay out of every cache (browser and proxies).
    response.headers["Cache-Control"] = "no-store"
    return response


def participant() -> Participant:
    """Return the signed-in participant, or answer 401 telling them how to sign in again."""
    actor = current_actor()
    if not isinstance(actor, Participant):
        raise ApiProblem(
            401,
            _("Please sign in again"),
            _("Ask your counsellor for a new invite, then open its link or type its code. "
              "Your answers are kept on this phone until then."),
        )  # fmt: skip
    return actor


def device_owner() -> Participant | StaffUser:
    """Return the signed-in participant or counsellor, whose own device (login session) the
    request is about (push subscriptions); anyone else is answered 401 like participant()."""
    actor = current_actor()
    if isinstance(actor, StaffUser) and actor.is_counsellor and actor.active:
        return actor
    return participant()


def load_json(schema: Schema) -> dict[str, Any]:
    """Parse the JSON body with ``schema``; answer 415/400/422 with field messages if bad."""
    if not request.is_json:
        raise ApiProblem(415, _("Send JSON"), _("The body must be JSON (application/json)."))
    payload = request.get_json(silent=True)
    if payload is None and request.get_data().strip() != b"null":
        raise ApiProblem(
            400,
            _("The body is not valid JSON"),
            _("The body must be standard JSON. Nothing was saved."),
        )
    try:
        return schema.load(payload)
    except ValidationError as error:
        raise ApiProblem(
            422, _("Some fields are not right"), errors=list(field_errors(error.messages))
        ) from None


#: marshmallow's own sentences (English) for the cases a client can act on, by code.
_MARSHMALLOW_CODES = {
    fields.Field.default_error_messages["required"]: "required",
    fields.Field.default_error_messages["null"]: "null",
    Schema._default_error_messages["unknown"]: "unknown",
}


def _field_error(pointer: str, messages: list[str]) -> dict[str, str]:
    """One field's refusal: a code for the client, and a sentence in the reader's language
    (marshmallow writes its own in English)."""
    code = next((_MARSHMALLOW_CODES[m] for m in messages if m in _MARSHMALLOW_CODES), "invalid")
    detail = {
        "required": _("This field is required."),
        "null": _("This field cannot be empty."),
        "unknown": _("This field is not expected here."),
    }.get(code) or _("This value is not allowed here.")
    return {"pointer": pointer, "code": code, "detail": detail}


def _sentences(messages: Any) -> bool:
    return (
        isinstance(messages, list) and bool(messages) and all(isinstance(m, str) for m in messages)
    )


def _escaped(key: Any) -> str:
    return pointer_escape(str(key))


def field_errors(messages: Any, pointer: str = "") -> Iterable[dict[str, str]]:
    """Each refused field with a JSON Pointer into the body (RFC 6901: "/" in a name is
    written "~1"). marshmallow files an error of the whole object under "_schema" (a body or an
    item that is no object), and one of a dictionary's entries under "key" or "value": both
    belong to the object or entry itself (no schema here has fields of those names)."""
    if isinstance(messages, dict):
        entry = set(messages) <= {"key", "value"} and all(map(_sentences, messages.values()))
        for key, value in messages.items():
            itself = key == "_schema" or entry
            yield from field_errors(value, pointer if itself else f"{pointer}/{_escaped(key)}")
    elif _sentences(messages):
        yield _field_error(pointer, messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            yield from field_errors(value, f"{pointer}/{index}")


def answer_errors(definition: Definition, errors: list[AnswerError]) -> list[dict[str, str]]:
    """Return answer errors as problem-detail field errors, worded for the participant."""
    return [
        {
            "pointer": "/answers" + error.path,
            "code": error.code,
            "detail": message_for(error, definition.questions.get(error.question)),
        }
        for error in errors
    ]
