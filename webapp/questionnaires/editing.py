"""Builder operations on a questionnaire document: plain Python, no Flask, no database.

Each operation takes a document and named arguments and returns a new document (the input is
never changed). Questions are named by id (``"age"``) or, inside a group, by
``"group/child"``. Ids and option values are made from labels (slugified, unique) unless given.

Translations are keyed by the JSON Pointer of their source text, and many operations move
texts (reordering sections or options, renaming an id). ``apply`` keeps every translation with
its text: pointers are turned into *stable keys* (a section by its id, an option by its value)
before the operation and back into pointers after it.
"""

from __future__ import annotations

import contextvars
import copy
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..digits import small_int
from .check import MAX_OPTIONS
from .conditions import OPERATORS, referenced_questions
from .names import language_codes
from .pointers import deref, pointer_escape
from .texts import text_pointers
from .types import REGISTRY, infer_widget, is_option_value

Document = dict[str, Any]
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,62}$")
# Letters NFKD does not take apart into a base letter and a mark.
_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ß": "ss", "đ": "d", "ł": "l"})
QUESTION_TEXTS = ("help", "placeholder", "min_label", "max_label")
#: The longest option value: values are stored with every answer and shown in exports.
MAX_OPTION_VALUE = 200
LIMITS = {
    "minimum": ("number", "scale"),
    "maximum": ("number", "scale"),
    "minLength": ("text", "textarea"),
    "maxLength": ("text", "textarea"),
    "minItems": ("multichoice", "group"),
    "maxItems": ("multichoice", "group"),
    "pattern": ("text", "textarea"),
}


class EditError(Exception):
    """An operation that cannot be done; ``code`` names why, ``params`` say about what."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def slugify(label: str, separator: str = "_") -> str:
    """Return an id made of ``label``: lower-case ASCII letters, digits and ``separator``."""
    text = unicodedata.normalize("NFKD", label.lower().translate(_LETTERS))
    text = "".join(c for c in text if not unicodedata.combining(c)).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", separator, text.decode()).strip(separator)
    slug = slug[:40].rstrip(separator)
    if not slug or not slug[0].isalpha():
        slug = f"q{separator}{slug}".rstrip(separator) if slug else ""
    return slug


def unique_id(label: str, taken: Iterable[str], fallback: str = "question") -> str:
    """Return a slug of ``label`` that is not in ``taken`` (``age``, ``age_2``, …)."""
    taken = set(taken)
    base = slugify(label) or fallback
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}_{number}"
        number += 1
    return candidate


# ----------------------------------------------------------------------------- finding things


def new_document(slug: str, title: str, audience: str, source_language: str) -> Document:
    """Return the document a blank questionnaire starts from (it has problems until filled)."""
    return {
        "format": "loype-questionnaire/1",
        "slug": slug,
        "title": title,
        "audience": audience,
        "source_language": source_language,
        "languages": [source_language],
        "schema": {"type": "object", "properties": {}, "additionalProperties": False},
        "ui": {"sections": []},
    }


def _properties(document: Document) -> dict[str, Any]:
    return document.setdefault("schema", {}).setdefault("properties", {})


def _sections(document: Document) -> list[dict[str, Any]]:
    return document.setdefault("ui", {}).setdefault("sections", [])


def sections_of(document: Any) -> list[dict[str, Any]]:
    """Return the document's sections that are objects, whatever else its JSON holds (a
    draft's JSON view can store any shape; pages that list sections must still open)."""
    ui = document.get("ui") if isinstance(document, dict) else None
    sections = ui.get("sections") if isinstance(ui, dict) else None
    return [s for s in sections if isinstance(s, dict)] if isinstance(sections, list) else []


def _split(ref: str) -> tuple[str, str | None]:
    parent, _, child = ref.partition("/")
    return parent, (child or None)


def question_schema(document: Document, ref: str) -> dict[str, Any]:
    """Return the schema of a question (``"id"`` or ``"group/child"``)."""
    parent, child = _split(ref)
    schema = _properties(document).get(parent)
    if child is not None and isinstance(schema, dict):
        schema = ((schema.get("items") or {}).get("properties") or {}).get(child)
    if not isinstance(schema, dict):
        raise EditError("no_question", question=ref)
    return schema


def question_ui(document: Document, ref: str, create: bool = True) -> dict[str, Any]:
    """Return the layout entry of a question, made empty when it has none."""
    question_schema(document, ref)
    parent, child = _split(ref)
    questions = document["ui"].setdefault("questions", {}) if create else {}
    ui = questions.setdefault(parent, {}) if create else {}
    if child is not None:
        ui = ui.setdefault("items", {}).setdefault(child, {})
    return ui


def widget_of(document: Document, ref: str) -> str | None:
    # Through a $ref: a type changed in the definition it points to is a type change too
    # (builder.type_changes refuses those at publishing).
    schema, _ = deref(document, question_schema(document, ref), "")
    parent, child = _split(ref)
    ui = (document.get("ui", {}).get("questions") or {}).get(parent) or {}
    if child is not None:
        ui = (ui.get("items") or {}).get(child) or {}
    return ui.get("widget") or infer_widget(schema)


def _siblings(document: Document, ref: str) -> dict[str, Any]:
    """Return the properties dict that holds a question (the document's or its group's)."""
    parent, child = _split(ref)
    if child is None:
        return _properties(document)
    return question_schema(document, parent).setdefault("items", {}).setdefault("properties", {})


def _required_holder(document: Document, ref: str) -> dict[str, Any]:
    parent, child = _split(ref)
    return document["schema"] if child is None else question_schema(document, parent)["items"]


def _required_list(document: Document, ref: str) -> list[str]:
    """The names required beside ``ref`` (a list not in the document when it has none)."""
    return _required_holder(document, ref).get("required", [])


def _require(document: Document, ref: str, name: str, value: bool) -> None:
    """Make ``name`` required or not; no empty list is left behind, so a question made
    required and then not again (or deleted) leaves the document as it was."""
    holder = _required_holder(document, ref)
    required = holder.setdefault("required", [])
    if value and name not in required:
        required.append(name)
    elif not value and name in required:
        required.remove(name)
    if not required:
        del holder["required"]


def section_index(document: Document, section: str) -> int:
    for index, candidate in enumerate(_sections(document)):
        if candidate.get("id") == section:
            return index
    raise EditError("no_section", section=section)


def section_of(document: Document, qid: str) -> int:
    for index, section in enumerate(_sections(document)):
        if qid in section.get("items", []):
            return index
    raise EditError("no_question", question=qid)


def all_ids(document: Document) -> set[str]:
    """Return every top-level question, info and section id (they share one namespace)."""
    ids = set(_properties(document)) | set((document.get("ui") or {}).get("info") or {})
    return ids | {s.get("id") for s in _sections(document)}


def _options_key(widget: str) -> tuple[str, ...]:
    return ("oneOf",) if widget == "choice" else ("items", "anyOf")


def options(document: Document, ref: str) -> list[dict[str, Any]]:
    widget = widget_of(document, ref)
    if widget not in ("choice", "multichoice"):
        raise EditError("no_options", question=ref)
    node = question_schema(document, ref)
    for key in _options_key(widget)[:-1]:
        node = node.setdefault(key, {})
    return node.setdefault(_options_key(widget)[-1], [])


# ----------------------------------------------------------------------- keeping translations


def _stable_key(document: Document, pointer: str) -> str | None:
    """Return a key for the text at ``pointer`` that survives moves: sections by id, options
    by value. None when the pointer leads nowhere."""
    node: Any = document
    out: list[str] = []
    parent_key = ""
    for raw in pointer.split("/")[1:]:
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            index = small_int(key)
            if index is None or index >= len(node):
                return None
            item = node[index]
            if parent_key == "sections" and isinstance(item, dict) and "id" in item:
                out.append("#s:" + str(item["id"]))
            elif parent_key in ("oneOf", "anyOf") and isinstance(item, dict) and "const" in item:
                out.append("#o:" + json.dumps(item["const"], sort_keys=True))
            else:
                out.append(raw)
            node = item
        elif isinstance(node, dict) and key in node:
            out.append(raw)
            node = node[key]
        else:
            return None
        parent_key = key
    return "/" + "/".join(out)


class _TextMoves:
    """Where an operation moved (renamed) or copied texts, as stable-key prefixes."""

    def __init__(self) -> None:
        self.renames: dict[str, str] = {}
        self.copies: dict[str, str] = {}


_moves: contextvars.ContextVar[_TextMoves] = contextvars.ContextVar("text_moves")


def _note(kind: str, pairs: Mapping[str, str]) -> None:
    moves = _moves.get(None)
    if moves is not None:
        getattr(moves, kind).update(pairs)


def _moved(key: str, pairs: Mapping[str, str]) -> str | None:
    for old, new in pairs.items():
        if key == old or key.startswith(old + "/"):
            return new + key[len(old) :]
    return None


def _carry_translations(before: Document, after: Document, moves: _TextMoves) -> None:
    """Re-key ``after``'s translations so each stays with the text it was made for."""
    new_pointer = {}
    for pointer, _text in text_pointers(after):
        key = _stable_key(after, pointer)
        if key is not None:
            new_pointer[key] = pointer
    for field in ("translations", "translation_sources"):
        per_language = before.get(field)
        if not isinstance(per_language, dict):
            continue
        carried: dict[str, Any] = {}
        for lang, entries in per_language.items():
            if not isinstance(entries, dict):
                carried[lang] = entries
                continue
            kept = {}
            for pointer, value in entries.items():
                key = _stable_key(before, pointer)
                if key is None:
                    continue
                copied = _moved(key, moves.copies)
                if copied in new_pointer:
                    kept[new_pointer[copied]] = value
                key = _moved(key, moves.renames) or key
                if key in new_pointer:
                    kept[new_pointer[key]] = value
            carried[lang] = kept
        after[field] = carried


# ---------------------------------------------------------------------------- the operations


def _blank_schema(widget: str, title: str) -> dict[str, Any]:
    schemas: dict[str, dict[str, Any]] = {
        "text": {"type": "string"},
        "textarea": {"type": "string"},
        "country": {"type": "string"},
        "language": {"type": "string"},
        "number": {"type": "number"},
        "date": {"type": "string", "format": "date"},
        "choice": {"type": "string", "oneOf": []},
        "multichoice": {"type": "array", "items": {"anyOf": []}, "uniqueItems": True},
        "yesno": {"type": "boolean"},
        "scale": {"type": "integer", "minimum": 1, "maximum": 5},
        "group": {
            "type": "array",
            "items": {"type": "object", "properties": {}, "additionalProperties": False},
        },
    }
    if widget not in schemas or widget not in REGISTRY:
        raise EditError("unknown_widget", widget=widget)
    return {"title": title, **copy.deepcopy(schemas[widget])}


def _place(items: list[Any], item: Any, position: int | None) -> None:
    if position is None or position >= len(items):
        items.append(item)
    else:
        items.insert(max(position, 0), item)


def _shift(items: list[Any], index: int, delta: int) -> None:
    target = index + delta
    if not 0 <= target < len(items):
        raise EditError("cannot_move")
    items.insert(target, items.pop(index))


def set_meta(document: Document, **fields: Any) -> None:
    """Set the questionnaire's title, description or languages."""
    for key, value in fields.items():
        if key in ("title", "description"):
            _set_text(document, key, value)
        elif key == "languages":
            if not isinstance(value, list) or document.get("source_language") not in value:
                raise EditError("source_language_needed")
            for lang in value:
                if not isinstance(lang, str) or lang not in language_codes():
                    raise EditError("unknown_language", lang=str(lang)[:40])
            document["languages"] = list(dict.fromkeys(value))
        elif key == "one_question_per_page":
            document["ui"]["one_question_per_page"] = bool(value)
        else:
            raise EditError("unknown_field", field=key)


def _set_text(node: dict[str, Any], key: str, value: Any) -> None:
    if value is None or (isinstance(value, str) and not value.strip() and key != "title"):
        node.pop(key, None)
    elif isinstance(value, str):
        node[key] = value.strip()
    else:
        raise EditError("bad_value", field=key)


def add_section(
    document: Document, title: str, position: int | None = None, id: str | None = None
) -> str:
    sid = id or unique_id(title, all_ids(document), "section")
    if sid in all_ids(document) or not ID_PATTERN.match(sid):
        raise EditError("id_taken" if ID_PATTERN.match(sid) else "bad_id", id=sid)
    _place(_sections(document), {"id": sid, "title": title.strip(), "items": []}, position)
    return sid


def set_section(document: Document, section: str, **fields: Any) -> None:
    node = _sections(document)[section_index(document, section)]
    for key, value in fields.items():
        if key in ("title", "description"):
            _set_text(node, key, value)
        elif key == "icon":
            _set_text(node, key, value)
        elif key == "visible_if":
            _set_condition(document, node, value, owners=list(node.get("items", [])))
        else:
            raise EditError("unknown_field", field=key)


def move_section(document: Document, section: str, delta: int) -> None:
    _shift(_sections(document), section_index(document, section), delta)


def delete_section(document: Document, section: str) -> None:
    """Delete a section with the questions in it."""
    index = section_index(document, section)
    for item in list(_sections(document)[index].get("items", [])):
        if item in _properties(document):
            delete_question(document, item)
        else:
            (document["ui"].get("info") or {}).pop(item, None)
    del _sections(document)[index]


def duplicate_section(document: Document, section: str) -> str:
    index = section_index(document, section)
    original = _sections(document)[index]
    sid = unique_id(original["id"], all_ids(document), "section")
    twin = copy.deepcopy({k: v for k, v in original.items() if k != "items"})
    twin["id"] = sid
    twin["items"] = []
    _sections(document).insert(index + 1, twin)
    _note("copies", {f"/ui/sections/#s:{section}": f"/ui/sections/#s:{sid}"})
    for qid in original.get("items", []):
        if qid in _properties(document):
            duplicate_question(document, qid, section=sid)
    return sid


def add_question(
    document: Document,
    section: str | None,
    widget: str,
    title: str,
    *,
    parent: str | None = None,
    position: int | None = None,
    id: str | None = None,
    options: list[str] | None = None,
) -> str:
    """Add a question to a section (or, with ``parent``, to a group); return its reference."""
    schema = _blank_schema(widget, title.strip())
    if parent is not None:
        if widget_of(document, parent) != "group" or "/" in parent:
            raise EditError("not_a_group", question=parent)
        if widget == "group":
            raise EditError("group_in_group")
        siblings = _siblings(document, f"{parent}/x")
    else:
        siblings = _properties(document)
    taken = set(siblings) if parent else all_ids(document)
    qid = id or unique_id(title, taken)
    if not ID_PATTERN.match(qid):
        raise EditError("bad_id", id=qid)
    if qid in taken:
        raise EditError("id_taken", id=qid)
    if parent is None:
        items = _sections(document)[section_index(document, section or "")]["items"]
        _place(items, qid, position)
    siblings[qid] = schema
    ref = f"{parent}/{qid}" if parent else qid
    question_ui(document, ref)["widget"] = widget
    for label in options or []:  # add_option refuses the one past MAX_OPTIONS
        add_option(document, ref, label)
    return ref


def delete_question(document: Document, question: str) -> None:
    """Delete a question: its schema, layout, place in a section and required flag.

    Conditions that refer to it are left for the check to report at each condition, so the
    administrator sees what depended on it.
    """
    parent, child = _split(question)
    question_schema(document, question)
    _siblings(document, question).pop(child or parent)
    if (child or parent) in _required_list(document, question):
        _require(document, question, child or parent, False)
    if child is None:
        (document["ui"].get("questions") or {}).pop(parent, None)
        for section in _sections(document):
            if parent in section.get("items", []):
                section["items"].remove(parent)
    else:
        items = question_ui(document, parent).get("items") or {}
        items.pop(child, None)


def duplicate_question(document: Document, question: str, section: str | None = None) -> str:
    """Copy a question (with its options, texts and translations) right after it."""
    parent, child = _split(question)
    schema = copy.deepcopy(question_schema(document, question))
    ui = copy.deepcopy(question_ui(document, question))
    siblings = _siblings(document, question)
    taken = set(siblings) if child else all_ids(document)
    new = unique_id(child or parent, taken)
    names = list(siblings)
    rebuilt = {}
    for name in names:
        rebuilt[name] = siblings[name]
        if name == (child or parent):
            rebuilt[new] = schema
    siblings.clear()
    siblings.update(rebuilt)
    if child is None:
        document["ui"].setdefault("questions", {})[new] = ui
        if section is None:
            items = _sections(document)[section_of(document, parent)]["items"]
            items.insert(items.index(parent) + 1, new)
        else:
            _sections(document)[section_index(document, section)]["items"].append(new)
        ref = new
        pairs = {
            f"/schema/properties/{parent}": f"/schema/properties/{new}",
            f"/ui/questions/{parent}": f"/ui/questions/{new}",
        }
    else:
        question_ui(document, parent).setdefault("items", {})[new] = ui
        ref = f"{parent}/{new}"
        pairs = {
            f"/schema/properties/{parent}/items/properties/{child}":
                f"/schema/properties/{parent}/items/properties/{new}",
            f"/ui/questions/{parent}/items/{child}": f"/ui/questions/{parent}/items/{new}",
        }  # fmt: skip
    if (child or parent) in _required_list(document, question):
        _require(document, ref, new, True)
    _note("copies", pairs)
    return ref


def move_question(document: Document, question: str, delta: int) -> None:
    """Move a question up (-1) or down (+1) among its neighbours."""
    parent, child = _split(question)
    if child is None:
        items = _sections(document)[section_of(document, parent)]["items"]
        _shift(items, items.index(parent), delta)
        return
    siblings = _siblings(document, question)
    order = list(siblings)
    _shift(order, order.index(child), delta)
    moved = {name: siblings[name] for name in order}
    siblings.clear()
    siblings.update(moved)


def move_question_to_section(
    document: Document, question: str, section: str, position: int | None = None
) -> None:
    if "/" in question:
        raise EditError("cannot_move")
    items = _sections(document)[section_of(document, question)]["items"]
    target = _sections(document)[section_index(document, section)]["items"]
    items.remove(question)
    _place(target, question, position)


def set_question(document: Document, question: str, **fields: Any) -> None:
    """Set a question's texts, required flag, limits, pattern, icon or resource tags."""
    schema = question_schema(document, question)
    ui = question_ui(document, question)
    widget = widget_of(document, question)
    for key, value in fields.items():
        if key in ("title", "description"):
            if key == "title" and (not isinstance(value, str) or not value.strip()):
                raise EditError("title_needed", question=question)
            _set_text(schema, key, value)
        elif key in QUESTION_TEXTS or key == "icon":
            _set_text(ui, key, value)
        elif key == "required":
            parent, child = _split(question)
            name = child or parent
            if value or name in _required_list(document, question):
                _require(document, question, name, bool(value))
        elif key in LIMITS:
            if widget not in LIMITS[key]:
                raise EditError("limit_not_for_widget", field=key, widget=widget)
            _set_limit(schema if widget != "multichoice" or "Items" not in key else schema,
                       key, value)  # fmt: skip
        elif key == "resource_tags":
            _set_tags(ui, value)
        elif key == "option_icons":
            if not isinstance(value, dict):
                raise EditError("bad_value", field=key)
            ui["option_icons"] = {str(k): v for k, v in value.items() if v}
            if not ui["option_icons"]:
                ui.pop("option_icons")
        elif key == "visible_if":
            if "/" in question:
                raise EditError("condition_in_group")
            _set_condition(document, ui, value, owners=[question])
        elif key == "widget":
            set_widget(document, question, value)
        else:
            raise EditError("unknown_field", field=key)


def _set_limit(schema: dict[str, Any], key: str, value: Any) -> None:
    if value is None or value == "":
        schema.pop(key, None)
        return
    if key == "pattern":
        if not isinstance(value, str):
            raise EditError("bad_value", field=key)
        schema[key] = value
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EditError("bad_value", field=key)
    if key in ("minLength", "maxLength", "minItems", "maxItems") and (
        value < 0 or int(value) != value
    ):
        raise EditError("bad_value", field=key)
    schema[key] = int(value) if int(value) == value else value


def _set_tags(ui: dict[str, Any], value: Any) -> None:
    if not isinstance(value, dict):
        raise EditError("bad_value", field="resource_tags")
    tags = {}
    for option, names in value.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise EditError("bad_value", field="resource_tags")
        cleaned = [n.strip() for n in names if n.strip()]
        if cleaned:
            tags[str(option)] = cleaned
    if tags:
        ui["resource_tags"] = tags
    else:
        ui.pop("resource_tags", None)


def set_widget(document: Document, question: str, widget: str) -> None:
    """Change a question's widget, keeping its title, description and, where they fit, its
    options (choice <-> multichoice)."""
    old_widget = widget_of(document, question)
    if widget == old_widget:
        return
    schema = question_schema(document, question)
    if "/" in question and widget == "group":
        raise EditError("group_in_group")
    new = _blank_schema(widget, schema.get("title", ""))
    if "description" in schema:
        new["description"] = schema["description"]
    if old_widget in ("choice", "multichoice") and widget in ("choice", "multichoice"):
        kept = copy.deepcopy(options(document, question))
        target = new["oneOf"] if widget == "choice" else new["items"]["anyOf"]
        target.extend(kept)
        lists = {"choice": "/oneOf", "multichoice": "/items/anyOf"}
        base = _schema_key(question)
        _note("renames", {base + lists[old_widget]: base + lists[widget]})
    if old_widget == "group" and widget != "group":
        raise EditError("group_has_children", question=question)
    schema.clear()
    schema.update(new)
    ui = question_ui(document, question)
    ui["widget"] = widget
    if widget not in ("choice", "multichoice", "yesno"):
        ui.pop("option_icons", None)
        ui.pop("resource_tags", None)
    if widget != "scale":
        ui.pop("min_label", None)
        ui.pop("max_label", None)


def rename_question(document: Document, question: str, new_id: str) -> str:
    """Give a question a new id everywhere it is named; return its new reference."""
    question_schema(document, question)  # it exists (and "a/b" names a group's question)
    parent, child = _split(question)
    old = child or parent
    if new_id == old:
        return question
    if not ID_PATTERN.match(new_id):
        raise EditError("bad_id", id=new_id)
    siblings = _siblings(document, question)
    if new_id in (set(siblings) if child else all_ids(document)):
        raise EditError("id_taken", id=new_id)
    renamed = {(new_id if name == old else name): value for name, value in siblings.items()}
    siblings.clear()
    siblings.update(renamed)
    required = _required_list(document, question if child else old)
    if old in required:
        required[required.index(old)] = new_id
    if child is None:
        questions = document["ui"].get("questions") or {}
        if old in questions:
            document["ui"]["questions"] = {
                (new_id if k == old else k): v for k, v in questions.items()
            }
        for section in _sections(document):
            section["items"] = [new_id if i == old else i for i in section.get("items", [])]
        for node in _condition_holders(document):
            node["visible_if"] = _rename_in_condition(node["visible_if"], old, new_id)
        _note("renames", {
            f"/schema/properties/{old}": f"/schema/properties/{new_id}",
            f"/ui/questions/{old}": f"/ui/questions/{new_id}",
        })  # fmt: skip
        return new_id
    items = question_ui(document, parent).get("items") or {}
    question_ui(document, parent)["items"] = {
        (new_id if k == old else k): v for k, v in items.items()
    }
    _note("renames", {
        f"/schema/properties/{parent}/items/properties/{old}":
            f"/schema/properties/{parent}/items/properties/{new_id}",
        f"/ui/questions/{parent}/items/{old}": f"/ui/questions/{parent}/items/{new_id}",
    })  # fmt: skip
    return f"{parent}/{new_id}"


def _condition_holders(document: Document) -> list[dict[str, Any]]:
    holders = [s for s in _sections(document) if "visible_if" in s]
    holders += [q for q in (document["ui"].get("questions") or {}).values() if "visible_if" in q]
    return holders


def _revalue(condition: Any, qid: str, old: Any, new: Any) -> Any:
    """Return ``condition`` with option value ``old`` of question ``qid`` replaced by ``new``."""
    if isinstance(condition, list):
        return [_revalue(c, qid, old, new) for c in condition]
    if not isinstance(condition, dict):
        return condition
    if condition.get("question") != qid:
        return {k: _revalue(v, qid, old, new) for k, v in condition.items()}
    changed = dict(condition)
    for key in ("equals", "contains"):
        if key in changed and changed[key] == old:
            changed[key] = new
    if isinstance(changed.get("in"), list):
        changed["in"] = [new if v == old else v for v in changed["in"]]
    return changed


def _rename_in_condition(condition: Any, old: str, new: str) -> Any:
    if isinstance(condition, dict):
        return {
            k: (new if k == "question" and v == old else _rename_in_condition(v, old, new))
            for k, v in condition.items()
        }
    if isinstance(condition, list):
        return [_rename_in_condition(c, old, new) for c in condition]
    return condition


def add_option(
    document: Document, question: str, title: str, value: Any = None, position: int | None = None
) -> Any:
    """Add an option; its value is made from the label unless given. Return the value."""
    listing = options(document, question)
    if len(listing) >= MAX_OPTIONS:
        raise EditError("too_many_options", limit=MAX_OPTIONS)
    taken = {str(o.get("const")) for o in listing}
    if value is None:
        value = unique_id(title, taken, "option")
    else:
        _check_option_value(value)
        if str(value) in taken:
            raise EditError("value_taken", value=value)
    _place(listing, {"const": value, "title": title.strip()}, position)
    return value


def _check_option_value(value: Any) -> None:
    """An option's value is stored with the answer: a text or a whole number, nothing else
    (the checker holds documents to the same, and to the type the question declares)."""
    if not is_option_value(value) or not str(value).strip() or len(str(value)) > MAX_OPTION_VALUE:
        raise EditError("option_value")


def set_option(document: Document, question: str, index: int, **fields: Any) -> None:
    listing = options(document, question)
    if not 0 <= index < len(listing):
        raise EditError("no_option", question=question, index=index)
    option = listing[index]
    for key, value in fields.items():
        if key == "title":
            if not isinstance(value, str) or not value.strip():
                raise EditError("title_needed", question=question)
            option["title"] = value.strip()
        elif key == "value":
            _check_option_value(value)
            if value == option["const"]:
                continue
            if any(o.get("const") == value for o in listing):
                raise EditError("value_taken", value=value)
            old = json.dumps(option["const"], sort_keys=True)
            base = _schema_key(question)
            listing_key = "/oneOf" if widget_of(document, question) == "choice" else "/items/anyOf"
            _note("renames", {
                f"{base}{listing_key}/#o:{old}":
                    f"{base}{listing_key}/#o:" + json.dumps(value, sort_keys=True)
            })  # fmt: skip
            ui = question_ui(document, question)
            for holder in ("option_icons", "resource_tags"):
                if str(option["const"]) in (ui.get(holder) or {}):
                    ui[holder][str(value)] = ui[holder].pop(str(option["const"]))
            if "/" not in question:
                for node in _condition_holders(document):
                    node["visible_if"] = _revalue(
                        node["visible_if"], question, option["const"], value
                    )
            option["const"] = value
        else:
            raise EditError("unknown_field", field=key)


def _split_ref(ref: str) -> list[str]:
    return [part for part in _split(ref) if part is not None]


def _schema_key(ref: str) -> str:
    """Return the stable key of a question's schema (no list indices in it)."""
    return "/schema/properties/" + "/items/properties/".join(escape(p) for p in _split_ref(ref))


def delete_option(document: Document, question: str, index: int) -> None:
    listing = options(document, question)
    if not 0 <= index < len(listing):
        raise EditError("no_option", question=question, index=index)
    removed = listing.pop(index)
    ui = question_ui(document, question)
    for holder in ("option_icons", "resource_tags"):
        (ui.get(holder) or {}).pop(str(removed.get("const")), None)
        if holder in ui and not ui[holder]:
            ui.pop(holder)


def duplicate_option(document: Document, question: str, index: int) -> Any:
    """Copy an option (with its translations) right after it, under a value of its own."""
    listing = options(document, question)
    if not 0 <= index < len(listing):
        raise EditError("no_option", question=question, index=index)
    original = listing[index]
    value = add_option(document, question, original.get("title", ""), position=index + 1)
    listing_key = "/oneOf" if widget_of(document, question) == "choice" else "/items/anyOf"
    at = f"{_schema_key(question)}{listing_key}/#o:"
    _note("copies", {at + json.dumps(original.get("const"), sort_keys=True):
                     at + json.dumps(value, sort_keys=True)})  # fmt: skip
    return value


def move_option(document: Document, question: str, index: int, delta: int) -> None:
    listing = options(document, question)
    if not 0 <= index < len(listing):
        raise EditError("no_option", question=question, index=index)
    _shift(listing, index, delta)


# ----------------------------------------------------------------------------- conditions


def _set_condition(
    document: Document, holder: dict[str, Any], condition: Any, owners: list[str]
) -> None:
    if condition is None:
        holder.pop("visible_if", None)
        return
    validate_condition(document, condition)
    if any(ref in owners for ref in referenced_questions(condition)):
        raise EditError("condition_on_itself")
    holder["visible_if"] = condition


def validate_condition(document: Document, condition: Any) -> None:
    """Refuse a condition that is not built the way the pickers build them."""
    if not isinstance(condition, dict) or len(condition) not in (1, 2):
        raise EditError("bad_condition")
    for key in ("all", "any"):
        if key in condition:
            if len(condition) != 1 or not isinstance(condition[key], list) or not condition[key]:
                raise EditError("bad_condition")
            for inner in condition[key]:
                validate_condition(document, inner)
            return
    if "not" in condition:
        if len(condition) != 1:
            raise EditError("bad_condition")
        validate_condition(document, condition["not"])
        return
    qid = condition.get("question")
    operators = [k for k in condition if k != "question"]
    if not isinstance(qid, str) or len(operators) != 1 or operators[0] not in OPERATORS:
        raise EditError("bad_condition")
    if qid not in _properties(document):
        raise EditError("no_question", question=qid)
    operator, value = operators[0], condition[operators[0]]
    allowed = operators_for(widget_of(document, qid) or "")
    if operator not in allowed:
        raise EditError("operator_not_for_widget", operator=operator, question=qid)
    if operator == "answered" and not isinstance(value, bool):
        raise EditError("bad_condition")
    if operator == "in" and (not isinstance(value, list) or not value):
        raise EditError("bad_condition")
    widget = widget_of(document, qid)
    if widget in ("choice", "multichoice") and operator != "answered":
        known = [o.get("const") for o in options(document, qid)]
        for v in value if operator == "in" else [value]:
            if v not in known:
                raise EditError("no_such_option", question=qid, value=v)


def operators_for(widget: str) -> tuple[str, ...]:
    """Return the condition operators the pickers offer for a question of ``widget``."""
    if widget == "multichoice":
        return ("contains", "answered")
    if widget == "group":
        return ("answered",)
    if widget in ("choice", "yesno", "scale", "number"):
        return ("equals", "in", "answered")
    return ("equals", "answered")


# ------------------------------------------------------------------------------- dispatching

Operation = Callable[..., Any]
OPERATIONS: dict[str, Operation] = {
    "set_meta": set_meta,
    "add_section": add_section,
    "set_section": set_section,
    "move_section": move_section,
    "delete_section": delete_section,
    "duplicate_section": duplicate_section,
    "add_question": add_question,
    "set_question": set_question,
    "rename_question": rename_question,
    "delete_question": delete_question,
    "duplicate_question": duplicate_question,
    "move_question": move_question,
    "move_question_to_section": move_question_to_section,
    "add_option": add_option,
    "set_option": set_option,
    "delete_option": delete_option,
    "duplicate_option": duplicate_option,
    "move_option": move_option,
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


#: What each named argument must be when given (None stands for "not given"). A wrong kind
#: that would not fail by itself (a list as a question's name, a text as the options, one
#: option per letter) is refused before the operation starts.
ARGUMENT_KINDS: dict[str, Callable[[Any], bool]] = {
    "question": _is_str,
    "section": _is_str,
    "parent": _is_str,
    "id": _is_str,
    "new_id": _is_str,
    "title": _is_str,
    "widget": _is_str,
    "index": _is_int,
    "delta": _is_int,
    "position": _is_int,
    "options": lambda value: isinstance(value, list) and all(map(_is_str, value)),
}


def apply(document: Document, op: str, args: Mapping[str, Any]) -> tuple[Document, Any]:
    """Return ``(new document, result)`` of one operation; the input is left as it was."""
    if op not in OPERATIONS:
        raise EditError("unknown_operation", op=op)
    if not isinstance(document, dict) or not isinstance(document.get("ui"), dict):
        raise EditError("not_editable")
    for name, value in args.items():
        kind = ARGUMENT_KINDS.get(name)
        if kind is not None and value is not None and not kind(value):
            raise EditError("bad_arguments", op=op)
    after = copy.deepcopy(document)
    moves = _TextMoves()
    token = _moves.set(moves)
    try:
        result = OPERATIONS[op](after, **dict(args))
    except (TypeError, KeyError, ValueError, AttributeError, IndexError) as exc:
        # a missing or unknown argument, or one of the wrong kind
        raise EditError("bad_arguments", op=op) from exc
    finally:
        _moves.reset(token)
    _carry_translations(document, after, moves)
    return after, result


def question_refs(document: Document) -> list[str]:
    """Return every question reference in page order: ``id`` and ``group/child``."""
    refs = []
    properties = _properties(document)
    for section in _sections(document):
        for qid in section.get("items", []):
            if qid not in properties:
                continue
            refs.append(qid)
            schema = properties[qid]
            children = (
                ((schema.get("items") or {}).get("properties") or {})
                if isinstance(schema, dict)
                else {}
            )
            refs += [f"{qid}/{child}" for child in children]
    return refs


def element_of(pointer: str) -> dict[str, str]:
    """Return the builder element a JSON Pointer is in: a question, section or the whole."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    if parts[:2] == ["schema", "properties"] and len(parts) > 2:
        if len(parts) > 5 and parts[3:5] == ["items", "properties"]:
            return {"kind": "question", "id": f"{parts[2]}/{parts[5]}"}
        return {"kind": "question", "id": parts[2]}
    if parts[:2] == ["ui", "questions"] and len(parts) > 2:
        if len(parts) > 4 and parts[3] == "items":
            return {"kind": "question", "id": f"{parts[2]}/{parts[4]}"}
        return {"kind": "question", "id": parts[2]}
    if parts[:2] == ["ui", "sections"] and len(parts) > 2:
        return {"kind": "section", "index": parts[2]}
    if parts[:1] == ["translations"] and len(parts) > 1:
        return {"kind": "translation", "lang": parts[1]}
    return {"kind": "questionnaire"}


def escape(token: str) -> str:
    return pointer_escape(token)
