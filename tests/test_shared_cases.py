"""The shared cases run against the Python core here and against the JavaScript engine in Node.

``tests/shared/*.json`` holds cases both implementations must agree on. This module checks the
Python side, then runs ``node --test tests/js/`` with a snapshot of Python's view of the shipped
questionnaires (``LOYPE_DEFINITION_SNAPSHOT``), so one pytest run guards both.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from flask_babel import force_locale

from webapp.questionnaires import (
    AnswerError,
    check_document,
    load_definition,
    validate_answers,
    visible_questions,
)
from webapp.questionnaires.definition import Question
from webapp.questionnaires.patterns import pattern_problem
from webapp.questionnaires.validate import _errors_from_schema
from webapp.rendering.messages import ANSWER_MESSAGES, answer_messages, message_for

from .documents import minimal_document
from .shared import make_codes

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(__file__).parent / "shared"
VALIDATION = json.loads((SHARED / "validation_cases.json").read_text("utf-8"))
CASES = VALIDATION["cases"]
PATTERNS = json.loads((SHARED / "pattern_cases.json").read_text("utf-8"))
MESSAGES = json.loads((SHARED / "message_cases.json").read_text("utf-8"))
LANGUAGES = ["nb", "en", "en_GB", "nn", "fa_AF", "fa_IR", "ps", "ar", "de"]


def test_minimal_document_is_dumped_verbatim():
    assert VALIDATION["documents"]["minimal"] == minimal_document()


def test_codes_fixture_is_up_to_date():
    assert (SHARED / "codes.json").read_text("utf-8") == make_codes.render(), (
        "run: .venv/bin/python tests/shared/make_codes.py"
    )


def test_case_names_are_unique():
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_validation_case(case):
    definition = load_definition(VALIDATION["documents"][case["document"]])
    cleaned, errors = validate_answers(definition, case["answers"], **case["options"])
    expected = case["expected"]
    assert cleaned == expected["cleaned"]
    got = [[e.path, e.code, dict(e.params)] for e in errors]
    want = [[*error, {}][:3] for error in expected["errors"]]
    assert got == want


def test_message_table_is_the_one_the_phone_checks_against():
    assert MESSAGES["messages"] == ANSWER_MESSAGES


def test_message_cases(app):
    """Each error on each kind of question gets the sentence messages.js gives it too."""
    name_question = load_definition(minimal_document()).questions["name"]
    with app.test_request_context(), force_locale("en"):
        for case in MESSAGES["cases"]:
            error = AnswerError("/q", case["code"], case["params"])
            question = None
            if case["widget"] is not None:
                question = dataclasses.replace(name_question, widget=case["widget"])
            assert message_for(error, question) == case["expected"], case


def test_messages_are_translated_from_the_one_table(app):
    with app.test_request_context(), force_locale("nb"):
        error = AnswerError("/age", "minimum", {"limit": 16.0})
        assert message_for(error) == "Tallet må være 16 eller mer."
        table = answer_messages()
    assert table.keys() == ANSWER_MESSAGES.keys()
    assert table["minimum"] == "Tallet må være %(limit)s eller mer."
    assert table["required"] != ANSWER_MESSAGES["required"]


def _question(question: Question) -> dict:
    return {
        "id": question.id,
        "pointer": question.pointer,
        "widget": question.widget,
        "uiPointer": question.ui_pointer,
        "required": question.required,
        "options": [{"value": o.value, "pointer": o.pointer} for o in question.options],
        "children": [_question(child) for child in question.children],
    }


# Answers of every kind, right and wrong, for the random answer sets.
JUNK = ["", "  ", " x ", "2024-02-29", "2023-02-29", 0, 3, 4.0, 2.5, -1, 1000, True, False, None,
        [], ["x"], [1, 1], {}, {"a": 1}, "NO", "QQ", "sy", "ti", "xx", "øæå😀"]  # fmt: skip


def _value(question: Question, rng: random.Random):
    if rng.random() < 0.35:
        return rng.choice(JUNK)
    if question.widget == "group":
        return [
            {c.id: _value(c, rng) for c in question.children if rng.random() < 0.7}
            for _ in range(rng.randint(0, 4))
        ]
    values = [o.value for o in question.options]
    if question.widget == "multichoice":
        return rng.sample(values, rng.randint(0, min(3, len(values))))
    if values:
        return rng.choice(values)
    if question.widget in ("number", "scale"):
        return rng.randint(-2, 12)
    return rng.choice([True, False] if question.widget == "yesno" else JUNK)


def _answer_sets(definition, count: int = 120) -> list[dict]:
    """Return random answer sets with Python's visible questions and validation of each."""
    rng = random.Random(2024)
    sets = []
    for index in range(count):
        answers = {
            qid: _value(q, rng) for qid, q in definition.questions.items() if rng.random() < 0.6
        }
        if index % 5 == 4:
            answers["not_a_question"] = rng.choice(JUNK)
        options: dict = {"complete": index % 3 != 1}
        if index % 4 == 2:
            options["only"] = list(rng.choice(definition.sections).items)
        cleaned, errors = validate_answers(definition, answers, **options)
        sets.append(
            {
                "answers": answers,
                "options": options,
                "visible": sorted(visible_questions(definition, answers)),
                "cleaned": cleaned,
                "errors": [[e.path, e.code, dict(e.params)] for e in errors],
            }
        )
    return sets


def _with_pattern(pattern: str) -> dict:
    document = minimal_document()
    document["schema"]["properties"]["name"]["pattern"] = pattern
    return document


@pytest.mark.parametrize("case", PATTERNS["accepted"], ids=lambda c: c["pattern"])
def test_accepted_pattern(case):
    assert check_document(_with_pattern(case["pattern"])) == []
    found = [text for text in PATTERNS["samples"] if re.search(case["pattern"], text)]
    assert found == case["matches"]


@pytest.mark.parametrize("case", PATTERNS["refused"], ids=lambda c: c["pattern"])
def test_refused_pattern(case):
    problems = check_document(_with_pattern(case["pattern"]))
    assert [p.pointer for p in problems] == ["/schema/properties/name/pattern"]
    assert case["reason"] in problems[0].reason
    # Python's half of why it is refused (the browser's half is in tests/js/engine.test.mjs).
    re.purge()  # a cached pattern would not warn again
    if case["python"] == "error":
        with pytest.raises(re.error):
            re.compile(case["pattern"])
    elif case["python"] == "warns":
        with pytest.warns(FutureWarning):
            re.compile(case["pattern"])
    else:
        re.compile(case["pattern"])
    if case["javascript"] == "differs":
        assert bool(re.search(case["pattern"], case["sample"])) == case["python_matches"]


# Pieces of patterns, for random ones: every construct the checker accepts, and some it refuses.
PIECES = ["a", "b", "ø", "A", "1", "١", "😀", "-", " ", "_", ".", r"\d", r"\D", r"\w", r"\W",
          r"\s", r"\S", "x", "ß", "^", "$", r"\.", r"\n", r"\x41", r"\u00e6", "[a-z]",
          "[^a-z]", r"[\d\s]", r"[^\w]", r"[\w-]", "[ø-ÿ]", r"[\b]", r"[\D]", "(", ")", "(?:",
          "(?=", "(?!", "\n", "Æ", "|", "*", "+", "?", "*?", "+?", "{2}", "{1,2}", "{0,}",
          "{,2}", "*+", "]", "}", r"\Z", "(?i)", r"\b", "(?<="]  # fmt: skip


def _random_patterns(count: int = 6000) -> list[list]:
    """Return random accepted patterns with the samples Python's re.search finds in them."""
    rng = random.Random(7)
    found: dict[str, list[int]] = {}
    for _ in range(count):
        pattern = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 7)))
        if pattern not in found and pattern_problem(pattern) is None:
            found[pattern] = [
                i for i, text in enumerate(PATTERNS["samples"]) if re.search(pattern, text)
            ]
    return [[pattern, matches] for pattern, matches in found.items()]


def test_random_patterns_are_mostly_accepted():
    """Guard the random patterns of the JavaScript test from testing nothing."""
    assert len(_random_patterns()) > 1000


def _random_schema(rng: random.Random, depth: int = 0, refs: bool = True) -> dict:
    """Return a random schema of the documented subset (property names are not integers)."""
    schema: dict = {}
    if depth == 0 and refs:
        schema["$defs"] = {name: _random_schema(rng, 1, refs=False) for name in ("d0", "d1")}
    kinds = ["string", "number", "integer", "boolean", "null", "array", "object"]
    for _ in range(rng.randint(1, 4)):
        keyword = rng.choice(
            ["type", "type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
             "multipleOf", "minLength", "maxLength", "pattern", "format", "const", "enum",
             "uniqueItems", "minItems", "maxItems", "required", "items", "properties",
             "additionalProperties", "oneOf", "anyOf", "$ref"]
        )  # fmt: skip
        if keyword in ("items", "properties", "oneOf", "anyOf") and depth > 1:
            continue
        if keyword == "$ref":
            if refs and depth > 0:
                schema[keyword] = rng.choice(["#/$defs/d0", "#/$defs/d1"])
            continue
        if keyword == "type":
            schema["type"] = rng.choice(kinds) if rng.random() < 0.8 else rng.sample(kinds, 2)
        elif keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            schema[keyword] = rng.choice([0, 1, -1, 2.5, 10, 0.1])
        elif keyword == "multipleOf":
            schema[keyword] = rng.choice([2, 3, 0.5, 0.1, 0.25, 7])
        elif keyword in ("minLength", "maxLength", "minItems", "maxItems"):
            schema[keyword] = rng.randint(0, 3)
        elif keyword == "pattern":
            schema[keyword] = rng.choice(PATTERNS["accepted"])["pattern"]
        elif keyword == "format":
            schema[keyword] = "date"
        elif keyword == "const":
            schema[keyword] = _random_value(rng, 1)
        elif keyword == "enum":
            schema[keyword] = [_random_value(rng, 1) for _ in range(rng.randint(1, 3))]
        elif keyword == "uniqueItems":
            schema[keyword] = rng.random() < 0.8
        elif keyword == "required":
            schema[keyword] = rng.sample(["a", "b", "c"], rng.randint(1, 2))
        elif keyword == "items":
            schema[keyword] = _random_schema(rng, depth + 1, refs) if rng.random() < 0.9 else False
        elif keyword == "properties":
            names = rng.sample(["a", "b", "c"], rng.randint(1, 3))
            schema[keyword] = {n: _random_schema(rng, depth + 1, refs) for n in names}
        elif keyword == "additionalProperties":
            schema[keyword] = False
        else:
            count = rng.randint(1, 3)
            schema[keyword] = [_random_schema(rng, depth + 1, refs) for _ in range(count)]
    return schema


def _random_value(rng: random.Random, depth: int = 0):
    """Return a random JSON value (objects with the keys the random schemas name)."""
    choice = rng.randint(0, 9 if depth < 2 else 7)
    if choice == 0:
        return rng.choice([None, True, False])
    if choice in (1, 2):
        return rng.choice([0, 1, -1, 2, 3, 6, 7, 10, 21, 2.5, 0.5, 0.3, 0.1, 1.0, -0.25, 1e308,
                           9.75, 0.30000000000000004, 1.7e308, 14])  # fmt: skip
    if choice in (3, 4, 5):
        return rng.choice(PATTERNS["samples"] + ["2024-02-29", "2023-02-29", "2024-13-01"])
    if choice in (6, 7):
        return rng.choice(["a", 1, True, None, 1.0, "b"])
    if choice == 8:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = rng.sample(["a", "b", "c", "d"], rng.randint(0, 3))
    return {k: _random_value(rng, depth + 1) for k in keys}


def _random_schema_errors(count: int = 1500) -> list[list]:
    """Return random [schema, value, errors] with Python's errors (before one-per-path)."""
    rng = random.Random(11)
    found = []
    for _ in range(count):
        schema = _random_schema(rng)
        for value in [_random_value(rng) for _ in range(8)]:
            errors = [[e.path, e.code, dict(e.params)] for e in _errors_from_schema(schema, value)]
            found.append([schema, value, errors])
    return found


def test_random_schemas_find_errors():
    """Guard the random schemas of the JavaScript test from testing nothing."""
    errors = [e for _schema, _value, found in _random_schema_errors() for e in found]
    assert len({code for _path, code, _params in errors}) >= 12


def _sparse(document: dict) -> dict:
    """Return a copy with gaps in its translations, so that the fallback chain is exercised."""
    document = copy.deepcopy(document)
    document["fallbacks"] = {"fa_AF": ["fa"], "ps": ["fa_AF", "en"], "de": ["en"]}
    for lang, entries in document.get("translations", {}).items():
        for index, pointer in enumerate(list(entries), start=len(lang)):
            if index % 3 == 1:
                del entries[pointer]
            elif index % 5 == 2:
                entries[pointer] = " \u3000"
    return document


def _snapshot(document: dict) -> dict:
    """Return Python's view of a document: its index and every text in a few languages."""
    definition = load_definition(document)
    pointers = [pointer for pointer, _text in definition.texts()] + ["/nowhere"]
    return {
        "document": document,
        "sections": [
            {
                "id": s.id,
                "index": s.index,
                "items": list(s.items),
                "visibleIf": s.visible_if,
                "sourceIndex": s.source_index,
            }
            for s in definition.sections
        ],
        "questions": {qid: _question(q) for qid, q in definition.questions.items()},
        "info": definition.info,
        "answer_sets": _answer_sets(definition),
        "texts": [
            [pointer, lang, definition.text_with_language(pointer, lang)]
            for pointer in pointers
            for lang in LANGUAGES
        ],
    }


def test_javascript_engine(tmp_path):
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is needed to test the JavaScript engine")
        pytest.skip("node is not installed")
    documents = {}
    for name in ("kartlegging.json", "muligheter.json"):
        documents[name] = json.loads((ROOT / "forms" / name).read_text("utf-8"))
        documents[f"{name} with gaps"] = _sparse(documents[name])
    one_per_page = copy.deepcopy(documents["kartlegging.json"])
    one_per_page["ui"]["one_question_per_page"] = True
    documents["kartlegging.json one question per page"] = one_per_page
    documents.update(VALIDATION["documents"])
    snapshot = tmp_path / "definitions.json"
    patterns = _random_patterns()
    schemas = _random_schema_errors()
    views = {name: _snapshot(document) for name, document in documents.items()}
    snapshot.write_text(
        json.dumps({"documents": views, "patterns": patterns, "schemas": schemas}), "utf-8"
    )
    env = {**os.environ, "LOYPE_DEFINITION_SNAPSHOT": str(snapshot)}
    result = subprocess.run(
        [node, "--test", "tests/js/"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
