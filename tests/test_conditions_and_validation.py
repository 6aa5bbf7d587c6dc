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


# ------------------------------------------------ choice lists checked as enums (issue 12)

FORMS = Path(__file__).parent.parent / "forms"
SHIPPED = {path.stem: json.loads(path.read_text("utf-8")) for path in FORMS.glob("*.json")}
SHIPPED = {name: doc for name, doc in SHIPPED.items() if "schema" in doc and "ui" in doc}


def _answer_sets(definition):
    """Answer sets a phone, a bug or an attacker might send: each question may get one of
    its own options, a list of them, another question's option, a wrong type, or nothing;
    group entries likewise; and unknown keys."""
    from hypothesis import strategies as st

    everyone = sorted({o.value for q in _all_questions(definition) for o in q.options or ()})
    scalar = st.one_of(
        st.sampled_from(everyone) if everyone else st.nothing(),
        st.text(max_size=5),
        st.integers(-3, 3),
        st.floats(-1e6, 1e6, allow_nan=False),
        st.booleans(),
        st.none(),
    )

    def value(q):
        own = [o.value for o in q.options or ()]
        if getattr(q, "children", None):
            entry = st.fixed_dictionaries({}, optional={c.id: value(c) for c in q.children})
            return st.one_of(st.lists(entry, max_size=3), scalar)
        if own:
            return st.one_of(
                st.sampled_from(own), st.lists(st.sampled_from(own), max_size=3), scalar
            )
        return st.one_of(scalar, st.lists(scalar, max_size=2))

    known = st.fixed_dictionaries(
        {}, optional={qid: value(q) for qid, q in definition.questions.items()}
    )
    unknown = st.dictionaries(st.text(min_size=1, max_size=3), scalar, max_size=2)
    return st.builds(lambda a, b: {**b, **a}, known, unknown)


def _all_questions(definition):
    for q in definition.questions.values():
        yield q
        yield from getattr(q, "children", None) or ()


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_choice_lists_as_enums_accept_and_refuse_the_same_answers(name):
    """The validator checks each oneOf/anyOf list of constants as an enum: on any answers
    the errors (paths and codes, in order) are those of the schema as written."""
    from hypothesis import given, settings

    from webapp.questionnaires.validate import (
        _errors_from_schema,
        answer_validator,
        choices_as_enums,
    )

    definition = load_definition(SHIPPED[name])
    rewritten = json.dumps(choices_as_enums(definition.schema))
    assert '"oneOf"' not in rewritten and '"anyOf"' not in rewritten  # every list rewritten

    @settings(max_examples=300, deadline=None)
    @given(_answer_sets(definition))
    def same_errors(given_answers):
        expected = _errors_from_schema(definition.schema, given_answers)
        assert _errors_from_schema(answer_validator(definition), given_answers) == expected

    same_errors()


def test_a_choice_list_with_a_value_twice_stays_a_one_of():
    from webapp.questionnaires.validate import choices_as_enums

    twice = {"oneOf": [{"const": 1, "title": "One"}, {"const": 1.0, "title": "Also one"}]}
    assert choices_as_enums(twice) == twice  # 1 matches both: never valid, as written
    mixed = {"oneOf": [{"const": "a"}, {"type": "string", "maxLength": 2}]}
    assert choices_as_enums(mixed) == mixed  # a branch that is more than a value
    data = {"const": {"oneOf": [{"const": "a"}]}, "examples": [{"anyOf": [{"const": 1}]}]}
    assert choices_as_enums(data) == data  # values are data, never rewritten
    assert choices_as_enums({"type": "string", "anyOf": [{"const": "a"}, {"const": "a"}]}) == {
        "type": "string",
        "enum": ["a", "a"],
    }


def test_an_answer_text_over_20000_characters_is_refused(definition):
    """Below the body's own limit (50,000): refused on its own, not with its whole batch."""
    long = "å" * 20_001
    answers = {"name": "A", "work": "yes", "employer": long, "educations": [{"field": long}]}
    _cleaned, errors = validate_answers(definition, answers)
    assert [(e.path, e.code, e.params) for e in errors] == [
        ("/employer", "max_length", {"limit": 20_000}),
        ("/educations/0/field", "max_length", {"limit": 20_000}),
    ]
    answers.update(employer="😀" * 20_000, educations=[])
    assert validate_answers(definition, answers)[1] == []
