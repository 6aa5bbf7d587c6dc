"""What every template can use: the page language and direction, and the signed-in actor."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import get_locale
from markupsafe import Markup, escape

from . import i18n
from .auth import current_actor
from .models import Participant, StaffUser
from .questionnaires.names import text_direction


def qtext(definition, pointer: str | None, lang: str) -> Markup:
    """Return a questionnaire text as HTML, marked with its language when it is a fallback."""
    found = definition.text_with_language(pointer, lang)
    if not found:
        return Markup("")
    text, text_lang = found
    if text_lang == lang:
        return escape(text)
    return Markup('<span lang="{}" dir="{}">{}</span>').format(
        text_lang.replace("_", "-"), text_direction(text_lang), text
    )


def _context() -> dict:
    lang = str(get_locale())
    actor = current_actor()
    return {
        "page_lang": lang.replace("_", "-"),
        "page_dir": text_direction(lang),
        "actor": actor,
        "is_participant": isinstance(actor, Participant),
        "is_staff": isinstance(actor, StaffUser),
        "language_choices": i18n.choices(current_app.config["LANGUAGES"]),
        "current_path": request.full_path.rstrip("?"),
        "qtext": qtext,
    }


def init_app(app: Flask) -> None:
    app.context_processor(_context)
