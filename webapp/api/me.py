"""``GET /me``: the participant's questionnaires and what the server has of theirs."""

from __future__ import annotations

import base64

import sqlalchemy as sa
from flask import url_for
from flask_babel import get_locale
from sqlalchemy.orm import contains_eager, selectinload

from ..extensions import db
from ..models import Questionnaire, QuestionnaireVersion, Response
from ..questionnaires.validate import without_legacy
from ..services import audit, comments, phone_keys, plan, privacy, reads, sharing
from ..services import questionnaires as questionnaire_service
from ..services.reviews import follow_up_message
from .base import bp, load_json, participant
from .questionnaires import document_etag
from .schemas import MeSchema, PhoneKeySchema, PreferencesSchema


@bp.get("/me")
def me():
    person = participant()
    interface_lang = str(get_locale())
    questionnaires = questionnaire_service.participant_questionnaires(person)
    refs = []
    for questionnaire in questionnaires:
        version = questionnaire.latest
        if version is None:
            continue
        lang = questionnaire_service.participant_language(version, interface_lang)
        refs.append(
            {
                "slug": questionnaire.slug,
                "audience": questionnaire.audience,
                "version": version.number,
                "title": version.definition.text("/title", lang) or questionnaire.slug,
                "document_url": url_for(
                    ".document", slug=questionnaire.slug, number=version.number, lang=lang
                ),
                "etag": f'"{document_etag(version, lang)}"',
                "languages": version.offered_languages,
            }
        )
    # Each response with its version and questionnaire (joined already) and its reviews (the
    # review state and the follow-up message): a fixed number of statements, not one for each
    # response (tests/test_page_queries.py).
    responses = db.session.scalars(
        sa.select(Response)
        .join(Response.version)
        .join(QuestionnaireVersion.questionnaire)
        .where(Response.participant_id == person.id, Questionnaire.audience == "participant")
        .order_by(Response.created_at)
        .options(
            contains_eager(Response.version).contains_eager(QuestionnaireVersion.questionnaire),
            selectinload(Response.reviews),
        )
    ).all()
    messages = comments.messages_for(r.id for r in responses)
    return MeSchema().dump(
        {
            "participant": {
                "id": person.id,
                "display_name": person.display_name,
                "language": person.language,
                "show_norwegian": person.show_norwegian,
            },
            "questionnaires": refs,
            "responses": [
                {
                    "id": r.id,
                    "questionnaire": r.version.questionnaire.slug,
                    "version": r.version.number,
                    "status": r.status,
                    "revision": r.revision,
                    "updated_at": r.updated_at,
                    "submitted_at": r.submitted_at,
                    "review_status": r.review_status,
                    # Without answers to questions the version does not have, stored before
                    # they were refused: the phone would refuse to send them back.
                    "answers": without_legacy(r.version.definition, r.answers),
                    "follow_up_message": follow_up_message(r),
                    "messages": [
                        {
                            "id": m.id,
                            "body": m.body,
                            "author": m.author.name,
                            "at": m.created_at,
                            "edited_at": m.edited_at,
                        }
                        for m in messages[r.id]
                    ],
                    **_moved(r),
                }
                for r in responses
            ],
            "reads": [
                {
                    "at": read.at,
                    "by": read.by,
                    "what": read.what,
                    "response": read.response.id if read.response else None,
                }
                for read in reads.reads_of(person)
            ],
            "shared_resources": [
                {
                    "title": item.title,
                    "url": item.url,
                    "description": item.description,
                    "note": item.note,
                    "shared_at": item.shared_at,
                    "shared_by": item.shared_by,
                }
                for item in sharing.shared_with(person, interface_lang)
            ],
            "next_steps": [
                {
                    "id": step.id,
                    "goal": step.goal,
                    "action": step.action,
                    "responsible": step.responsible,
                    "due_on": step.due_on,
                    "status": step.status,
                }
                for step in plan.steps_of(person, for_participant=True)
            ],
        }
    )


def _moved(response: Response) -> dict:
    """Say whether the response was moved to the version it is on, and what that added."""
    moves = [m for m in response.version_moves or [] if m.get("to") == response.version.number]
    if not moves:
        return {"moved_from_version": None, "new_questions": []}
    return {"moved_from_version": moves[-1]["from"], "new_questions": moves[-1]["new_questions"]}


@bp.put("/me/preferences")
def preferences():
    person = participant()
    data = load_json(PreferencesSchema())
    person.show_norwegian = data["show_norwegian"]
    db.session.commit()
    return PreferencesSchema().dump({"show_norwegian": person.show_norwegian})


@bp.get("/me/phone-key")
def phone_key():
    """The key this participant's phones encrypt stored answers with (vault.js)."""
    person = participant()
    key = phone_keys.key_for(person)
    db.session.commit()
    return PhoneKeySchema().dump(
        {"participant": person.id, "key": base64.urlsafe_b64encode(key).rstrip(b"=").decode()}
    )


@bp.get("/me/export")
def export():
    """The signed-in participant's data (GDPR right of access), without what only staff see."""
    person = participant()
    body = privacy.export(person, complete=False)
    audit.record(person, "participant.export", f"participant:{person.id}")
    db.session.commit()
    return body
