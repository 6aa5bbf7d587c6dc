"""Check a questionnaire document and report every problem with its JSON path.

``check_document`` never raises on bad input: each problem is a ``Problem(pointer, reason)``.
Structure is checked by the meta-schema (``meta-schema.json``); the rules that relate parts of
the document to each other (layout vs schema, conditions, options, translations) are checked
here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match

from .conditions import referenced_questions, same
from .names import language_codes
from .patterns import pattern_refusal
from .pictograms import PICTOGRAMS
from .pointers import deref, pointer_escape, resolve_pointer
from .texts import is_unreadable, text_pointers
from .types import INFO, REGISTRY, infer_widget, is_option_value, option_token, option_values

# The documented subset of JSON Schema draft 2020-12 (docs/questionnaire-format.md).
SCHEMA_KEYWORDS = frozenset(
    {
        "$schema",
        "$id",
        "$defs",
        "$ref",
        "$comment",
        "type",
        "title",
        "description",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "oneOf",
        "anyOf",
        "const",
        "enum",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "default",
        "examples",
    }
)
FORMATS = frozenset({"date"})
# JavaScript holds every number as a double: integers beyond 2**53 change on the phone.
EXACT_INTEGER = 2**53
NUMBER_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
#: Answer options of one question. A longer list is not read on a phone: the country and
#: language question types, or a text answer, serve long lists. (The builder's add_option
#: refuses the one past it too, which bounds the work of one edit.)
MAX_OPTIONS = 300


@dataclass(frozen=True)
class Problem:
    """One problem in a document: a JSON Pointer into it and a one-line reason."""

    pointer: str
    reason: str
    #: A name for the rule, so the builder can say it in the administrator's language.
    code: str = field(default="", compare=False)
    #: What the problem is about (a question id, an option value), for that sentence.
    params: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.reason}"


@cache
def meta_schema() -> dict[str, Any]:
    """Return the meta-schema every questionnaire document must satisfy."""
    text = resources.files(__package__).joinpath("meta-schema.json").read_text("utf-8")
    return json.loads(text)


def _pointer(parts: Any) -> str:
    return "".join(f"/{pointer_escape(str(p))}" for p in parts)


def _short(text: str, limit: int = 80) -> str:
    """Return a name or value cut to fit in a sentence (it is shown, not used)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(value: Any) -> str:
    return _short(json.dumps(value, ensure_ascii=False))


def _no_option(pointer: str, qid: str, value: str) -> Problem:
    return Problem(pointer, f"no option {value!r} in question {qid!r}", "no_such_option",
                   (("question", qid), ("value", _short(value))))  # fmt: skip


def _unknown_pictogram(pointer: str, icon: Any) -> Problem:
    return Problem(pointer, f"unknown pictogram {icon!r}", "unknown_pictogram",
                   (("icon", _short(str(icon))),))  # fmt: skip


def _pattern_kind(error: Any) -> str:
    """Name what a meta-schema ``pattern`` describes, for the sentence that explains it."""
    defs = meta_schema()["$defs"]
    if error.validator_value == defs["id"]["pattern"]:
        return "id"
    if error.validator_value == defs["language"]["pattern"]:
        return "language"
    if error.validator_value == "^/":
        return "text_pointer"
    if list(error.absolute_path) == ["slug"]:
        return "slug"
    if "resource_tags" in error.absolute_path:
        return "tag"
    return "other"


def _structure_params(error: Any) -> tuple[tuple[str, str], ...]:
    """Return what a meta-schema error is about, for a sentence in the reader's language."""
    kind, expected, instance = error.validator, error.validator_value, error.instance
    if kind == "required" and isinstance(instance, dict):
        return (("name", ", ".join(_short(k) for k in expected if k not in instance)),)
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties") or {}
        return (("name", ", ".join(_short(str(k)) for k in instance if k not in known)),)
    if kind == "type":
        return (("expected", "|".join(expected if isinstance(expected, list) else [expected])),)
    if kind == "const":
        return (("value", _shown(expected)),)
    if kind == "enum":
        return (("values", ", ".join(_shown(v) for v in expected)),)
    if kind == "pattern":
        value = _short(str(instance))
        return (("what", _pattern_kind(error)), ("value", value), ("lang", value))
    if kind in ("minItems", "minLength", "minimum"):
        return (("limit", str(expected)),)
    return ()


_UNREADABLE = "a NUL character or a lone surrogate (\\u0000, \\ud800-\\udfff): remove it"


def _unreadable_texts(node: Any, parts: tuple[Any, ...] = ()) -> Iterator[Problem]:
    """Report every text and every name that no database could keep (``is_unreadable``)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if is_unreadable(key):
                yield Problem(_pointer(parts), f"a name holds {_UNREADABLE}", "unreadable")
            else:
                yield from _unreadable_texts(value, (*parts, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _unreadable_texts(value, (*parts, index))
    elif isinstance(node, str) and is_unreadable(node):
        yield Problem(_pointer(parts), f"the text holds {_UNREADABLE}", "unreadable")


def _chosen_branch_error(error: Any) -> Any:
    """Return the error of the ``oneOf`` branch whose required keys the value has (a condition
    with ``question`` and ``equals`` says what is wrong with ``equals``), or the ``oneOf``
    error itself when no branch fits: "“all” is missing" would send the reader the wrong way.

    A branch is judged by its own schema (``validator_value``), never by the schema of an
    error inside it: ``{"question": 5, "is": 1}`` fits no branch, though the error "5 is not a
    text" comes from a schema that requires nothing.
    """
    instance = error.instance
    branches = error.validator_value if isinstance(error.validator_value, list) else []
    fitting = {
        index
        for index, branch in enumerate(branches)
        if isinstance(instance, dict)
        and isinstance(branch, dict)
        and all(key in instance for key in branch.get("required", ()))
    }
    inside = [
        e for e in error.context if e.relative_schema_path and e.relative_schema_path[0] in fitting
    ]
    return best_match(inside) if inside else error


def _structure(document: Any) -> list[Problem]:
    unreadable = list(_unreadable_texts(document))
    if unreadable:
        return unreadable  # nothing else can be said of texts that cannot be written
    validator = Draft202012Validator(meta_schema())
    problems = []
    for error in validator.iter_errors(document):
        if error.validator == "oneOf" and error.context:
            error = _chosen_branch_error(error)
        problems.append(
            Problem(
                _pointer(error.absolute_path),
                error.message,
                f"structure.{error.validator}",
                _structure_params(error),
            )
        )
    return sorted(problems, key=lambda p: p.pointer)


def _walk_schema(node: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(pointer, subschema)`` for every schema object inside ``node``."""
    if not isinstance(node, dict):
        return
    yield pointer, node
    for key in ("properties", "$defs"):
        for name, child in (node.get(key) or {}).items():
            yield from _walk_schema(child, f"{pointer}/{key}/{pointer_escape(name)}")
    if isinstance(node.get("items"), dict):
        yield from _walk_schema(node["items"], f"{pointer}/items")
    for key in ("oneOf", "anyOf"):
        for index, child in enumerate(node.get(key) or []):
            yield from _walk_schema(child, f"{pointer}/{key}/{index}")


def _ref_problem(pointer: str, ref: str, schemas: Mapping[str, Any]) -> Problem | None:
    """Return why a ``$ref`` cannot be followed alike by both engines, or None."""
    params = (("ref", _short(ref)),)
    if not ref.startswith("#"):
        return Problem(pointer, "remote $ref is not allowed", "ref_remote", params)
    if "%" in ref:
        # Python's jsonschema reads %-escapes in a $ref and the browser does not.
        reason = f"$ref {ref!r} contains %: name the definition without % and refer to it plainly"
        return Problem(pointer, reason, "ref_percent", params)
    if "/schema" + ref[1:] not in schemas:
        reason = f"$ref {ref!r} points nowhere: point to a schema, for example #/$defs/name"
        return Problem(pointer, reason, "ref_nowhere", params)
    return None


def _same_answer_cycle(schemas: Mapping[str, dict[str, Any]]) -> list[Problem]:
    """Report ``$ref``/``oneOf``/``anyOf`` loops that check one answer against itself forever."""
    edges: dict[str, list[str]] = {}
    for pointer, node in schemas.items():
        targets = [f"{pointer}/{key}/{index}" for key in ("oneOf", "anyOf")
                   for index in range(len(node.get(key) or []))]  # fmt: skip
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            targets.append("/schema" + ref[1:])
        edges[pointer] = [t for t in targets if t in schemas]
    state: dict[str, int] = {}
    problems: list[Problem] = []

    def visit(pointer: str) -> None:
        state[pointer] = 1
        for target in edges[pointer]:
            if state.get(target) == 1:
                problems.append(
                    Problem(
                        f"{pointer}/$ref" if "$ref" in schemas[pointer] else pointer,
                        "these $refs lead back to where they start without reaching an answer "
                        "inside it: point one of them at a schema that describes the answer",
                        "ref_cycle",
                    )
                )
            elif target not in state:
                visit(target)
        state[pointer] = 2

    for pointer in schemas:
        if pointer not in state:
            visit(pointer)
    return problems


def _inexact_integer(value: Any) -> int | None:
    """Return an integer in ``value`` (a keyword's value) that a double cannot hold, if any."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) > EXACT_INTEGER else None
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return next((n for n in map(_inexact_integer, value) if n is not None), None)
    return None


def _number_problems(pointer: str, node: Mapping[str, Any]) -> list[Problem]:
    """Return problems with numbers that Python and the phone would read differently."""
    problems = []
    for keyword in (*NUMBER_KEYWORDS, "const", "enum"):
        if (number := _inexact_integer(node.get(keyword))) is not None:
            problems.append(
                Problem(
                    f"{pointer}/{keyword}",
                    f"the phone cannot hold {number} exactly: use whole numbers between "
                    f"-{EXACT_INTEGER} and {EXACT_INTEGER}",
                    "inexact_number",
                    (("number", _short(str(number))), ("limit", str(EXACT_INTEGER))),
                )
            )
    divisor = node.get("multipleOf")
    if isinstance(divisor, float) and divisor.is_integer():
        # Python divides by a float divisor and takes the remainder of an integer one; the
        # phone cannot tell 3.0 from 3.
        problems.append(
            Problem(
                f"{pointer}/multipleOf",
                f"write multipleOf as the whole number {int(divisor)}, without a decimal point "
                "or exponent",
                "multiple_of",
                (("number", _short(str(int(divisor)))),),
            )
        )
    return problems


def _option_value_problem(const: Any, widget: str, schema: Mapping[str, Any]) -> str | None:
    """Return why an option's value cannot be an answer, or None: a value is a text or a
    whole number, of the type the question declares (a bool, a fraction, a list or an
    object would be stored, shown and compared differently by Python and the phone)."""
    if not is_option_value(const):
        return "an option's value must be a text or a whole number"
    declared = schema.get("type") if widget == "choice" else (schema.get("items") or {}).get("type")
    if declared == "string" and not isinstance(const, str):
        return "the question's answers are texts, so this option's value must be a text"
    if declared in ("integer", "number") and not isinstance(const, int):
        return "the question's answers are numbers, so this option's value must be a number"
    return None


# The keywords that limit one answer by itself: a value listed in "const", "enum" or an option
# must pass them, or no phone and no web page could ever give it.
VALUE_LIMITS = (
    "type",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
)


def _never_given(value: Any, limits: Mapping[str, Any]) -> bool:
    """Whether ``value`` fails the answer limits in ``limits`` (a schema object), so that
    listing it as the answer or an option offers something no answer can be."""
    own = {key: limits[key] for key in VALUE_LIMITS if key in limits}
    if not own:
        return False
    try:
        return not Draft202012Validator(own, format_checker=FormatChecker()).is_valid(value)
    except Exception:  # noqa: BLE001 - a malformed limit is reported by the meta-schema
        return False


def _never_given_problem(pointer: str, value: Any) -> Problem:
    shown = json.dumps(value, ensure_ascii=False)[:80]
    return Problem(
        pointer,
        f"{shown} can never be an answer here: it breaks the question's own type, length, "
        "pattern, range or date format",
        "value_never_answer",
        (("value", shown),),
    )


def _listed_values_problems(pointer: str, node: Mapping[str, Any]) -> list[Problem]:
    """Return a problem for each value of ``const`` and ``enum`` that the node's own limits
    refuse: a required question limited to them could never be answered."""
    problems = []
    if "const" in node and _never_given(node["const"], node):
        problems.append(_never_given_problem(f"{pointer}/const", node["const"]))
    if isinstance(node.get("enum"), list):
        problems.extend(
            _never_given_problem(f"{pointer}/enum/{index}", value)
            for index, value in enumerate(node["enum"])
            if _never_given(value, node)
        )
    return problems


def _node_problems(
    pointer: str, node: Mapping[str, Any], schemas: Mapping[str, Any]
) -> list[Problem]:
    """Return the problems of one schema object: outside the subset, or read otherwise by JS."""
    problems = [
        Problem(
            f"{pointer}/{pointer_escape(keyword)}",
            f"keyword {keyword!r} is not in the supported JSON Schema subset",
            "unknown_keyword",
            (("keyword", _short(keyword)),),
        )
        for keyword in node
        if keyword not in SCHEMA_KEYWORDS and not pointer.endswith(("/properties", "/$defs"))
    ]
    for keyword in ("$id", "$schema"):
        # Python would resolve $refs below a nested $id against it; the browser would not.
        if keyword in node and pointer != "/schema":
            problems.append(
                Problem(
                    f"{pointer}/{keyword}",
                    f"{keyword} is allowed only at the top of the schema: remove it here",
                    "nested_keyword",
                    (("keyword", keyword),),
                )
            )
    if node.get("additionalProperties", False) is not False:
        problems.append(
            Problem(
                f"{pointer}/additionalProperties",
                "additionalProperties may only be false: every answer must belong to a "
                "question in properties",
                "additional_properties",
            )
        )
    ref = node.get("$ref")
    if isinstance(ref, str) and (problem := _ref_problem(f"{pointer}/$ref", ref, schemas)):
        problems.append(problem)
    if "$ref" in node and (beside := sorted(set(node) - {"$ref", "$comment", "$defs"})):
        # Both renderers read only what the $ref points to, while the validator applies the
        # keywords beside it too: a title there would never show, a type there would refuse
        # every answer the question's field can give.
        problems.append(
            Problem(
                f"{pointer}/{pointer_escape(beside[0])}",
                f"keywords beside $ref ({', '.join(beside)}) are not read: move them into "
                "the definition it points to",
                "ref_siblings",
                (("keywords", _short(", ".join(beside))),),
            )
        )
    required, properties = node.get("required"), node.get("properties")
    if isinstance(required, list) and isinstance(properties, dict):
        for index, name in enumerate(required):
            if isinstance(name, str) and name not in properties:
                # Every answer would lack it: a group could never be saved, even as a draft.
                problems.append(
                    Problem(
                        f"{pointer}/required/{index}",
                        f"{name!r} is required but is no question here",
                        "required_unknown",
                        (("id", _short(name)),),
                    )
                )
    pattern = node.get("pattern")
    if isinstance(pattern, str) and (refusal := pattern_refusal(pattern)):
        # The hint and what fills it in, for builder/messages.py to say in the reader's language.
        params = (("reason", refusal.reason), ("hint", refusal.hint), *refusal.params.items())
        problems.append(Problem(f"{pointer}/pattern", refusal.reason, "pattern", params))
    fmt = node.get("format")
    if isinstance(fmt, str) and fmt not in FORMATS:
        problems.append(
            Problem(f"{pointer}/format", f"format {fmt!r} is not supported", "unknown_format",
                    (("format", _short(fmt)),))
        )  # fmt: skip
    return (
        problems
        + _number_problems(pointer, node)
        + _crossed_limits(pointer, node)
        + _listed_values_problems(pointer, node)
    )


# A lower and an upper limit that leave no answer between them (the second is whether equal
# values are too), as in minimum 10 with maximum 5: the question can never be answered.
LIMIT_PAIRS = (
    ("minimum", "maximum", False),
    ("exclusiveMinimum", "maximum", True),
    ("minimum", "exclusiveMaximum", True),
    ("exclusiveMinimum", "exclusiveMaximum", True),
    ("minLength", "maxLength", False),
    ("minItems", "maxItems", False),
)


def _limit(value: Any) -> int | float | None:
    return None if isinstance(value, bool) or not isinstance(value, int | float) else value


def _crossed_limits(pointer: str, node: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for low_key, high_key, strict in LIMIT_PAIRS:
        low, high = _limit(node.get(low_key)), _limit(node.get(high_key))
        if low is not None and high is not None and (low > high or (strict and low == high)):
            problems.append(
                Problem(
                    f"{pointer}/{low_key}",
                    f"{low_key} {low} and {high_key} {high} leave no answer that fits",
                    "limits_crossed",
                    (
                        ("low_name", low_key),
                        ("low", str(low)),
                        ("high_name", high_key),
                        ("high", str(high)),
                    ),
                )  # fmt: skip
            )
    return problems


def _schema_problems(document: Mapping[str, Any]) -> list[Problem]:
    """Return the schema's problems: invalid, outside the subset, or read otherwise by JS."""
    schema = document["schema"]
    problems = [
        Problem(
            _pointer(["schema", *e.absolute_path]),
            f"invalid JSON Schema: {e.message}",
            f"schema.{e.validator}",
            (("keyword", _short(str(e.absolute_path[-1]) if e.absolute_path else "schema")),),
        )
        for e in Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(schema)
    ]
    if problems:
        return problems  # the walk below assumes a valid schema
    schemas = dict(_walk_schema(schema, "/schema"))
    for pointer, node in schemas.items():
        problems += _node_problems(pointer, node, schemas)
    return problems + _same_answer_cycle(schemas)


def _question_problems(
    document: Mapping[str, Any],
    qid: str,
    schema: Any,
    pointer: str,
    ui: Mapping[str, Any],
    ui_pointer: str,
    nested: bool,
) -> list[Problem]:
    schema, pointer = deref(document, schema, pointer)
    if not isinstance(schema, dict):
        return [Problem(pointer, "a question must be a JSON Schema object", "question_object")]
    problems: list[Problem] = []
    if not isinstance(schema.get("title"), str) or not schema["title"].strip():
        problems.append(
            Problem(pointer, f"question {qid!r} has no source-language title", "no_title",
                    (("id", qid),))
        )  # fmt: skip
    widget = ui.get("widget") or infer_widget(schema)
    if widget is None:
        problems.append(
            Problem(pointer, f"cannot infer a widget for {qid!r}; name one in ui", "no_widget",
                    (("id", qid),))
        )  # fmt: skip
        return problems
    if widget not in REGISTRY:
        here = f"{ui_pointer}/widget"
        if widget == INFO:
            reason = "'info' blocks live in ui.info, not in the schema"
            return [*problems, Problem(here, reason, "info_widget")]
        reason = f"unknown question type {widget!r}"
        shown = (("widget", _short(str(widget))),)
        return [*problems, Problem(here, reason, "unknown_widget", shown)]
    qtype = REGISTRY[widget]
    if not qtype.accepts(schema):
        problems.append(
            Problem(pointer, f"widget {widget!r} needs {qtype.shape}", "widget_schema",
                    (("widget", widget),))
        )  # fmt: skip
        return problems
    if nested and widget == "group":
        problems.append(Problem(pointer, "a group cannot contain another group", "group_in_group"))
    if widget in ("choice", "multichoice"):
        options_pointer = f"{pointer}/oneOf" if widget == "choice" else f"{pointer}/items/anyOf"
        options = resolve_pointer(document, options_pointer)
        if len(options) > MAX_OPTIONS:
            problems.append(
                Problem(options_pointer, f"question {qid!r} has {len(options)} options; at most "
                        f"{MAX_OPTIONS} are read on a phone", "too_many_options",
                        (("question", qid), ("limit", str(MAX_OPTIONS))))
            )  # fmt: skip
        seen: set[str] = set()
        for index, option in enumerate(options):
            title = option.get("title")
            if not isinstance(title, str) or not title.strip():
                problems.append(
                    Problem(
                        f"{options_pointer}/{index}",
                        "option has no source-language title",
                        "option_no_title",
                    )  # fmt: skip
                )
            const = option.get("const")
            if (reason := _option_value_problem(const, widget, schema)) is not None:
                problems.append(
                    Problem(f"{options_pointer}/{index}/const", reason, "option_value",
                            (("value", json.dumps(const, ensure_ascii=False)[:80]),))
                )  # fmt: skip
            elif _never_given(const, schema if widget == "choice" else schema.get("items") or {}):
                problems.append(_never_given_problem(f"{options_pointer}/{index}/const", const))
            # The answer the phone and the web pages send: "1" and 1 are both "1" there.
            key = option_token(const)
            if key in seen:
                problems.append(
                    Problem(
                        f"{options_pointer}/{index}/const",
                        f"duplicate option value {key}",
                        "duplicate_option",
                        (("question", _question_name(qid, schema)), ("value", key)),
                    )  # fmt: skip
                )
            seen.add(key)
        problems += _same_option_texts(document, qid, schema, options, options_pointer)
        fewest = schema.get("minItems")
        if widget == "multichoice" and _limit(fewest) is not None and fewest > len(options):
            # Each option can be chosen once: no answer has that many (uniqueItems or not,
            # the phone and the web pages offer each option once).
            problems.append(
                Problem(
                    f"{pointer}/minItems",
                    f"at least {fewest} choices are needed but question {qid!r} has only "
                    f"{len(options)} options",
                    "too_few_options",
                    (("question", qid), ("min", str(fewest)), ("count", str(len(options)))),
                )
            )
    for value, icon in (ui.get("option_icons") or {}).items():
        here = f"{ui_pointer}/option_icons/{pointer_escape(value)}"
        if widget not in ("choice", "multichoice", "yesno"):
            reason = f"question {qid!r} has no options to put icons on"
            problems.append(Problem(here, reason, "icons_no_options", (("question", qid),)))
        elif value not in (
            {"true", "false"}
            if widget == "yesno"
            else {str(v) for v in option_values(schema, widget)}
        ):
            problems.append(_no_option(here, qid, value))
        if icon not in PICTOGRAMS:
            problems.append(_unknown_pictogram(here, icon))
    tags = ui.get("resource_tags") or {}
    if tags:
        if widget == "yesno":
            allowed = {"true", "false"}
        else:
            allowed = {str(v) for v in option_values(schema, widget)}
        for value in tags:
            if value not in allowed:
                problems.append(
                    _no_option(f"{ui_pointer}/resource_tags/{pointer_escape(value)}", qid, value)
                )
    if widget == "group":
        items, items_pointer = deref(document, schema["items"], pointer + "/items")
        child_ui = ui.get("items") or {}
        for cid in child_ui:
            if cid not in items["properties"]:
                problems.append(
                    Problem(
                        f"{ui_pointer}/items/{pointer_escape(cid)}",
                        f"layout entry {cid!r} has no schema property in group {qid!r}",
                        "layout_unknown",
                        (("id", _short(cid)),),
                    )
                )
        id_pattern = meta_schema()["$defs"]["id"]["pattern"]
        for cid in items["properties"]:
            # Ids like "1" would also come first in a JavaScript object, out of document order.
            if not re.search(id_pattern, cid):
                problems.append(
                    Problem(
                        f"{items_pointer}/properties/{pointer_escape(cid)}",
                        f"{cid!r} is not an id: use a-z, 0-9 and _, starting with a letter",
                        "bad_id",
                        (("id", _short(cid)),),
                    )
                )
        for cid, cschema in items["properties"].items():
            problems += _question_problems(
                document,
                cid,
                cschema,
                f"{items_pointer}/properties/{pointer_escape(cid)}",
                child_ui.get(cid) or {},
                f"{ui_pointer}/items/{pointer_escape(cid)}",
                nested=True,
            )
        for key in ("visible_if",):
            for cid, cui in child_ui.items():
                if key in cui:
                    problems.append(
                        Problem(
                            f"{ui_pointer}/items/{pointer_escape(cid)}/{key}",
                            "conditions inside a group are not supported",
                            "condition_in_group",
                        )
                    )
    return problems


def _text_key(text: Any) -> str | None:
    """Return a text as a reader compares it (case and spacing aside), or None for no text."""
    if not isinstance(text, str) or not text.strip():
        return None
    return " ".join(text.split()).casefold()


def _question_name(qid: str, schema: Mapping[str, Any]) -> str:
    """Return a question as a problem names it: its text, or its name when it has none."""
    title = schema.get("title")
    return _short(title.strip() if isinstance(title, str) and title.strip() else qid)


def _same_option_texts(
    document: Mapping[str, Any],
    qid: str,
    schema: Mapping[str, Any],
    options: list[Any],
    options_pointer: str,
) -> list[Problem]:
    """Report two options of one question with the same text in one language.

    Their values differ (the builder makes a new value for a text given twice), so the answers
    differ too, but a participant cannot tell which is which, and a condition or resource tag
    on one of them silently misses those who chose the other. The source language is compared
    on the options' titles, every other language on its translations of them (an option left
    untranslated shows its source text, which the source language's comparison covers).
    """
    question = _question_name(qid, schema)
    problems: list[Problem] = []
    translations = document.get("translations") or {}
    languages: list[tuple[str | None, Mapping[str, Any]]] = [(None, {})]
    languages += [(lang, entries) for lang, entries in translations.items()]
    for lang, entries in languages:
        seen: set[str] = set()
        for index, option in enumerate(options):
            place = f"{options_pointer}/{index}/title"
            text = option.get("title") if lang is None else entries.get(place)
            key = _text_key(text)
            if key is None:
                continue
            if key in seen:
                params = (("question", question), ("option", _short(text.strip())))
                if lang is None:
                    problems.append(
                        Problem(place, f"two options of question {qid!r} have the text "
                                f"{text!r}", "same_option_text", params)
                    )  # fmt: skip
                else:
                    problems.append(
                        Problem(f"/translations/{pointer_escape(lang)}/{pointer_escape(place)}",
                                f"two options of question {qid!r} have the text {text!r} in "
                                f"{lang!r}", "same_option_text_translated",
                                (*params, ("lang", lang)))
                    )  # fmt: skip
            seen.add(key)
    return problems


def _layout_problems(document: Mapping[str, Any]) -> list[Problem]:
    properties = document["schema"]["properties"]
    ui = document["ui"]
    info = ui.get("info") or {}
    problems: list[Problem] = []
    for qid in properties:
        if qid in info:
            reason = f"id {qid!r} is both a question and info"
            problems.append(
                Problem(f"/ui/info/{pointer_escape(qid)}", reason, "question_and_info",
                        (("id", qid),))
            )  # fmt: skip
    placed: dict[str, str] = {}
    section_ids: set[str] = set()
    for index, section in enumerate(ui["sections"]):
        if section["id"] in section_ids:
            problems.append(
                Problem(
                    f"/ui/sections/{index}/id",
                    f"duplicate section id {section['id']!r}",
                    "duplicate_id",
                    (("id", section["id"]),),
                )  # fmt: skip
            )
        section_ids.add(section["id"])
        for position, item in enumerate(section["items"]):
            here = f"/ui/sections/{index}/items/{position}"
            if item not in properties and item not in info:
                problems.append(
                    Problem(here, f"layout entry {item!r} has no schema property",
                            "layout_unknown", (("id", item),))
                )  # fmt: skip
            elif item in placed:
                problems.append(
                    Problem(here, f"{item!r} is already placed at {placed[item]}",
                            "duplicate_id", (("id", item),))
                )  # fmt: skip
            else:
                placed[item] = here
    for qid in properties:
        if qid not in placed:
            problems.append(
                Problem(
                    f"/schema/properties/{pointer_escape(qid)}",
                    f"schema property {qid!r} is in no section",
                    "not_placed",
                    (("id", qid),),
                )
            )
    for info_id in info:
        if info_id not in placed:
            problems.append(
                Problem(f"/ui/info/{pointer_escape(info_id)}", f"info {info_id!r} is in no section",
                        "info_not_placed", (("id", info_id),))
            )  # fmt: skip
    for qid in ui.get("questions") or {}:
        if qid not in properties:
            problems.append(
                Problem(
                    f"/ui/questions/{pointer_escape(qid)}",
                    f"layout entry {qid!r} has no schema property",
                    "layout_unknown",
                    (("id", qid),),
                )
            )
    return problems


def _icon_problems(document: Mapping[str, Any]) -> list[Problem]:
    ui = document["ui"]
    problems = []
    places = [(f"/ui/sections/{i}/icon", s.get("icon")) for i, s in enumerate(ui["sections"])]
    places += [(f"/ui/info/{k}/icon", v.get("icon")) for k, v in (ui.get("info") or {}).items()]
    places += [(f"/ui/questions/{k}/icon", v.get("icon"))
               for k, v in (ui.get("questions") or {}).items()]  # fmt: skip
    for pointer, icon in places:
        if icon is not None and icon not in PICTOGRAMS:
            problems.append(_unknown_pictogram(pointer, icon))
    return problems


def _leaves(condition: Any) -> Iterator[tuple[str, str, Any]]:
    """``(question, operator, value)`` of each comparison in a condition."""
    if not isinstance(condition, dict):
        return
    for key in ("all", "any"):
        if isinstance(condition.get(key), list):
            for inner in condition[key]:
                yield from _leaves(inner)
            return
    if "not" in condition:
        yield from _leaves(condition["not"])
        return
    qid = condition.get("question")
    for operator in ("equals", "in", "contains"):
        if operator in condition and isinstance(qid, str):
            yield qid, operator, condition[operator]


# The operators that can hold for each widget's answer: a multichoice answer is a list of
# options, a group's a list of entries (only "answered" fits it), any other answer one value.
LIST_OPERATORS = {"multichoice": ("contains",), "group": ()}
SCALAR_OPERATORS = ("equals", "in")


def _condition_target(document: Mapping[str, Any], qid: str) -> tuple[str, dict[str, Any]] | None:
    """The widget and schema of the question a condition compares (None when unreadable)."""
    pointer = f"/schema/properties/{pointer_escape(qid)}"
    schema, _ = deref(document, document["schema"]["properties"][qid], pointer)
    if not isinstance(schema, dict):
        return None
    widget = ((document["ui"].get("questions") or {}).get(qid) or {}).get("widget")
    widget = widget or infer_widget(schema)
    return (widget, schema) if isinstance(widget, str) else None


def _possible_answers(document: Mapping[str, Any], qid: str, widget: str, schema: Any) -> Any:
    """The values a condition on ``qid`` can compare with: a list of options, or a test of
    one value's type; None when they cannot be read."""
    if widget == "yesno":
        return [True, False]
    if widget == "choice":
        listed = schema.get("oneOf")
    elif widget == "multichoice":
        pointer = f"/schema/properties/{pointer_escape(qid)}/items"
        items, _ = deref(document, schema.get("items"), pointer)
        listed = items.get("anyOf") if isinstance(items, dict) else None
    elif widget in ("number", "scale"):
        whole = schema.get("type") == "integer"
        return lambda v: (
            isinstance(v, int | float) and not isinstance(v, bool)
            and (not whole or float(v).is_integer())
        )  # fmt: skip
    elif widget in ("text", "textarea", "date", "country", "language"):
        # An empty answer is no answer (conditions.is_empty): it is never stored as "".
        return lambda v: isinstance(v, str) and v != ""
    else:
        return None
    if not isinstance(listed, list) or not all(isinstance(o, dict) for o in listed):
        return None
    return [o.get("const") for o in listed]


def _never_holds(pointer: str, condition: Any, document: Mapping[str, Any]) -> list[Problem]:
    """A comparison that can never hold keeps the questions it shows hidden for good: an
    operator that does not fit the answer (``equals`` on a multichoice), or a value the
    question cannot have (an option deleted, a widget changed after the condition, "5" for a
    number)."""
    problems = []
    for qid, operator, value in _leaves(condition):
        if qid not in document["schema"]["properties"]:
            continue
        target = _condition_target(document, qid)
        if target is None:
            continue
        widget, schema = target
        if operator not in LIST_OPERATORS.get(widget, SCALAR_OPERATORS):
            problems.append(
                Problem(pointer, f"{operator!r} never holds for the answer to {qid!r} "
                        f"(a {widget} question)", "operator_not_for_widget",
                        (("question", qid), ("operator", operator)))
            )  # fmt: skip
            continue
        possible = _possible_answers(document, qid, widget, schema)
        if possible is None:
            continue
        for wanted in value if operator == "in" and isinstance(value, list) else [value]:
            if callable(possible):
                if not possible(wanted):
                    problems.append(
                        Problem(pointer, f"question {qid!r} never has the answer "
                                f"{_shown(wanted)}", "never_answer",
                                (("question", qid), ("value", _shown(wanted))))
                    )  # fmt: skip
            elif not any(same(wanted, option) for option in possible):
                shown = wanted if isinstance(wanted, str) else json.dumps(wanted)
                problems.append(_no_option(pointer, qid, shown))
    return problems


def _condition_problems(document: Mapping[str, Any], compare: bool = True) -> list[Problem]:
    """Return the conditions' problems; ``compare``: also those that read the schema of the
    question compared (``_never_holds``), which needs a readable schema."""
    properties = document["schema"]["properties"]
    ui = document["ui"]
    problems: list[Problem] = []
    depends: dict[str, set[str]] = {qid: set() for qid in properties}
    located: list[tuple[str, Any, list[str]]] = []
    for qid, qui in (ui.get("questions") or {}).items():
        if "visible_if" in qui:
            located.append(
                (f"/ui/questions/{pointer_escape(qid)}/visible_if", qui["visible_if"], [qid])
            )
    for index, section in enumerate(ui["sections"]):
        if "visible_if" in section:
            members = [i for i in section["items"] if i in properties]
            located.append((f"/ui/sections/{index}/visible_if", section["visible_if"], members))
    for pointer, condition, owners in located:
        if compare:
            problems += _never_holds(pointer, condition, document)
        for ref in referenced_questions(condition):
            if ref not in properties:
                problems.append(
                    Problem(pointer, f"condition refers to unknown question {ref!r}",
                            "condition_unknown_question", (("question", ref),))
                )  # fmt: skip
                continue
            for owner in owners:
                if owner in depends:
                    depends[owner].add(ref)
    # A cycle: a question whose visibility depends, through any chain, on itself.
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(qid: str, trail: list[str]) -> None:
        state[qid] = 1
        for ref in sorted(depends.get(qid, ())):
            if state.get(ref) == 1:
                cycle = trail[trail.index(ref) :] + [ref] if ref in trail else [qid, ref]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    problems.append(
                        Problem(
                            f"/ui/questions/{pointer_escape(qid)}/visible_if",
                            "conditions form a cycle: " + " -> ".join(cycle),
                            "condition_cycle",
                            (("cycle", " → ".join(cycle)),),
                        )
                    )
            elif state.get(ref) is None:
                visit(ref, [*trail, ref])
        state[qid] = 2

    for qid in depends:
        if qid not in state:
            visit(qid, [qid])
    return problems


def _translation_problems(document: Mapping[str, Any]) -> list[Problem]:
    texts = dict(text_pointers(document))
    languages = set(document["languages"])
    problems: list[Problem] = []
    if document["source_language"] not in languages:
        problems.append(
            Problem("/languages", "the source language must be listed", "source_language_needed")
        )
    # The pattern lets any two or three letters through; only a language the locale data
    # knows has a name, a direction and plural rules to show and translate it with.
    known = language_codes()
    for pointer, lang in [
        ("/source_language", document["source_language"]),
        *((f"/languages/{index}", lang) for index, lang in enumerate(document["languages"])),
    ]:
        if lang not in known:
            problems.append(
                Problem(pointer, f"{lang!r} is not a known language code", "unknown_language",
                        (("lang", lang),))
            )  # fmt: skip
    for lang, entries in (document.get("translations") or {}).items():
        base = f"/translations/{pointer_escape(lang)}"
        if lang not in languages:
            problems.append(
                Problem(base, f"language {lang!r} is not in 'languages'", "translation_unlisted",
                        (("lang", lang),))
            )  # fmt: skip
        if lang == document["source_language"]:
            problems.append(
                Problem(base, "the source language is written in place, not here",
                        "translation_of_source")
            )  # fmt: skip
        for pointer in entries:
            if pointer not in texts:
                problems.append(
                    Problem(
                        f"{base}/{pointer_escape(pointer)}",
                        "translation for a text that is not in the document",
                        "translation_unknown_text",
                    )
                )
    return problems


# Schema problems after which the questions' schemas cannot be read safely: the schema is
# not valid JSON Schema, or a $ref cannot be followed (remote, with %, pointing nowhere, going
# round in a circle) or has keywords beside it that the validator reads and the renderers do
# not. The rules that read a question's schema wait until they are fixed; those on the layout,
# the condition references, the pictograms and the languages do not read it, and still run.
UNREADABLE_SCHEMA = frozenset(
    {"ref_remote", "ref_percent", "ref_nowhere", "ref_cycle", "ref_siblings"}
)


def _unreadable_schema(problem: Problem) -> bool:
    return problem.code.startswith("schema.") or problem.code in UNREADABLE_SCHEMA


def stopped_early(problems: list[Problem]) -> bool:
    """Whether ``check_document`` left rules out because of some of these problems (the
    document's structure, or a schema it cannot read): more problems may show once they are
    fixed. A report of the check says so."""
    return any(
        p.code.startswith("structure.") or p.code == "unreadable" or _unreadable_schema(p)
        for p in problems
    )


def check_document(document: Any) -> list[Problem]:
    """Return every problem in a questionnaire document (an empty list when it is good).

    Every rule that can run on what is sound runs, so that one check lists all it can. A
    document whose structure breaks the meta-schema gets only those problems (the rules
    assume it); one whose schema cannot be read (``UNREADABLE_SCHEMA``) skips the rules on the
    questions' schemas. ``stopped_early`` tells either case from the problems.
    """
    problems = _structure(document)
    if problems:
        return problems  # the rules below assume the structure is sound
    problems = _schema_problems(document)
    readable = not any(_unreadable_schema(p) for p in problems)
    if readable:
        ui_questions = document["ui"].get("questions") or {}
        for qid, qschema in document["schema"]["properties"].items():
            problems += _question_problems(
                document,
                qid,
                qschema,
                f"/schema/properties/{pointer_escape(qid)}",
                ui_questions.get(qid) or {},
                f"/ui/questions/{pointer_escape(qid)}",
                nested=False,
            )
    problems += _layout_problems(document)
    problems += _condition_problems(document, compare=readable)
    problems += _icon_problems(document)
    problems += _translation_problems(document)
    return problems
