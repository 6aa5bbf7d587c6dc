"""Interface languages: names in their own language, direction, and catalog completeness."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

from .questionnaires.names import text_direction
from .questionnaires.translation import LanguageReport


# Names come from Babel's locale data, which never changes while the process runs; parsing a
# Locale per name on every page was a measurable share of a page (issue 12). Bounded, because
# codes can come from documents and requests.
@lru_cache(maxsize=1024)
def own_name(code: str) -> str:
    """Return a language's name in that language (fa_AF is دری, Dari, not "Persian (AF)")."""
    locale = Locale.parse(code)
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
