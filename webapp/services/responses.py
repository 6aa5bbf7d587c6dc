"""Start, save, and submit responses."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Participant, Questionnaire, QuestionnaireVersion, Response, StaffUser
from ..models.types import utcnow
from ..questionnaires import AnswerError, validate_answers
from . import audit, text_languages
from .sync import record_revision


class ResponseClosed(Exception):
    """The response was submitted and can no longer be changed."""


def open_draft(participant: Participant, questionnaire: Questionnaire) -> Response | None:
    """Return the participant's unfinished response to this questionnaire, if any."""
    return db.session.scalars(
        sa.select(Response)
        .join(QuestionnaireVersion)
        .where(
            Response.participant_id == participant.id,
            Response.status == "draft",
            QuestionnaireVersion.questionnaire_id == questionnaire.id,
        )
        .order_by(Response.created_at.desc())
        .limit(1)
    ).first()


def start(
    participant: Participant, questionnaire: Questionnaire, author: StaffUser | None = None
) -> Response:
    """Resume the open draft or start one on the latest version."""
    draft = open_draft(participant, questionnaire)
    if draft is not None:
        return draft
    version = questionnaire.latest
    if version is None:
        raise LookupError("questionnaire has no published version")
    response = Response(
        id=str(uuid.uuid4()),
        participant=participant,
        version=version,
        author=author,
        answers={},
        status="draft",
    )
    db.session.add(response)
    db.session.flush()
    audit.record(
        author or participant,
        "response.start",
        f"response:{response.id}",
        participant.municipality_id,
    )
    return response


def save_page(
    response: Response,
    page_answers: dict[str, Any],
    page_questions: list[str],
    *,
    require: bool,
    lang: str | None = None,
) -> list[AnswerError]:
    """Store one page's answers into the draft; return errors (and store nothing) if any."""
    if response.status != "draft":
        raise ResponseClosed(response.id)
    merged = {k: v for k, v in response.answers.items() if k not in page_questions}
    merged.update(page_answers)
    cleaned, errors = validate_answers(
        response.version.definition, merged, only=page_questions, complete=require
    )
    if errors:
        return errors
    if cleaned != response.answers:
        response.text_languages = text_languages.updated(
            response.version.definition, response.answers, cleaned,
            response.text_languages or {}, lang or response.participant.language,
        )  # fmt: skip
        response.answers = cleaned
        response.revision += 1
        response.updated_at = utcnow()
        record_revision(response, "web")
    return []


def submit(response: Response, actor: Participant | StaffUser) -> list[AnswerError]:
    """Submit the draft once every answer is valid; return the errors otherwise."""
    if response.status != "draft":
        raise ResponseClosed(response.id)
    cleaned, errors = validate_answers(response.version.definition, response.answers)
    if errors:
        return errors
    now = utcnow()
    response.answers = cleaned
    response.status = "submitted"
    response.revision += 1
    response.updated_at = now
    response.submitted_at = now
    audit.record(
        actor, "response.submit", f"response:{response.id}", response.participant.municipality_id
    )
    return []
