"""My questionnaires: start, resume, and see what was sent."""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import get_locale

from ..auth import current_actor, participant_required
from ..counsellor.forms import STEP_STATUS_LABELS
from ..extensions import db
from ..models import Questionnaire, QuestionnaireVersion, Response
from ..services import comments, plan, reads, sharing
from ..services import questionnaires as questionnaire_service
from ..services import responses as response_service
from ..services.reviews import follow_up_message

bp = Blueprint("participant", __name__, url_prefix="/me")


@bp.get("/")
@participant_required
def home():
    participant = current_actor()
    questionnaires = questionnaire_service.participant_questionnaires(participant)
    offered = {q.id for q in questionnaire_service.offered_questionnaires(participant)}
    mine = db.session.scalars(
        sa.select(Response)
        .join(QuestionnaireVersion)
        .join(Questionnaire)
        .where(Response.participant_id == participant.id, Questionnaire.audience == "participant")
        .order_by(Response.created_at.desc())
    ).all()
    messages = comments.messages_for(r.id for r in mine)
    entries = []
    for questionnaire in questionnaires:
        if questionnaire.latest is None:
            continue
        responses = [r for r in mine if r.version.questionnaire_id == questionnaire.id]
        draft = next((r for r in responses if r.status == "draft"), None)
        entries.append(
            {
                "questionnaire": questionnaire,
                "draft": draft,
                "follow_up": follow_up_message(draft) if draft else "",
                "sent": [r for r in responses if r.status == "submitted"],
                "messages": [m for r in reversed(responses) for m in messages[r.id]],
                "offered": questionnaire.id in offered,
            }
        )
    return render_template(
        "participant/home.html",
        entries=entries,
        reads=reads.reads_of(participant),
        shared_resources=sharing.shared_with(participant, str(get_locale())),
        next_steps=plan.steps_of(participant, for_participant=True),
        step_labels=STEP_STATUS_LABELS,
        lang=str(get_locale()),
        # A version's texts in the language the app shows it in: one withheld from the
        # version (published with texts missing) falls back, as the app and the pages do.
        read_in=partial(questionnaire_service.participant_language, lang=str(get_locale())),
    )


@bp.post("/q/<slug>/start")
@participant_required
def start(slug: str):
    participant = current_actor()
    questionnaire = db.session.scalar(
        sa.select(Questionnaire).where(
            Questionnaire.slug == slug, Questionnaire.audience == "participant"
        )
    )
    if questionnaire is None or questionnaire.latest is None:
        abort(404)
    offered = questionnaire in questionnaire_service.offered_questionnaires(participant)
    if not offered and response_service.open_draft(participant, questionnaire) is None:
        abort(404)  # not offered to them (any more): only an open draft can be resumed
    response = response_service.start(participant, questionnaire)
    db.session.commit()
    return redirect(url_for("fill.resume", response_id=response.id))
