"""Each class of bad questionnaire document is reported with its JSON path and a reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from webapp.questionnaires import DocumentError, check_document, load_definition
from webapp.questionnaires.check import stopped_early

from .documents import minimal_document

Doc = dict[str, Any]


def _set(pointer_parts: list, value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        node = doc
        for part in pointer_parts[:-1]:
            node = node[part]
        node[pointer_parts[-1]] = value

    return change


def _delete(pointer_parts: list) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        node = doc
        for part in pointer_parts[:-1]:
            node = node[part]
        del node[pointer_parts[-1]]

    return change


def _add_to_section(index: int, item: str) -> Callable[[Doc], None]:
    return lambda doc: doc["ui"]["sections"][index]["items"].append(item)


P = ["schema", "properties"]

BAD_DOCUMENTS = [
    # (name, change, pointer, words in the reason)
    ("unknown question type", _set(["ui", "questions", "name"], {"widget": "slider"}),
     "/ui/questions/name/widget", "unknown question type 'slider'"),
    ("widget does not fit schema", _set(["ui", "questions", "name"], {"widget": "scale"}),
     "/schema/properties/name", "widget 'scale' needs"),
    ("duplicate id in layout", _add_to_section(1, "name"),
     "/ui/sections/1/items/6", "already placed"),
    ("duplicate section id", _set(["ui", "sections", 1, "id"], "about"),
     "/ui/sections/1/id", "duplicate section id"),
    ("condition on unknown question",
     _set(["ui", "questions", "employer", "visible_if"], {"question": "nope", "equals": 1}),
     "/ui/questions/employer/visible_if", "unknown question 'nope'"),
    ("condition on an option the question does not have",
     _set(["ui", "questions", "employer", "visible_if"], {"question": "work", "equals": "maybe"}),
     "/ui/questions/employer/visible_if", "no option 'maybe' in question 'work'"),
    ("condition on an option, nested",
     _set(["ui", "questions", "employer", "visible_if"], {"not": {"any": [
         {"question": "skills", "contains": "it"}, {"question": "skills", "contains": "art"}]}}),
     "/ui/questions/employer/visible_if", "no option 'art' in question 'skills'"),
    # A comparison that can never hold hides what it shows for good.
    ("equals on a multichoice",
     _set(["ui", "questions", "employer", "visible_if"], {"question": "skills", "equals": "it"}),
     "/ui/questions/employer/visible_if", "'equals' never holds for the answer to 'skills'"),
    ("contains on a choice",
     _set(["ui", "questions", "employer", "visible_if"], {"question": "work", "contains": "yes"}),
     "/ui/questions/employer/visible_if", "'contains' never holds for the answer to 'work'"),
    ("in on a group",
     _set(["ui", "questions", "employer", "visible_if"], {"question": "educations", "in": ["x"]}),
     "/ui/questions/employer/visible_if", "'in' never holds for the answer to 'educations'"),
    ("a text compared with a number question",
     _set(["ui", "questions", "employer", "visible_if"], {"question": "age", "equals": "30"}),
     "/ui/questions/employer/visible_if", "question 'age' never has the answer \"30\""),
    ("a fraction compared with a whole-number question",
     _set(["ui", "questions", "employer", "visible_if"], {"question": "age", "in": [30, 30.5]}),
     "/ui/questions/employer/visible_if", "question 'age' never has the answer 30.5"),
    ("a number compared with a text question",
     _set(["ui", "questions", "employer", "visible_if"],
          {"any": [{"question": "name", "equals": "Ali"}, {"question": "name", "equals": 5}]}),
     "/ui/questions/employer/visible_if", "question 'name' never has the answer 5"),
    # Limits that leave no answer between them: the question can never be answered.
    ("minimum above maximum", _set([*P, "age", "minimum"], 100),
     "/schema/properties/age/minimum", "minimum 100 and maximum 99 leave no answer"),
    ("minLength above maxLength", _set([*P, "name", "minLength"], 21),
     "/schema/properties/name/minLength", "minLength 21 and maxLength 20"),
    ("an exclusive limit equal to the other", _set([*P, "age", "exclusiveMaximum"], 16),
     "/schema/properties/age/minimum", "minimum 16 and exclusiveMaximum 16"),
    ("a group's minItems above its maxItems", _set([*P, "educations", "minItems"], 4),
     "/schema/properties/educations/minItems", "minItems 4 and maxItems 3"),
    ("more choices needed than there are options", _set([*P, "skills", "minItems"], 3),
     "/schema/properties/skills/minItems", "at least 3 choices are needed but question 'skills'"),
    ("yes/no condition on a text",
     _set(["ui", "questions", "employer", "visible_if"], {"question": "licence", "equals": "ja"}),
     "/ui/questions/employer/visible_if", "no option 'ja' in question 'licence'"),
    ("condition cycle", lambda d: d["ui"]["questions"].update(
        {"work": {"visible_if": {"question": "employer", "answered": True}}}),
     "/ui/questions/", "cycle"),
    ("option without title", _delete([*P, "work", "oneOf", 1, "title"]),
     "/schema/properties/work/oneOf/1", "option has no source-language title"),
    ("duplicate option value", _set([*P, "work", "oneOf", 1, "const"], "yes"),
     "/schema/properties/work/oneOf/1/const", "duplicate option value"),
    ("layout entry without schema property", _add_to_section(0, "ghost"),
     "/ui/sections/0/items/4", "has no schema property"),
    ("schema property without layout entry",
     _set([*P, "extra"], {"type": "string", "title": "Ekstra"}),
     "/schema/properties/extra", "is in no section"),
    ("ui entry without schema property", _set(["ui", "questions", "ghost"], {"widget": "text"}),
     "/ui/questions/ghost", "has no schema property"),
    ("invalid regex", _set([*P, "name", "pattern"], "([a-z"),
     "/schema/properties/name/pattern", "never closed"),
    ("repeat count too large for Python", _set([*P, "name", "pattern"], "x{99999999999}"),
     "/schema/properties/name/pattern", "invalid regular expression"),
    ("title beside $ref", lambda d: d["schema"].update(
        {"$defs": {"yn": {"type": "boolean", "title": "Ja eller nei"}},
         "properties": {**d["schema"]["properties"],
                        "name": {"$ref": "#/$defs/yn", "title": "Har du bil?"}}}),
     "/schema/properties/name/title", "keywords beside $ref (title) are not read"),
    ("group entries by $ref beside properties", lambda d: d["schema"].update(
        {"$defs": {"x": {"type": "string"}}, "properties": {**d["schema"]["properties"],
         "educations": {**d["schema"]["properties"]["educations"], "items": {
             **d["schema"]["properties"]["educations"]["items"], "$ref": "#/$defs/x"}}}}),
     "/schema/properties/educations/items", "keywords beside $ref"),
    ("group requires a question it does not have",
     _set([*P, "educations", "items", "required"], ["firm"]),
     "/schema/properties/educations/items/required/0", "'firm' is required but is no question"),
    ("options the phone sends alike", lambda d: d["schema"]["properties"].update(
        {"work": {"title": "Jobber du?", "oneOf": [{"const": "1", "title": "Ett (tekst)"},
                                                    {"const": 1, "title": "Ett (tall)"}]}}),
     "/schema/properties/work/oneOf/1/const", "duplicate option value"),
    ("Python-only pattern", _set([*P, "name", "pattern"], "(?i)^[a-z]+$"),
     "/schema/properties/name/pattern", "(?i) are Python-only: write both cases"),
    ("$id below the root", _set([*P, "name", "$id"], "https://example.org/name"),
     "/schema/properties/name/$id", "$id is allowed only at the top of the schema"),
    ("$schema below the root", _set([*P, "educations", "items", "$schema"],
                                    "https://json-schema.org/draft/2020-12/schema"),
     "/schema/properties/educations/items/$schema", "allowed only at the top"),
    ("additionalProperties as a schema",
     _set([*P, "educations", "items", "additionalProperties"], {"type": "string"}),
     "/schema/properties/educations/items/additionalProperties", "may only be false"),
    ("additionalProperties true", _set([*P, "educations", "items", "additionalProperties"], True),
     "/schema/properties/educations/items/additionalProperties", "may only be false"),
    ("$ref with a %-escape", lambda d: d["schema"].update(
        {"$defs": {"a%20b": {"type": "string", "title": "x"}},
         "properties": {**d["schema"]["properties"], "name": {"$ref": "#/$defs/a%20b"}}}),
     "/schema/properties/name/$ref", "contains %"),
    ("$ref to a place that is no schema", _set([*P, "name"], {"$ref": "#/required"}),
     "/schema/properties/name/$ref", "point to a schema"),
    ("$ref loop", lambda d: d["schema"].update(
        {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"anyOf": [{"$ref": "#/$defs/a"}]}},
         "properties": {**d["schema"]["properties"],
                        "name": {"title": "x", "anyOf": [{"$ref": "#/$defs/a"}]}}}),
     "/schema/$defs/", "lead back to where they start"),
    ("integer beyond a double", _set([*P, "age", "maximum"], 2**53 + 1),
     "/schema/properties/age/maximum", "cannot hold 9007199254740993 exactly"),
    ("integer beyond a double in an enum", _set([*P, "age", "enum"], [1, [2, 2**60]]),
     "/schema/properties/age/enum", "cannot hold"),
    ("multipleOf written as a float", _set([*P, "age", "multipleOf"], 3.0),
     "/schema/properties/age/multipleOf", "whole number 3"),
    ("group child id that is not an id",
     _set([*P, "educations", "items", "properties", "1"], {"type": "string", "title": "x"}),
     "/schema/properties/educations/items/properties/1", "is not an id"),
    ("remote $ref", _set([*P, "name"], {"$ref": "https://example.org/s.json", "title": "x"}),
     "/schema/properties/name/$ref", "remote $ref"),
    ("keyword outside subset", _set([*P, "name", "if"], {"type": "string"}),
     "/schema/properties/name/if", "not in the supported JSON Schema subset"),
    ("question without title", _delete([*P, "age", "title"]),
     "/schema/properties/age", "no source-language title"),
    ("resource tag for unknown option",
     _set(["ui", "questions", "skills", "resource_tags"], {"knitting": ["x"]}),
     "/ui/questions/skills/resource_tags/knitting", "no option 'knitting'"),
    ("translation for unknown text",
     _set(["translations", "en", "/schema/properties/x/title"], "X"),
     "/translations/en/~1schema~1properties~1x~1title", "not in the document"),
    ("translation in undeclared language", _set(["translations", "de"], {"/title": "Test"}),
     "/translations/de", "not in 'languages'"),
    ("wrong format tag", _set(["format"], "surveyjs"), "/format", "was expected"),
    ("bad slug", _set(["slug"], "Not A Slug"), "/slug", "does not match"),
    ("missing sections", _delete(["ui", "sections"]), "/ui", "'sections' is a required property"),
    ("invalid JSON Schema", _set([*P, "age", "minimum"], "sixteen"),
     "/schema/properties/age/minimum", "invalid JSON Schema"),
    ("unsupported format", _set([*P, "born", "format"], "email"),
     "/schema/properties/born/format", "not supported"),
    ("info as a widget", _set(["ui", "questions", "name"], {"widget": "info"}),
     "/ui/questions/name/widget", "ui.info"),
    ("group inside group", _set([*P, "educations", "items", "properties", "years"],
                                {"type": "array", "title": "x", "items": {"type": "object",
                                 "properties": {"a": {"type": "string", "title": "a"}}}}),
     "/schema/properties/educations/items/properties/years", "group cannot contain"),
    ("unknown pictogram on a section", _set(["ui", "sections", 0, "icon"], "unicorn"),
     "/ui/sections/0/icon", "unknown pictogram 'unicorn'"),
    ("pictogram for an unknown option",
     _set(["ui", "questions", "work"], {"option_icons": {"maybe": "work"}}),
     "/ui/questions/work/option_icons/maybe", "no option 'maybe'"),
    # A JSON file can spell half of a UTF-16 pair ("\\ud800"); such a text can be neither
    # stored in PostgreSQL nor sent to a phone as UTF-8, so it is refused at the import.
    ("lone surrogate in a text", _set([*P, "name", "title"], "Navn\ud800"),
     "/schema/properties/name/title", "lone surrogate"),
    ("NUL in a translation", _set(["translations", "en"], {"/title": "Test\x00"}),
     "/translations/en/~1title", "NUL"),
    ("lone surrogate in a name", _set(["ui", "questions", "\udfff"], {}), "/ui/questions",
     "a name holds"),
    ("malformed condition",
     _set(["ui", "questions", "employer", "visible_if"], {"question": "work", "is": "yes"}),
     "/ui/questions/employer/visible_if", ""),
    # An empty answer is no answer (it is never stored), so this never holds: the builder's
    # "Add a rule" once stored it for a text question, which then stayed hidden for good.
    ("a text compared with the empty answer",
     _set(["ui", "questions", "employer", "visible_if"], {"question": "name", "equals": ""}),
     "/ui/questions/employer/visible_if", "question 'name' never has the answer \"\""),
    ("a date compared with the empty answer",
     _set(["ui", "questions", "employer", "visible_if"],
          {"question": "born", "in": ["2000-01-01", ""]}),
     "/ui/questions/employer/visible_if", "question 'born' never has the answer \"\""),
    ("more options than a phone reads",
     _set([*P, "work", "oneOf"], [{"const": f"v{n}", "title": f"Valg {n}"} for n in range(301)]),
     "/schema/properties/work/oneOf", "has 301 options; at most 300"),
    # A value listed for a question that its own limits refuse: a required question limited
    # to it could never be answered, on the phone or on the web pages.
    ("a number listed for a text", _set([*P, "name", "enum"], ["Ali", 5]),
     "/schema/properties/name/enum/1", "5 can never be an answer"),
    ("a text longer than the question takes", _set([*P, "name", "const"], "x" * 21),
     "/schema/properties/name/const", "can never be an answer"),
    ("a listed text outside the pattern", _set([*P, "country", "enum"], ["NO", "Norge"]),
     "/schema/properties/country/enum/1", "\"Norge\" can never be an answer"),
    ("a listed age under the minimum", _set([*P, "age", "enum"], [15, 16]),
     "/schema/properties/age/enum/0", "15 can never be an answer"),
    ("a listed date that is no date", _set([*P, "born", "enum"], ["2000-02-30"]),
     "/schema/properties/born/enum/0", "can never be an answer"),
    ("an option longer than the question takes", _set([*P, "work", "maxLength"], 2),
     "/schema/properties/work/oneOf/0/const", "\"yes\" can never be an answer"),
    ("an option outside the items' pattern", _set([*P, "skills", "items", "pattern"], "^c"),
     "/schema/properties/skills/items/anyOf/0/const", "\"it\" can never be an answer"),
]  # fmt: skip


def test_minimal_document_is_valid():
    assert check_document(minimal_document()) == []


def test_comparisons_and_limits_that_can_hold_are_accepted():
    document = minimal_document()
    document["ui"]["questions"]["employer"]["visible_if"] = {"all": [
        {"question": "work", "in": ["yes", "no"]},
        {"question": "skills", "contains": "it"},
        {"question": "licence", "equals": True},
        {"question": "age", "in": [30, 31.0]},
        {"question": "born", "equals": "2000-01-01"},
        {"question": "name", "in": ["Ali", "Sara"]},
        {"question": "educations", "answered": True},
    ]}  # fmt: skip
    schema = document["schema"]["properties"]
    schema["name"]["minLength"] = 20  # as many as maxLength: exactly 20 characters
    schema["age"].update(minimum=16, maximum=16)
    schema["skills"]["minItems"] = 2  # both options
    schema["name"]["enum"] = ["x" * 20, "y" * 20]  # values its own limits take
    schema["country"]["const"] = "NO"
    schema["age"]["enum"] = [16]
    schema["born"]["enum"] = ["2000-01-01"]
    assert check_document(document) == []


@pytest.mark.parametrize(
    ("change", "pointer", "reason"),
    [pytest.param(c, p, r, id=name) for name, c, p, r in BAD_DOCUMENTS],
)
def test_bad_document_is_reported(change, pointer, reason):
    document = minimal_document()
    change(document)
    problems = check_document(document)
    assert problems, "expected at least one problem"
    matching = [p for p in problems if p.pointer.startswith(pointer) and reason in p.reason]
    assert matching, f"no problem at {pointer} mentioning {reason!r}; got {problems}"
    with pytest.raises(DocumentError):
        load_definition(document)


@pytest.mark.parametrize("not_a_document", [None, [], "text", 3, {"format": 1}])
def test_non_documents_are_reported_not_raised(not_a_document):
    assert check_document(not_a_document)


def test_every_pictogram_has_a_file_and_every_file_a_name():
    from pathlib import Path

    from webapp.questionnaires.pictograms import PICTOGRAMS

    folder = Path(__file__).resolve().parent.parent / "static" / "icons" / "pictograms"
    assert {p.stem for p in folder.glob("*.svg")} == PICTOGRAMS


def _many_problems() -> Doc:
    """A file with problems at every stage after the meta-schema: in the schema's own rules (a
    required name with no question, a Python-only pattern, crossed limits), in the questions
    (an option value twice, an unknown type, no text), in the layout, a condition and a
    language (the case of /tmp/explore-S/bad1.json)."""
    document = minimal_document()
    schema = document["schema"]
    schema["required"] = ["name", "no_such_question"]
    schema["properties"]["name"]["pattern"] = "(?P<x>a+)"
    schema["properties"]["age"].update(minimum=99, maximum=10)
    schema["properties"]["work"]["oneOf"][1]["const"] = "yes"
    schema["properties"]["orphan"] = {"type": "string", "title": "In no section"}
    del schema["properties"]["born"]["title"]
    document["ui"]["questions"]["licence"] = {"widget": "slider"}
    document["ui"]["sections"][0]["items"].append("ghost")
    document["ui"]["questions"]["employer"]["visible_if"] = {"question": "nope", "equals": "x"}
    document["languages"].append("zz")
    return document


def test_one_check_lists_the_problems_of_every_stage():
    """The schema's own rules once stopped the check: an import showed these three problems,
    and the other seven only after they were fixed."""
    problems = check_document(_many_problems())
    assert {(p.code, p.pointer) for p in problems} == {
        ("required_unknown", "/schema/required/1"),
        ("pattern", "/schema/properties/name/pattern"),
        ("limits_crossed", "/schema/properties/age/minimum"),
        ("duplicate_option", "/schema/properties/work/oneOf/1/const"),
        ("unknown_widget", "/ui/questions/licence/widget"),
        ("no_title", "/schema/properties/born"),
        ("layout_unknown", "/ui/sections/0/items/4"),
        ("not_placed", "/schema/properties/orphan"),
        ("condition_unknown_question", "/ui/questions/employer/visible_if"),
        ("unknown_language", "/languages/2"),
    }
    assert not stopped_early(problems)


UNREADABLE_SCHEMAS = [
    ("invalid JSON Schema", _set([*P, "age", "minimum"], "sixteen")),
    ("a $ref to nowhere", _set([*P, "work"], {"$ref": "#/$defs/answer"})),
    ("a remote $ref", _set([*P, "work"], {"$ref": "https://example.org/answer.json"})),
    ("a $ref with keywords beside it",
     _set([*P, "educations", "items", "$ref"], "#/properties/name")),
]  # fmt: skip


@pytest.mark.parametrize("change", [pytest.param(c, id=n) for n, c in UNREADABLE_SCHEMAS])
def test_a_schema_that_cannot_be_read_holds_back_only_the_rules_that_read_it(change):
    """The questions' rules cannot read such a schema; the layout, condition references,
    pictograms and languages are checked all the same, and the check says it stopped."""
    document = minimal_document()
    change(document)
    document["ui"]["questions"]["licence"] = {"widget": "slider"}  # read from the schema
    document["ui"]["sections"][0]["items"].append("ghost")
    document["ui"]["questions"]["employer"]["visible_if"] = {"question": "nope", "equals": "x"}
    document["ui"]["sections"][0]["icon"] = "unicorn"
    document["languages"].append("zz")
    problems = check_document(document)
    codes = {p.code for p in problems}
    assert {"layout_unknown", "condition_unknown_question", "unknown_pictogram",
            "unknown_language"} <= codes  # fmt: skip
    assert "unknown_widget" not in codes
    assert stopped_early(problems)


def test_a_document_that_breaks_the_format_is_checked_no_further_and_says_so():
    document = _many_problems()
    document["ui"]["sections"][0]["title"] = 5
    problems = check_document(document)
    assert [p.code for p in problems] == ["structure.type"]
    assert stopped_early(problems)
