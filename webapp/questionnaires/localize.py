"""Fallback chains for questionnaire texts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def fallback_chain(
    lang: str, source_language: str, fallbacks: Mapping[str, Sequence[str]] | None = None
) -> list[str]:
    """Return the languages to try for ``lang``, most specific first, ending in the source."""
    chain: list[str] = []
    for candidate in (lang, lang.split("_")[0], *(fallbacks or {}).get(lang, ()), source_language):
        if candidate and candidate not in chain:
            chain.append(candidate)
    return chain


def localized_document(document: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Return the document with only the translations ``lang`` can fall back on.

    A shallow copy: the returned dict shares every value but ``translations`` with
    ``document``, so neither may be changed.
    """
    localized = dict(document)
    chain = fallback_chain(lang, localized["source_language"], localized.get("fallbacks"))
    translations = localized.get("translations") or {}
    localized["translations"] = {code: translations[code] for code in chain if code in translations}
    localized.pop("translation_sources", None)
    return localized
