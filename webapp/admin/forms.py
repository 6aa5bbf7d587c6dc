"""Administrator forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectChoice, SelectField


class UploadForm(FlaskForm):
    document = FileField(
        _l("Questionnaire file (JSON)"),
        validators=[FileRequired(_l("Please choose a file."))],
        description=_l("The file is checked first. Nothing is published if it has problems."),
    )
    publish = BooleanField(_l("Publish as a new version if the check passes"))


class AudioForm(FlaskForm):
    questionnaire = SelectField(_l("Questionnaire"))
    question = SelectField(_l("Question"))
    lang = SelectField(_l("Language"))
    clip = FileField(
        _l("Recording"),
        validators=[FileRequired(_l("Please choose a file."))],
        description=_l("MP3, Ogg, WebM, M4A or WAV, at most 2 MB. It replaces an earlier one."),
    )


class OfferForm(FlaskForm):
    offered_to = SelectField(
        _l("Offered to"),
        choices=[
            SelectChoice("none", _l("Nobody yet")),
            SelectChoice("all", _l("Every participant")),
            SelectChoice("assigned", _l("Participants a counsellor assigns it to")),
        ],
    )


class RequireTwoStepForm(FlaskForm):
    required = BooleanField(
        _l("Staff must use two-step sign-in"),
        description=_l(
            "Staff who have not set it up are asked to do so before they can open any other page."
        ),
    )
