"""Resource texts for translators: the same PO workflow as questionnaire texts."""

from __future__ import annotations

import copy
from typing import Any

from babel.messages.catalog import Catalog

from ..questionnaires.translation import LanguageReport, source_hash

FIELDS = ("title", "description")


def export_catalog(document: dict[str, Any], lang: str) -> Catalog:
    catalog = Catalog(
        locale=lang,
        project="Løype resources",
        header_comment="# Resource texts. msgctxt is 'slug/field'; msgid is the bokmål source.\n",
        fuzzy=False,
    )
    for entry in document["resources"]:
        for name in FIELDS:
            source = entry[name].get("nb", "")
            catalog.add(source, entry[name].get(lang, ""), context=f"{entry['slug']}/{name}")
    return catalog


def import_catalog(
    document: dict[str, Any], lang: str, catalog: Catalog
) -> tuple[dict[str, Any], list[str]]:
    updated = copy.deepcopy(document)
    by_slug = {entry["slug"]: entry for entry in updated["resources"]}
    warnings = []
    for message in catalog:
        if not message.id or not message.context or "/" not in message.context:
            continue
        slug, name = message.context.rsplit("/", 1)
        entry = by_slug.get(slug)
        if entry is None or name not in FIELDS:
            warnings.append(f"{message.context}: no such resource text; skipped")
            continue
        if message.id != entry[name].get("nb"):
            warnings.append(f"{message.context}: the source text changed since export; skipped")
            continue
        sources = entry.setdefault("translation_sources", {}).setdefault(lang, {})
        if isinstance(message.string, str) and message.string.strip():
            entry[name][lang] = message.string
            sources[name] = source_hash(message.id)
        else:
            entry[name].pop(lang, None)
            sources.pop(name, None)
    return updated, warnings


def report(document: dict[str, Any], languages: list[str]) -> list[LanguageReport]:
    reports = []
    for lang in languages:
        if lang == "nb":
            continue
        entry_report = LanguageReport(lang, len(document["resources"]) * len(FIELDS))
        for entry in document["resources"]:
            recorded = (entry.get("translation_sources") or {}).get(lang, {})
            for name in FIELDS:
                key = f"{entry['slug']}/{name}"
                if not str(entry[name].get(lang, "")).strip():
                    entry_report.missing.append(key)
                elif recorded.get(name) not in (None, source_hash(entry[name].get("nb", ""))):
                    entry_report.outdated.append(key)
        reports.append(entry_report)
    return reports
