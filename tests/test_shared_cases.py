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
          r"\s", r"\S", r"\b", r"\B", "^", "$", r"\.", r"\n", r"\x41", r"\u00e6", "[a-z]",
          "[^a-z]", r"[\d\s]", r"[^\w]", r"[\w-]", "[ø-ÿ]", r"[\b]", r"[\D]", "(", ")", "(?:",
          "(?=", "(?!", "(?<=", "(?<!", "|", "*", "+", "?", "*?", "+?", "{2}", "{1,2}", "{0,}",
          "{,2}", "*+", "]", "}", r"\Z", "(?i)"]  # fmt: skip


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
    views = {name: _snapshot(document) for name, document in documents.items()}
    snapshot.write_text(json.dumps({"documents": views, "patterns": patterns}), "utf-8")
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
