"""A checked questionnaire document, as objects the renderers and validators walk."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .check import check_document
from .localize import fallback_chain
from .pointers import deref, pointer_escape, resolve_pointer
from .texts import text_pointers
from .types import REGISTRY, infer_widget

FORMAT = "loype-questionnaire/1"


class DocumentError(ValueError):
    """A questionnaire document has problems; ``problems`` lists them."""

    def __init__(self, problems: list[Any]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:5]))


def content_hash(document: Mapping[str, Any]) -> str:
    """Return the SHA-256 of a document's content: everything but its ``version``."""
    content = {k: v for k, v in document.items() if k != "version"}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Option:
    """One answer option: its stored value and the pointer of its label."""

    value: Any
    pointer: str


@dataclass(frozen=True)
class Question:
    """One question: where its texts are, its widget, its schema and its rules."""

    id: str
    pointer: str
    schema: Mapping[str, Any]
    widget: str
    ui: Mapping[str, Any]
    ui_pointer: str
    required: bool
    options: tuple[Option, ...] = ()
    children: tuple[Question, ...] = ()

    @property
    def type(self):
        return REGISTRY[self.widget]

    @property
    def title_pointer(self) -> str:
        return self.pointer + "/title"

    def ui_text_pointer(self, key: str) -> str | None:
        """Return the pointer of a ui text (``help``, ``placeholder`` …) when present."""
        return f"{self.ui_pointer}/{key}" if isinstance(self.ui.get(key), str) else None

    @property
    def visible_if(self) -> Mapping[str, Any] | None:
        return self.ui.get("visible_if")

    @property
    def resource_tags(self) -> Mapping[str, list[str]]:
        return self.ui.get("resource_tags") or {}


@dataclass(frozen=True)
class Section:
    """One page of the questionnaire: a section of the document, or with
    ``one_question_per_page`` one item of a section (then several pages share its title)."""

    id: str
    index: int
    items: tuple[str, ...]
    visible_if: Mapping[str, Any] | None = None
    #: The position of the document section this page comes from (``/ui/sections/N``).
    source_index: int = 0

    @property
    def pointer(self) -> str:
        return f"/ui/sections/{self.source_index}"


@dataclass
class Definition:
    """A checked questionnaire document with its questions and texts indexed."""

    document: dict[str, Any]
    sections: list[Section] = field(default_factory=list)
    questions: dict[str, Question] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)
    #: Objects compiled from the document on first use (validate.py keeps its answer validator
    #: here), so a cached published Definition compiles them once per process.
    compiled: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def slug(self) -> str:
        return self.document["slug"]

    @property
    def audience(self) -> str:
        return self.document["audience"]

    @property
    def source_language(self) -> str:
        return self.document["source_language"]

    @property
    def languages(self) -> list[str]:
        return list(self.document["languages"])

    @property
    def schema(self) -> dict[str, Any]:
        return self.document["schema"]

    @property
    def one_question_per_page(self) -> bool:
        return bool(self.document["ui"].get("one_question_per_page"))

    def content_hash(self) -> str:
        return content_hash(self.document)

    def all_questions(self) -> Iterator[Question]:
        """Yield every question, group children after their group."""
        for question in self.questions.values():
            yield question
            yield from question.children

    def section_of(self, question_id: str) -> Section | None:
        for section in self.sections:
            if question_id in section.items:
                return section
        return None

    def text(self, pointer: str | None, lang: str) -> str | None:
        """Return the text at ``pointer`` in ``lang``, following the fallback chain."""
        found = self.text_with_language(pointer, lang)
        return found[0] if found else None

    def text_with_language(self, pointer: str | None, lang: str) -> tuple[str, str] | None:
        """Return ``(text, language it is in)``, so a fallback text can be marked up as such."""
        if pointer is None:
            return None
        translations = self.document.get("translations") or {}
        chain = fallback_chain(lang, self.source_language, self.document.get("fallbacks"))
        for candidate in chain:
            if candidate == self.source_language:
                try:
                    value = resolve_pointer(self.document, pointer)
                except KeyError:
                    return None
                return (value, candidate) if isinstance(value, str) else None
            value = translations.get(candidate, {}).get(pointer)
            if isinstance(value, str) and value.strip():
                return value, candidate
        return None

    def texts(self) -> Iterator[tuple[str, str]]:
        """Yield ``(pointer, source text)`` for every human-readable text in the document."""
        yield from text_pointers(self.document)


def _question(
    root: Mapping[str, Any],
    qid: str,
    schema: Any,
    pointer: str,
    ui: Mapping[str, Any],
    ui_pointer: str,
    required: bool,
) -> Question:
    schema, pointer = deref(root, schema, pointer)
    widget = ui.get("widget") or infer_widget(schema) or "text"
    options: tuple[Option, ...] = ()
    children: tuple[Question, ...] = ()
    if widget == "choice":
        options = tuple(
            Option(o["const"], f"{pointer}/oneOf/{i}/title") for i, o in enumerate(schema["oneOf"])
        )
    elif widget == "multichoice":
        items, items_pointer = deref(root, schema["items"], pointer + "/items")
        options = tuple(
            Option(o["const"], f"{items_pointer}/anyOf/{i}/title")
            for i, o in enumerate(items["anyOf"])
        )
    elif widget == "group":
        items, items_pointer = deref(root, schema["items"], pointer + "/items")
        child_ui = ui.get("items") or {}
        item_required = set(items.get("required") or [])
        children = tuple(
            _question(
                root,
                cid,
                cschema,
                f"{items_pointer}/properties/{pointer_escape(cid)}",
                child_ui.get(cid) or {},
                f"{ui_pointer}/items/{pointer_escape(cid)}",
                cid in item_required,
            )
            for cid, cschema in items["properties"].items()
        )
    return Question(qid, pointer, schema, widget, ui, ui_pointer, required, options, children)


def build_definition(document: Mapping[str, Any]) -> Definition:
    """Index a document that has passed ``check_document``."""
    document = copy.deepcopy(dict(document))
    schema = document["schema"]
    ui = document["ui"]
    ui_questions = ui.get("questions") or {}
    required = set(schema.get("required") or [])
    definition = Definition(document=document)
    for qid, qschema in schema["properties"].items():
        definition.questions[qid] = _question(
            document,
            qid,
            qschema,
            f"/schema/properties/{pointer_escape(qid)}",
            ui_questions.get(qid) or {},
            f"/ui/questions/{pointer_escape(qid)}",
            qid in required,
        )
    for info_id in ui.get("info") or {}:
        definition.info[info_id] = f"/ui/info/{pointer_escape(info_id)}/text"
    for source_index, section in enumerate(ui["sections"]):
        items = section["items"]
        # One question per page: each item its own page, for small phones and slow readers.
        pages = [[item] for item in items] if ui.get("one_question_per_page") else [items]
        for number, page in enumerate(pages, 1):
            definition.sections.append(
                Section(
                    section["id"] if len(pages) == 1 else f"{section['id']}-{number}",
                    len(definition.sections),
                    tuple(page),
                    section.get("visible_if"),
                    source_index,
                )
            )
    return definition


def load_definition(document: Mapping[str, Any]) -> Definition:
    """Check ``document`` and return its Definition; raise DocumentError on any problem."""
    problems = check_document(document)
    if problems:
        raise DocumentError(problems)
    return build_definition(document)
