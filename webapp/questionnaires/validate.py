"""Validate an answer set against a questionnaire version's JSON Schema.

Hidden questions are dropped first (and so are never required), then the answers are checked
with a standard draft 2020-12 validator. Errors come back as codes with parameters, one per
answer path, so the caller words them in the reader's language.
"""

from __future__ import annotations

import math
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from .conditions import is_empty, visible_questions
from .definition import Definition
from .names import country_codes, language_codes
from .pointers import pointer_escape

_PARAM_CODES = {
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "minimum",
    "exclusiveMaximum": "maximum",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minItems": "min_items",
    "maxItems": "max_items",
    "multipleOf": "multiple_of",
}
_CHOICE_KEYWORDS = frozenset({"oneOf", "anyOf", "const", "enum"})


@dataclass(frozen=True)
class AnswerError:
    """One problem with one answer: where (a JSON Pointer into the answers) and what."""

    path: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def question(self) -> str:
        """Return the top-level question id this error belongs to."""
        return self.path.split("/")[1] if self.path.count("/") else ""


def normalize(value: Any) -> Any:
    """Strip text and drop empty answers, recursively, so "" and [] mean not answered; a whole
    number sent as 4.0 is 4, as the phone reads it (4.0 stored for a scale question checked no
    radio button on the web page, and saving that page erased the answer)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        items = [normalize(v) for v in value]
        return [v for v in items if not is_empty(v)]
    if isinstance(value, dict):
        pairs = ((k, normalize(v)) for k, v in value.items())
        return {k: v for k, v in pairs if not is_empty(v)}
    return value


def _path(parts: Iterable[Any]) -> str:
    return "".join(f"/{pointer_escape(str(p))}" for p in parts)


def answer_validator(definition: Definition) -> Draft202012Validator:
    """Return the validator of the answers' schema, compiled once per Definition.

    Which top-level questions are required depends on the answers (hidden ones never are), so
    the caller filters the top-level ``required`` errors rather than changing the schema: the
    validator is then the same for every answer set, and the errors keep the schema's order.
    """
    validator = definition.compiled.get("answers")
    if validator is None:
        validator = Draft202012Validator(
            choices_as_enums(definition.schema), format_checker=FormatChecker()
        )
        definition.compiled["answers"] = validator
    return validator


#: Keywords that only describe: a branch with nothing else but ``const`` is a plain value.
_ANNOTATIONS = frozenset({"title", "description", "$comment", "examples", "deprecated"})
#: Keywords whose value is data, not a schema: never rewritten.
_DATA = frozenset({"const", "enum", "default", "examples"})


def _choice_values(branches: Any) -> list[Any] | None:
    """The values of a list of ``{"const": v, "title": ...}`` branches, else None."""
    if not isinstance(branches, list) or not branches:
        return None
    if not all(
        isinstance(b, dict) and "const" in b and set(b) <= _ANNOTATIONS | {"const"}
        for b in branches
    ):
        return None
    return [b["const"] for b in branches]


def _json_key(value: Any) -> Any:
    """A key equal for values JSON Schema calls equal (1 and 1.0; never 1 and true)."""
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, int | float):
        return ("number", float(value))
    if isinstance(value, list):
        return ("array", tuple(_json_key(v) for v in value))
    if isinstance(value, dict):
        return ("object", tuple(sorted((k, _json_key(v)) for k, v in value.items())))
    return ("string", value)


def choices_as_enums(schema: Any) -> Any:
    """Return a copy of ``schema`` where each choice list (``oneOf``/``anyOf`` of branches that
    are a ``const`` and its title) is the equivalent ``enum``, in the same place.

    The same answers pass and fail, with the same error code ("choice"), but the validator
    compares a value with a list instead of trying each branch as a schema of its own and
    building an error for each that fails: most of the time of checking an answer set
    (issue 12). A ``oneOf`` with a value twice (never valid for it) is left as it is.
    """
    if isinstance(schema, list):
        return [choices_as_enums(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    copied: dict[str, Any] = {}
    for keyword, value in schema.items():
        values = _choice_values(value) if keyword in ("oneOf", "anyOf") else None
        distinct = values is not None and len({_json_key(v) for v in values}) == len(values)
        if (
            values is not None
            and "enum" not in schema
            and "enum" not in copied
            and (keyword == "anyOf" or distinct)
        ):
            copied["enum"] = values
        elif keyword in _DATA:
            copied[keyword] = value
        else:
            copied[keyword] = choices_as_enums(value)
    return copied


def _errors_from_schema(
    schema: Mapping[str, Any] | Draft202012Validator,
    answers: Any,
    required: Container[str] | None = None,
) -> list[AnswerError]:
    """Return the schema's errors; of the top level's required questions, only ``required``
    (all of them when it is None). ``schema`` may be a compiled validator."""
    validator = (
        schema
        if isinstance(schema, Draft202012Validator)
        else Draft202012Validator(schema, format_checker=FormatChecker())
    )
    found: list[AnswerError] = []
    expanded: set[tuple[str, int]] = set()
    for error in validator.iter_errors(answers):
        where = list(error.absolute_path)
        keyword = error.validator
        if keyword == "required":
            # jsonschema reports each missing property apart, with the same list each time.
            if (_path(where), id(error.schema)) in expanded:
                continue
            expanded.add((_path(where), id(error.schema)))
            missing = [p for p in error.validator_value if p not in error.instance]
            if required is not None and error.schema is validator.schema:
                missing = [p for p in missing if p in required]
            found += [AnswerError(_path([*where, p]), "required") for p in missing]
        elif keyword == "additionalProperties":
            known = set(error.schema.get("properties", {}))
            extra = [k for k in error.instance if k not in known]
            found += [AnswerError(_path([*where, k]), "unknown") for k in extra]
        elif keyword == "type":
            found.append(AnswerError(_path(where), "type", {"expected": error.validator_value}))
        elif keyword in _PARAM_CODES:
            found.append(
                AnswerError(_path(where), _PARAM_CODES[keyword], {"limit": error.validator_value})
            )
        elif keyword in _CHOICE_KEYWORDS:
            found.append(AnswerError(_path(where), "choice"))
        elif keyword == "pattern":
            found.append(AnswerError(_path(where), "pattern"))
        elif keyword == "format":
            found.append(AnswerError(_path(where), "format", {"format": error.validator_value}))
        elif keyword == "uniqueItems":
            found.append(AnswerError(_path(where), "unique"))
        else:
            found.append(AnswerError(_path(where), "invalid"))
    return found


def _code_errors(definition: Definition, answers: Mapping[str, Any]) -> list[AnswerError]:
    """Check country and language answers against Babel's lists (the schema checks shape)."""
    known = {"country": country_codes(), "language": language_codes()}
    found: list[AnswerError] = []
    for qid, question in definition.questions.items():
        value = answers.get(qid)
        if (
            question.widget in known
            and isinstance(value, str)
            and value not in known[question.widget]
        ):
            found.append(AnswerError(_path([qid]), "choice"))
        if question.widget == "group" and isinstance(value, list):
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    continue
                for child in question.children:
                    cvalue = item.get(child.id)
                    codes = known.get(child.widget)
                    if codes is not None and isinstance(cvalue, str) and cvalue not in codes:
                        found.append(AnswerError(_path([qid, index, child.id]), "choice"))
    return found


def _scalars(answers: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every value inside ``answers`` that is no object or list, with its path."""
    if isinstance(answers, Mapping):
        items: Iterable[tuple[Any, Any]] = answers.items()
    elif isinstance(answers, list):
        items = enumerate(answers)
    else:
        yield where, answers
        return
    for key, value in items:
        yield from _scalars(value, (*where, key))


def _non_finite_errors(answers: Any) -> list[AnswerError]:
    """Refuse NaN and Infinity: JSON cannot carry them, so a stored one breaks every reader."""
    return [
        AnswerError(_path(where), "type", {"expected": "number"})
        for where, value in _scalars(answers)
        if isinstance(value, float) and not math.isfinite(value)
    ]


#: The longest text an answer may be, whatever its question says (a maxLength may say less).
#: It is below the body's own limit (input_guard.MAX_STRING), so an over-long answer is refused
#: on its own, with a reason the phone can show, and not the whole batch it was sent in, which
#: the phone would send again forever. The phone's validate.js has the same number.
MAX_ANSWER_TEXT = 20_000


def _long_text_errors(answers: Any) -> list[AnswerError]:
    return [
        AnswerError(_path(where), "max_length", {"limit": MAX_ANSWER_TEXT})
        for where, value in _scalars(answers)
        if isinstance(value, str) and len(value) > MAX_ANSWER_TEXT
    ]


def clean_answers(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Return the answers normalized, with those to hidden questions removed."""
    return _cleaned_and_visible(definition, answers)[0]


def _unknown_errors(definition: Definition, cleaned: Mapping[str, Any]) -> list[AnswerError]:
    """An answer is only ever to a question of this version, whether or not its schema says
    ``additionalProperties: false`` (a builder's document did not): an answer to a question
    the version does not have (deleted in it, or an old page's) would be stored and shown by
    nobody. The schema's own refusal of the same path comes first; this is the same code."""
    errors = []
    for qid, value in cleaned.items():
        question = definition.questions.get(qid)
        if question is None:
            errors.append(AnswerError(_path([qid]), "unknown"))
        elif question.widget == "group" and isinstance(value, list):
            children = {child.id for child in question.children}
            for index, entry in enumerate(value):
                if isinstance(entry, Mapping):
                    errors += [
                        AnswerError(_path([qid, index, key]), "unknown")
                        for key in entry
                        if key not in children
                    ]
    return errors


def without_legacy(
    definition: Definition, answers: Mapping[str, Any], stored: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return ``answers`` without answers to questions the version does not have.

    Such answers were stored before the write path refused them (see ``_unknown_errors``);
    nobody sees them, and left in place they made every later save of their response a 422.
    With ``stored``, only those equal to the stored answer at the same place go (what a
    phone or page sends back of them); a new answer to an unknown question is still refused.
    """
    kept: dict[str, Any] = {}
    for qid, value in answers.items():
        question = definition.questions.get(qid)
        if question is None:
            if stored is not None and stored.get(qid) != value:
                kept[qid] = value
            continue
        if question.widget == "group" and isinstance(value, list):
            children = {child.id for child in question.children}
            before = (stored or {}).get(qid)
            value = [
                {
                    key: item
                    for key, item in entry.items()
                    if key in children
                    or (
                        stored is not None
                        and not (
                            isinstance(before, list)
                            and index < len(before)
                            and isinstance(before[index], Mapping)
                            and before[index].get(key) == item
                        )
                    )
                }
                if isinstance(entry, Mapping)
                else entry
                for index, entry in enumerate(value)
            ]
        kept[qid] = value
    return kept


def _cleaned_and_visible(
    definition: Definition, answers: Mapping[str, Any]
) -> tuple[dict[str, Any], set[str]]:
    # Hidden answers count as not given when visibility is worked out, so dropping them
    # changes no question's visibility: the visible set of the cleaned answers is this one.
    normalized = normalize(dict(answers))
    visible = visible_questions(definition, normalized)
    cleaned = {k: v for k, v in normalized.items() if k in visible or k not in definition.questions}
    return cleaned, visible


def validate_answers(
    definition: Definition,
    answers: Any,
    *,
    only: Iterable[str] | None = None,
    complete: bool = True,
) -> tuple[dict[str, Any], list[AnswerError]]:
    """Return ``(cleaned answers, errors)``.

    ``only`` limits the errors to some questions (one page); ``complete=False`` checks a draft,
    where required questions may still be open.
    """
    if not isinstance(answers, Mapping):
        return {}, [AnswerError("", "type", {"expected": "object"})]
    cleaned, visible = _cleaned_and_visible(definition, answers)
    required = visible if complete else ()
    errors = _non_finite_errors(cleaned)
    errors += _errors_from_schema(answer_validator(definition), cleaned, required)
    errors += _long_text_errors(cleaned)
    errors += _code_errors(definition, cleaned)
    errors += _unknown_errors(definition, cleaned)
    if only is not None:
        wanted = set(only)
        errors = [e for e in errors if e.question in wanted]
    # One error per answer path is enough to act on; the first is the most basic one.
    unique: dict[str, AnswerError] = {}
    for error in errors:
        unique.setdefault(error.path, error)
    return cleaned, list(unique.values())
