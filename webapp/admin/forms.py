"""Administrator forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField


class UploadForm(FlaskForm):
    document = FileField(
        _l("Questionnaire file (JSON)"),
        validators=[FileRequired(_l("Please choose a file."))],
        description=_l("The file is checked first. Nothing is published if it has problems."),
    )
    publish = BooleanField(_l("Publish as a new version if the check passes"))
