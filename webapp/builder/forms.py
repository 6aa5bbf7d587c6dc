"""The builder's forms (its operations are JSON, parsed in views.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length


class NewQuestionnaireForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please write a title.")), Length(max=200)]
    )
    audience = RadioField(
        _l("Who fills it in"),
        choices=[
            SelectChoice("participant", _l("Filled in by the participant")),
            SelectChoice("counsellor", _l("Filled in by the counsellor")),
        ],
        default="participant",
    )
