"""The translation view of a draft, one language at a time.

Every text with its key (the JSON Pointer), the source text, the translation and its status;
filters by status and section; translations typed in place; the PO files translators use,
downloaded and uploaded from the page (as ``flask translate form-export|form-import``).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import current_actor, staff_required
from ..extensions import db
from ..i18n import own_name
from ..models import QuestionnaireDraft
from ..questionnaires import translation
from ..questionnaires.editing import EditError, sections_of
from ..questionnaires.names import text_direction
from ..questionnaires.translation import TextRow
from ..services import builder
from .forms import (
    PoUploadForm,
    TranslationFilterForm,
    field_name,
    translation_form,
)
from .messages import edit_message
from .views import bp, draft_or_404


def _language_or_404(draft: QuestionnaireDraft, lang: str) -> None:
    if lang not in builder.translated_languages(draft.document):
        abort(404)


def _section_titles(draft: QuestionnaireDraft) -> list[tuple[str, str]]:
    return [
        (str(s.get("id", "")), str(s.get("title") or s.get("id", "")))
        for s in sections_of(draft.document)
    ]


def _filtered(rows: list[TextRow], filters: TranslationFilterForm) -> list[TextRow]:
    status, section = filters.status.data or "", filters.section.data or ""
    return [
        row
        for row in rows
        if (not status or row.status == status) and (not section or (row.section or "-") == section)
    ]


def _posted_texts(form, rows: list[TextRow]) -> dict[str, str]:
    """Return the translations the form sent: only the boxes it showed, and an unchanged
    outdated translation when *still fits* is ticked."""
    texts = {}
    for row in rows:
        box = form[field_name(row.pointer)]
        if not box.raw_data:
            continue
        text = box.data or ""
        still_fits = "c" + field_name(row.pointer)[1:]
        if row.status == translation.OUTDATED and still_fits in form and form[still_fits].data:
            texts[row.pointer] = text  # re-saved below with the current source's hash
        elif text.strip() != row.translation.strip():
            texts[row.pointer] = text
    return texts


def _page(draft, lang, rows, filters, form, upload, status=200, warnings=()):
    shown = _filtered(rows, filters)
    counts = {key: sum(1 for r in rows if r.status == key) for key in translation.STATUSES}
    titles = dict(_section_titles(draft))
    return render_template(
        "builder/translations.html",
        draft=draft,
        lang=lang,
        lang_name=own_name(lang),
        lang_dir=text_direction(lang),
        source_lang=draft.document.get("source_language", "nb"),
        source_name=own_name(draft.document.get("source_language", "nb")),
        rows=shown,
        total=len(rows),
        counts=counts,
        filters=filters,
        form=form,
        upload=upload,
        field_name=field_name,
        section_title=lambda sid: titles.get(sid, sid) if sid else _("The questionnaire"),
        warnings=warnings,
        languages=[(code, own_name(code)) for code in builder.translated_languages(draft.document)],
    ), status


def _filters() -> TranslationFilterForm:
    filters = TranslationFilterForm(request.args)
    return filters


def _with_choices(filters: TranslationFilterForm, draft: QuestionnaireDraft):
    filters.section.choices = [
        ("", _("Every section")),
        ("-", _("The questionnaire")),
        *_section_titles(draft),
    ]
    return filters


@bp.route("/<slug>/translations/<lang>", methods=["GET", "POST"])
@staff_required("administrator")
def translations(slug: str, lang: str):
    draft = draft_or_404(slug)
    _language_or_404(draft, lang)
    filters = _with_choices(_filters(), draft)
    rows = translation.text_rows(draft.document, lang)
    outdated = {r.pointer for r in rows if r.status == translation.OUTDATED}
    form = translation_form([r.pointer for r in rows], outdated)()
    upload = PoUploadForm(revision=draft.revision, formdata=None)
    if request.method == "GET":
        form.revision.data = draft.revision
        for row in rows:
            form[field_name(row.pointer)].data = row.translation
        return _page(draft, lang, rows, filters, form, upload)
    if not form.validate_on_submit():
        return _page(draft, lang, rows, filters, form, upload, 422)
    try:
        result = builder.save_translations(
            draft, current_actor(), form.revision.data, lang, _posted_texts(form, rows)
        )
        db.session.commit()
    except builder.StaleDraft:
        db.session.rollback()
        # The typed texts stay in their boxes; the form now names the current revision.
        form.revision.data = draft.revision
        flash(edit_message("stale"), "error")
        return _page(draft, lang, rows, filters, form, upload, 409)
    except (EditError, builder.DraftTooLarge) as error:
        db.session.rollback()
        flash(edit_message(error if isinstance(error, EditError) else "too_large"), "error")
        return _page(draft, lang, rows, filters, form, upload, 422)
    flash(_("Translations saved: %(count)s.", count=len(result.result)), "success")
    return redirect(url_for(".translations", slug=slug, lang=lang, **request.args))


@bp.get("/<slug>/translations/<lang>/export.po")
@staff_required("administrator")
def export_po(slug: str, lang: str):
    draft = draft_or_404(slug)
    _language_or_404(draft, lang)
    body = builder.export_translations(draft, current_actor(), lang)
    db.session.commit()
    return (
        body,
        200,
        {
            "Content-Type": "text/x-gettext-translation; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{slug}-{lang}.po"',
        },
    )


WARNINGS = {
    "unknown": lambda pointer: _("%(key)s: this text is not in the questionnaire.", key=pointer),
    "changed": lambda pointer: _(
        "%(key)s: the Norwegian text changed since the file was made; translate it again.",
        key=pointer,
    ),
    "too_long": lambda pointer: _(
        "%(key)s: the translation is longer than %(limit)s characters; it was not imported.",
        key=pointer,
        limit=translation.MAX_TRANSLATION,
    ),
    "unreadable": lambda pointer: _(
        "%(key)s: the translation holds a NUL character, which cannot be stored; it was not "
        "imported.",
        key=pointer,
    ),
    "fuzzy": lambda pointer: _(
        "%(key)s: the translation is marked fuzzy (not checked yet), so it was left as it was. "
        "Remove the mark when the translation fits the Norwegian text.",
        key=pointer,
    ),
}


@bp.post("/<slug>/translations/<lang>/import")
@staff_required("administrator")
def import_po(slug: str, lang: str):
    draft = draft_or_404(slug)
    _language_or_404(draft, lang)
    filters = _with_choices(_filters(), draft)
    rows = translation.text_rows(draft.document, lang)
    outdated = {r.pointer for r in rows if r.status == translation.OUTDATED}
    form = translation_form([r.pointer for r in rows], outdated)(formdata=None)
    form.revision.data = draft.revision
    for row in rows:
        form[field_name(row.pointer)].data = row.translation
    upload = PoUploadForm()
    if not upload.validate_on_submit():
        return _page(draft, lang, rows, filters, form, upload, 422)
    try:
        _result, warnings = builder.import_translations(
            draft, current_actor(), upload.revision.data, lang, upload.po_file.data.read()
        )
        db.session.commit()
    except builder.StaleDraft:
        db.session.rollback()
        upload.po_file.errors = [edit_message("stale")]
        return _page(draft, lang, rows, filters, form, upload, 409)
    except (EditError, builder.DraftTooLarge) as error:
        db.session.rollback()
        upload.po_file.errors = [
            edit_message(error if isinstance(error, EditError) else "too_large")
        ]
        return _page(draft, lang, rows, filters, form, upload, 422)
    rows = translation.text_rows(draft.document, lang)
    for row in rows:
        form[field_name(row.pointer)].data = row.translation
    form.revision.data = draft.revision
    upload = PoUploadForm(revision=draft.revision, formdata=None)
    flash(_("The PO file is imported."), "success")
    return _page(
        draft, lang, rows, filters, form, upload,
        warnings=[WARNINGS[w.code](w.pointer) for w in warnings],
    )  # fmt: skip
