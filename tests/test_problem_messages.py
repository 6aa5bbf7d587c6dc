"""Every problem the checker finds is said as a sentence in the administrator's language.

The builder's publish page, its JSON view and the upload page show each problem of a document
through ``problem_message``. Before, about twenty of the checker's rules and every rule of the
format's meta-schema had no code, so a Norwegian or Arabic administrator read the checker's
English reason ("'sections' is a required property") inside a translated frame.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from webapp.builder.messages import OTHER, PROBLEMS, problem_message
from webapp.questionnaires import check_document

from .documents import minimal_document
from .test_questionnaire_check import BAD_DOCUMENTS, P, _delete, _set

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT / "webapp" / "questionnaires" / "check.py"

# The meta-schema's own rules, each once, beside the checker's rules in BAD_DOCUMENTS.
STRUCTURE = [
    # (name, change, pointer, words in the English sentence)
    ("not an object", _set(["ui"], []), "/ui", "must be an object"),
    ("not a list", _set(["languages"], "nb"), "/languages", "must be a list"),
    ("not a text", _set(["title"], 5), "/title", "must be a text"),
    ("not a whole number", _set(["version"], 1.5), "/version", "must be a whole number"),
    ("not true or false", _set(["ui", "one_question_per_page"], "yes"),
     "/ui/one_question_per_page", "must be true or false"),
    ("equals a list", _set(["ui", "questions", "employer", "visible_if"],
                           {"question": "work", "equals": ["yes"]}),
     "/ui/questions/employer/visible_if/equals", "a text, a number, or true or false"),
    ("contains true", _set(["ui", "questions", "employer", "visible_if"],
                           {"question": "skills", "contains": True}),
     "/ui/questions/employer/visible_if/contains", "a text or a number"),
    ("wrong format tag", _set(["format"], "surveyjs"), "/format",
     "This must be \"loype-questionnaire/1\"."),
    ("unknown audience", _set(["audience"], "everyone"), "/audience",
     "This must be one of \"participant\", \"counsellor\"."),
    ("missing key", _delete(["ui", "sections", 0, "title"]), "/ui/sections/0",
     "“title” is missing here"),
    ("key that does not belong", _set(["ui", "sections", 0, "colour"], "red"),
     "/ui/sections/0", "“colour” does not belong here"),
    ("bad id", _set(["ui", "sections", 0, "id"], "Om deg"), "/ui/sections/0/id",
     "“Om deg” cannot be a name"),
    ("bad question name", _set([*P, "Navn"], {"type": "string", "title": "x"}),
     "/schema/properties", "“Navn” cannot be a name"),
    ("bad language", _set(["languages"], ["nb", "english"]), "/languages/1",
     "“english” is not a language code"),
    ("bad translation language", _set(["translations", "EN"], {}), "/translations",
     "“EN” is not a language code"),
    ("bad slug", _set(["slug"], "Not A Slug"), "/slug", "cannot be the questionnaire's short name"),
    ("bad resource tag", _set(["ui", "questions", "work"], {"resource_tags": {"yes": ["Jobb"]}}),
     "/ui/questions/work/resource_tags/yes/0", "“Jobb” cannot be a resource tag"),
    ("bad text pointer", _set(["translations", "en"], {"title": "Test"}), "/translations/en",
     "“title” is not the place of a text"),
    ("empty list", _set(["languages"], []), "/languages", "This list cannot be empty."),
    ("empty text", _set(["title"], ""), "/title", "This text cannot be empty."),
    ("version 0", _set(["version"], 0), "/version", "This must be 1 or more."),
    ("a language twice", _set(["languages"], ["nb", "nb"]), "/languages",
     "may appear only once"),
    ("not a condition", _set(["ui", "questions", "employer", "visible_if"], {}),
     "/ui/questions/employer/visible_if", "This is not a condition."),
    # Fits no form (no "equals", "in", …), though "question" is wrongly a number too: the
    # reader is told it is not a condition, not only that the number should be a text.
    ("a condition of no form", _set(["ui", "questions", "employer", "visible_if"],
                                    {"question": 5, "is": 1}),
     "/ui/questions/employer/visible_if", "This is not a condition."),
    ("a condition inside all", _set(["ui", "questions", "employer", "visible_if"],
                                    {"all": [{"question": "work", "equals": ["yes"]}]}),
     "/ui/questions/employer/visible_if/all/0/equals", "a text, a number, or true or false"),
    ("invalid JSON Schema", _set([*P, "age", "minimum"], "sixteen"),
     "/schema/properties/age/minimum", "not valid at “minimum”"),
    ("no questions", _set([*P], {}), "/schema/properties", "has no questions yet"),
    ("an empty section", _set(["ui", "sections", 0, "items"], []), "/ui/sections/0/items",
     "This section has no questions yet."),
    ("no source language", _set(["languages"], ["en"]), "/languages",
     "must stay among its languages"),
    ("the source language translated", _set(["translations", "nb"], {"/title": "Test"}),
     "/translations/nb", "written in place"),
    ("a question and an info text", lambda d: d["ui"].setdefault("info", {}).update(
        {"name": {"text": "Hei"}}), "/ui/info/name", "used by a question and by an info text"),
    ("an info text in no section", lambda d: d["ui"].setdefault("info", {}).update(
        {"hello": {"text": "Hei"}}), "/ui/info/hello", "The info text “hello” is in no section."),
    ("pictograms on a text question",
     _set(["ui", "questions", "name"], {"option_icons": {"x": "work"}}),
     "/ui/questions/name/option_icons/x", "has no answer options to put pictograms on"),
    ("condition in a group",
     _set(["ui", "questions", "educations"],
          {"items": {"years": {"visible_if": {"question": "name", "answered": True}}}}),
     "/ui/questions/educations/items/years/visible_if", "cannot have a condition of its own"),
    # Named by its question: the builder shows the place beside it, the upload page does not.
    ("an option's value twice", _set([*P, "work", "oneOf", 1, "const"], "yes"),
     "/schema/properties/work/oneOf/1/const", "The question “Jobber du?” has two answer options "
     "with the same value, yes."),
    ("no widget", _set([*P, "name"], {"title": "Navn"}), "/schema/properties/name",
     "It is not clear which type of question “name” is"),
    ("a question that is not an object", _set([*P, "name"], True), "/schema/properties/name",
     "must be a JSON Schema object"),
]  # fmt: skip

CASES = [(name, change, pointer, "") for name, change, pointer, _ in BAD_DOCUMENTS] + STRUCTURE


def _messages(app, document, lang: str) -> list[tuple[str, str]]:
    with app.test_request_context(headers={"Accept-Language": lang}):
        return [(p.pointer, problem_message(p)) for p in check_document(document)]


def _frame() -> str:
    return str(OTHER).split("%(reason)s")[0]


@pytest.mark.parametrize(
    ("change", "pointer", "words"), [pytest.param(c, p, w, id=n) for n, c, p, w in CASES]
)
def test_every_problem_is_a_sentence_in_the_readers_language(app, change, pointer, words):
    document = minimal_document()
    change(document)
    english = _messages(app, document, "en")
    assert any(p.startswith(pointer) for p, _ in english), english
    assert any(words in m for p, m in english if p.startswith(pointer)), (words, english)
    for _, message in english:
        # A sentence of its own: not the checker's reason in the generic frame, nothing unfilled.
        assert not message.startswith(_frame()), message
        assert "%(" not in message and "None" not in message, message
    for lang in ("nb", "ar"):
        translated = _messages(app, document, lang)
        assert len(translated) == len(english)
        for (_, there), (_, here) in zip(translated, english, strict=True):
            assert there != here, f"{lang} shows the English sentence {here!r}"


def _problem_calls() -> list[ast.Call]:
    tree = ast.parse(CHECKER.read_text("utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem"
    ]


def test_every_rule_of_the_checker_has_a_code_with_a_sentence():
    calls = _problem_calls()
    assert len(calls) > 30
    codes = set()
    for call in calls:
        code = call.args[2] if len(call.args) > 2 else None
        code = code or next((k.value for k in call.keywords if k.arg == "code"), None)
        assert code is not None, f"Problem at line {call.lineno} of check.py has no code"
        if isinstance(code, ast.Constant):
            codes.add(code.value)
        else:  # structure.<keyword> and schema.<keyword>: chosen in messages._code
            assert isinstance(code, ast.JoinedStr), ast.dump(code)
    assert codes - set(PROBLEMS) == set()


def test_a_sentence_whose_params_are_missing_falls_back_to_the_reason(app):
    from webapp.questionnaires import Problem

    with app.test_request_context(headers={"Accept-Language": "en"}):
        message = problem_message(
            Problem("/ui", "'x' is a required property", "structure.required")
        )
    assert message.endswith("'x' is a required property") and "%(" not in message


PATTERN_CASES = json.loads((Path(__file__).parent / "shared" / "pattern_cases.json").read_text())


@pytest.mark.parametrize("case", PATTERN_CASES["refused"], ids=lambda c: c["pattern"])
def test_a_refused_answer_pattern_is_said_in_the_readers_language(app, case):
    """The hint (which construct, what to write instead) is translated too, not left in
    English inside the translated sentence; the construct itself stays as written."""
    document = minimal_document()
    document["schema"]["properties"]["name"]["pattern"] = case["pattern"]
    [(_, english)] = _messages(app, document, "en")
    assert case["reason"] in english
    for lang in ("nb", "ar", "uk"):
        [(_, translated)] = _messages(app, document, lang)
        hint = english.split(": ", 1)[1]
        assert hint not in translated, f"{lang} shows the English hint {hint!r}"
        assert "%(" not in translated and "None" not in translated
