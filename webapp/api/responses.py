"""``PUT /responses/{id}`` and ``POST /sync``: store what the phone sends, idempotently."""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError

from ..extensions import db
from ..models import Participant
from ..services import revisions, sync
from ..services.questionnaires import find_version
from .base import (
    ApiProblem,
    answer_errors,
    bp,
    field_errors,
    load_json,
    participant,
    problem_body,
)
from .schemas import (
    UUID_PATTERN,
    BatchItemSchema,
    BatchResponseSchema,
    BatchSchema,
    ReceiptSchema,
    ResponsePutSchema,
    whole_match,
)

log = logging.getLogger(__name__)

# Made once: a schema's fields are built when it is instantiated, which cost more than the
# rest of a phone's sync request around the database. Loading and dumping keep no state.
BATCH, BATCH_ITEM = BatchSchema(), BatchItemSchema()
BATCH_RESPONSE = BatchResponseSchema()
RESPONSE_PUT, RECEIPT = ResponsePutSchema(), ReceiptSchema()


def _titles(error: sync.WriteError) -> tuple[str, str]:
    if isinstance(error, sync.NotFound):
        return _("Not found"), _("This questionnaire or response does not exist.")
    if error.code == "submitted":
        return _("Already sent"), _(
            "These answers were already sent and cannot be changed now. Your counsellor can "
            "open them for changes."
        )
    if error.code == "version":
        return _("Another version"), _("This response belongs to another questionnaire version.")
    if error.code == "revision":
        return _("Unknown revision"), _(
            "The server does not know the revision you edited. Here is what it has now."
        )
    return _("Some answers are not right"), _("Please check the answers marked below.")


def _current(error: sync.WriteError) -> dict[str, Any] | None:
    """The stored state a 409 carries, so the phone can rebase onto it."""
    response = error.current
    if response is None or error.status != 409:
        return None
    return {"revision": response.revision, "status": response.status, "answers": response.answers}


def _store(person: Participant, response_id: str, data: dict[str, Any]) -> sync.Receipt:
    submission = sync.Submission(id=response_id, **data)
    try:
        return revisions.retrying(lambda: sync.apply(person, submission))
    except sync.WriteError as error:
        title, detail = _titles(error)
        version = find_version(data["questionnaire"], data["version"])
        errors = answer_errors(version.definition, error.errors) if version else []
        raise ApiProblem(
            error.status, title, detail, errors, current=_current(error), code=error.code
        ) from None
    except revisions.Busy:
        raise ApiProblem(503, _("Busy"), _("Please try again in a moment.")) from None


def _receipt_body(receipt: sync.Receipt) -> dict[str, Any]:
    return RECEIPT.dump(receipt)


@bp.put("/responses/<response_id>")
def put_response(response_id: str):
    person = participant()
    if not whole_match(UUID_PATTERN, response_id):
        raise ApiProblem(404, _("Not found"), _("A response id is a UUID in lower case."))
    data = load_json(RESPONSE_PUT)
    receipt = _store(person, response_id, data)
    return _receipt_body(receipt), 201 if receipt.created else 200


@bp.post("/sync")
def sync_batch():
    """Store up to 25 responses; each succeeds or fails on its own, so a resend is safe."""
    person = participant()
    batch = load_json(BATCH)
    if batch["participant"] not in (None, person.id):
        # Answers kept on a shared phone for someone else: never stored under this session.
        raise ApiProblem(
            409,
            _("Someone else's answers"),
            _("These answers belong to another person who used this phone. They are sent when "
              "that person signs in again."),
            code="participant",
        )  # fmt: skip
    results: list[dict[str, Any] | None] = []
    items = []
    for entry in batch["responses"]:
        try:
            items.append(BATCH_ITEM.load(entry))
        except ValidationError as error:
            # Refused on its own: its result says why, and the other items are stored.
            results.append(
                {"id": entry["id"], "status": 422, "receipt": None,
                 "problem": problem_body(422, _("Some fields are not right"),
                                         errors=list(field_errors(error.messages)))}
            )  # fmt: skip
        else:
            results.append(None)
    for index, item in zip((i for i, r in enumerate(results) if r is None), items, strict=True):
        response_id = item.pop("id")
        try:
            receipt = _store(person, response_id, item)
        except ApiProblem as error:
            results[index] = (
                {"id": response_id, "status": error.status, "receipt": None,
                 "problem": problem_body(error.status, error.title, error.detail, error.errors,
                                         current=error.current, code=error.code)}
            )  # fmt: skip
        except Exception:  # one item's failure never takes the others with it
            db.session.rollback()
            log.exception("sync item %s failed", response_id)
            results[index] = (
                {"id": response_id, "status": 500, "receipt": None,
                 "problem": problem_body(500, _("Server error"),
                                         _("Please try again in a moment."))}
            )  # fmt: skip
        else:
            results[index] = (
                {"id": response_id, "status": 201 if receipt.created else 200,
                 "receipt": receipt, "problem": None}
            )  # fmt: skip
    return BATCH_RESPONSE.dump({"results": results})
