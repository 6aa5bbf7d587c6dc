"""What every template can use: the page language and direction, and the signed-in actor."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import get_locale
from markupsafe import Markup, escape

from . import i18n
from .auth import current_actor
from .models import Participant, StaffUser
from .questionnaires.names import text_direction
from .security_headers import csp_nonce


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


def qboth(definition, pointer: str | None, lang: str, side_by_side: bool | str | None) -> Markup:
    """Return a text and, when asked for, the same text in a second language beside it.

    ``side_by_side`` True: the Norwegian source (a participant learning the words); a language
    code: that language (a counsellor filling in with the participant in a meeting).
    """
    shown = qtext(definition, pointer, lang)
    if not side_by_side or not pointer:
        return shown
    second = side_by_side if isinstance(side_by_side, str) else definition.source_language
    original = definition.text(pointer, second)
    if not original or original == definition.text(pointer, lang):
        return shown
    return shown + Markup(' <span class="nb-text" lang="{}" dir="{}">{}</span>').format(
        second.replace("_", "-"), text_direction(second), original
    )


def bdi(text: object) -> Markup:
    """Isolate a person's text (a name, an answer) so a right-to-left override or other bidi
    control character in it cannot reverse the text around it."""
    return Markup("<bdi>{}</bdi>").format(text)


def isolate(text: object) -> str:
    """Isolate a person's text in plain text (a page title), where <bdi> cannot go: FIRST
    STRONG ISOLATE ... POP DIRECTIONAL ISOLATE are what <bdi> does, as characters."""
    return f"\u2068{text}\u2069"


def picto(name: str | None) -> Markup:
    """Return a pictogram to put beside a text (decorative: the text carries the meaning)."""
    if not name:
        return Markup("")
    return Markup('<span class="picto picto-{}" aria-hidden="true"></span> ').format(name)


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
        "qboth": qboth,
        "language_name": lambda code: i18n.language_name(code, lang),
        "picto": picto,
        "csp_nonce": csp_nonce,
        "side_by_side": (
            isinstance(actor, Participant) and actor.show_norwegian and not lang.startswith("nb")
        ),
    }


def init_app(app: Flask) -> None:
    app.context_processor(_context)
    # Flask-Babel's own callables, with the catalog found through i18n.catalog (faster).
    app.jinja_env.install_gettext_callables(
        gettext=i18n.gettext,
        ngettext=lambda s, p, n: i18n.catalog().ungettext(s, p, n),
        pgettext=lambda c, s: i18n.catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: i18n.catalog().unpgettext(c, s, p, n),
        newstyle=True,
    )
    formats = app.extensions["babel"].instance.date_formats
    if all(formats[f"{kind}.{name}"] is None for kind in ("date", "datetime")
           for name in i18n.NAMED_FORMATS):  # fmt: skip
        app.add_template_filter(i18n.date_filter, "dateformat")
        app.add_template_filter(i18n.datetime_filter, "datetimeformat")
    app.add_template_filter(bdi)
    app.add_template_filter(isolate)
