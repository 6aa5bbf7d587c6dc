"""Plain-language messages for answer errors, in the reader's language."""

from __future__ import annotations

from flask_babel import gettext as _

from ..questionnaires import AnswerError
from ..questionnaires.definition import Question


def message_for(error: AnswerError, question: Question | None = None) -> str:
    """Return one sentence telling the person what to change."""
    limit = error.params.get("limit")
    widget = question.widget if question else None
    code = error.code
    if code == "required":
        return _("Please answer this question.")
    if code == "type":
        if widget == "number":
            return _("Please write a number, for example 3.")
        if widget == "date":
            return _("Please give a date.")
        return _("This answer has the wrong form. Please answer again.")
    if widget == "scale" and code in ("minimum", "maximum"):
        return _("Please choose one of the options.")
    if code == "format":
        return _("Please give a real date, for example 2024-03-31.")
    if code == "minimum":
        return _("The number must be %(limit)s or more.", limit=limit)
    if code == "maximum":
        return _("The number must be %(limit)s or less.", limit=limit)
    if code == "multiple_of":
        return _("The number must be a multiple of %(limit)s.", limit=limit)
    if code == "min_length":
        return _("Please write at least %(limit)s characters.", limit=limit)
    if code == "max_length":
        return _("Please write at most %(limit)s characters.", limit=limit)
    if code == "min_items":
        return _("Please choose or add at least %(limit)s.", limit=limit)
    if code == "max_items":
        return _("Please choose or add at most %(limit)s.", limit=limit)
    if code == "pattern":
        return _("This answer is not in the expected form.")
    if code == "choice":
        return _("Please choose one of the options.")
    if code == "unique":
        return _("Each option can be chosen only once.")
    if code == "unknown":
        return _("This is not a question in this questionnaire.")
    return _("This answer is not valid. Please check it.")
