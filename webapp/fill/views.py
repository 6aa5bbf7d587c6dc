"""Page-by-page filling: GET shows a page, POST saves it and moves on.

The same views serve the participant (participant questionnaires) and the counsellor
(counsellor questionnaires about a participant); ``access.may_edit`` decides who. A counsellor
also fills in a participant's questionnaire with them in a meeting (``/r/<id>/meeting/<page>``,
``access.may_fill_in_meeting``): the same pages, with the participant's language beside the
counsellor's, every answer recorded as given in a meeting by that member of staff.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from .. import access
from ..auth import current_actor
from ..auth.session import expired_message, sign_in_again
from ..digits import small_int
from ..extensions import db
from ..models import Participant, Response
from ..rendering.display import answer_sections
from ..rendering.fields import (
    attach_errors,
    entries_on_page,
    field_in_error,
    fields_in_error,
    form_answers,
    make_page_form,
    to_form_value,
)
from ..rendering.messages import message_for
from ..services import audio, reads, revisions
from ..services import questionnaires as questionnaire_service
from ..services import responses as response_service
from .pages import neighbour, page_numbers, refused_on_page, shown_items, shown_questions

bp = Blueprint("fill", __name__, url_prefix="/r")


def _editable(response_id: str) -> Response:
    actor = current_actor()
    if actor is None:
        abort(404)
    response = access.response_or_404(actor, response_id)
    if not access.may_edit(actor, response):
        abort(404)
    return response


def _in_meeting(response_id: str) -> Response:
    """Return a participant's response their counsellor (or the lead) fills in with them."""
    actor = current_actor()
    response = access.response_or_404(actor, response_id)
    if not access.may_fill_in_meeting(actor, response):
        abort(404)
    return response


def _beside(response: Response) -> str | None:
    """In a meeting: the participant's language, shown beside the counsellor's (if offered)."""
    theirs = response.participant.language
    offered = questionnaire_service.participant_language(response.version, theirs)
    return offered if offered != _lang(response) else None


def _home() -> str:
    actor = current_actor()
    if isinstance(actor, Participant):
        return url_for("participant.home")
    return url_for("counsellor.caseload")


def _lang(response: Response) -> str:
    """Return the language to show the response's questionnaire in: the interface language,
    unless the version does not offer it to participants (published with texts missing)."""
    return questionnaire_service.participant_language(response.version, str(get_locale()))


@bp.before_request
def _require_actor():
    if current_actor() is None:
        endpoint = sign_in_again()  # staff fill in counsellor forms and meetings here too
        if g.get("session_expired"):
            flash(expired_message(endpoint), "warning")
        else:
            flash(_("Please sign in to continue."), "info")
        return redirect(url_for(endpoint, next=request.full_path))
    return None


def _posted_base() -> int | None:
    return small_int(request.form.get("base_revision", ""))


def _most(question) -> float:
    """How many entries a group may hold (its schema's maxItems; no limit without one)."""
    limit = question.schema.get("maxItems")
    return limit if isinstance(limit, int) else float("inf")


def _render_page(
    response: Response,
    page: int,
    form=None,
    status: int = 200,
    notice=None,
    base=None,
    meeting: bool = False,
    check: bool = False,
):
    """Draw one page: from ``form`` (a post that was refused), or from the stored answers;
    ``check``: with what sending them would refuse marked (a link from the summary)."""
    definition = response.version.definition
    section = definition.sections[page - 1]
    answers = response.answers
    items = shown_items(definition, section, answers)
    questions = [i for i in items if i in definition.questions]
    if form is None:
        add = request.args.get("add")
        data = {q: to_form_value(definition.questions[q], answers.get(q)) for q in questions}
        for qid in questions:
            question = definition.questions[qid]
            if question.widget == "group":
                entries = list(data.get(qid) or [])
                if not entries or (add == qid and len(entries) < _most(question)):
                    entries.append({})
                data[qid] = entries
        # Drawn from the stored answers, also inside a POST (the page drawn again with new
        # questions): FlaskForm would read the posted fields instead, which hold no entry of a
        # group that has just appeared.
        form = make_page_form(definition, section, questions, _lang(response))(
            formdata=None, data=data
        )
        if check:
            errors = refused_on_page(definition, questions, answers)
            entries = {q: entries_on_page(answers.get(q)) for q in questions}
            attach_errors(form, errors, _message(definition), entries)
    pages = page_numbers(definition, answers)
    position = pages.index(page) + 1 if page in pages else 1
    extra = {}
    if meeting:
        # The participant's language beside the counsellor's, on every text of the page.
        extra = {
            "side_by_side": _beside(response),
            "meeting": True,
            "form_action": url_for(".meeting_save", response_id=response.id, page=page),
        }
    return render_template(
        "fill/page.html",
        **extra,
        response=response,
        definition=definition,
        section=section,
        items=items,
        form=form,
        fields_in_error=fields_in_error(form, definition),
        page=page,
        position=position,
        page_count=len(pages),
        previous_page=neighbour(definition, answers, page, -1),
        notice=notice,
        base_revision=base or response.revision,
        lang=_lang(response),
        audio=audio.clips_for(response.version.questionnaire_id, _lang(response)),
    ), status


def _message(definition):
    """Return the function that words an answer error for the question it is on."""
    return lambda error: message_for(error, definition.questions.get(error.question))


def _closed(response: Response):
    flash(_("These answers are already sent, so they cannot be changed here."), "warning")
    return redirect(url_for(".summary", response_id=response.id))


@bp.get("/<uuid:response_id>")
def resume(response_id):
    response = _editable(str(response_id))
    if response.status != "draft":
        return redirect(url_for(".summary", response_id=response.id))
    pages = page_numbers(response.version.definition, response.answers)
    return redirect(url_for(".page", response_id=response.id, page=pages[0]))


@bp.get("/<uuid:response_id>/<int:page>")
def page(response_id, page: int):
    response = _editable(str(response_id))
    definition = response.version.definition
    if response.status != "draft":
        return redirect(url_for(".summary", response_id=response.id))
    if not 1 <= page <= len(definition.sections):
        abort(404)
    if page not in page_numbers(definition, response.answers):
        following = neighbour(definition, response.answers, page, +1)
        target = url_for(".page", response_id=response.id, page=following) if following else None
        return redirect(target or url_for(".summary", response_id=response.id))
    return _render_page(response, page, check=request.args.get("check") == "1")


@bp.post("/<uuid:response_id>/<int:page>")
def save(response_id, page: int):
    return _save(_editable(str(response_id)), page)


@bp.get("/<uuid:response_id>/meeting")
def meeting(response_id):
    """Fill in the participant's questionnaire with them: from its first page."""
    response = _in_meeting(str(response_id))
    if response.status != "draft":
        return _meeting_closed(response)
    pages = page_numbers(response.version.definition, response.answers)
    return redirect(url_for(".meeting_page", response_id=response.id, page=pages[0]))


@bp.get("/<uuid:response_id>/meeting/<int:page>")
def meeting_page(response_id, page: int):
    """One page, in the counsellor's language with the participant's beside it."""
    response = _in_meeting(str(response_id))
    definition = response.version.definition
    if response.status != "draft":
        return _meeting_closed(response)
    if not 1 <= page <= len(definition.sections):
        abort(404)
    reads.record_response(current_actor(), response)
    db.session.commit()
    if page not in page_numbers(definition, response.answers):
        following = neighbour(definition, response.answers, page, +1)
        if following is None:
            return redirect(url_for("counsellor.review", response_id=response.id))
        return redirect(url_for(".meeting_page", response_id=response.id, page=following))
    return _render_page(response, page, meeting=True)


@bp.post("/<uuid:response_id>/meeting/<int:page>")
def meeting_save(response_id, page: int):
    """Save one page given in the meeting: a revision by this counsellor, "in a meeting"."""
    return _save(_in_meeting(str(response_id)), page, meeting=True)


def _meeting_closed(response: Response):
    flash(_("These answers are sent, so they cannot be changed in a meeting. Ask for "
            "follow-up on the response page to open them again."), "warning")  # fmt: skip
    return redirect(url_for("counsellor.review", response_id=response.id))


def _save(response: Response, page: int, meeting: bool = False):
    definition = response.version.definition
    if response.status != "draft":
        return _meeting_closed(response) if meeting else _closed(response)
    if not 1 <= page <= len(definition.sections):
        abort(404)
    section = definition.sections[page - 1]
    before = response.answers
    shown = shown_questions(definition, section, before)
    form = make_page_form(definition, section, shown, _lang(response))(request.form)
    action = request.form.get("action", "next")
    if action.startswith(("add:", "remove:")):
        # "add:<group>" and "remove:<group>:<entry>" name a group shown on this page (the
        # name goes into the address the page is sent back to).
        group = action.split(":")[1]
        if group not in shown or definition.questions[group].widget != "group":
            abort(400)
    answers, errors, entries = form_answers(form, definition, shown)
    if action.startswith("remove:"):
        _verb, qid, text = (action.split(":") + ["", ""])[:3]
        index = small_int(text)
        # The entry as numbered on the page: blank entries are already left out of the
        # answer, so entry 2 on the page may be item 0 of it (and a blank one is gone).
        posted = entries.get(qid, [])
        if index is not None and index in posted:
            item = posted.index(index)
            del answers[qid][item]
            del posted[item]
    actor = current_actor()
    base = _posted_base()
    receipt = None
    if errors:  # conversion errors already name the entries as posted
        entries = {}
    else:
        try:
            receipt, errors = revisions.retrying(
                lambda: response_service.save_page(
                    response,
                    actor,
                    answers,
                    shown,
                    base=base,
                    require=action == "next",
                    lang=_lang(response),
                    occasion="meeting" if meeting else None,
                )  # fmt: skip
            )
        except response_service.ResponseClosed:
            return _meeting_closed(response) if meeting else _closed(response)
    if not errors and action == "side-by-side" and isinstance(actor, Participant):
        actor.show_norwegian = not actor.show_norwegian
        db.session.commit()
        return redirect(url_for(".page", response_id=response.id, page=page))
    if errors:
        attach_errors(form, errors, _message(definition), entries)
        db.session.rollback()
        return _render_page(response, page, form=form, status=422, base=base, meeting=meeting)
    db.session.commit()
    if receipt is not None and receipt.merged:
        flash(
            _(
                "Your answers were combined with answers given on another device. "
                "Please check them."
            ),
            "info",
        )
    endpoint = ".meeting_page" if meeting else ".page"
    if action.startswith(("add:", "remove:")):
        qid = action.split(":")[1]
        add = qid if action.startswith("add:") else None
        return redirect(url_for(endpoint, response_id=response.id, page=page, add=add) + f"#{qid}")
    if action == "next" and set(shown_questions(definition, section, response.answers)) - set(
        shown
    ):
        return _render_page(
            response, page, notice=_("New questions appeared based on your answers."),
            meeting=meeting,
        )  # fmt: skip
    if action == "save" or (meeting and action == "next" and _last(definition, response, page)):
        if meeting:
            flash(_("The answers are saved. The participant sees them in the app the next "
                    "time it syncs, and sends them from there."), "success")  # fmt: skip
            return redirect(url_for("counsellor.review", response_id=response.id))
        flash(_("Your answers are saved. You can continue later."), "success")
        return redirect(_home())
    step = -1 if action == "back" else +1
    target = neighbour(definition, response.answers, page, step)
    if target is None:
        if step > 0:
            return redirect(url_for(".summary", response_id=response.id))
        target = page
    return redirect(url_for(endpoint, response_id=response.id, page=target))


def _last(definition, response: Response, page: int) -> bool:
    return neighbour(definition, response.answers, page, +1) is None


@bp.get("/<uuid:response_id>/summary")
def summary(response_id):
    response = _editable(str(response_id))
    definition = response.version.definition
    return render_template(
        "fill/summary.html",
        response=response,
        definition=definition,
        sections=answer_sections(definition, response.answers, _lang(response)),
        lang=_lang(response),
        errors=[],
    )


@bp.post("/<uuid:response_id>/submit")
def submit(response_id):
    response = _editable(str(response_id))
    definition = response.version.definition
    if response.status != "draft":
        return redirect(url_for(".summary", response_id=response.id))
    try:
        errors = revisions.retrying(lambda: response_service.submit(response, current_actor()))
    except response_service.ResponseClosed:
        return redirect(url_for(".summary", response_id=response.id))
    if errors:
        db.session.rollback()
        listed = []
        for error in errors:
            section = definition.section_of(error.question)
            listed.append(
                (
                    field_in_error(definition, response.answers, error),
                    _message(definition)(error),
                    section.index + 1 if section else None,
                )
            )
        return render_template(
            "fill/summary.html",
            response=response,
            definition=definition,
            sections=answer_sections(definition, response.answers, _lang(response)),
            lang=_lang(response),
            errors=listed,
        ), 422
    db.session.commit()
    flash(_("Thank you! Your answers are sent."), "success")
    return redirect(_home())
