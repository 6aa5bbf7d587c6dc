"""Caseload, participants and their invites, and reviewing responses."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

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
    stream_with_context,
    url_for,
)
from flask import Response as HTTPResponse
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectChoice

from .. import access
from ..auth import current_actor, current_login, staff_required
from ..digits import small_int
from ..extensions import db
from ..i18n import date_filter, own_name
from ..models import Participant, Questionnaire, QuestionnaireVersion, Response, StaffUser
from ..models.types import utcnow
from ..public_url import public_url
from ..questionnaires.names import text_direction
from ..rendering import spreadsheets
from ..rendering.display import (
    answer_sections,
    conflict_rows,
    left_behind_rows,
    progress_rows,
    revision_changes,
)
from ..services import (
    accounts,
    audit,
    comments,
    conflicts,
    deadlines,
    exports,
    notifications,
    participants,
    plan,
    privacy,
    push_subscriptions,
    reads,
    resources,
    reviews,
    revisions,
    sessions,
    sharing,
)
from ..services import caseload as caseload_service
from ..services import progress as progress_service
from ..services import questionnaires as questionnaire_service
from ..services import responses as response_service
from .forms import (
    PROGRAMME_LABELS,
    PROGRESS_LABELS,
    RESPONSIBLE_LABELS,
    REVIEW_LABELS,
    STEP_STATUS_LABELS,
    CaseloadForm,
    CommentForm,
    EditCommentForm,
    EditStepForm,
    ExportForm,
    GuidanceOfferForm,
    ParticipantForm,
    ProgrammeForm,
    ProgressForm,
    ReassignForm,
    ResolveForm,
    ReviewForm,
    RevisionsForm,
    ShareForm,
    StepForm,
)

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


def _render_invite(participant: Participant, code: str):
    url = public_url("auth.join_link", code=code)
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=6, title=_("QR code for the invite link"), dark="#000", light="#fff")
    return render_template(
        "counsellor/invite.html",
        participant=participant,
        code=accounts.format_code(code),
        url=url,
        qr_svg=Markup(svg),
    )


def _counsellors(actor: StaffUser) -> list[StaffUser]:
    """Return the active counsellors of the actor's municipality, by name."""
    return list(
        db.session.scalars(
            sa.select(StaffUser)
            .where(
                StaffUser.municipality_id == actor.municipality_id,
                StaffUser.role == "counsellor",
                StaffUser.active.is_(True),
            )
            .order_by(StaffUser.name)
        )
    )


def _today() -> date:
    """Return today's date where the municipality is (deadlines are counted in days there)."""
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


@bp.get("/caseload")
@staff_required("counsellor")
def caseload():
    """Who needs the counsellor now: search, filter, sort, one page at a time."""
    actor = current_actor()
    form = CaseloadForm(request.args)
    form.language.choices = [SelectChoice("", _("Any")), *_language_choices()]
    form.validate()
    per_page = form.per_page.data or ""
    filters = caseload_service.parse_filters(
        "" if form.q.errors else form.q.data,
        form.state.data,
        form.language.data,
        form.programme.data,
        form.sort.data,
        None if form.page.errors else form.page.data,
        small_int(per_page),
        current_app.config["LANGUAGES"],
    )
    # The select shows the rows per page the page has: the size asked for, else the default.
    form.per_page.data = str(filters.per_page)
    result = caseload_service.page(
        access.caseload_query(actor), actor.municipality_id, filters, _today(),
        with_counsellors=actor.is_lead,
    )  # fmt: skip
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "counsellor/caseload.html",
        form=form,
        result=result,
        args=args,
        progress_labels=PROGRESS_LABELS,
        programmes=PROGRAMME_LABELS,
        filtered=bool(args.keys() - {"sort", "per_page"}),
        own_name=own_name,
        text_dir=text_direction,
        lang=str(get_locale()),
        unread=notifications.unread_count(actor),
    )


@bp.get("/inbox")
@staff_required("counsellor")
def inbox():
    """The counsellor's notifications (a participant sent in their answers, …): every unread one,
    then the newest read ones, and the one a push opens (``?entry=``) however old."""
    actor = current_actor()
    entries = notifications.inbox(actor, entry=request.args.get("entry"))
    return render_template(
        "counsellor/inbox.html",
        entries=entries,
        about=_inbox_subjects(actor, entries, str(get_locale())),
        text_for=notifications.text_for,
        push_here=push_subscriptions.has_subscription(current_login()),
        push_devices=push_subscriptions.staff_device_count(actor),
    )


def _inbox_subjects(actor, entries, lang: str) -> dict[str, tuple[str, str]]:
    """Return, by public id, whom and which questionnaire each entry about a response is about:
    ``(participant's name, questionnaire's title)``, for the participants the counsellor may
    still see (one moved to a colleague since keeps a bare entry). Two statements at most,
    however many entries (the documents the cache of published versions lacks come in one)."""
    responses = {e.response_id: e.public_id for e in entries if e.response_id is not None}
    if not responses:
        return {}
    found = db.session.execute(
        sa.select(Response.id, Participant.display_name, QuestionnaireVersion)
        .join(Participant, Response.participant_id == Participant.id)
        .join(QuestionnaireVersion, Response.version_id == QuestionnaireVersion.id)
        .where(Response.id.in_(responses), *access.sees(actor))
    ).all()
    questionnaire_service.load_definitions([version for *_, version in found])
    return {
        responses[rid]: (name, version.definition.text("/title", lang) or "")
        for rid, name, version in found
    }


@bp.post("/inbox/<notification_id>")
@staff_required("counsellor")
def inbox_open(notification_id: str):
    """Mark an entry read and open what it is about (the response, when there is one)."""
    if not notification_id.isascii() or len(notification_id) > 32:
        abort(404)
    notification = notifications.mark_read(current_actor(), notification_id)
    if notification is None:
        abort(404)
    db.session.commit()
    if notification.response_id is not None:
        return redirect(url_for(".review", response_id=notification.response_id))
    return redirect(url_for(".inbox"))


@bp.route("/participants/new", methods=["GET", "POST"])
@staff_required("counsellor")
def new_participant():
    actor = current_actor()
    form = ParticipantForm()
    form.language.choices = _language_choices()
    counsellors = _counsellors(actor)
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


def _participant_page(
    person: Participant,
    programme_form: ProgrammeForm | None = None,
    reassign_form: ReassignForm | None = None,
    step_form: StepForm | None = None,
    offer_form: GuidanceOfferForm | None = None,
):
    actor = current_actor()
    reads.record_participant(actor, person)
    db.session.commit()
    responses = db.session.scalars(
        sa.select(Response)
        .options(selectinload(Response.reviews), joinedload(Response.version))
        .where(Response.participant_id == person.id)
        .order_by(Response.created_at.desc())
    ).all()
    counsellor_forms = (
        questionnaire_service.counsellor_questionnaires(actor)
        if access.fills_counsellor_forms(actor, person)
        else []
    )
    if programme_form is None:
        programme_form = _open_programme_form(person)
    if reassign_form is None and actor.is_lead:
        reassign_form = ReassignForm(formdata=None, counsellor_id=person.counsellor_id)
    if reassign_form is not None:
        reassign_form.counsellor_id.choices = [
            SelectChoice(c.id, c.name) for c in _counsellors(actor)
        ]
    step_form = step_form or StepForm(formdata=None)
    offer_form = offer_form or _open_offer_form(person)
    outdated = any(getattr(f, "outdated", None) for f in (programme_form, offer_form))
    failed = bool(
        programme_form.errors
        or (reassign_form and reassign_form.errors)
        or step_form.errors
        or offer_form.errors
    )
    devices = sessions.live_for(person)
    return render_template(
        "counsellor/participant.html",
        participant=person,
        devices=devices,
        pushed=push_subscriptions.sessions_with_push([d.id for d in devices]),
        retention_days=current_app.config["RETENTION_DAYS"],
        responses=responses,
        answered_twice=progress_service.answered_twice(responses),
        assignable=questionnaire_service.assignable(actor),
        assigned=questionnaire_service.assigned_ids(person),
        counsellor_forms=[q for q in counsellor_forms if q.latest],
        together=_together(person, responses),
        labels=REVIEW_LABELS,
        programmes=PROGRAMME_LABELS,
        programme_form=programme_form,
        reassign_form=reassign_form,
        step_form=step_form,
        offer_form=offer_form,
        next_steps=plan.steps_of(person),
        responsible_labels=RESPONSIBLE_LABELS,
        step_labels=STEP_STATUS_LABELS,
        overdue=lambda step: deadlines.next_step_overdue(step, _today()),
        shared=sharing.shared_with(person, str(get_locale())),
        lang=str(get_locale()),
    ), (409 if outdated else 422 if failed else 200)


def _outdated_form() -> str:
    """Word why a save from an outdated page was refused, in the reader's language."""
    return _(
        "Someone changed this after you opened the page. Nothing was saved. The form now "
        "shows what is stored: make your change again if it is still needed."
    )


def _sent_seen(form) -> str | None:
    """The state the page was opened on, as the form sent it; None from a page without one
    (opened before forms carried it), which is saved as before, unchecked."""
    return (form.seen.data or "") if form.seen.raw_data else None


def _open_programme_form(person: Participant) -> ProgrammeForm:
    """The programme form as the participant's record stands now, and that state."""
    form = ProgrammeForm(formdata=None, obj=person, programme=person.programme or "")
    form.seen.data = participants.programme_state(person)
    return form


def _open_offer_form(person: Participant) -> GuidanceOfferForm:
    """The guidance offer's form as stored now, and that state."""
    form = GuidanceOfferForm(formdata=None, obj=person)
    form.seen.data = plan.guidance_offer_state(person)
    return form


def _open_step_form(step) -> EditStepForm:
    """A step's form as the step stands now, and that state."""
    form = EditStepForm(formdata=None, obj=step)
    form.seen.data = plan.step_state(step)
    return form


def _shown_again(form):
    """Mark a form refused as outdated (shown again with what is stored, answered 409)."""
    form.outdated = _outdated_form()
    return form


def _together(person: Participant, responses: list[Response]) -> list[Questionnaire]:
    """Return the questionnaires to fill in with the participant in a meeting: each one with
    an unfinished response to continue, or that they may start now (the start rule of their
    own list: not retired, offered to them)."""
    unfinished = {r.version.questionnaire_id for r in responses if r.status == "draft"}
    offered = {q.id for q in questionnaire_service.offered_questionnaires(person)}
    return [
        q
        for q in questionnaire_service.participant_questionnaires(person)
        if q.latest and (q.id in unfinished or q.id in offered)
    ]


def _step_input(form: StepForm) -> plan.StepInput:
    return plan.StepInput(
        goal=form.goal.data or "",
        action=form.action.data or "",
        responsible=form.responsible.data,
        due_on=form.due_on.data,
        status=form.status.data,
        shown_to_participant=form.shown_to_participant.data,
    )


@bp.post("/participants/<int:participant_id>/steps")
@staff_required("counsellor")
def add_step(participant_id: int):
    """Add a next step to the participant's follow-up plan."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    form = StepForm()
    if not form.validate_on_submit():
        return _participant_page(person, step_form=form)
    plan.add_step(actor, person, _step_input(form))
    db.session.commit()
    flash(_("The step is added to the plan."), "success")
    return redirect(url_for(".participant", participant_id=person.id, _anchor="plan-heading"))


@bp.route("/participants/<int:participant_id>/steps/<int:step_id>", methods=["GET", "POST"])
@staff_required("counsellor")
def edit_step(participant_id: int, step_id: int):
    """Change a step of the plan: its texts, due date, or status."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    step = plan.step_of(person, step_id)
    if step is None:
        abort(404)
    if request.method == "GET":
        form = _open_step_form(step)
    else:
        form = EditStepForm()
        seen = _sent_seen(form)
        if form.validate_on_submit():
            try:
                plan.update_step(actor, step, _step_input(form), seen=seen)
            except plan.PlanError as error:
                if error.code != "stale":
                    raise
                db.session.rollback()
                form = _shown_again(_open_step_form(step))
            else:
                db.session.commit()
                flash(_("Saved."), "success")
                return redirect(
                    url_for(".participant", participant_id=person.id, _anchor="plan-heading")
                )
        elif not form.csrf_token.errors and seen not in (None, plan.step_state(step)):
            form = _shown_again(_open_step_form(step))  # an outdated page matters more
    status = 409 if getattr(form, "outdated", None) else 422 if form.errors else 200
    return render_template(
        "counsellor/step_edit.html", participant=person, step=step, form=form
    ), status


@bp.post("/participants/<int:participant_id>/guidance-offer")
@staff_required("counsellor")
def guidance_offer(participant_id: int):
    """Record when a career guidance conversation was offered, and where."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    form = GuidanceOfferForm()
    seen = _sent_seen(form)
    if not form.validate_on_submit():
        if not form.csrf_token.errors and seen not in (None, plan.guidance_offer_state(person)):
            form = _shown_again(_open_offer_form(person))
        return _participant_page(person, offer_form=form)
    try:
        plan.set_guidance_offer(
            actor, person, form.guidance_offered_on.data, form.guidance_centre.data or "",
            seen=seen,
        )  # fmt: skip
    except plan.PlanError as error:
        if error.code != "stale":
            raise
        db.session.rollback()
        return _participant_page(person, offer_form=_shown_again(_open_offer_form(person)))
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".participant", participant_id=person.id, _anchor="plan-heading"))


@bp.get("/participants/<int:participant_id>")
@staff_required("counsellor")
def participant(participant_id: int):
    return _participant_page(access.participant_or_404(current_actor(), participant_id))


@bp.post("/participants/<int:participant_id>/programme")
@staff_required("counsellor")
def programme(participant_id: int):
    """Record the participant's programme and the dates of its first steps."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    form = ProgrammeForm()
    seen = _sent_seen(form)
    if not form.validate_on_submit():
        if not form.csrf_token.errors and seen not in (None, participants.programme_state(person)):
            form = _shown_again(_open_programme_form(person))
        return _participant_page(person, programme_form=form)
    try:
        participants.set_programme(
            actor,
            person,
            form.programme.data or None,
            form.programme_start.data,
            form.mapping_completed_on.data,
            form.guidance_completed_on.data,
            seen=seen,
        )
    except participants.ParticipantError as error:
        if error.code != "stale":
            raise
        db.session.rollback()
        return _participant_page(person, programme_form=_shown_again(_open_programme_form(person)))
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".participant", participant_id=person.id))


@bp.post("/participants/<int:participant_id>/counsellor")
@staff_required("counsellor")
def reassign(participant_id: int):
    """Give the participant another counsellor of the municipality (the lead only)."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    if not actor.is_lead:
        abort(404)  # only the lead reassigns; for others the action does not exist
    form = ReassignForm()
    chosen = form.validate_on_submit()
    if not chosen and not form.csrf_token.errors:  # not an id at all: not one of theirs either
        form.counsellor_id.errors = [
            _("Choose a counsellor in your municipality. The participant keeps their counsellor.")
        ]
    if not chosen:
        return _participant_page(person, reassign_form=form)
    try:
        participants.reassign(actor, person, db.session.get(StaffUser, form.counsellor_id.data))
    except participants.ParticipantError:
        db.session.rollback()
        form.counsellor_id.errors = [
            _("Choose a counsellor in your municipality. The participant keeps their counsellor.")
        ]
        return _participant_page(person, reassign_form=form)
    db.session.commit()
    flash(_("%(participant)s now has %(name)s as counsellor.", participant=person.display_name,
            name=person.counsellor.name), "success")  # fmt: skip
    return redirect(url_for(".participant", participant_id=person.id))


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
    body = privacy.export(person, complete=True)
    audit.record(actor, "participant.export", f"participant:{person.id}")
    db.session.commit()
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False, indent=2, allow_nan=False),
        mimetype="application/json",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="participant-{person.id}.json"'
    return response


@bp.get("/participants/<int:participant_id>/print")
@staff_required("counsellor")
def print_record(participant_id: int):
    """The participant's record on paper: programme, plan, shared resources and every
    response, the questions in the counsellor's and the participant's language side by side."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    reads.record_print(actor, person)
    db.session.commit()
    lang = str(get_locale())
    second = person.language if person.language != lang else None
    responses = db.session.scalars(
        sa.select(Response)
        .options(selectinload(Response.reviews), joinedload(Response.version))
        .where(Response.participant_id == person.id)
        .order_by(Response.created_at)
    ).all()
    answered = [
        (
            response,
            [
                section
                for section in answer_sections(
                    response.version.definition, response.answers, lang, second=second,
                    text_languages=response.text_languages or {},
                )
                if section.answered
            ],
        )
        for response in responses
    ]  # fmt: skip
    return render_template(
        "counsellor/print.html",
        participant=person,
        answered=answered,
        next_steps=plan.steps_of(person),
        shared=sharing.shared_with(person, lang),
        programmes=PROGRAMME_LABELS,
        labels=REVIEW_LABELS,
        responsible_labels=RESPONSIBLE_LABELS,
        step_labels=STEP_STATUS_LABELS,
        lang=lang,
        second=second,
        printed_at=utcnow(),
    )


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
    privacy.empty_log()
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
    if not access.fills_counsellor_forms(actor, person):
        abort(404)  # a lead's look at another counsellor's participant: theirs to fill in
    response = response_service.start(person, questionnaire, author=actor)
    db.session.commit()
    return redirect(url_for("fill.resume", response_id=response.id))


@bp.post("/participants/<int:participant_id>/meeting/<slug>")
@staff_required("counsellor")
def fill_together(participant_id: int, slug: str):
    """Open (or start) the participant's questionnaire to fill in with them in a meeting."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    questionnaire = next(
        (q for q in questionnaire_service.participant_questionnaires(person) if q.slug == slug),
        None,
    )
    if questionnaire is None or questionnaire.latest is None:
        abort(404)  # not one of the participant's questionnaires
    if response_service.open_draft(person, questionnaire) is None and not (
        questionnaire_service.may_start(person, questionnaire)
    ):
        abort(404)  # the participant's own start rule: retired, or not offered to them now
    response = response_service.start(person, questionnaire, author=actor, occasion="meeting")
    if not access.may_fill_in_meeting(actor, response):
        db.session.rollback()
        abort(404)
    audit.record(actor, "response.meeting", f"response:{response.id}", person.municipality_id)
    db.session.commit()
    return redirect(url_for("fill.meeting", response_id=response.id))


def _comment_error(error: comments.CommentError, kind: str, length: int) -> str:
    """Word why a comment was refused, in the reader's language."""
    if error.code == "too_long" and kind == "message":
        return _(
            "A message to the participant can be at most %(limit)s characters long. "
            "Yours has %(length)s.",
            limit=comments.LIMITS["message"], length=length,
        )  # fmt: skip
    if error.code == "too_long":
        return _(
            "A note can be at most %(limit)s characters long. Yours has %(length)s.",
            limit=comments.LIMITS["note"], length=length,
        )  # fmt: skip
    if error.code == "unseen":
        return _(
            "The participant does not see this questionnaire, so a message to them here would "
            "never reach them. Write an internal note, or write the message on one of their "
            "own questionnaires."
        )
    if error.code == "too_late":
        return _(
            "A comment can be changed for %(minutes)s minutes after it is written. "
            "This one can no longer be changed.",
            minutes=comments.EDIT_MINUTES,
        )
    if error.code == "empty":
        return _("A comment cannot be empty: write it in the box.")
    return _("Please write something.")


def _view_args() -> dict[str, str]:
    """How the response page is shown, as its address says: the participant's language beside
    the reader's, skipped questions too. The page's forms post to addresses of their own with
    it and come back to it, so that a comment refused, or added, leaves the page as it was
    (without it a refused comment showed the answers in one language only)."""
    return {name: "1" for name in ("beside", "hidden") if request.args.get(name) == "1"}


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


def _open_review_form(form: ReviewForm, response: Response) -> ReviewForm:
    """Fill the review form as the response stands now: the status it starts from, the note
    and the follow-up message in force (saving a note keeps the message), and that state."""
    form.seen.data = reviews.review_state(response)
    form.status.data = response.review_default
    form.note.data = response.review.note if response.review else ""
    form.message.data = reviews.follow_up_message(response)
    return form


def _outdated_review_form(form: ReviewForm, response: Response) -> None:
    """Show the review form again on the response as it stands now, keeping what was typed,
    with the status it starts from now (never the outdated one: it could open answers the
    participant has just sent for changes again) and why nothing was saved."""
    form.seen.data = reviews.review_state(response)
    form.status.data = response.review_default
    form.status.errors = [_review_error("stale")]
    form.outdated = True  # answered 409, like an outdated conflict settlement


@bp.route("/responses/<uuid:response_id>", methods=["GET", "POST"])
@staff_required("counsellor")
def review(response_id):
    actor = current_actor()
    response = access.response_or_404(actor, str(response_id))
    form = ReviewForm()
    if request.method == "GET":
        _open_review_form(form, response)
    elif form.validate_on_submit():
        try:
            revisions.retrying(
                lambda: reviews.add_review(
                    response, actor, form.status.data, form.note.data or "",
                    form.message.data or "", seen=form.seen.data or "",
                )
            )  # fmt: skip
        except reviews.ReviewError as error:
            db.session.rollback()
            db.session.refresh(response)
            if error.code == "stale":
                _outdated_review_form(form, response)
            elif error.code == "message_without_follow_up":
                form.message.errors = [_review_error(error.code)]
            else:
                form.status.errors = [_review_error(error.code)]
            return _review_page(response, form=form)
        flash(_("The review is saved."), "success")
        return redirect(url_for(".review", response_id=response.id, **_view_args()))
    elif not form.csrf_token.errors and form.seen.data != reviews.review_state(response):
        _outdated_review_form(form, response)  # an outdated page matters more than the rest
    return _review_page(response, form=form)


def _review_error(code: str) -> str:
    """Word why a review cannot be saved now, in the reader's language."""
    if code == "stale":
        return _(
            "The response changed after you opened this page: the participant sent the "
            "answers again, or another review was saved. Nothing was changed. Check the "
            "status and save the review again."
        )
    if code == "message_without_follow_up":
        return _(
            "A message here goes to the participant with “Follow-up needed” only. Choose "
            "that status, or empty the message box and write to the participant under "
            "Comments. Nothing was changed."
        )
    if code == "in_follow_up":
        return _(
            "The participant is changing the answers after your request for follow-up. "
            "You can change the message to them now, and the status when they send the "
            "answers again. Nothing was changed."
        )
    if code == "unseen":
        return _(
            "The participant does not see this questionnaire, so a message to them here would "
            "never reach them. Leave the message empty. Nothing was changed."
        )
    if code == "not_sent":
        return _("The participant has not sent these answers yet, so they cannot be "
                 "reviewed. Nothing was changed.")  # fmt: skip
    return _("This review cannot be saved. Nothing was changed.")


@bp.post("/responses/<uuid:response_id>/comments")
@staff_required("counsellor")
def add_comment(response_id):
    """Add a note between staff, or a message to the participant, to the response's thread."""
    actor = current_actor()
    response = access.response_or_404(actor, str(response_id))
    form = CommentForm()
    if form.validate_on_submit():
        body = form.body.data or ""
        try:
            comments.add(response, actor, form.kind.data, body)
        except comments.CommentError as error:
            db.session.rollback()
            form.body.errors = [_comment_error(error, form.kind.data, len(body.strip()))]
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(
                url_for(".review", response_id=response.id, _anchor="comments", **_view_args())
            )
    return _review_page(response, comment_form=form)


@bp.route("/responses/<uuid:response_id>/comments/<int:comment_id>", methods=["GET", "POST"])
@staff_required("counsellor")
def edit_comment(response_id, comment_id: int):
    """Change one's own comment, for a while after writing it."""
    actor = current_actor()
    response = access.response_or_404(actor, str(response_id))
    comment = next((c for c in comments.thread(response) if c.id == comment_id), None)
    if comment is None or comment.author_id != actor.id:
        abort(404)  # another's comment cannot be changed: for them there is nothing here
    form = EditCommentForm()
    if request.method == "GET":
        form.body.data = comment.body
    editable = comments.may_edit(comment, actor)
    if not editable:
        form.body.errors = [_comment_error(comments.CommentError("too_late"), comment.kind, 0)]
    elif form.validate_on_submit():
        body = form.body.data or ""
        try:
            comments.edit(comment, actor, body)
        except comments.CommentError as error:
            db.session.rollback()
            form.body.errors = [_comment_error(error, comment.kind, len(body.strip()))]
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(
                url_for(".review", response_id=response.id, _anchor="comments", **_view_args())
            )
    if request.method == "GET":
        status = 200
    else:
        status = 409 if not editable else 422
    return render_template(
        "counsellor/comment_edit.html", response=response, comment=comment, form=form,
        editable=editable, view=_view_args(),
    ), status  # fmt: skip


@bp.post("/responses/<uuid:response_id>/share")
@staff_required("counsellor")
def share_resource(response_id):
    """Share a suggested resource with the participant, with a personal note."""
    actor = current_actor()
    response = access.response_or_404(actor, str(response_id))
    form = ShareForm()
    if form.validate_on_submit():
        try:
            sharing.share(actor, response.participant, form.resource_id.data, form.note.data or "")
        except sharing.ShareError as error:
            db.session.rollback()
            form.note.errors = [_share_error(error, len((form.note.data or "").strip()))]
        else:
            db.session.commit()
            flash(_("Shared with the participant."), "success")
            return redirect(
                url_for(".review", response_id=response.id, _anchor="suggested", **_view_args())
            )
    else:
        form.note.errors = [_("This resource cannot be shared with the participant.")]
    return _review_page(response, share_form=form)


@bp.post("/participants/<int:participant_id>/shared/<int:resource_id>/withdraw")
@staff_required("counsellor")
def withdraw_share(participant_id: int, resource_id: int):
    """Stop sharing a resource with the participant; their app no longer lists it."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    try:
        sharing.withdraw(actor, person, resource_id)
    except sharing.ShareError:
        db.session.rollback()
        flash(_("This resource is not shared with the participant. Nothing changed."), "warning")
    else:
        db.session.commit()
        flash(_("The resource is no longer shared with the participant."), "success")
    return redirect(url_for(".participant", participant_id=person.id, _anchor="shared-heading"))


def _share_error(error: sharing.ShareError, length: int) -> str:
    if error.code == "too_long":
        return _(
            "The note is too long: %(length)s characters, at most %(limit)s.",
            length=length,
            limit=sharing.NOTE_MAX,
        )
    return _("This resource cannot be shared with the participant.")


@bp.post("/responses/<uuid:response_id>/conflicts/<int:index>")
@staff_required("counsellor")
def resolve_conflict(response_id, index: int):
    """Settle one sync conflict by keeping one of its two values, as a recorded revision; or,
    when neither fits the response's version any more, close it (``keep`` is "neither")."""
    actor = current_actor()
    response = access.response_or_404(actor, str(response_id))
    form = ResolveForm()
    if not form.validate_on_submit():
        # A form without its revision or question (or an expired one) is out of date.
        stale = form.revision.errors or form.question.errors or form.csrf_token.errors
        return _review_page(response, resolve_error=(index, "stale" if stale else "choice"))
    closing = form.keep.data == conflicts.NEITHER
    settle = conflicts.close if closing else revisions.resolve_conflict
    choice = {} if closing else {"keep": form.keep.data or ""}
    try:
        revisions.retrying(
            lambda: settle(
                response,
                revisions.Author("staff", actor),
                index=index,
                question=form.question.data,
                seen=form.revision.data,
                **choice,
            )
        )
    except revisions.NotFound:
        abort(404)
    except (revisions.Conflict, revisions.Invalid) as error:
        db.session.rollback()
        db.session.refresh(response)
        return _review_page(response, resolve_error=(index, error.code))
    if closing:
        flash(_("The conflict is closed. No answer was changed."), "success")
    else:
        flash(_("The conflict is settled. The participant's phone gets the answer you kept "
                "the next time it syncs."), "success")  # fmt: skip
    return redirect(
        url_for(".review", response_id=response.id, _anchor="conflicts-heading", **_view_args())
    )


def _resolve_error(code: str) -> str:
    """Word why a conflict could not be settled, in the reader's language."""
    if code == "resolved":
        return _("This conflict is already settled. Nothing was changed.")
    if code == "stale":
        return _(
            "The answers changed after you opened this page. Nothing was changed: look at "
            "the two answers again and choose."
        )
    if code == "answers":
        return _(
            "That answer no longer fits the questionnaire, so it cannot be kept. "
            "Nothing was changed."
        )
    return _("Choose one of the two answers to keep. Nothing was changed.")


def _texts_language(definition, lang: str) -> str:
    """Return the language a questionnaire's texts are shown in for a reader of ``lang``."""
    found = definition.text_with_language("/title", lang)
    return found[1] if found else definition.source_language


def _review_page(
    response: Response,
    form: ReviewForm | None = None,
    comment_form: CommentForm | None = None,
    share_form: ShareForm | None = None,
    resolve_error: tuple[int, str] | None = None,
):
    actor = current_actor()
    reads.record_response(actor, response)
    db.session.commit()
    lang = str(get_locale())
    if form is None:
        form = _open_review_form(ReviewForm(formdata=None), response)
    if comment_form is None:
        comment_form = CommentForm(formdata=None)
    definition = response.version.definition
    participant_lang = response.participant.language
    # The languages the questions come out in: a language the questionnaire has no texts in
    # falls back (to its source language, say), and the same texts twice are no second language.
    texts_lang = _texts_language(definition, lang)
    offer_beside = _texts_language(definition, participant_lang) != texts_lang
    beside = request.args.get("beside") == "1" and offer_beside
    show_hidden = request.args.get("hidden") == "1"
    thread = comments.thread(response)
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
            include_hidden=show_hidden,
        ),
        beside=beside,
        offer_beside=offer_beside,
        texts_lang=texts_lang,
        show_hidden=show_hidden,
        conflicts=_conflict_rows(response, lang),
        open_conflicts=revisions.open_conflicts(response.conflicts),
        resolve_error=resolve_error and (resolve_error[0], _resolve_error(resolve_error[1])),
        left_behind=_left_behind(response, lang),
        form=form,
        comment_form=comment_form,
        thread=thread,
        editable={c.id for c in thread if comments.may_edit(c, actor)},
        labels=REVIEW_LABELS,
        suggestions=resources.suggest(
            definition,
            response.answers,
            response.participant.municipality.county,
            response.participant.municipality_id,
        ),
        lang=lang,
        participant_lang=participant_lang,
        view=_view_args(),
        share_form=share_form,
        shared={s.id: s for s in sharing.shared_with(response.participant, lang)},
    ), _review_status(form, comment_form, share_form, resolve_error)


def _definitions(version_ids) -> dict[int, object]:
    """Return the definitions of these questionnaire versions, by id."""
    found = {}
    for version_id in {v for v in version_ids if v is not None}:
        version = db.session.get(QuestionnaireVersion, version_id)
        if version is not None:
            found[version_id] = version.definition
    return found


def _conflict_rows(response: Response, lang: str) -> list:
    """The response's conflicts, each worded with the texts of the version it was given on."""
    described = conflicts.describe(response)
    if not described:
        return []
    definitions = _definitions(c.version_id for c in described)
    return conflict_rows(response.version.definition, described, lang, definitions)


def _review_status(form, comment_form, share_form, resolve_error) -> int:
    if resolve_error is not None:
        return 409 if resolve_error[1] in ("resolved", "stale") else 422
    if getattr(form, "outdated", False):
        return 409
    failed = form.errors or comment_form.errors or (share_form and share_form.errors)
    return 422 if failed else 200


@bp.get("/responses/<uuid:response_id>/history")
@staff_required("counsellor")
def history(response_id):
    """Every revision of a response (who, when) and what changed between any two."""
    actor = current_actor()
    response = access.response_or_404(actor, str(response_id))
    reads.record_response(actor, response)
    db.session.commit()
    lang = str(get_locale())
    numbers = [r.number for r in response.revisions]
    form = RevisionsForm(request.args)
    choices = [SelectChoice(n, _("Revision %(number)s", number=n)) for n in numbers]
    form.first.choices, form.second.choices = choices, choices
    if not (request.args and form.validate()):
        form.first.data = numbers[-2] if len(numbers) > 1 else numbers[0]
        form.second.data = numbers[-1]
    by_number = {r.number: r for r in response.revisions}
    before, after = by_number[form.first.data], by_number[form.second.data]
    return render_template(
        "counsellor/history.html",
        response=response,
        definition=response.version.definition,
        revisions=list(reversed(response.revisions)),
        form=form,
        before=before,
        after=after,
        changes=revision_changes(
            response.version.definition,
            before,
            after,
            lang,
            _definitions([before.version_id, after.version_id]),
        ),  # fmt: skip
        closed_conflicts={
            c["resolved"].get("revision")
            for c in response.conflicts or []
            if (c.get("resolved") or {}).get("keep") == conflicts.NEITHER
        },
        lang=lang,
    )


def _progress_choices(families: list[progress_service.Family], lang: str) -> dict:
    """Return the responses to choose from, grouped by questionnaire (optgroups)."""
    return {
        family.responses[-1].version.definition.text("/title", lang): [
            (
                r.id,
                _("Started %(date)s (version %(number)s)",
                  date=date_filter(r.created_at, "long"), number=r.version.number),
            )
            for r in family.responses
        ]
        for family in families
    }  # fmt: skip


def _progress_error(code: str) -> str:
    """Word why two responses cannot be compared, in the reader's language."""
    if code == "same":
        return _("Choose two different responses to compare.")
    if code == "participant":
        return _("Both responses must be this participant's. Choose two of theirs.")
    if code == "questionnaire":
        return _(
            "These responses answer different questionnaires, so they cannot be compared. "
            "Choose two responses to the same questionnaire."
        )
    return _("One of the chosen responses was not found. Choose two from the lists.")


@bp.get("/participants/<int:participant_id>/progress")
@staff_required("counsellor")
def progress(participant_id: int):
    """Two of the participant's responses to one questionnaire, months apart, question by
    question: the mapping's progress questions first, then other changes, then the rest."""
    actor = current_actor()
    person = access.participant_or_404(actor, participant_id)
    lang = str(get_locale())
    families = progress_service.families(person)
    form = ProgressForm(request.args)
    form.first.choices = form.second.choices = _progress_choices(families, lang)
    chosen, problem = None, None
    if "first" in request.args or "second" in request.args:
        try:
            chosen = progress_service.pair(
                person, access.caseload_query(actor), form.first.data or "",
                form.second.data or "",
            )  # fmt: skip
        except progress_service.ProgressError as error:
            problem = _progress_error(error.code)
    elif (default := progress_service.default_pair(families)) is not None:
        chosen = (*default, families[0].is_mapping)
        form.first.data, form.second.data = default[0].id, default[1].id
    context = {"participant": person, "form": form, "families": families, "problem": problem,
               "lang": lang}  # fmt: skip
    if chosen is None:
        return render_template("counsellor/progress.html", **context), (422 if problem else 200)
    before, after, mapping = chosen
    reads.record_response(actor, before)
    reads.record_response(actor, after)
    db.session.commit()
    rows = progress_rows(before, after, lang)
    key = set(progress_service.KEY_QUESTIONS) if mapping else set()
    return render_template(
        "counsellor/progress.html",
        before=before,
        after=after,
        key_rows=[r for r in rows if r.question in key],
        changed=[r for r in rows if r.question not in key and (r.changed or r.only)],
        unchanged=[r for r in rows if r.question not in key and not (r.changed or r.only)],
        **context,
    )


def _export_form() -> tuple[ExportForm, dict[int, object]]:
    """Return the export form with its choices: the versions the counsellor may export."""
    actor = current_actor()
    form = ExportForm(request.args)
    lang = str(get_locale())
    versions = {v.id: v for v in exports.exportable_versions(actor)}
    form.version.choices = [
        SelectChoice(
            v.id,
            _("%(title)s, version %(number)s",
              title=v.definition.text("/title", lang), number=v.number),
        )
        for v in versions.values()
    ]  # fmt: skip
    form.language.choices = [SelectChoice("", _("Any")), *_language_choices()]
    form.label_language.choices = _language_choices()
    if form.label_language.data is None:
        form.label_language.data = lang
    return form, versions


def _export_labels(lang: str) -> exports.Labels:
    """Return the texts of a labelled export, in ``lang`` (whatever the page's language)."""
    with force_locale(lang):
        headers = {
            "response": _("Response"), "participant_id": _("Participant number"),
            "participant": _("Participant"), "language": _("Language"),
            "programme": _("Programme"), "state": _("State"), "version": _("Version"),
            "started_at": _("Started (UTC)"), "saved_at": _("Last saved (UTC)"),
            "submitted_at": _("Submitted (UTC)"),
        }  # fmt: skip
        return exports.Labels(
            lang=lang,
            headers=headers,
            programmes={k: str(v) for k, v in PROGRAMME_LABELS.items()},
            states={k: str(v) for k, v in PROGRESS_LABELS.items()},
            yes=_("Yes"),
            no=_("No"),
            item=_item_header_in(lang),
        )


def _item_header_in(lang: str):
    def item(group: str, number: int, question: str) -> str:
        with force_locale(lang):
            return _("%(group)s %(number)s: %(question)s", group=group, number=number,
                     question=question)  # fmt: skip

    return item


def _export_error(error: exports.ExportError) -> str:
    if error.code == "dates":
        return _("The period ends before it starts. Check the two dates.")
    return _(
        "No response matches this filter, so there is nothing to export. "
        "Choose another state, programme, language or period."
    )


@bp.get("/exports")
@staff_required("counsellor")
def exports_page():
    """Choose a questionnaire version and a filter; the file comes from ``export_responses``."""
    form, _versions = _export_form()
    return render_template("counsellor/exports.html", form=form, problem=None)


@bp.get("/exports/responses")
@staff_required("counsellor")
def export_responses():
    """Send the filtered responses of one version as CSV or XLSX, and audit the export."""
    actor = current_actor()
    form, versions = _export_form()
    problem = None
    if form.validate():
        try:
            chosen = exports.ExportFilter(
                version_id=form.version.data,
                state=form.state.data or "",
                programme=form.programme.data or "",
                language=form.language.data or "",
                saved_from=form.saved_from.data,
                saved_to=form.saved_to.data,
            )
            labels = (
                _export_labels(form.label_language.data) if form.values.data == "labels" else None
            )
            tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
            table = exports.table(access.caseload_query(actor), tz, chosen, labels)
        except exports.ExportError as error:
            problem = _export_error(error)
        else:
            exports.record(
                actor, access.caseload_query(actor), tz, chosen, form.format.data,
                form.values.data, form.label_language.data,
            )  # fmt: skip
            db.session.commit()
            return _export_file(versions[chosen.version_id], table, form.format.data)
    return render_template("counsellor/exports.html", form=form, problem=problem), 422


def _export_file(version, table: exports.Table, fmt: str) -> HTTPResponse:
    name = f"{version.questionnaire.slug}-v{version.number}-{_today().isoformat()}.{fmt}"
    if fmt == "csv":
        body = spreadsheets.csv_chunks(table.header, table.rows())
        mimetype = "text/csv"  # Werkzeug adds "; charset=utf-8" to a text/* type
    else:
        body = spreadsheets.xlsx_chunks(version.questionnaire.slug, table.header, table.rows())
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HTTPResponse(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
