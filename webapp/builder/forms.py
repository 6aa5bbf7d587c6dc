"""The builder's forms (its operations are JSON, parsed in views.py)."""

from __future__ import annotations

import hashlib

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange
from wtforms.widgets import HiddenInput

from ..form_fields import TextBoxField, at_most
from ..i18n import lazy_gettext as _l
from ..questionnaires.translation import MAX_TRANSLATION


class NewQuestionnaireForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please write a title.")), at_most(200)]
    )
    audience = RadioField(
        _l("Who fills it in"),
        choices=[
            SelectChoice("participant", _l("Filled in by the participant")),
            SelectChoice("counsellor", _l("Filled in by the counsellor")),
        ],
        default="participant",
    )


class TranslationFilterForm(FlaskForm):
    """Which texts the translation view lists (read from the query string, no CSRF)."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Show"),
        choices=[
            SelectChoice("", _l("Every text")),
            SelectChoice("missing", _l("Missing")),
            SelectChoice("outdated", _l("Out of date")),
            SelectChoice("current", _l("Up to date")),
        ],
        default="",
        validate_choice=False,
    )
    section = SelectField(_l("Section"), default="", validate_choice=False)


class PoUploadForm(FlaskForm):
    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    po_file = FileField(
        _l("PO file from the translator"),
        validators=[FileRequired(_l("Please choose a file."))],
        description=_l(
            "Texts whose Norwegian source changed since the file was made are skipped and listed."
        ),
    )


def field_name(pointer: str) -> str:
    """Return a form field name for a text (pointers hold / and ~, names should not)."""
    return "t" + hashlib.sha256(pointer.encode("utf-8")).hexdigest()[:16]


def translation_form(pointers: list[str], outdated: set[str]) -> type[FlaskForm]:
    """Return a form with a translation box per text, and a *still fits* box per outdated one."""

    class TranslationForm(FlaskForm):
        revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    for pointer in pointers:
        setattr(
            TranslationForm,
            field_name(pointer),
            TextBoxField(validators=[at_most(MAX_TRANSLATION)]),
        )
        if pointer in outdated:
            setattr(TranslationForm, "c" + field_name(pointer)[1:], BooleanField())
    return TranslationForm


class ImportForm(FlaskForm):
    """A questionnaire file (JSON, or an XLSForm spreadsheet) that becomes a new draft."""

    document = FileField(
        _l("Questionnaire file (JSON or XLSForm .xlsx)"),
        validators=[FileRequired(_l("Please choose a file."))],
        description=_l(
            "It becomes a new draft of your municipality. Problems in it are shown in the "
            "builder, at the element they concern."
        ),
        id="import-document",  # beside the check form's "document" on the questionnaire list
    )


class ImportOverForm(FlaskForm):
    """A JSON document that replaces the draft."""

    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    document = FileField(
        _l("Questionnaire file (JSON)"),
        validators=[FileRequired(_l("Please choose a file."))],
        description=_l(
            "It replaces the whole draft (the published versions stay as they are). A file "
            "that cannot be read changes nothing."
        ),
    )


class BankSearchForm(FlaskForm):
    """Words to look for in the question bank (the query string, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Words in the question"), validators=[at_most(200)])


class BankCopyForm(FlaskForm):
    """Copy one found question into a section of the draft."""

    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    slug = StringField(widget=HiddenInput(), validators=[InputRequired(), at_most(64)])
    number = IntegerField(
        widget=HiddenInput(), validators=[InputRequired(), NumberRange(1, 2**31 - 1)]
    )  # a database integer: a larger number cannot name a version
    question = StringField(widget=HiddenInput(), validators=[InputRequired(), at_most(64)])
    section = SelectField(_l("Into section"), validate_choice=True)
