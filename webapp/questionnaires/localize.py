"""Fallback chains for questionnaire texts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def fallback_chain(
    lang: str, source_language: str, fallbacks: Mapping[str, Sequence[str]] | None = None
) -> list[str]:
    """Return the languages to try for ``lang``, most specific first, ending in the source."""
    chain: list[str] = []
    for candidate in (lang, lang.split("_")[0], *(fallbacks or {}).get(lang, ()), source_language):
        if candidate and candidate not in chain:
            chain.append(candidate)
    return chain
