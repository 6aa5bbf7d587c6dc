"""Country and language names from Babel's locale data (CLDR), never hand-written lists."""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache

from babel import Locale, UnknownLocaleError
from babel.localedata import locale_identifiers

# Two-letter CLDR territory codes that are not places a person comes from.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})


@lru_cache(maxsize=256)  # parsed once per language; bounded, as ``lang`` may come from a request
def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("nb")


@cache
def country_codes() -> frozenset[str]:
    """Return the ISO 3166 alpha-2 codes a country answer may take."""
    return frozenset(
        code
        for code in Locale.parse("en").territories
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )


@cache
def language_codes() -> frozenset[str]:
    """Return the language codes a language answer may take: every CLDR language."""
    identifiers = set(locale_identifiers())
    known = Locale.parse("en").languages
    codes = {ident.split("_")[0] for ident in identifiers if ident != "root"}
    # Regional variants with a name of their own (fa_AF is Dari, which has no locale code).
    codes |= {code for code in known if "_" in code and code in identifiers}
    return frozenset(code for code in codes if code in known)


@cache
def country_names(lang: str) -> tuple[tuple[str, str], ...]:
    """Return ``(code, name)`` pairs in ``lang``, sorted by name."""
    names = _locale(lang).territories
    pairs = [(code, names.get(code, code)) for code in country_codes()]
    return tuple(sorted(pairs, key=lambda pair: pair[1].casefold()))


@cache
def language_names(lang: str) -> tuple[tuple[str, str], ...]:
    """Return ``(code, name)`` pairs in ``lang``, sorted by name.

    A regional variant the locale data does not name (``es_419`` in bokmål) is named from its
    language and place in ``lang`` ("spansk (Latin-Amerika)"). A language it does not name at
    all keeps its English name. In a language not written in Latin letters, the names in Latin
    letters (those, and a few the data gives so) come after the others instead of heading the
    list: in Dari, 14 English names were its first choices.
    """
    locale = _locale(lang)
    names = locale.languages
    english = Locale.parse("en").languages
    pairs = []
    for code in language_codes():
        name = names.get(code)
        if not name and "_" in code:
            name = Locale.parse(code).get_display_name(locale)
        pairs.append((code, name or english[code]))
    if _in_latin_letters(locale.display_name or ""):
        return tuple(sorted(pairs, key=lambda pair: pair[1].casefold()))
    return tuple(sorted(pairs, key=lambda pair: (_in_latin_letters(pair[1]), pair[1].casefold())))


def _in_latin_letters(text: str) -> bool:
    """Return whether a text's letters are all Latin ones (å and ø too; a modifier letter such
    as the ʼ of Qʼeqchiʼ belongs to no script)."""
    return all(
        unicodedata.name(ch, "").startswith("LATIN")
        for ch in text
        if unicodedata.category(ch) in ("Lu", "Ll", "Lt", "Lo")
    )


def text_direction(lang: str) -> str:
    """Return ``"rtl"`` or ``"ltr"`` for a language code, from the locale data."""
    return _locale(lang).text_direction
