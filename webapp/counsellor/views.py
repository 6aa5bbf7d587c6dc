"""Caseload, participants and their invites, and reviewing responses."""

from __future__ import annotations

import json

import segno
import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from wtforms import SelectChoice

from .. import access
from ..auth import current_actor, staff_required
from ..extensions import db
from ..i18n import own_name
from ..models import Participant, Questionnaire, Response, StaffUser
from ..models.types import utcnow
from ..questionnaires.names import text_direction
from ..rendering.display import answer_sections, conflict_rows, left_behind_rows
from ..services import accounts, audit, privacy, resources, reviews, revisions, sessions
from ..services import questionnaires as questionnaire_service
from ..services import responses as response_service
from .forms import REVIEW_LABELS, ParticipantForm, ReviewForm

bp = Blueprint("counsellor", __name__)


def _language_choices() -> list[SelectChoice]:
    return [
        SelectChoice(
            code,
            own_name(code),
            render_kw={"lang": code.replace("_", "-"), "dir": text_direction(code)},
        )
        for code in current_app.config["LANGUAGES"]
    ]


def _invite_url(code: str) -> str:
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + url_for("auth.join_link", code=code)


def _render_invite(participant: Participant, code: str):
    url = _invite_url(code)
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=6, title=_("QR code for the invite link"), dark="#000", light="#fff")
    return render_template(
        "counsellor/invite.html",
        participant=participant,
        code=accounts.format_code(code),
        url=url,
        qr_svg=Markup(svg),
    )


@bp.get("/caseload")
@staff_required("counsellor")
def caseload():
    actor = current_actor()
    participants = db.session.scalars(
        access.caseload_query(actor).order_by(Participant.display_name)
    ).all()
    latest: dict[int, Response] = {}
    if participants:
        for response in db.session.scalars(
            sa.select(Response)
            .where(Response.participant_id.in_([p.id for p in participants]))
            .order_by(Response.updated_at)
        ):
            latest[response.participant_id] = response
    return render_template(
        "counsellor/caseload.html",
        participants=participants,
        latest=latest,
        labels=REVIEW_LABELS,
    )


@bp.route("/participants/new", methods=["GET", "POST"])
@staff_required("counsellor")
def new_participant():
    actor = current_actor()
    form = ParticipantForm()
    form.language.choices = _language_choices()
    counsellors = db.session.scalars(
        sa.select(StaffUser)
        .where(
            StaffUser.municipality_id == actor.municipality_id,
            StaffUser.role == "counsellor",
            StaffUser.active.is_(True),
        )
        .order_by(StaffUser.name)
    ).all()
    form.counsellor_id.choices = [SelectChoice(c.id, c.name) for c in counsellors]
    if request.method == "GET":
        form.counsellor_id.data = actor.id
        form.language.data = str(get_locale())
    if form.validate_on_submit():
        counsellor = next(c for c in counsellors if c.id == form.counsellor_id.data)
        participant, code = accounts.create_participant(
            actor,
            counsellor,
            form.display_name.data,
            form.language.data,
            current_app.config["SECRET_KEY"],
            current_app.config["INVITE_DAYS"],
        )
        db.session.commit()
        if counsellor.id != actor.id:
            flash(
                _("The participant is added and assigned to %(name)s.", name=counsellor.name),
                "success",
            )
        return _render_invite(participant, code)
    return render_template("counsellor/new_participant.html", form=form), (
        422 if form.errors else 200
    )


@bp.get("/participants/<int:participant_id>")
@staff_required("counsellor")
def participant(participant_id: int):
    person = access.participant_or_404(current_actor(), participant_id)
    responses = db.session.scalars(
        sa.select(Response)
        .where(Response.participant_id == person.id)
        .order_by(Response.created_at.desc())
    ).all()
    counsellor_forms = questionnaire_service.counsellor_questionnaires(current_actor())
    return render_template(
        "counsellor/participant.html",
        participant=person,
        devices=sessions.live_for(person),
        retention_days=current_app.config["RETENTION_DAYS"],
        responses=responses,
        assignable=questionnaire_service.assignable(current_actor()),
        assigned=questionnaire_service.assigned_ids(person),
        counsellor_forms=[q for q in counsellor_forms if q.latest],
        labels=REVIEW_LABELS,
        lang=str(get_locale()),
    )


@bp.post("/participants/<int:participant_id>/invite")
@staff_required("counsellor")
def new_invite(participant_id: int):
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    code = accounts.new_invite(
        person, current_app.config["SECRET_KEY"], current_app.config["INVITE_DAYS"]
    )
    audit.record(actor, "participant.invite", f"participant:{person.id}")
    db.session.commit()
    return _render_invite(person, code)


@bp.post("/participants/<int:participant_id>/offer/<slug>")
@staff_required("counsellor")
def offer(participant_id: int, slug: str):
    """Offer a questionnaire to this participant, or stop offering it (a toggle)."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    questionnaire = next(
        (q for q in questionnaire_service.assignable(actor) if q.slug == slug), None
    )
    if questionnaire is None:
        abort(404)
    if questionnaire.id in questionnaire_service.assigned_ids(person):
        questionnaire_service.unassign(actor, person, questionnaire)
    else:
        questionnaire_service.assign(actor, person, questionnaire)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".participant", participant_id=person.id))


@bp.post("/participants/<int:participant_id>/sessions/<int:session_id>/end")
@staff_required("counsellor")
def end_device(participant_id: int, session_id: int):
    """Sign one of the participant's devices out: its next request gets 401."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    login = next((s for s in sessions.live_for(person) if s.id == session_id), None)
    if login is None:
        abort(404)
    sessions.end(login, "revoked")
    audit.record(actor, "participant.device_signed_out", f"participant:{person.id}")
    db.session.commit()
    flash(_("The device is signed out."), "success")
    return redirect(url_for(".participant", participant_id=person.id))


@bp.get("/participants/<int:participant_id>/export.json")
@staff_required("counsellor")
def export(participant_id: int):
    """Everything stored about the participant (GDPR right of access), as a JSON file."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    body = privacy.export(person)
    audit.record(actor, "participant.export", f"participant:{person.id}")
    db.session.commit()
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False, indent=2, allow_nan=False),
        mimetype="application/json",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="participant-{person.id}.json"'
    return response


@bp.post("/participants/<int:participant_id>/left")
@staff_required("counsellor")
def left_programme(participant_id: int):
    """Record that the participant left the programme: the retention period starts."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    if person.left_programme_at is None:
        person.left_programme_at = utcnow()
        audit.record(actor, "participant.left", f"participant:{person.id}")
        db.session.commit()
    return redirect(url_for(".participant", participant_id=person.id))


@bp.post("/participants/<int:participant_id>/erase")
@staff_required("counsellor")
def erase(participant_id: int):
    """Delete the participant and all their data (GDPR erasure), after a confirmation."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm that everything about the participant is deleted."),
              "warning")  # fmt: skip
        return redirect(url_for(".participant", participant_id=person.id))
    privacy.erase(person, actor)
    db.session.commit()
    flash(_("The participant and all their answers are deleted."), "success")
    return redirect(url_for(".caseload"))


@bp.post("/participants/<int:participant_id>/forms/<slug>")
@staff_required("counsellor")
def start_form(participant_id: int, slug: str):
    """Start (or resume) a counsellor questionnaire about this participant."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    questionnaire = db.session.scalar(
        sa.select(Questionnaire).where(
            Questionnaire.slug == slug, Questionnaire.audience == "counsellor"
        )
    )
    if questionnaire is None or questionnaire.latest is None:
        abort(404)
    if questionnaire not in questionnaire_service.counsellor_questionnaires(actor):
        abort(404)  # another municipality's, or retired
    response = response_service.start(person, questionnaire, author=actor)
    db.session.commit()
    return redirect(url_for("fill.resume", response_id=response.id))


def _left_behind(response, lang: str) -> list:
    """Return the answers left on older versions when the draft moved forward."""
    rows = []
    versions = {v.number: v for v in response.version.questionnaire.versions}
    for move in response.version_moves or []:
        old = versions.get(move.get("from"))
        revision = revisions.revision_of(response, move.get("revision"))
        if old is not None and revision is not None:
            rows += left_behind_rows(old.definition, revision.answers, move, lang)
    return rows


@bp.route("/responses/<uuid:response_id>", methods=["GET", "POST"])
@staff_required("counsellor")
def review(response_id):
    actor = current_actor()
    response = access.response_or_404(actor, str(response_id))
    lang = str(get_locale())
    form = ReviewForm()
    if request.method == "GET":
        form.status.data = response.review_status
        form.note.data = response.review.note if response.review else ""
    if form.validate_on_submit():
        revisions.retrying(
            lambda: reviews.add_review(
                response, actor, form.status.data, form.note.data or "", form.message.data or ""
            )
        )
        flash(_("The review is saved."), "success")
        return redirect(url_for(".review", response_id=response.id))
    definition = response.version.definition
    participant_lang = response.participant.language
    beside = request.args.get("beside") == "1" and participant_lang != lang
    return render_template(
        "counsellor/review.html",
        response=response,
        definition=definition,
        sections=answer_sections(
            definition,
            response.answers,
            lang,
            second=participant_lang if beside else None,
            text_languages=response.text_languages or {},
        ),
        beside=beside,
        conflicts=conflict_rows(definition, response.conflicts or [], lang),
        left_behind=_left_behind(response, lang),
        form=form,
        labels=REVIEW_LABELS,
        suggestions=resources.suggest(
            definition, response.answers, response.participant.municipality.county
        ),
        lang=lang,
        participant_lang=participant_lang,
    ), (422 if form.errors else 200)
