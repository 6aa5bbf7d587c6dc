"""Questionnaire files in and out of the builder: import into a new draft or over a draft,
and export a draft (versions are exported from the questionnaire list)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from ..auth import current_actor, staff_required
from ..extensions import db
from ..questionnaires import uploads
from ..services import builder
from .forms import ImportForm, ImportOverForm
from .messages import edit_message, upload_message
from .views import bp, draft_or_404


def read_upload(data: bytes) -> dict:
    """Return the document in an uploaded file, or raise ``UploadRefused``."""
    kind = uploads.kind_of(data)
    if kind == "xls":
        raise uploads.UploadRefused("xls")
    if kind == "xlsx":
        raise uploads.UploadRefused("not_spreadsheet")
    return uploads.read_json_document(data, builder.MAX_DOCUMENT_BYTES)


def _problems_note(count: int) -> None:
    if count:
        flash(_("Imported, with problems to fix: %(count)s. Each is shown at its element.",
                count=count), "warning")  # fmt: skip
    else:
        flash(_("Imported, with no problems."), "success")


@bp.post("/import")
@staff_required("administrator")
def import_new():
    """A JSON document (or an XLSForm) becomes a new questionnaire's draft."""
    form = ImportForm()
    if not form.validate_on_submit():
        flash(_("Please choose a file."), "error")
        return redirect(url_for("admin.questionnaires"))
    try:
        document = read_upload(form.document.data.read())
        questionnaire = builder.import_new(current_actor(), document)
    except uploads.UploadRefused as refused:
        flash(upload_message(refused.code, refused.params), "error")
        return redirect(url_for("admin.questionnaires"))
    except builder.DraftTooLarge:
        db.session.rollback()
        flash(upload_message("too_large"), "error")
        return redirect(url_for("admin.questionnaires"))
    problems = builder.problems_of(questionnaire.draft)
    db.session.commit()
    _problems_note(len(problems))
    return redirect(url_for(".edit", slug=questionnaire.slug))


@bp.post("/<slug>/import")
@staff_required("administrator")
def import_over(slug: str):
    """A JSON document replaces the draft; a file that cannot be read changes nothing."""
    draft = draft_or_404(slug)
    form = ImportOverForm()
    if not form.validate_on_submit():
        flash(_("Please choose a file."), "error")
        return redirect(url_for(".edit", slug=slug))
    try:
        data = form.document.data.read()
        if uploads.kind_of(data) != "json":
            raise uploads.UploadRefused("json_object")
        document = uploads.read_json_document(data, builder.MAX_DOCUMENT_BYTES)
        result = builder.import_over(draft, current_actor(), form.revision.data, document)
        db.session.commit()
    except uploads.UploadRefused as refused:
        flash(upload_message(refused.code, refused.params), "error")
    except builder.StaleDraft:
        db.session.rollback()
        flash(edit_message("stale"), "error")
    except builder.AudienceMismatch:
        db.session.rollback()
        flash(upload_message("audience"), "error")
    except builder.DraftTooLarge:
        db.session.rollback()
        flash(upload_message("too_large"), "error")
    else:
        _problems_note(len(result.problems))
    return redirect(url_for(".edit", slug=slug))


@bp.get("/<slug>/draft.export.json")
@staff_required("administrator")
def export_draft(slug: str):
    draft = draft_or_404(slug)
    body = builder.export_draft(draft, current_actor())
    db.session.commit()
    return (
        body,
        200,
        {
            "Content-Type": "application/json; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{slug}-draft-r{draft.revision}.json"',
        },
    )
