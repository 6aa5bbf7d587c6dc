"""Start, save, submit and reopen responses from the server pages and for staff.

Each function says who writes and which revision they saw, and leaves the rules to the one
write path (services/revisions.py).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Participant, Questionnaire, QuestionnaireVersion, Response, StaffUser
from ..questionnaires import AnswerError
from . import revisions
from .revisions import Author, Conflict, Invalid, Receipt


class ResponseClosed(Exception):
    """The response was submitted and can no longer be changed."""


def author_for(actor: Participant | StaffUser, occasion: str | None = None) -> Author:
    """Who writes on the server pages: the participant (web) or a member of staff, who may
    say why (``occasion``: "meeting" for answers given with the participant)."""
    if isinstance(actor, StaffUser):
        return Author("staff", actor, occasion=occasion)
    return Author("web", actor)


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
    participant: Participant,
    questionnaire: Questionnaire,
    author: StaffUser | None = None,
    occasion: str | None = None,
) -> Response:
    """Resume the open draft or start one on the latest version (revision 1)."""
    draft = open_draft(participant, questionnaire)
    if draft is not None:
        return draft
    version = questionnaire.latest
    if version is None:
        raise LookupError("questionnaire has no published version")
    receipt = revisions.create(
        participant,
        version,
        author_for(author or participant, occasion),
        response_id=str(uuid.uuid4()),
    )
    return db.session.get(Response, receipt.id)


def save_page(
    response: Response,
    actor: Participant | StaffUser,
    page_answers: dict[str, Any],
    page_questions: list[str],
    *,
    base: int | None,
    require: bool,
    lang: str | None = None,
    occasion: str | None = None,
) -> tuple[Receipt | None, list[AnswerError]]:
    """Store one page's answers as the writer saw them at revision ``base``.

    Returns ``(receipt, [])`` or ``(None, errors)``. The answers outside the page are the ones
    of the base revision, so a page posted after another device changed other questions (or
    this one) is merged question by question like a phone sync; ``receipt.merged`` says so.
    """
    if response.status != "draft":
        raise ResponseClosed(response.id)
    seen = revisions.revision_of(response, base) if base is not None else None
    if seen is None:  # an old form without a base, or a base this server never had
        seen = revisions.revision_of(response, response.revision)
        base = response.revision
    mine = {k: v for k, v in seen.answers.items() if k not in page_questions}
    mine.update(page_answers)
    try:
        receipt = revisions.write(
            response, author_for(actor, occasion), base=base, answers=mine, status="draft",
            only=page_questions, require=require, lang=lang,
        )  # fmt: skip
    except Invalid as error:
        return None, error.errors
    except Conflict as error:
        raise ResponseClosed(response.id) from error
    return receipt, []


def submit(response: Response, actor: Participant | StaffUser) -> list[AnswerError]:
    """Submit the draft once every answer is valid; return the errors otherwise."""
    if response.status != "draft":
        raise ResponseClosed(response.id)
    try:
        revisions.write(
            response, author_for(actor), base=response.revision,
            answers=response.answers, status="submitted",
        )  # fmt: skip
    except Invalid as error:
        return error.errors
    return []


def reopen(response: Response, staff: StaffUser) -> Receipt:
    """Open a sent response for changes again (follow-up), as a revision by ``staff``."""
    return revisions.write(
        response, Author("staff", staff), base=response.revision,
        answers=response.answers, status="draft",
    )  # fmt: skip
