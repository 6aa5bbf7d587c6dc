"""Questionnaire texts for translators: export to gettext PO, import back, report gaps.

A PO entry's context (``msgctxt``) is the JSON Pointer of the text and its ``msgid`` is the
source (bokmål) text, so translators use the tools they know. On import, each translation
records a short hash of the source text it was made from (``translation_sources``), so a
later change to the source marks the translation out of date.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from babel.messages.catalog import Catalog

from ..digits import small_int
from .editing import sections_of
from .pointers import pointer_unescape
from .texts import is_unreadable, text_pointers

#: The state of one translated text.
MISSING, CURRENT, OUTDATED = "missing", "current", "outdated"
STATUSES = (MISSING, CURRENT, OUTDATED)


#: Longest translation of one text (the longest shipped source text is under 1,000 characters);
#: the translations page's boxes and a PO file are held to it alike.
MAX_TRANSLATION = 5000


def source_hash(text: str) -> str:
    """Return the short hash that identifies the source text a translation was made from."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _entries(document: Mapping[str, Any], field_name: str, lang: str) -> dict[str, str]:
    """Return ``document[field_name][lang]``: its texts by pointer, whatever else the JSON
    holds there (a draft's JSON view can store any shape; its pages must still open)."""
    by_lang = document.get(field_name) if isinstance(document, Mapping) else None
    entries = by_lang.get(lang) if isinstance(by_lang, Mapping) else None
    if not isinstance(entries, Mapping):
        return {}
    return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, str)}


def _writable(document: dict[str, Any], field_name: str, lang: str) -> dict[str, str]:
    """Return ``document[field_name][lang]`` to write into, made an object of texts first if
    it was something else (the checker reports such a shape; nothing in it was a text)."""
    by_lang = document.get(field_name)
    if not isinstance(by_lang, dict):
        by_lang = document[field_name] = {}
    by_lang[lang] = _entries(document, field_name, lang)
    return by_lang[lang]


def export_catalog(document: Mapping[str, Any], lang: str) -> Catalog:
    """Return a PO catalog of every text in ``document``, with ``lang``'s current translations.

    A translation whose Norwegian text changed since it was made is marked fuzzy, as gettext
    tools mark one to check; it comes back unchanged until the translator clears the mark."""
    existing = _entries(document, "translations", lang)
    sources = _entries(document, "translation_sources", lang)
    catalog = Catalog(
        locale=lang,
        project=f"Løype questionnaire {document.get('slug', '')}",
        header_comment=(
            f"# Texts of the questionnaire '{document.get('slug', '')}' for translation into "
            f"{lang}.\n# msgctxt is the JSON Pointer of the text; msgid is the bokmål source.\n"
        ),
        fuzzy=False,
    )
    for pointer, source in text_pointers(document):
        outdated = _status(existing, sources, pointer, source) == OUTDATED
        flags = ("fuzzy",) if outdated else ()
        catalog.add(source, existing.get(pointer, ""), context=pointer, flags=flags)
    return catalog


@dataclass(frozen=True)
class CatalogWarning:
    """A PO entry that was not imported; ``code`` is a key of :data:`WARNING_REASONS`."""

    pointer: str
    code: str

    def __str__(self) -> str:
        return f"{self.pointer}: {WARNING_REASONS[self.code]}; skipped"


WARNING_REASONS = {
    "unknown": "no such text in the document",
    "changed": "the source text changed since export",
    "too_long": f"the translation is longer than {MAX_TRANSLATION} characters",
    "unreadable": "the translation holds a NUL character, which cannot be stored",
    "fuzzy": "the translation is marked fuzzy (not checked yet), so it was left as it was",
}


def import_catalog(
    document: Mapping[str, Any], lang: str, catalog: Catalog
) -> tuple[dict[str, Any], list[CatalogWarning]]:
    """Return the document with ``lang``'s translations from ``catalog``, and any warnings.

    Entries for unknown pointers, or whose msgid no longer matches the source text, are
    skipped with a warning; empty translations remove the existing one. A fuzzy entry (one
    whose source changed, as ``export_catalog`` marks it, or one a tool guessed) has not been
    checked: the document's translation stays as it was, still out of date, with a warning.
    """
    updated = copy.deepcopy(dict(document))
    texts = dict(text_pointers(updated))
    translations = _writable(updated, "translations", lang)
    sources = _writable(updated, "translation_sources", lang)
    warnings: list[CatalogWarning] = []
    for message in catalog:
        pointer = message.context
        if not message.id or pointer is None:
            continue
        if pointer not in texts:
            warnings.append(CatalogWarning(pointer, "unknown"))
            continue
        if message.id != texts[pointer]:
            warnings.append(CatalogWarning(pointer, "changed"))
            continue
        text = message.string if isinstance(message.string, str) else ""
        if len(text) > MAX_TRANSLATION or is_unreadable(text):
            code = "too_long" if len(text) > MAX_TRANSLATION else "unreadable"
            warnings.append(CatalogWarning(pointer, code))
            continue
        if "fuzzy" in message.flags and text.strip():
            if text != translations.get(pointer):
                warnings.append(CatalogWarning(pointer, "fuzzy"))
            continue
        if text.strip():
            translations[pointer] = text
            sources[pointer] = source_hash(texts[pointer])
        else:
            translations.pop(pointer, None)
            sources.pop(pointer, None)
    if lang not in updated.get("languages", []):
        updated.setdefault("languages", []).append(lang)
    return updated, warnings


@dataclass
class LanguageReport:
    """What is missing or out of date in one language."""

    lang: str
    total: int
    missing: list[str] = field(default_factory=list)
    outdated: list[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.total - len(self.missing) - len(self.outdated)


def report(document: Mapping[str, Any], languages: list[str]) -> list[LanguageReport]:
    """Return, per language, the texts with no translation and those whose source changed."""
    texts = list(text_pointers(document))
    reports = []
    for lang in languages:
        if lang == document.get("source_language"):
            continue
        entry = LanguageReport(lang, len(texts))
        translations = _entries(document, "translations", lang)
        sources = _entries(document, "translation_sources", lang)
        for pointer, source in texts:
            status = _status(translations, sources, pointer, source)
            if status == MISSING:
                entry.missing.append(pointer)
            elif status == OUTDATED:
                entry.outdated.append(pointer)
        reports.append(entry)
    return reports


def _status(
    translations: Mapping[str, str], sources: Mapping[str, str], pointer: str, source: str
) -> str:
    """Return whether the text at ``pointer`` is missing, current or outdated, from one
    language's translations and recorded source hashes (``_entries``).

    A translation with no recorded source hash (written by hand into the file) counts as
    current: nothing says what it was made from.
    """
    if not translations.get(pointer, "").strip():
        return MISSING
    recorded = sources.get(pointer)
    return CURRENT if recorded in (None, source_hash(source)) else OUTDATED


@dataclass(frozen=True)
class TextRow:
    """One text as the translation view shows it."""

    pointer: str
    source: str
    translation: str
    status: str
    #: The id of the section the text belongs to; None for the questionnaire's own texts.
    section: str | None


def _sections_by_item(document: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    ids: list[str] = []
    by_item: dict[str, str] = {}
    for section in sections_of(document):
        sid = str(section.get("id", ""))
        ids.append(sid)
        items = section.get("items")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, str):
                by_item.setdefault(item, sid)
    return ids, by_item


QUESTION_HOLDERS = ("properties", "questions", "info")


def section_of_pointer(document: Mapping[str, Any], pointer: str) -> str | None:
    """Return the id of the section a text belongs to (None: the questionnaire itself)."""
    ids, by_item = _sections_by_item(document)
    parts = [pointer_unescape(p) for p in pointer.split("/")[1:]]
    index = small_int(parts[2]) if parts[:2] == ["ui", "sections"] and len(parts) > 2 else None
    if index is not None:
        return ids[index] if index < len(ids) else None
    if len(parts) > 2 and parts[0] in ("schema", "ui") and parts[1] in QUESTION_HOLDERS:
        return by_item.get(parts[2])
    return None


def text_rows(document: Mapping[str, Any], lang: str) -> list[TextRow]:
    """Return every text of the document with its translation into ``lang`` and its status."""
    existing = _entries(document, "translations", lang)
    sources = _entries(document, "translation_sources", lang)
    return [
        TextRow(
            pointer,
            source,
            existing.get(pointer, ""),
            _status(existing, sources, pointer, source),
            section_of_pointer(document, pointer),
        )
        for pointer, source in text_pointers(document)
    ]


def set_translations(
    document: Mapping[str, Any], lang: str, texts: Mapping[str, str]
) -> tuple[dict[str, Any], list[str]]:
    """Return the document with ``texts`` ({pointer: translation}) in ``lang``, each with the
    hash of its source text; an empty text removes the translation. Unknown pointers are
    returned, not written."""
    updated = copy.deepcopy(dict(document))
    sources_now = dict(text_pointers(updated))
    translations = _writable(updated, "translations", lang)
    sources = _writable(updated, "translation_sources", lang)
    unknown = []
    for pointer, text in texts.items():
        if pointer not in sources_now:
            unknown.append(pointer)
        elif text.strip():
            translations[pointer] = text.strip()
            sources[pointer] = source_hash(sources_now[pointer])
        else:
            translations.pop(pointer, None)
            sources.pop(pointer, None)
    return updated, unknown
