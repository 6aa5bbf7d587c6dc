"""What a published version derives from its document, built once per process.

A published version never changes (``QuestionnaireVersion``), so its parsed document, its
``Definition`` (with the compiled answer validator) and its document localized per language
are kept here, keyed by version id *and* content hash: a database reset that reuses an id
for other content never gets the old entry. The cache is a bounded LRU, so a server that has
seen many versions keeps only the most recently used ones. Drafts change, so they never come
here: build their ``Definition`` with ``load_definition`` each time.

Everything handed out is shared between requests: read it, never change it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .definition import Definition, build_definition
from .localize import localized_document

#: How many versions a process keeps. One entry holds a document and its indexes: the mapping
#: questionnaire with all translations (0.5 MB of JSON) takes about 0.9 MB as Python objects
#: with its compiled validator (tracemalloc), so a full cache is about 30 MB a worker.
DEFAULT_MAX_ENTRIES = 32


@dataclass
class CompiledVersion:
    """One published version's definition, and its document per language as asked for."""

    definition: Definition
    localized: dict[str, dict[str, Any]] = field(default_factory=dict)


class PublishedVersions:
    """A bounded, thread-safe LRU of compiled published versions."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, str], CompiledVersion] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def holds(self, version_id: int, content_hash: str) -> bool:
        """Return whether the version is kept (without counting it as used)."""
        with self._lock:
            return (version_id, content_hash) in self._entries

    def compiled(
        self, version_id: int, content_hash: str, document: Callable[[], Mapping[str, Any]]
    ) -> CompiledVersion:
        """Return the entry for a version, building it from ``document()`` when missing.

        ``document`` is only called on a miss, so a caller can load the stored JSON lazily.
        """
        key = (version_id, content_hash)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry
        # Built outside the lock: two threads may both build on a first visit, one wins.
        entry = CompiledVersion(build_definition(document()))
        with self._lock:
            self.builds += 1
            entry = self._entries.setdefault(key, entry)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry

    def definition(
        self, version_id: int, content_hash: str, document: Callable[[], Mapping[str, Any]]
    ) -> Definition:
        """Return the version's Definition (the same object while it stays cached)."""
        return self.compiled(version_id, content_hash, document).definition

    def localized(
        self,
        version_id: int,
        content_hash: str,
        lang: str,
        document: Callable[[], Mapping[str, Any]],
    ) -> dict[str, Any]:
        """Return the version's document with only the translations ``lang`` falls back on."""
        entry = self.compiled(version_id, content_hash, document)
        found = entry.localized.get(lang)
        if found is None:
            # A dict per language that shares the texts with the definition's document.
            found = entry.localized.setdefault(
                lang, localized_document(entry.definition.document, lang)
            )
        return found


#: The process's cache (each gunicorn worker has its own).
published_versions = PublishedVersions()
