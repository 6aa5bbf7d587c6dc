"""Visibility conditions and answer validation in the questionnaire core."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from webapp.questionnaires import evaluate, load_definition, validate_answers, visible_questions

from .documents import minimal_document

CASES = json.loads((Path(__file__).parent / "shared" / "conditions_cases.json").read_text())


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_shared_condition_case(case):
    assert evaluate(case["condition"], case["answers"]) is case["expected"]


@pytest.fixture
def definition():
    return load_definition(minimal_document())


def test_hidden_question_is_not_required_and_its_answer_is_dropped(definition):
    cleaned, errors = validate_answers(
        definition, {"name": "Amal", "work": "no", "employer": "Kiwi"}
    )
    assert errors == []
    assert "employer" not in cleaned


def test_visible_question_keeps_its_answer(definition):
    cleaned, errors = validate_answers(
        definition, {"name": "Amal", "work": "yes", "employer": "Kiwi"}
    )
    assert errors == [] and cleaned["employer"] == "Kiwi"


def test_hiding_cascades_through_chains():
    document = minimal_document()
    document["ui"]["questions"]["age"] = {"visible_if": {"question": "employer", "answered": True}}
    definition = load_definition(document)
    # employer is hidden (work is "no"), so its answer does not count for age either
    assert "age" not in visible_questions(definition, {"work": "no", "employer": "Kiwi"})
    assert "age" in visible_questions(definition, {"work": "yes", "employer": "Kiwi"})


BAD_ANSWERS = [
    # (answers, path, code)
    ({"work": "no"}, "/name", "required"),
    ({"name": "A", "work": "maybe"}, "/work", "choice"),
    ({"name": "A", "work": "no", "age": 12}, "/age", "minimum"),
    ({"name": "A", "work": "no", "age": 120}, "/age", "maximum"),
    ({"name": "A", "work": "no", "age": "old"}, "/age", "type"),
    ({"name": "A", "work": "no", "age": 30.5}, "/age", "type"),
    ({"name": "A" * 21, "work": "no"}, "/name", "max_length"),
    ({"name": "A", "work": "no", "born": "31.03.1990"}, "/born", "format"),
    ({"name": "A", "work": "no", "born": "1990-02-30"}, "/born", "format"),
    ({"name": "A", "work": "no", "licence": "yes"}, "/licence", "type"),
    ({"name": "A", "work": "no", "skills": ["it", "it"]}, "/skills", "unique"),
    ({"name": "A", "work": "no", "skills": ["knitting"]}, "/skills/0", "choice"),
    ({"name": "A", "work": "no", "country": "sy"}, "/country", "pattern"),
    ({"name": "A", "work": "no", "country": "QQ"}, "/country", "choice"),
    ({"name": "A", "work": "no", "educations": [{"years": 2}]}, "/educations/0/field", "required"),
    ({"name": "A", "work": "no", "educations": [{"field": "x", "years": -1}]},
     "/educations/0/years", "minimum"),
    ({"name": "A", "work": "no", "educations": [{"field": "x"}] * 4}, "/educations", "max_items"),
    ({"name": "A", "work": "no", "surprise": 1}, "/surprise", "unknown"),
]  # fmt: skip


@pytest.mark.parametrize(("answers", "path", "code"), BAD_ANSWERS)
def test_bad_answers_get_a_coded_error_at_their_path(definition, answers, path, code):
    _cleaned, errors = validate_answers(definition, answers)
    assert (path, code) in [(e.path, e.code) for e in errors], errors


def test_not_an_object(definition):
    _cleaned, errors = validate_answers(definition, ["name"])
    assert [(e.path, e.code) for e in errors] == [("", "type")]


def test_only_limits_errors_to_a_page(definition):
    _cleaned, errors = validate_answers(definition, {"age": 5}, only=["name", "age", "born"])
    assert {e.path for e in errors} == {"/name", "/age"}


def test_draft_check_skips_required_but_not_types(definition):
    _cleaned, errors = validate_answers(definition, {"age": "x"}, complete=False)
    assert [(e.path, e.code) for e in errors] == [("/age", "type")]


def test_blank_answers_count_as_unanswered(definition):
    cleaned, errors = validate_answers(
        definition, {"name": "  Amal ", "work": "no", "age": None, "skills": [], "born": ""}
    )
    assert errors == []
    assert cleaned == {"name": "Amal", "work": "no"}


def test_text_falls_back_along_the_chain(definition):
    assert definition.text("/schema/properties/name/title", "en") == "Name"
    assert definition.text_with_language("/schema/properties/age/title", "en") == ("Alder", "nb")
    assert definition.text("/schema/properties/name/title", "fa_AF") == "Navn"


def test_one_question_per_page_splits_sections_and_keeps_their_titles():
    document = minimal_document()
    document["ui"]["one_question_per_page"] = True
    definition = load_definition(document)
    assert [s.items for s in definition.sections] == [
        ("intro",), ("name",), ("age",), ("born",),
        ("work",), ("employer",), ("skills",), ("licence",), ("country",), ("educations",),
    ]  # fmt: skip
    assert [s.index for s in definition.sections] == list(range(10))
    assert definition.sections[5].pointer == "/ui/sections/1"
    assert definition.sections[5].id == "work-2"
