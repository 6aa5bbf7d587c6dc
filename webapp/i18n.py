"""Interface languages: names in their own language, direction, and catalog completeness."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError, dates
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from flask import g
from flask_babel import format_date, format_datetime, get_locale, get_timezone, get_translations
from flask_babel.speaklater import LazyString

from .questionnaires.names import text_direction
from .questionnaires.translation import LanguageReport


# Names come from Babel's locale data, which never changes while the process runs; parsing a
# Locale per name on every page was a measurable share of a page (issue 12). Bounded, because
# codes can come from documents and requests.
@lru_cache(maxsize=1024)
def own_name(code: str) -> str:
    """Return a language's name in that language (fa_AF is دری, Dari, not "Persian (AF)").

    A code the locale data does not know (a draft's JSON can name any) is shown as it is.
    """
    try:
        locale = Locale.parse(code)
    except (UnknownLocaleError, ValueError, TypeError):
        return str(code)
    name = locale.languages.get(code) or locale.get_display_name(code) or code
    return name[:1].upper() + name[1:] if locale.text_direction == "ltr" else name


@lru_cache(maxsize=4096)
def language_name(code: str, in_lang: str) -> str:
    """Return the name of language ``code`` in language ``in_lang`` (from Babel's data)."""
    try:
        names = Locale.parse(in_lang).languages
    except (ValueError, TypeError):
        names = {}
    return names.get(code) or names.get(code.split("_")[0]) or code


def catalog() -> NullTranslations:
    """Return the request's catalog: what ``flask_babel.get_translations`` returns, found faster.

    Flask-Babel finds it on every call: ``g`` three times, the locale, and the locale's name
    formatted as a key (about 20 µs on the reference machine). A caseload page of 50 rows asks
    for about 270 strings (issue 12). The catalog is remembered here in Flask-Babel's state for
    the request, next to the locale object it was found for. ``force_locale`` and ``refresh``
    put another locale object (or none) there, so a remembered catalog never answers for
    another language (tests/test_i18n_shortcuts.py).
    """
    state = getattr(g, "_flask_babel", None) if g else None
    if state is not None:
        remembered = getattr(state, "loype_catalog", None)
        if remembered is not None and remembered[0] is getattr(state, "babel_locale", None):
            return remembered[1]
    found = get_translations()
    state = getattr(g, "_flask_babel", None) if g else None
    if state is not None:
        state.loype_catalog = (get_locale(), found)
    return found


def gettext(string: str, **variables) -> str:
    """Flask-Babel's ``gettext``, with the catalog found through ``catalog``."""
    text = catalog().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    """Flask-Babel's ``lazy_gettext`` (a text translated when it is shown), through
    ``gettext`` above: a form's labels and choices are lazy texts, and the caseload's filter
    form shows about 40 of them (issue 12). Extracted under the keyword ``_l`` as before."""
    return LazyString(gettext, string, **variables)


NAMED_FORMATS = ("short", "medium", "long", "full")

#: Dates are written as they are in Norway, where the service is. English as it is written
#: here (CLDR's en_NO: 04/12/2026, 09:05): plain "en" is American English, where the 4th of
#: December is 12/4/26, 9:05 AM and a counsellor reads the 12th of April.
REGIONAL = {"en": "en_NO"}
#: Languages the browser has no date formats for (Chromium 156: nn, ti, so, ps, ckb): the app on
#: the phone writes their short dates and times as bokmål does (static/js/app/screen.js), and so
#: do the server's pages, so a participant reads one date the same way on /me/ and in the app.
#: Their own CLDR formats would differ: Tigrinya's puts the month first (12/4/26, 9:05 ቅ.ቀ. for
#: the 4th of December), Somali's has a two-digit year and a 12-hour clock (04/12/26 9:05 GH),
#: Pashto's and Sorani's put the year first. Their longer formats name the month in a word and
#: stay their own.
SHORT_AS_BOKMAL = frozenset({"nn", "ti", "so", "ps", "ckb"})


@lru_cache(maxsize=64)
def date_locale(locale: Locale) -> Locale:
    """The locale dates and times are written in for a page in ``locale`` (see REGIONAL)."""
    regional = REGIONAL.get(str(locale))
    return Locale.parse(regional) if regional else locale


@lru_cache(maxsize=256)
def _date_pattern(kind: str, name: str, locale: Locale) -> dates.DateTimePattern:
    """The pattern Babel applies for a named format: for a date and time, the locale's way of
    joining its date and time patterns ("{1}, {0}"), filled in once, so a value is formatted
    with one pattern instead of two and a join."""
    if name == "short" and locale.language in SHORT_AS_BOKMAL:
        locale = Locale.parse("nb")
    if kind == "date":
        return dates.parse_pattern(locale.date_formats[name])
    joined = locale.datetime_formats[name]
    return dates.parse_pattern(
        joined.replace("{0}", locale.time_formats[name].pattern).replace(
            "{1}", locale.date_formats[name].pattern
        )
    )


def _locale_and_zone():
    state = getattr(g, "_flask_babel", None) if g else None
    locale = getattr(state, "babel_locale", None) or get_locale()
    return (
        date_locale(locale) if locale is not None else None,
        getattr(state, "babel_tzinfo", None) or get_timezone(),
    )


def _in_zone(value: datetime, zone) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return zone.normalize(value.astimezone(zone))


def date_filter(value: date | datetime | None = None, format: str | None = None) -> str:
    """Flask-Babel's ``dateformat`` filter (a datetime is shown where the page's time zone
    is), with the named formats applied as one cached pattern: a caseload page of 50 rows
    formats 150 dates and 100 times (issue 12). The same text (tests/test_i18n_shortcuts.py),
    except that the named formats are Norway's where a language's own would put the month
    first (REGIONAL, SHORT_AS_BOKMAL). Every date the server writes goes through here."""
    if format not in NAMED_FORMATS:
        return format_date(value, format)
    locale, zone = _locale_and_zone()
    if locale is None:
        return format_date(value, format)
    if value is None:  # today where the server is, as Babel's (it is not moved to a zone)
        value = date.today()
    if isinstance(value, datetime):
        value = _in_zone(value, zone).date()
    return _date_pattern("date", format, locale).apply(value, locale)


def datetime_filter(value: datetime | None = None, format: str | None = None) -> str:
    """Flask-Babel's ``datetimeformat`` filter, the same way as ``date_filter``."""
    if format not in NAMED_FORMATS:
        return format_datetime(value, format)
    locale, zone = _locale_and_zone()
    if locale is None:
        return format_datetime(value, format)
    if value is None:
        value = datetime.now(UTC)
    return _date_pattern("datetime", format, locale).apply(_in_zone(value, zone), locale)


def choices(codes: Iterable[str]) -> list[tuple[str, str, str]]:
    """Return ``(code, own name, direction)`` for each language code."""
    return list(_choices(tuple(codes)))


@lru_cache(maxsize=64)
def _choices(codes: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    return tuple((code, own_name(code), text_direction(code)) for code in codes)


def interface_report(directory: Path, languages: list[str]) -> dict[str, LanguageReport]:
    """Return, per language, the interface strings without a translation (or only fuzzy)."""
    reports = {}
    for lang in languages:
        path = directory / lang / "LC_MESSAGES" / "messages.po"
        if not path.exists():
            reports[lang] = LanguageReport(lang, 0, missing=["(no catalog)"])
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle)
        messages = [m for m in catalog if m.id]
        entry = LanguageReport(lang, len(messages))
        for message in messages:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings):
                entry.missing.append(str(message.id))
            elif message.fuzzy:
                entry.outdated.append(str(message.id))
        reports[lang] = entry
    return reports
