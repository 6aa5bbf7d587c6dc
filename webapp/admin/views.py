"""Questionnaires, versions and resources. Administrators never see answers."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
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
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from .. import access
from ..auth import current_actor, staff_required
from ..builder.forms import ImportForm, NewQuestionnaireForm
from ..builder.messages import (
    CHECK_STOPPED,
    problem_views,
    type_change_message,
    upload_message,
)
from ..extensions import db
from ..i18n import choices as language_choices
from ..i18n import interface_report, own_name
from ..models import QuestionAudio, Questionnaire, Resource, StaffUser
from ..models.types import utcnow
from ..public_url import public_url
from ..questionnaires import check_document, translation, uploads
from ..questionnaires.check import stopped_early
from ..services import (
    accounts,
    audio,
    audit,
    builder,
    notifications,
    push_delivery,
    resource_editing,
    resource_texts,
    totp,
)
from ..services import questionnaires as questionnaire_service
from .forms import (
    AudioForm,
    ColleagueForm,
    OfferForm,
    RequireTwoStepForm,
    UploadForm,
    resource_form,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
ROOT = Path(__file__).resolve().parent.parent.parent


@bp.route("/questionnaires", methods=["GET", "POST"])
@staff_required("administrator")
def questionnaires():
    form = UploadForm()
    problems: list[dict] = []
    partial = False
    if form.validate_on_submit():
        try:
            document = uploads.read_json_document(
                form.document.data.read(), builder.MAX_DOCUMENT_BYTES
            )
        except uploads.UploadRefused as refused:
            problems = [_said(upload_message(refused.code, refused.params))]
        else:
            if form.publish.data:
                return _publish_upload(form, document)
            found = check_document(document)
            problems = problem_views(found, document)
            partial = stopped_early(found)
            if not problems:  # what publishing would refuse too: "no problems" promises it
                other_audience, type_changes = builder.upload_refusals(current_actor(), document)
                if other_audience:
                    problems = [_said(upload_message("audience"))]
                problems += [_said(type_change_message(c)) for c in type_changes]
        if not problems:
            flash(_("The file has no problems."), "success")
    status = 422 if problems or form.errors else 200
    return _listing(form, problems, partial), status


def _said(message: str) -> dict[str, str | None]:
    """A refusal that is about the whole file, shown like a problem without a place."""
    return {"message": message, "pointers": []}


def _publish_upload(form: UploadForm, document: dict):
    """Publish an uploaded file by the builder's rules (``builder.publish_document``); show
    what stops it as the builder's publish page says it."""
    admin = current_actor()
    try:
        result = builder.publish_document(admin, document)
        audit.record(admin, "questionnaire.upload", result.slug)
        db.session.commit()
    except builder.PublishRefused as refused:
        db.session.rollback()
        problems = problem_views(refused.problems, document)
        problems += [_said(type_change_message(c)) for c in refused.type_changes]
        return _listing(form, problems, stopped_early(refused.problems)), 422
    except builder.AudienceMismatch:
        db.session.rollback()
        return _listing(form, [_said(upload_message("audience"))]), 422
    except builder.DraftTooLarge:
        db.session.rollback()
        return _listing(form, [_said(upload_message("too_large"))]), 422
    except questionnaire_service.OwnershipError:
        db.session.rollback()
        message = _(
            "The name %(slug)s belongs to a national template or another "
            "municipality. Copy the template, or give the file another slug.",
            slug=document["slug"],
        )
        return _listing(form, [_said(message)]), 422
    except IntegrityError:  # another administrator published (or made) it a moment ago
        db.session.rollback()
        message = _(
            "Someone else published this questionnaire at the same moment. Look at the "
            "latest version before you publish again."
        )
        return _listing(form, [_said(message)]), 422
    if result.created:
        flash(
            _("Published %(slug)s version %(number)s.", slug=result.slug,
              number=result.version.number),
            "success",
        )  # fmt: skip
        withheld = result.version.withheld_languages
        if withheld:
            flash(
                _("Participants will not be offered these languages in this version, because "
                  "texts are missing: %(languages)s. Those who use them read the questionnaire "
                  "in Norwegian (or another language they know that is complete). Translate "
                  "the missing texts and publish again to offer them.",
                  languages=", ".join(own_name(lang) for lang in withheld)),
                "info",
            )  # fmt: skip
    else:
        flash(_("Nothing changed: this is the same as the latest version."), "info")
    return redirect(url_for(".questionnaires"))


def _listing(form: UploadForm, problems: list, partial: bool = False) -> str:
    """The questionnaire list, with an uploaded file's problems (``partial``: the check
    stopped at some of them, so more may come once they are fixed)."""
    admin = current_actor()
    listing = questionnaire_service.listed_for_admin(admin)
    return render_template(
        "admin/questionnaires.html",
        questionnaires=listing,
        draft_titles=questionnaire_service.draft_titles(listing),
        form=form,
        problems=problems,
        partial=partial,
        check_stopped=CHECK_STOPPED,
        new_form=NewQuestionnaireForm(),
        import_form=ImportForm(),
        offer_form=OfferForm,
        may_edit=lambda q: questionnaire_service.may_edit(admin, q),
    )


def visible_or_404(slug: str) -> Questionnaire:
    """Return a questionnaire the administrator sees (their own or a template), else 404."""
    questionnaire = db.session.scalar(
        questionnaire_service.visible_to_admin(current_actor()).where(Questionnaire.slug == slug)
    )
    if questionnaire is None:
        abort(404)
    return questionnaire


def own_or_404(slug: str) -> Questionnaire:
    """Return one of the administrator's municipality's questionnaires, else 404."""
    questionnaire = visible_or_404(slug)
    if not questionnaire_service.may_edit(current_actor(), questionnaire):
        abort(404)
    return questionnaire


@bp.post("/questionnaires/<slug>/copy")
@staff_required("administrator")
def copy(slug: str):
    """Copy a template (or an own questionnaire) into the municipality, as a draft."""
    source = visible_or_404(slug)
    if source.latest is None:
        abort(404)
    made = questionnaire_service.copy_questionnaire(current_actor(), source)
    db.session.commit()
    flash(_("Copied. This is your municipality's own questionnaire now."), "success")
    return redirect(url_for("builder.edit", slug=made.slug))


@bp.post("/questionnaires/<slug>/offer")
@staff_required("administrator")
def offer(slug: str):
    questionnaire = own_or_404(slug)
    form = OfferForm(prefix=slug)
    if not form.validate_on_submit():
        abort(400)
    questionnaire_service.set_offer(current_actor(), questionnaire, form.offered_to.data)
    db.session.commit()
    flash(_("Saved who is offered the questionnaire."), "success")
    return redirect(url_for(".questionnaires"))


@bp.post("/questionnaires/<slug>/retire")
@staff_required("administrator")
def retire(slug: str):
    questionnaire = own_or_404(slug)
    if questionnaire.retired_at is None:
        questionnaire_service.retire(current_actor(), questionnaire)
        flash(_("Retired: nobody can start it now. Answers already given stay."), "success")
    else:
        questionnaire_service.reopen(current_actor(), questionnaire)
        flash(_("Participants can start it again."), "success")
    db.session.commit()
    return redirect(url_for(".questionnaires"))


@bp.get("/questionnaires/<slug>/<int:number>.json")
@staff_required("administrator")
def export(slug: str, number: int):
    visible_or_404(slug)
    version = questionnaire_service.find_version(slug, number)
    if version is None:
        abort(404)
    body = json.dumps(version.exported(), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{slug}-v{number}.json"'},
    )


@bp.get("/resources")
@staff_required("administrator")
def resources():
    """National resources (read-only) and the municipality's own, which it manages."""
    admin = current_actor()
    listing = db.session.scalars(resource_editing.visible_to_admin(admin)).all()
    return render_template(
        "admin/resources.html",
        resources=listing,
        may_edit=lambda r: resource_editing.may_edit(admin, r),
        region_label=resource_editing.region_label,
        owner_name=resource_editing.owner_name,
        toggle_form=FlaskForm(),
    )


def own_resource_or_404(resource_id: int) -> Resource:
    """Return one of the administrator's municipality's resources, else 404."""
    resource = db.session.get(Resource, resource_id)
    if resource is None or not resource_editing.may_edit(current_actor(), resource):
        abort(404)
    return resource


def _resource_input(form) -> resource_editing.ResourceInput:
    languages = current_app.config["LANGUAGES"]
    tags, _bad = resource_editing.parse_tags(form.tags.data or "")
    return resource_editing.ResourceInput(
        url=form.url.data.strip(),
        title={lang: (form[f"title_{lang}"].data or "").strip() for lang in languages},
        description={lang: (form[f"description_{lang}"].data or "").strip() for lang in languages},
        tags=tags,
        region=form.region.data,
        audience=form.audience.data,
        active=form.active.data,
    )


@bp.route("/resources/new", methods=["GET", "POST"])
@staff_required("administrator")
def new_resource():
    form = resource_form(current_app.config["LANGUAGES"])
    if form.validate_on_submit():
        resource = resource_editing.create(current_actor(), _resource_input(form))
        db.session.commit()
        flash(_("The resource is saved."), "success")
        return redirect(url_for(".resources", _anchor=f"resource-{resource.id}"))
    return render_template("admin/resource_edit.html", form=form, resource=None), (
        422 if form.errors else 200
    )


@bp.route("/resources/<int:resource_id>", methods=["GET", "POST"])
@staff_required("administrator")
def edit_resource(resource_id: int):
    resource = own_resource_or_404(resource_id)
    languages = current_app.config["LANGUAGES"]
    stored = {
        "url": resource.url,
        "tags": ", ".join(resource.tags),
        "region": "municipality" if resource.region_municipality_id else "county",
        "audience": resource.audience,
        "active": resource.active,
        **{f"title_{lang}": resource.title.get(lang, "") for lang in languages},
        **{f"description_{lang}": resource.description.get(lang, "") for lang in languages},
    }
    form = resource_form(languages, data=stored)
    if form.validate_on_submit():
        resource_editing.update(current_actor(), resource, _resource_input(form))
        db.session.commit()
        flash(_("The resource is saved."), "success")
        return redirect(url_for(".resources", _anchor=f"resource-{resource.id}"))
    return render_template("admin/resource_edit.html", form=form, resource=resource), (
        422 if form.errors else 200
    )


@bp.post("/resources/<int:resource_id>/active")
@staff_required("administrator")
def toggle_resource(resource_id: int):
    """Stop suggesting a resource, or suggest it again."""
    resource = own_resource_or_404(resource_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    resource_editing.set_active(current_actor(), resource, not resource.active)
    db.session.commit()
    if resource.active:
        flash(_("The resource is active again."), "success")
    else:
        flash(_("The resource is no longer suggested."), "success")
    return redirect(url_for(".resources", _anchor=f"resource-{resource.id}"))


@bp.get("/translations")
@staff_required("administrator")
def translations():
    """How complete each language is: the interface, each questionnaire, the resources."""
    languages = current_app.config["LANGUAGES"]
    rows = []
    for lang, stats in interface_report(ROOT / "translations", languages).items():
        rows.append((_("Interface"), lang, stats))
    for questionnaire in questionnaire_service.listed_for_admin(current_actor()):
        if questionnaire.latest is None:
            continue
        # The cached definition's document: the stored one, read once per process.
        document = questionnaire.latest.definition.document
        title = questionnaire.latest.definition.text("/title", str(get_locale()))
        for stats in translation.report(document, languages):
            rows.append((title, stats.lang, stats))
    # The resources this administrator sees (national ones and their municipality's), as on
    # /admin/resources: another municipality's are not theirs to count or translate.
    resources = db.session.scalars(resource_editing.visible_to_admin(current_actor())).all()
    listing = {"resources": [{"slug": r.slug, "title": r.title, "description": r.description}
                             for r in resources]}  # fmt: skip
    for stats in resource_texts.report(listing, languages):
        rows.append((_("Resources"), stats.lang, stats))
    return render_template("admin/translations.html", rows=rows, own_name=own_name)


@bp.route("/audio", methods=["GET", "POST"])
@staff_required("administrator")
def audio_clips():
    """Recorded questions: one clip per question and language, played instead of a voice."""
    admin = current_actor()
    questionnaires = [
        q
        for q in questionnaire_service.listed_for_admin(admin)
        if q.latest is not None
        and q.audience == "participant"
        and questionnaire_service.may_edit(admin, q)
    ]
    lang = str(get_locale())
    form = AudioForm()
    form.question.choices, form.lang.choices = [], []  # until a questionnaire is chosen
    form.questionnaire.choices = [
        SelectChoice(q.slug, q.latest.definition.text("/title", lang) or q.slug)
        for q in questionnaires
    ]
    chosen = next(
        (q for q in questionnaires if q.slug == (form.questionnaire.data or "")), None
    ) or (questionnaires[0] if questionnaires else None)
    if chosen is not None:
        definition = chosen.latest.definition
        form.question.choices = [
            SelectChoice(qid, f"{qid}: {definition.text(q.title_pointer, lang)}")
            for qid, q in definition.questions.items()
        ]
        form.lang.choices = [SelectChoice(code, own_name(code)) for code in definition.languages]
    status = 200
    if form.validate_on_submit() and chosen is not None:
        try:
            audio.store_clip(
                chosen, form.question.data, form.lang.data, form.clip.data.read(), current_actor()
            )
        except audio.AudioRejected as error:
            form.clip.errors = [AUDIO_ERRORS[error.code]()]
            status = 422
        else:
            db.session.commit()
            flash(_("The recording is saved."), "success")
            return redirect(url_for(".audio_clips"))
    elif form.errors:
        status = 422
    clips = db.session.scalars(
        sa.select(QuestionAudio)
        .where(QuestionAudio.questionnaire_id.in_([q.id for q in questionnaires]))
        .order_by(QuestionAudio.question_id, QuestionAudio.lang)
    ).all()
    return render_template(
        "admin/audio.html", form=form, clips=clips, clip_url=audio.clip_url, own_name=own_name
    ), status


@bp.route("/staff", methods=["GET", "POST"])
@staff_required("administrator")
def staff():
    """List the municipality's staff, and add a colleague (who sets a password with a link)."""
    admin = current_actor()
    form = _colleague_form()
    if request.method == "GET":
        form.language.data = str(get_locale())
    if form.validate_on_submit():
        try:
            colleague, token = accounts.add_colleague(
                admin, form.email.data, form.name.data, form.role.data, form.language.data,
                current_app.config["SECRET_KEY"],
            )  # fmt: skip
            db.session.commit()
        except (accounts.EmailTaken, IntegrityError):  # or added at this very moment
            db.session.rollback()
            form.email.errors = [_("There is already a staff account with this e-mail address.")]
        else:
            return _render_password_link(colleague, token)
    return _staff_page(form), 422 if form.errors else 200


def _colleague_form() -> ColleagueForm:
    form = ColleagueForm()
    form.municipality_id = current_actor().municipality_id
    form.language.choices = [
        SelectChoice(code, name, render_kw={"lang": code.replace("_", "-"), "dir": direction})
        for code, name, direction in language_choices(current_app.config["LANGUAGES"])
    ]
    return form


def _staff_page(form: ColleagueForm) -> str:
    admin = current_actor()
    colleagues = db.session.scalars(
        sa.select(StaffUser)
        .where(StaffUser.municipality_id == admin.municipality_id)
        .order_by(StaffUser.name, StaffUser.id)
    ).all()
    return render_template(
        "admin/staff.html",
        staff=colleagues,
        form=RequireTwoStepForm(formdata=None, required=admin.municipality.require_totp),
        colleague_form=form,
        admin=admin,
        link_days=accounts.PASSWORD_LINK_DAYS,
        now=utcnow(),
    )


def _render_password_link(colleague: StaffUser, token: str) -> str:
    """Show a password link this once: only its hash is kept, so a page, not a redirect."""
    url = public_url("auth.set_password", token=token)
    return render_template("admin/staff_link.html", colleague=colleague, url=url)


@bp.post("/staff/<int:staff_id>/password-link")
@staff_required("administrator")
def password_link(staff_id: int):
    """Make a fresh link for a colleague to set their password (a forgotten one)."""
    colleague = access.colleague_or_404(current_actor(), staff_id)
    if not colleague.active:
        flash(
            _("%(name)s is deactivated. Activate the account before you make a password link.",
              name=colleague.name),
            "warning",
        )  # fmt: skip
        return redirect(url_for(".staff"))
    token = accounts.new_password_link(current_actor(), colleague, current_app.config["SECRET_KEY"])
    db.session.commit()
    return _render_password_link(colleague, token)


@bp.post("/staff/<int:staff_id>/deactivate")
@staff_required("administrator")
def deactivate_colleague(staff_id: int):
    """Close a colleague's account; they are signed out everywhere at once."""
    colleague = access.colleague_or_404(current_actor(), staff_id)
    try:
        accounts.deactivate_colleague(current_actor(), colleague)
    except accounts.LastAdministrator:
        db.session.rollback()
        flash(
            _("The municipality must keep at least one active administrator, so %(name)s stays "
              "active.", name=colleague.name),
            "warning",
        )  # fmt: skip
        return redirect(url_for(".staff"))
    db.session.commit()
    flash(_("%(name)s is deactivated and signed out everywhere.", name=colleague.name), "success")
    return redirect(url_for(".staff"))


@bp.post("/staff/<int:staff_id>/activate")
@staff_required("administrator")
def activate_colleague(staff_id: int):
    """Open a colleague's closed account again: they sign in with their password."""
    colleague = access.colleague_or_404(current_actor(), staff_id)
    accounts.activate_colleague(current_actor(), colleague)
    db.session.commit()
    flash(
        _("%(name)s is active again and can sign in with their password.", name=colleague.name),
        "success",
    )
    return redirect(url_for(".staff"))


@bp.get("/deliveries")
@staff_required("administrator")
def deliveries():
    """Pushes that could not be delivered, for good, to the municipality's people: nothing is
    dropped without an administrator being able to see it (the inbox entries stay)."""
    admin = current_actor()
    return render_template(
        "admin/deliveries.html",
        failed=push_delivery.failed(admin.municipality_id),
        counts=push_delivery.counts(admin.municipality_id),
        label_for=notifications.label_for,
    )


@bp.post("/staff/two-step")
@staff_required("administrator")
def require_two_step():
    admin = current_actor()
    form = RequireTwoStepForm()
    if not form.validate_on_submit():
        abort(400)
    municipality = admin.municipality
    totp.set_required(municipality, form.required.data, admin)
    db.session.commit()
    if municipality.require_totp:
        flash(
            _(
                "Staff of %(municipality)s must now use two-step sign-in.",
                municipality=municipality.name,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Two-step sign-in is now optional for staff of %(municipality)s.",
                municipality=municipality.name,
            ),
            "success",
        )
    return redirect(url_for(".staff"))


@bp.post("/staff/<int:staff_id>/reset-two-step")
@staff_required("administrator")
def reset_two_step(staff_id: int):
    """Recovery for a lost phone: clear a colleague's two-step sign-in, sign them out."""
    colleague = access.colleague_or_404(current_actor(), staff_id)
    totp.reset(colleague, current_actor())
    db.session.commit()
    flash(
        _(
            "Two-step sign-in was reset for %(name)s, who is now signed out everywhere. They "
            "can sign in with their password and set it up again.",
            name=colleague.name,
        ),
        "success",
    )
    return redirect(url_for(".staff"))


AUDIO_ERRORS = {
    "question": lambda: _("This question is not in the questionnaire."),
    "language": lambda: _("The questionnaire is not translated into this language."),
    "empty": lambda: _("The file is empty."),
    "size": lambda: _("The file is larger than 2 MB."),
    "type": lambda: _("The file is not a recording we can play (MP3, Ogg, WebM, M4A or WAV)."),
}
