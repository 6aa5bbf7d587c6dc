"""Plain-language messages for answer errors, in the reader's language.

``ANSWER_MESSAGES`` is the one table of these sentences. The server pages and the API word
errors with ``message_for``; the phone gets the table translated (``answer_messages``, sent by
the app shell) and picks a sentence with ``static/js/engine/messages.js``, whose English table
and rules ``tests/shared/message_cases.json`` holds to this module.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from ..questionnaires import AnswerError
from ..questionnaires.definition import Question


def N_(msgid: str) -> str:  # pybabel collects N_("…") by default
    """Mark a sentence for translation without translating it yet."""
    return msgid


#: The English sentence (the msgid) for each error code; ``type_number`` and ``type_date``
#: word a ``type`` error on a number or date question.
ANSWER_MESSAGES: dict[str, str] = {
    "required": N_("Please answer this question."),
    "type_number": N_("Please write a number, for example 3."),
    "digits": N_("Please write a number of at most %(limit)s digits."),
    "type_date": N_("Please give a date."),
    "type": N_("This answer has the wrong form. Please answer again."),
    "format": N_("Please give a real date, for example 2024-03-31."),
    "minimum": N_("The number must be %(limit)s or more."),
    "maximum": N_("The number must be %(limit)s or less."),
    "multiple_of": N_("The number must be a multiple of %(limit)s."),
    "min_length": N_("Please write at least %(limit)s characters."),
    "max_length": N_("Please write at most %(limit)s characters."),
    "min_items": N_("Please choose or add at least %(limit)s."),
    "max_items": N_("Please choose or add at most %(limit)s."),
    "pattern": N_("This answer is not in the expected form."),
    "choice": N_("Please choose one of the options."),
    "unique": N_("Each option can be chosen only once."),
    "unknown": N_("This is not a question in this questionnaire."),
    "invalid": N_("This answer is not valid. Please check it."),
}


def message_key(code: str, widget: str | None) -> str:
    """Return the ``ANSWER_MESSAGES`` key for an error ``code`` on a question of ``widget``."""
    if code == "type" and widget in ("number", "date"):
        return f"type_{widget}"
    if widget == "scale" and code in ("minimum", "maximum"):
        return "choice"  # a scale shows its bounds as options
    if code not in ANSWER_MESSAGES or code.startswith("type_"):
        return "invalid"
    return code


def _number(value: Any) -> Any:
    """Return a limit as JavaScript's String() shows it: 1.0 is 1."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def answer_messages() -> dict[str, str]:
    """Return ``ANSWER_MESSAGES`` in the reader's language, placeholders left in place."""
    return {key: gettext(msgid) for key, msgid in ANSWER_MESSAGES.items()}


def message_for(error: AnswerError, question: Question | None = None) -> str:
    """Return one sentence telling the person what to change."""
    msgid = ANSWER_MESSAGES[message_key(error.code, question.widget if question else None)]
    if "%(limit)s" not in msgid:
        return gettext(msgid)
    return gettext(msgid, limit=_number(error.params.get("limit")))
