"""``GET /questionnaires/{slug}/versions/{n}``: one version, localized, for the phone to keep."""

from __future__ import annotations

import hashlib
import json

from flask import abort, current_app, jsonify, make_response, request
from flask_babel import get_locale

from ..models import QuestionnaireVersion
from ..questionnaires.names import country_names, language_names, text_direction
from ..services import audio
from ..services import questionnaires as questionnaire_service
from ..services.questionnaires import find_version
from .base import bp, participant
from .schemas import MAX_INT, DocumentSchema


def document_etag(version: QuestionnaireVersion, lang: str) -> str:
    """Return the entity tag of a localized version (unquoted); new audio clips change it."""
    clips = json.dumps(sorted(audio.clips_for(version.questionnaire_id, lang).items()))
    return f"{version.content_hash[:16]}-{lang}-{hashlib.sha256(clips.encode()).hexdigest()[:8]}"


@bp.get("/questionnaires/<slug>/versions/<int:number>")
def document(slug: str, number: int):
    person = participant()
    version = find_version(slug, number) if number <= MAX_INT else None
    if version is None or not questionnaire_service.readable_by_participant(
        person, version.questionnaire
    ):
        abort(404)
    lang = request.args.get("lang") or str(get_locale())
    if lang not in current_app.config["LANGUAGES"]:
        lang = person.language
    lang = questionnaire_service.participant_language(version, lang)
    etag = document_etag(version, lang)
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
        response.set_etag(etag)
        return response
    widgets = {q.widget for q in version.definition.all_questions()}
    names = {}
    if "country" in widgets:
        names["country"] = [list(pair) for pair in country_names(lang)]
    if "language" in widgets:
        names["language"] = [list(pair) for pair in language_names(lang)]
    body = DocumentSchema().dump(
        {
            "slug": slug,
            "version": number,
            "lang": lang,
            "dir": text_direction(lang),
            "document": version.localized(lang),
            "names": names,
            "audio": audio.clips_for(version.questionnaire_id, lang),
        }
    )
    response = jsonify(body)
    response.set_etag(etag)
    return response
