"""The question-type registry: one entry per widget, mirrored in ``static/js/engine/types.js``.

A widget names the kind of question a participant sees. Each entry knows which answer schema
it accepts, so an unknown widget or a widget/schema mismatch fails when a document is checked,
never when it is rendered.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Schema = Mapping[str, Any]


def _options(schema: Schema, keyword: str) -> list[Any] | None:
    options = schema.get(keyword)
    if isinstance(options, list) and all(isinstance(o, dict) and "const" in o for o in options):
        return options
    return None


def _is_string(schema: Schema) -> bool:
    return schema.get("type") == "string"


def _is_number(schema: Schema) -> bool:
    return schema.get("type") in ("number", "integer")


def _is_choice(schema: Schema) -> bool:
    return _options(schema, "oneOf") is not None


def _is_multichoice(schema: Schema) -> bool:
    items = schema.get("items")
    return (
        schema.get("type") == "array"
        and isinstance(items, dict)
        and _options(items, "anyOf") is not None
    )


def _is_group(schema: Schema) -> bool:
    items = schema.get("items")
    return (
        schema.get("type") == "array"
        and isinstance(items, dict)
        and items.get("type") == "object"
        and isinstance(items.get("properties"), dict)
    )


def _is_scale(schema: Schema) -> bool:
    low, high = schema.get("minimum"), schema.get("maximum")
    return (
        schema.get("type") == "integer"
        and isinstance(low, int)
        and isinstance(high, int)
        and 0 < high - low <= 10
    )


@dataclass(frozen=True)
class QuestionType:
    """A widget: its name, the schema shape it needs, and how its answers look."""

    name: str
    accepts: Callable[[Schema], bool]
    shape: str
    multiple: bool = False

    def is_empty(self, value: Any) -> bool:
        """Return whether ``value`` counts as no answer."""
        return value is None or value == "" or value == [] or value == {}


REGISTRY: dict[str, QuestionType] = {
    t.name: t
    for t in (
        QuestionType("text", _is_string, 'a string schema ({"type": "string"})'),
        QuestionType("textarea", _is_string, 'a string schema ({"type": "string"})'),
        QuestionType("number", _is_number, "a number or integer schema"),
        QuestionType(
            "date",
            lambda s: _is_string(s) and s.get("format") == "date",
            'a date schema ({"type": "string", "format": "date"})',
        ),
        QuestionType("choice", _is_choice, 'a "oneOf" list of {"const", "title"} options'),
        QuestionType(
            "multichoice",
            _is_multichoice,
            'an array schema whose "items" has an "anyOf" list of {"const", "title"} options',
            multiple=True,
        ),
        QuestionType("yesno", lambda s: s.get("type") == "boolean", "a boolean schema"),
        QuestionType(
            "scale", _is_scale, 'an integer schema with "minimum" and "maximum" at most 10 apart'
        ),
        QuestionType("country", _is_string, 'a string schema ({"type": "string"})'),
        QuestionType("language", _is_string, 'a string schema ({"type": "string"})'),
        QuestionType(
            "group",
            _is_group,
            'an array schema whose "items" is an object schema with "properties"',
            multiple=True,
        ),
    )
}

INFO = "info"


def infer_widget(schema: Schema) -> str | None:
    """Return the default widget for a schema, or None when it must be named."""
    if schema.get("type") == "boolean":
        return "yesno"
    if _is_choice(schema):
        return "choice"
    if _is_multichoice(schema):
        return "multichoice"
    if _is_group(schema):
        return "group"
    if _is_string(schema):
        return "date" if schema.get("format") == "date" else "text"
    if _is_number(schema):
        return "number"
    return None


def option_token(value: Any) -> str:
    """Return the form value for an option: strings as they are, other JSON as JSON (the
    phone's optionToken in static/js/engine/render.js is the same)."""
    return value if isinstance(value, str) else json.dumps(value)


def is_option_value(value: Any) -> bool:
    """Whether ``value`` can be an option's value: a text or a whole number (never a bool,
    which Python counts as a number, a fraction, a list or an object)."""
    return isinstance(value, str | int) and not isinstance(value, bool)


def option_values(schema: Schema, widget: str) -> list[Any]:
    """Return the option values of a choice or multichoice question."""
    if widget == "choice":
        return [o["const"] for o in schema.get("oneOf", [])]
    if widget == "multichoice":
        return [o["const"] for o in schema.get("items", {}).get("anyOf", [])]
    return []
