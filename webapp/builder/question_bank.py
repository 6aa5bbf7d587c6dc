"""The question bank page: search the published questions an administrator sees and copy one
into the draft."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..auth import current_actor, staff_required
from ..extensions import db
from ..questionnaires.editing import EditError, sections_of
from ..services import builder
from ..services import questionnaires as questionnaire_service
from .forms import BankCopyForm, BankSearchForm
from .messages import edit_message, widget_names
from .views import bp, draft_or_404


def _sections(draft) -> list[tuple[str, str]]:
    return [
        (str(s.get("id")), str(s.get("title") or s.get("id"))) for s in sections_of(draft.document)
    ]


@bp.route("/<slug>/bank", methods=["GET", "POST"])
@staff_required("administrator")
def bank(slug: str):
    draft = draft_or_404(slug)
    admin = current_actor()
    search = BankSearchForm(request.args)
    copy = BankCopyForm()
    copy.section.choices = _sections(draft)
    status = 200
    if request.method == "POST":
        if copy.validate_on_submit():
            version = questionnaire_service.find_version(copy.slug.data, copy.number.data)
            try:
                if version is None:
                    raise LookupError(copy.slug.data)
                result = builder.copy_from_bank(
                    draft, admin, copy.revision.data, version, copy.question.data,
                    copy.section.data,
                )  # fmt: skip
                db.session.commit()
            except LookupError:
                db.session.rollback()
                flash(edit_message("no_question"), "error")
                status = 404
            except builder.StaleDraft:
                db.session.rollback()
                flash(edit_message("stale"), "error")
                status = 409
            except (EditError, builder.DraftTooLarge) as error:
                db.session.rollback()
                flash(edit_message(error if isinstance(error, EditError) else "too_large"), "error")
                status = 422
            else:
                flash(_("Copied into the draft as “%(id)s”.", id=result.result), "success")
                return redirect(url_for(".edit", slug=slug))
        else:
            status = 422
            flash(edit_message("no_section" if copy.section.errors else "no_question"), "error")
    words = (search.q.data or "").strip() if search.validate() else ""
    hits = builder.search_bank(admin, words, str(get_locale())) if words else []
    return render_template(
        "builder/bank.html",
        draft=draft,
        search=search,
        hits=hits,
        words=words,
        sections=_sections(draft),
        widgets=dict(widget_names()),
    ), status
