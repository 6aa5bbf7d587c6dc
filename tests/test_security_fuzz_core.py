"""Hypothesis on the questionnaire core: whatever document or answers arrive, the checker and
the answer validator answer with problems or errors, never with an exception.

Documents start from the shipped questionnaire with random parts replaced by random JSON (so
they get past the first structural checks and reach the deeper rules), and from pure random
JSON. Answers use the questionnaire's own question ids with random values.
"""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.questionnaires import check_document, validate_answers
from webapp.questionnaires.definition import build_definition
from webapp.questionnaires.validate import AnswerError

from .conftest import FORMS

SHIPPED = json.loads((FORMS / "kartlegging.json").read_text())
DEFINITION = build_definition(SHIPPED)
QUESTION_IDS = sorted(DEFINITION.questions)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


PATHS = [p for p in _paths(SHIPPED) if p]


@st.composite
def mutated_documents(draw):
    document = copy.deepcopy(SHIPPED)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        node = document
        try:
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    return document


@settings(FUZZ, max_examples=25)  # each check runs the whole meta-schema: about 0.4 s
@given(document=mutated_documents())
def test_checker_never_raises_on_mutated_documents(document):
    problems = check_document(document)
    assert isinstance(problems, list)
    if not problems:
        build_definition(document)  # a document the checker passes must load


@FUZZ
@given(document=json_values)
def test_checker_never_raises_on_any_json(document):
    assert check_document(document)  # random JSON is never a questionnaire


answers = st.dictionaries(
    st.sampled_from(QUESTION_IDS) | st.text(max_size=10), json_values, max_size=8
)


@FUZZ
@given(answers=answers, complete=st.booleans())
def test_validator_never_raises(answers, complete):
    cleaned, errors = validate_answers(DEFINITION, answers, complete=complete)
    assert isinstance(cleaned, dict)
    assert all(isinstance(e, AnswerError) and e.path.startswith("/") or e.path == ""
               for e in errors)  # fmt: skip
    if not errors:
        json.dumps(cleaned, allow_nan=False)  # answers that pass can be stored


@FUZZ
@given(answers=json_values)
def test_validator_never_raises_on_any_json(answers):
    validate_answers(DEFINITION, answers)
