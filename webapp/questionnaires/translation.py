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

from .texts import text_pointers


def source_hash(text: str) -> str:
    """Return the short hash that identifies the source text a translation was made from."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def export_catalog(document: Mapping[str, Any], lang: str) -> Catalog:
    """Return a PO catalog of every text in ``document``, with ``lang``'s current translations."""
    existing = (document.get("translations") or {}).get(lang, {})
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
        catalog.add(source, existing.get(pointer, ""), context=pointer)
    return catalog


def import_catalog(
    document: Mapping[str, Any], lang: str, catalog: Catalog
) -> tuple[dict[str, Any], list[str]]:
    """Return the document with ``lang``'s translations from ``catalog``, and any warnings.

    Entries for unknown pointers, or whose msgid no longer matches the source text, are
    skipped with a warning; empty translations remove the existing one.
    """
    updated = copy.deepcopy(dict(document))
    texts = dict(text_pointers(updated))
    translations = updated.setdefault("translations", {}).setdefault(lang, {})
    sources = updated.setdefault("translation_sources", {}).setdefault(lang, {})
    warnings: list[str] = []
    for message in catalog:
        pointer = message.context
        if not message.id or pointer is None:
            continue
        if pointer not in texts:
            warnings.append(f"{pointer}: no such text in the document; skipped")
            continue
        if message.id != texts[pointer]:
            warnings.append(f"{pointer}: the source text changed since export; skipped")
            continue
        text = message.string if isinstance(message.string, str) else ""
        if text.strip() and "fuzzy" not in message.flags:
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
    translations = document.get("translations") or {}
    sources = document.get("translation_sources") or {}
    reports = []
    for lang in languages:
        if lang == document.get("source_language"):
            continue
        entry = LanguageReport(lang, len(texts))
        for pointer, source in texts:
            if not str(translations.get(lang, {}).get(pointer, "")).strip():
                entry.missing.append(pointer)
            elif sources.get(lang, {}).get(pointer) not in (None, source_hash(source)):
                entry.outdated.append(pointer)
        reports.append(entry)
    return reports
