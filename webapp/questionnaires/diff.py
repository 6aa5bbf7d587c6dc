"""What changed between two questionnaire documents, question by question, in plain terms.

Plain Python: the builder shows it before publishing (draft against the latest version), and it
works between any two versions. Each change names the question (or section) and what kind of
change it is; texts are compared in the source language and in every translation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .editing import question_refs, widget_of
from .texts import text_pointers

RULES = ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern",
         "format")  # fmt: skip


@dataclass(frozen=True)
class Change:
    """One change: ``kind`` is e.g. "question_added"; ``where`` the question or section."""

    kind: str
    where: str
    detail: str = ""
    #: What a changed limit (``detail`` names its keyword) or question type was before and
    #: is after; None where there was none. The builder says both in words.
    before: Any = None
    after: Any = None


def _schema(document: dict[str, Any], ref: str) -> dict[str, Any]:
    parent, _, child = ref.partition("/")
    schema = document["schema"]["properties"][parent]
    return schema["items"]["properties"][child] if child else schema


def _ui(document: dict[str, Any], ref: str) -> dict[str, Any]:
    parent, _, child = ref.partition("/")
    ui = (document["ui"].get("questions") or {}).get(parent) or {}
    return ((ui.get("items") or {}).get(child) or {}) if child else ui


def _options(document: dict[str, Any], ref: str) -> dict[str, str]:
    schema = _schema(document, ref)
    listing = schema.get("oneOf") or (schema.get("items") or {}).get("anyOf") or []
    return {str(o.get("const")): o.get("title", "") for o in listing if isinstance(o, dict)}


def _required(document: dict[str, Any], ref: str) -> bool:
    parent, _, child = ref.partition("/")
    holder = document["schema"]["properties"][parent]["items"] if child else document["schema"]
    return (child or parent) in (holder.get("required") or [])


def _section_of(document: dict[str, Any]) -> dict[str, str]:
    return {
        item: section["id"] for section in document["ui"]["sections"] for item in section["items"]
    }


def _texts(document: dict[str, Any], prefixes: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Return {language: {pointer: text}} for the texts under the prefixes."""
    found: dict[str, dict[str, str]] = {document["source_language"]: {}}
    for pointer, text in text_pointers(document):
        if pointer.startswith(prefixes):
            found[document["source_language"]][pointer] = text
    for lang, entries in (document.get("translations") or {}).items():
        found[lang] = {p: t for p, t in entries.items() if p.startswith(prefixes)}
    return found


def _question_texts(document: dict[str, Any], ref: str) -> dict[str, set[str]]:
    parent, _, child = ref.partition("/")
    schema = f"/schema/properties/{parent}" + (f"/items/properties/{child}" if child else "")
    ui = f"/ui/questions/{parent}" + (f"/items/{child}" if child else "")
    # Option texts are compared by value below; pointers with indices would shift.
    return {
        lang: {t for p, t in entries.items() if "/oneOf/" not in p and "/anyOf/" not in p
               and (p.startswith(schema + "/title") or p.startswith(schema + "/description")
                    or p.startswith(ui + "/"))}
        for lang, entries in _texts(document, (schema, ui)).items()
    }  # fmt: skip


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Return the changes from ``before`` to ``after`` (both checked documents)."""
    changes: list[Change] = []
    old_refs, new_refs = question_refs(before), question_refs(after)
    old_sections = {s["id"]: s for s in before["ui"]["sections"]}
    new_sections = {s["id"]: s for s in after["ui"]["sections"]}
    for sid in new_sections:
        if sid not in old_sections:
            changes.append(Change("section_added", sid))
        elif new_sections[sid].get("title") != old_sections[sid].get("title"):
            changes.append(Change("section_text", sid))
    changes += [Change("section_removed", sid) for sid in old_sections if sid not in new_sections]
    for ref in new_refs:
        if ref not in old_refs:
            changes.append(Change("question_added", ref))
    changes += [Change("question_removed", ref) for ref in old_refs if ref not in new_refs]
    old_place, new_place = _section_of(before), _section_of(after)
    common = [ref for ref in new_refs if ref in old_refs]
    stayed = [r for r in common if "/" not in r and old_place.get(r) == new_place.get(r)]

    def neighbours(refs: list[str], ref: str, place: dict[str, str]) -> list[str]:
        return [r for r in refs if r in stayed and place.get(r) == place.get(ref)]

    for ref in common:
        if "/" not in ref and old_place.get(ref) != new_place.get(ref):
            changes.append(Change("question_moved", ref, new_place.get(ref, "")))
        elif ref in stayed:
            old_order = neighbours(old_refs, ref, old_place)
            new_order = neighbours(new_refs, ref, new_place)
            if old_order.index(ref) != new_order.index(ref):
                changes.append(Change("question_reordered", ref))
        changes += _question_changes(before, after, ref)
    return changes


def _question_changes(before: dict[str, Any], after: dict[str, Any], ref: str) -> list[Change]:
    changes = []
    old_widget, new_widget = widget_of(before, ref), widget_of(after, ref)
    if old_widget != new_widget:
        changes.append(Change("type", ref, "", old_widget, new_widget))
    old_schema, new_schema = _schema(before, ref), _schema(after, ref)
    for rule in RULES:
        if old_schema.get(rule) != new_schema.get(rule):
            changes.append(Change("rule", ref, rule, old_schema.get(rule), new_schema.get(rule)))
    if _required(before, ref) != _required(after, ref):
        changes.append(Change("required", ref, "yes" if _required(after, ref) else "no"))
    if _ui(before, ref).get("visible_if") != _ui(after, ref).get("visible_if"):
        changes.append(Change("condition", ref))
    old_options, new_options = _options(before, ref), _options(after, ref)
    changes += [Change("option_added", ref, v) for v in new_options if v not in old_options]
    changes += [Change("option_removed", ref, v) for v in old_options if v not in new_options]
    changes += [
        Change("option_text", ref, v)
        for v in new_options
        if v in old_options and new_options[v] != old_options[v]
    ]
    old_texts, new_texts = _question_texts(before, ref), _question_texts(after, ref)
    for lang in sorted(set(old_texts) | set(new_texts)):
        if old_texts.get(lang, set()) != new_texts.get(lang, set()):
            changes.append(Change("text", ref, lang))
    return changes
