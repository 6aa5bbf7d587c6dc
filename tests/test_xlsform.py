"""XLSForm import: real spreadsheets built with openpyxl, every mapped feature, and a report
that lists every row and column not imported."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from webapp.questionnaires import check_document, uploads
from webapp.questionnaires.xlsform import condition_of, limits_of, read_xlsform

from .conftest import csrf_token, login_staff

SURVEY = [
    ["type", "name", "label::Norsk bokmål (nb)", "label::English (en)", "hint::English (en)",
     "required", "relevant", "constraint", "constraint_message", "appearance"],
    ["start", "start", None, None, None, None, None, None, None, None],
    ["begin_group", "about", "Om deg", "About you", None, None, None, None, None, None],
    ["integer", "age", "Alder", "Age", "In years", "yes", None, ". >= 16 and . <= 99",
     "16 to 99", None],
    ["select_one yn", "works", "Jobber du?", "Do you work?", None, "true()", None, None, None,
     "horizontal"],
    ["text", "job", "Hvilken jobb?", "Which job?", None, None, "${works} = 'yes'",
     "string-length(.) <= 80", None, None],
    ["select_multiple langs", "langs", "Språk", "Languages", None, None, None,
     "count-selected(.) <= 2", None, None],
    ["text", "why", "Hvorfor?", "Why?", None, None, "selected(${langs}, 'other') and ${age} > 30",
     None, None, None],
    ["end_group", None, None, None, None, None, None, None, None, None],
    ["begin_repeat", "children", "Barn", "Children", None, None,
     "not(${works} != 'no')", None, None, None],
    ["text", "name", "Navn", "Name", None, "yes", None, "regex(., '^[A-Za-z ]+$')", None, None],
    ["date", "born", "Født", "Born", None, None, None, None, None, None],
    ["geopoint", "where", "Hvor?", "Where?", None, None, None, None, None, None],
    ["end_repeat", None, None, None, None, None, None, None, None, None],
    ["note", "thanks", "Takk!", "Thank you!", None, None, None, None, None, None],
    ["calculate", "score", None, None, None, None, None, None, None, None],
]  # fmt: skip
CHOICES = [
    ["list_name", "name", "label::Norsk bokmål (nb)", "label::English (en)", "image"],
    ["yn", "yes", "Ja", "Yes", None],
    ["yn", "no", "Nei", "No", None],
    ["langs", "nb", "Norsk", "Norwegian", "flag.png"],
    ["langs", "other", "Annet", "Other", None],
]
SETTINGS = [["form_title", "form_id", "default_language", "version"],
            ["Kartlegging fra Kobo", "kobo_kartlegging", "Norsk bokmål (nb)", "2024"]]  # fmt: skip


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _full():
    return read_xlsform(xlsx({"survey": SURVEY, "choices": CHOICES, "settings": SETTINGS}))


def test_a_full_xlsform_becomes_a_checked_document():
    document, _report = _full()
    assert check_document(document) == []
    assert (document["slug"], document["title"]) == ("kobo-kartlegging", "Kartlegging fra Kobo")
    assert (document["source_language"], document["languages"]) == ("nb", ["nb", "en"])
    properties = document["schema"]["properties"]
    assert list(properties) == ["age", "works", "job", "langs", "why", "children"]
    assert properties["age"] == {"title": "Alder", "type": "integer", "minimum": 16, "maximum": 99}
    assert properties["works"]["oneOf"] == [{"const": "yes", "title": "Ja"},
                                            {"const": "no", "title": "Nei"}]  # fmt: skip
    assert properties["job"]["maxLength"] == 80 and properties["langs"]["maxItems"] == 2
    children = properties["children"]["items"]
    assert list(children["properties"]) == ["name", "born"] and children["required"] == ["name"]
    assert children["properties"]["name"]["pattern"] == "^[A-Za-z ]+$"
    assert document["schema"]["required"] == ["age", "works"]
    ui = document["ui"]
    assert [s["id"] for s in ui["sections"]] == ["about", "more"]
    assert ui["sections"][1]["items"] == ["children", "thanks"]
    assert ui["questions"]["job"]["visible_if"] == {"question": "works", "equals": "yes"}
    assert ui["questions"]["children"]["visible_if"] == {
        "not": {"not": {"question": "works", "equals": "no"}}}  # fmt: skip
    assert ui["questions"]["children"]["widget"] == "group"
    assert ui["questions"]["children"]["items"]["born"] == {"widget": "date"}
    assert ui["info"]["thanks"] == {"text": "Takk!"}
    en = document["translations"]["en"]
    assert en["/schema/properties/age/title"] == "Age"
    assert en["/ui/questions/age/help"] == "In years"
    assert en["/schema/properties/works/oneOf/1/title"] == "No"
    assert en["/schema/properties/langs/items/anyOf/0/title"] == "Norwegian"
    assert en["/schema/properties/children/items/properties/name/title"] == "Name"
    assert en["/ui/sections/0/title"] == "About you" and en["/ui/info/thanks/text"] == "Thank you!"
    assert set(document["translation_sources"]["en"]) == set(en)


def test_everything_not_imported_is_in_the_report():
    _document, report = _full()
    found = {(line.sheet, line.row, line.code, dict(line.params).get("column")
              or dict(line.params).get("type") or dict(line.params).get("expression"))
             for line in report}  # fmt: skip
    assert found == {
        ("survey", None, "column", "constraint_message"),
        ("survey", None, "column", "appearance"),
        ("choices", None, "column", "image"),
        ("settings", None, "setting", "version"),
        ("survey", 2, "metadata", "start"),
        ("survey", 8, "relevant", "selected(${langs}, 'other') and ${age} > 30"),
        ("survey", 13, "type", "geopoint"),
        ("survey", 16, "metadata", "calculate"),
    }


CONDITIONS = [
    ("${a} = 'x'", {"question": "a", "equals": "x"}),
    ("${a}='x'", {"question": "a", "equals": "x"}),
    ("${n} = 3", {"question": "n", "equals": 3}),
    # A choice's name is text: 1 was a number here and never matched the option "1".
    ("${a} = 1", {"question": "a", "equals": "1"}),
    ("selected(${m}, 1)", {"question": "m", "contains": "1"}),
    ("${a} != 'x'", {"not": {"question": "a", "equals": "x"}}),
    ("${a} != ''", {"question": "a", "answered": True}),
    ("${a} = ''", {"question": "a", "answered": False}),
    ("selected(${m}, 'x')", {"question": "m", "contains": "x"}),
    ("selected(${a}, 'x')", {"question": "a", "equals": "x"}),
    ("${a} = 'x' or (${a} = 'y' and not(${m} = ''))",
     {"any": [{"question": "a", "equals": "x"},
              {"all": [{"question": "a", "equals": "y"},
                       {"not": {"question": "m", "answered": False}}]}]}),
    ("${n} > 3", None),
    ("${unknown} = 'x'", None),
    ("${a} = 'x' and", None),
    ("string-length(${a}) > 2", None),
    ("${a} = ${n}", None),
]  # fmt: skip


@pytest.mark.parametrize(("expression", "condition"), CONDITIONS)
def test_relevant_conditions_that_map(expression, condition):
    widgets = {"a": "choice", "m": "multichoice", "n": "number"}
    assert condition_of(expression, widgets) == condition


LIMITS = [
    (". >= 0", "number", {"minimum": 0}),
    (". > 0 and . < 10.5", "number", {"exclusiveMinimum": 0, "exclusiveMaximum": 10.5}),
    ("string-length(.) >= 2 and string-length(.) <= 5", "text", {"minLength": 2, "maxLength": 5}),
    ("regex(., '^[0-9]{4}$')", "text", {"pattern": "^[0-9]{4}$"}),
    ("count-selected(.) >= 1", "multichoice", {"minItems": 1}),
    (". >= 0", "text", None),
    (". != 3", "number", None),
    (". >= 0 or . <= -5", "number", None),
    ("string-length(.) > 2", "text", None),
    (". <= 999999999999999", "number", {"maximum": 999999999999999}),
    # More digits than a phone keeps exactly (and, at 5,000, more than int() reads): not limits.
    (". <= 9999999999999999", "number", None),
    (". <= " + "9" * 5000, "number", None),
    (". >= 0." + "1" * 20, "number", None),
]


@pytest.mark.parametrize(("expression", "widget", "limits"), LIMITS, ids=lambda v: str(v)[:40])
def test_constraints_that_are_limits(expression, widget, limits):
    assert limits_of(expression, widget) == limits


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


NOT_XLSFORM = [
    (b"PK\x03\x04 truncated", "not_spreadsheet"),
    (_zip_without_workbook(), "not_spreadsheet"),
    (xlsx({"choices": CHOICES}), "no_survey"),
    (xlsx({"survey": [["name", "label"], ["a", "A"]]}), "no_type_column"),
]


# Ids by what each case is: the workbooks' bytes hold the time they were made, and pytest-xdist
# needs every worker to collect the same ids.
@pytest.mark.parametrize(
    ("data", "code"), NOT_XLSFORM, ids=lambda v: v if isinstance(v, str) else ""
)
def test_a_file_that_is_not_an_xlsform_is_refused(data, code):
    with pytest.raises(uploads.UploadRefused) as refused:
        read_xlsform(data)
    assert refused.value.code == code


def test_the_page_imports_an_xlsform_and_shows_the_report(app, world):
    client = app.test_client()
    login_staff(client, "admin@a.no")
    token = csrf_token(client, "/admin/questionnaires")
    data = xlsx({"survey": SURVEY, "choices": CHOICES, "settings": SETTINGS})
    page = client.post("/admin/builder/import", content_type="multipart/form-data", data={
        "csrf_token": token, "document": (io.BytesIO(data), "form.xlsx")})  # fmt: skip
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Not imported as it was: 8" in html
    assert "The question type “geopoint” has no counterpart here" in html
    assert client.get("/admin/builder/kobo-kartlegging").status_code == 200
    refused = client.post("/admin/builder/import", content_type="multipart/form-data", data={
        "csrf_token": token, "document": (io.BytesIO(b"PK\x03\x04junk"), "form.xlsx")},
        follow_redirects=True)  # fmt: skip
    assert "The file is not a spreadsheet that can be read" in refused.get_data(as_text=True)


def test_a_repeat_inside_a_repeat_joins_the_one_around_it():
    survey = [
        ["type", "name", "label"],
        ["begin_repeat", "jobs", "Jobber"],
        ["text", "title", "Tittel"],
        ["begin_repeat", "tasks", "Oppgaver"],
        ["text", "task", "Oppgave"],
        ["end_repeat", None, None],
        ["text", "place", "Sted"],
        ["end_repeat", None, None],
        ["text", "after", "Etterpå"],
    ]
    document, report = read_xlsform(xlsx({"survey": survey}))
    assert check_document(document) == []
    jobs = document["schema"]["properties"]["jobs"]["items"]["properties"]
    assert list(jobs) == ["title", "task", "place"]
    assert "after" in document["schema"]["properties"]
    assert [(line.row, line.code) for line in report] == [(4, "nested_repeat")]
