"""Questionnaire files in and out of the builder: import into a new draft or over a draft,
and export a draft (versions are exported from the questionnaire list)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..auth import current_actor, staff_required
from ..extensions import db
from ..questionnaires import Problem, uploads, xlsform
from ..questionnaires.check import stopped_early
from ..services import builder
from .forms import ImportForm, ImportOverForm
from .messages import CHECK_STOPPED, edit_message, report_line, upload_message
from .views import bp, draft_or_404


def read_upload(data: bytes) -> tuple[dict, list[xlsform.ReportLine] | None]:
    """Return the document in an uploaded file (and, for an XLSForm, the import report), or
    raise ``UploadRefused``."""
    kind = uploads.kind_of(data)
    if kind == "xls":
        raise uploads.UploadRefused("xls")
    if kind == "xlsx":
        return xlsform.read_xlsform(data)
    return uploads.read_json_document(data, builder.MAX_DOCUMENT_BYTES), None


def _problems_note(problems: list[Problem]) -> None:
    if problems:
        flash(_("Imported, with problems to fix: %(count)s. Each is shown at its element.",
                count=len(problems)), "warning")  # fmt: skip
        if stopped_early(problems):
            flash(str(CHECK_STOPPED), "warning")
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
        document, report = read_upload(form.document.data.read())
        op = "import_json" if report is None else "import_xlsform"
        questionnaire = builder.import_new(current_actor(), document, op)
    except uploads.UploadRefused as refused:
        flash(upload_message(refused.code, refused.params), "error")
        return redirect(url_for("admin.questionnaires"))
    except builder.DraftTooLarge:
        db.session.rollback()
        flash(upload_message("too_large"), "error")
        return redirect(url_for("admin.questionnaires"))
    problems = builder.problems_of(questionnaire.draft)
    db.session.commit()
    if report is not None:
        lines = [(line.sheet, line.row, report_line(line)) for line in xlsform.report_lines(report)]
        stopped = CHECK_STOPPED if stopped_early(problems) else None
        return render_template(
            "builder/import_report.html", questionnaire=questionnaire, lines=lines,
            problems=len(problems), check_stopped=stopped,
        )  # fmt: skip
    _problems_note(problems)
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
        _problems_note(result.problems)
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
