"""Exports of one questionnaire version: cells, filters, formula injection, audit, access."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from webapp.extensions import db
from webapp.models import AuditEvent, Participant, Questionnaire, StaffUser
from webapp.rendering.spreadsheets import csv_safe
from webapp.services import responses as response_service
from webapp.services import reviews
from webapp.services.exports import FIXED as FIXED_COLUMNS

from .conftest import csrf_token

P1_ANSWERS = {
    "short_term_goal_kind": "work",
    "wants_career_guidance": True,
    "skills": ["transport", "cooking"],
    "norwegian_level": "A2",
    "jobs": [
        {"occupation": '=HYPERLINK("http://evil")', "country": "SY", "years": 2},
        {"occupation": "Kokk", "country": "TR", "years": 1.5, "description": "+tilbud"},
    ],
    "anything_else": "@SUM(A1)",
}
P2_ANSWERS = {"short_term_goal_kind": "education", "wants_career_guidance": False}


def _version_id(app) -> int:
    with app.app_context():
        questionnaire = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        return questionnaire.latest.id


def _answer(app, world, name: str, answers: dict, *, submit: bool = False, **person) -> str:
    with app.app_context():
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        participant = db.session.get(Participant, getattr(world, name))
        for key, value in person.items():
            setattr(participant, key, value)
        response = response_service.start(participant, kartlegging)
        response.answers = answers
        response.created_at = response.updated_at = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
        if submit:
            response.status = "submitted"
            response.submitted_at = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
            reviews.add_review(
                response, db.session.get(StaffUser, participant.counsellor_id), "in_review", ""
            )
        db.session.commit()
        return response.id


@pytest.fixture
def answered(app, world):
    """p1 (of c1) submitted, in review, Arabic, Integration Act; p2 (of c2) a draft."""
    return {
        "p1": _answer(app, world, "p1", P1_ANSWERS, submit=True, language="ar",
                      programme="integration_act"),
        "p2": _answer(app, world, "p2", P2_ANSWERS),
    }  # fmt: skip


def _get(client, app, **args):
    query = {"version": _version_id(app), "values": "codes", "format": "csv", **args}
    return client.get("/exports/responses", query_string=query)


def _csv(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark, for Excel
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _cells(header: list[str], row: list) -> dict[str, object]:
    return dict(zip(header, row, strict=True))


def test_csv_codes_one_column_per_question_and_item_cell_by_cell(app, world, as_actor, answered):
    response = _get(as_actor(app, "c1"), app)
    assert response.status_code == 200
    assert response.is_streamed  # rows are written as they are read, never all in memory
    assert response.mimetype == "text/csv"
    assert 'filename="kartlegging-v1-' in response.headers["Content-Disposition"]
    header, *rows = _csv(response)
    assert header[:10] == [
        "response", "participant_id", "participant", "language", "programme", "state",
        "version", "started_at", "saved_at", "submitted_at",
    ]  # fmt: skip
    # One column per question; the repeat group flattened to as many items as anyone has.
    assert header[10:14] == [
        "mapped_before",
        "previous_mapping_where",
        "previous_mapping_when",
        "documents_available",
    ]
    jobs = [h for h in header if h.startswith("jobs")]
    assert jobs == [
        "jobs.1.occupation", "jobs.1.country", "jobs.1.years", "jobs.1.description",
        "jobs.2.occupation", "jobs.2.country", "jobs.2.years", "jobs.2.description",
    ]  # fmt: skip
    assert not [h for h in header if h.startswith("educations")]  # nobody has one: no column
    [row] = rows  # c1 sees p1 only
    cells = _cells(header, row)
    assert cells["response"] == answered["p1"]
    assert cells["participant_id"] == str(world.p1)
    assert cells["participant"] == "p1"
    assert (cells["language"], cells["programme"], cells["state"]) == (
        "ar", "integration_act", "in_review",
    )  # fmt: skip
    assert cells["version"] == "1"
    assert cells["started_at"] == "2026-11-03T09:30:00+00:00"
    assert cells["submitted_at"] == "2026-11-04T10:00:00+00:00"
    assert cells["short_term_goal_kind"] == "work"
    assert cells["wants_career_guidance"] == "true"
    assert cells["skills"] == "cooking; transport"  # in the order of the options
    assert cells["norwegian_level"] == "A2"
    assert cells["mapped_before"] == ""
    # Formula injection: text that a spreadsheet would run starts with an apostrophe.
    assert cells["jobs.1.occupation"] == '\'=HYPERLINK("http://evil")'
    assert cells["jobs.2.description"] == "'+tilbud"
    assert cells["anything_else"] == "'@SUM(A1)"
    assert (cells["jobs.1.country"], cells["jobs.1.years"]) == ("SY", "2")
    assert (cells["jobs.2.country"], cells["jobs.2.years"]) == ("TR", "1.5")
    assert cells["jobs.1.description"] == ""


def test_every_download_says_its_type_and_charset_once(app, world, as_actor, answered):
    """The CSV file said "text/csv; charset=utf-8; charset=utf-8"."""
    counsellor = as_actor(app, "c1")
    types = {
        "csv": _get(counsellor, app).headers["Content-Type"],
        "xlsx": _get(counsellor, app, format="xlsx").headers["Content-Type"],
        "participant": counsellor.get(f"/participants/{world.p1}/export.json").headers[
            "Content-Type"
        ],
        "questionnaire": as_actor(app, "admin1")
        .get("/admin/questionnaires/kartlegging/1.json")
        .headers["Content-Type"],
    }
    assert types == {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "participant": "application/json",
        "questionnaire": "application/json",
    }


def test_xlsx_labels_in_the_chosen_language(app, world, as_actor, answered):
    client = as_actor(app, "lead1")  # the lead sees the municipality: p1 and p2
    response = _get(client, app, values="labels", label_language="nb", format="xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.get_data()))
    header, *rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert header[:6] == ["Svar", "Deltakernummer", "Deltaker", "Språk", "Program", "Status"]
    jobs = [h for h in header if h.startswith("Arbeidserfaring nr. ")]
    assert jobs[:4] == [
        "Arbeidserfaring nr. 1: Yrke eller arbeidsoppgaver", "Arbeidserfaring nr. 1: Land",
        "Arbeidserfaring nr. 1: Hvor mange år?", "Arbeidserfaring nr. 1: Hva gjorde du i jobben?",
    ]  # fmt: skip
    assert len(jobs) == 8
    assert len(rows) == 2
    by_person = {r[1]: _cells(header, r) for r in rows}
    p1, p2 = by_person[world.p1], by_person[world.p2]
    assert p1["Program"] == "Introduksjonsprogram (integreringsloven)"
    assert p1["Status"] == "Under behandling"
    assert p2["Status"] == "Utkast" and p2["Program"] is None
    goal = "Hva er det viktigste målet ditt det neste året?"
    assert (p1[goal], p2[goal]) == ("Å få jobb", "Å ta utdanning")
    guidance = "Vil du snakke med en karriereveileder om valgene dine?"
    assert (p1[guidance], p2[guidance]) == ("Ja", "Nei")
    skills = next(h for h in header if h.startswith("Hva har du erfaring med"))
    assert p1[skills] == "Matlaging; Transport og kjøring" and p2[skills] is None
    assert p1["Arbeidserfaring nr. 1: Land"] == "Syria"
    assert p1["Arbeidserfaring nr. 2: Hvor mange år?"] == 1.5  # a number stays a number
    assert p2["Arbeidserfaring nr. 1: Land"] is None
    # XLSX stores text as text: the formula is not run, and needs no apostrophe.
    assert p1["Arbeidserfaring nr. 1: Yrke eller arbeidsoppgaver"] == '=HYPERLINK("http://evil")'
    assert "<f>" not in _sheet_xml(response.get_data())


def _sheet_xml(data: bytes) -> str:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


FILTERS = [
    ({"state": "in_review"}, {"p1"}),
    ({"state": "draft"}, {"p2"}),
    ({"programme": "integration_act"}, {"p1"}),
    ({"programme": "none"}, {"p2"}),
    ({"language": "ar"}, {"p1"}),
    ({"saved_from": "2026-11-03", "saved_to": "2026-11-03"}, {"p1", "p2"}),
    ({"saved_from": "2026-11-01"}, {"p1", "p2"}),
]


@pytest.mark.parametrize(("args", "expected"), FILTERS)
def test_filters(app, world, as_actor, answered, args, expected):
    header, *rows = _csv(_get(as_actor(app, "lead1"), app, **args))
    names = {_cells(header, r)["participant"] for r in rows}
    assert names == expected


EMPTY = "No response matches this filter, so there is nothing to export."


@pytest.mark.parametrize(
    "args",
    [
        {"state": "completed"},
        {"language": "so"},
        {"saved_from": "2026-11-04"},
        {"saved_to": "2026-11-02"},
    ],
)
def test_a_filter_that_matches_nothing_says_so_and_sends_no_file(
    app, world, as_actor, answered, args
):
    response = _get(as_actor(app, "lead1"), app, **args)
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert EMPTY in response.get_data(as_text=True)
    with app.app_context():
        assert not db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "responses.export")
        )


BAD_INPUT = [
    ({"version": "999999"}, "Choose one of the listed options."),
    ({"version": "abc"}, "Choose the questionnaire version to export."),
    ({"version": ""}, "Choose the questionnaire version to export."),
    ({"state": "deleted"}, "Choose one of the listed options."),
    ({"format": "pdf"}, "Choose one of the listed options."),
    ({"values": "raw"}, "Choose one of the listed options."),
    ({"language": "xx"}, "Choose one of the listed options."),
    ({"saved_from": "3.11.2026"}, "Please write the date as year-month-day"),
    ({"saved_to": "9999-12-31"}, "Please write a date between the years 1900 and 2099."),
    ({"saved_from": "0001-01-01"}, "Please write a date between the years 1900 and 2099."),
    ({"saved_from": "2026-11-05", "saved_to": "2026-11-01"}, "The period ends before it starts."),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_gets_a_clear_message(app, world, as_actor, answered, args, message):
    response = _get(as_actor(app, "c1"), app, **args)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_the_message_is_in_the_users_language(app, world, as_actor, answered):
    client = as_actor(app, "c1")
    token = csrf_token(client, "/exports")
    client.post("/language", data={"lang": "ar", "next": "/exports", "csrf_token": token})
    response = _get(client, app, state="completed")
    assert response.status_code == 422
    assert 'lang="ar"' in response.get_data(as_text=True)
    assert EMPTY not in response.get_data(as_text=True)
    assert "لا توجد إجابة تطابق هذا المرشح" in response.get_data(as_text=True)


def test_every_export_is_audited_with_its_filter_and_never_the_answers(
    app, world, as_actor, answered
):
    client = as_actor(app, "lead1")
    assert _get(client, app, state="in_review", language="ar").status_code == 200
    assert _get(client, app, values="labels", label_language="uk", format="xlsx").status_code == 200
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "responses.export")
            .order_by(AuditEvent.id)
        ).all()
    version = _version_id(app)
    assert [(e.actor, e.target) for e in events] == [
        (f"staff:{world.lead1}", f"version:{version}")
    ] * 2
    assert events[0].details == {
        "version_id": version, "state": "in_review", "programme": "", "language": "ar",
        "saved_from": None, "saved_to": None, "format": "csv", "values": "codes",
    }  # fmt: skip
    assert events[1].details["values"] == "labels" and events[1].details["lang"] == "uk"
    assert events[1].details["format"] == "xlsx"
    text = repr([(e.target, e.details) for e in events])
    assert "HYPERLINK" not in text and "cooking" not in text and "p1" not in text
    with app.app_context():
        included = db.session.scalars(
            sa.select(AuditEvent.target)
            .where(AuditEvent.action == "participant.in_export")
            .order_by(AuditEvent.id)
        ).all()
    # The first export held p1 only (in review, Arabic); the second both.
    assert included == [
        f"participant:{world.p1}",
        f"participant:{world.p1}",
        f"participant:{world.p2}",
    ]


def test_the_participant_sees_that_their_answers_were_exported(app, world, as_actor, answered):
    assert _get(as_actor(app, "c1"), app).status_code == 200
    reads = as_actor(app, "p1").get("/api/v1/me").get_json()["reads"]
    assert [r["what"] for r in reads] == ["export"]
    assert reads[0]["by"] == "Counsellor One"
    assert as_actor(app, "p2").get("/api/v1/me").get_json()["reads"] == []  # not in c1's file


# role -> (HTTP status of the form page, participants in the file)
ACCESS = [
    ("c1", 200, {"p1"}),
    ("c2", 200, {"p2"}),
    ("lead1", 200, {"p1", "p2"}),
    ("c3", 422, set()),  # another municipality: nothing of theirs matches
    ("admin1", 404, None),  # administrators never read answers
    ("p1", 404, None),
    ("anon", 302, None),
]


@pytest.mark.parametrize(("who", "status", "expected"), ACCESS)
def test_who_may_export_what(app, world, as_actor, answered, who, status, expected):
    client = as_actor(app, who)
    page = client.get("/exports")
    assert page.status_code == (200 if status in (200, 422) else status)
    response = _get(client, app)
    assert response.status_code == status
    if status == 200:
        header, *rows = _csv(response)
        assert {_cells(header, r)["participant"] for r in rows} == expected


def test_another_municipalitys_questionnaire_is_not_offered(app, world, as_actor, answered):
    with app.app_context():
        questionnaire = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        questionnaire.municipality_id = world.m2
        db.session.commit()
    response = _get(as_actor(app, "lead1"), app)
    assert response.status_code == 422
    assert "Choose one of the listed options." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+47 900", "'+47 900"),
        ("-x", "'-x"),
        ("@me", "'@me"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Oslo", "Oslo"),
        ("a=b", "a=b"),
        (-3, -3),
        (None, None),
    ],
)
def test_csv_safe(value, safe):
    assert csv_safe(value) == safe


@pytest.mark.parametrize("length", [32_767, 32_768, 40_000, 50_000])
def test_a_text_longer_than_a_cell_shows_where_it_was_cut(length):
    """A spreadsheet cell holds 32,767 characters; openpyxl cut longer answers with no sign.
    Now the cell ends in "… [+N]" (N left out), and the CSV file holds the whole text."""
    from webapp.rendering.spreadsheets import CELL_LIMIT, csv_chunks, xlsx_chunks

    text = "y" * (length - 1) + "z"
    book = load_workbook(io.BytesIO(b"".join(xlsx_chunks("Svar", ["svar"], [[text]]))))
    cell = book.active.cell(row=2, column=1).value
    assert len(cell) <= CELL_LIMIT
    if length <= CELL_LIMIT:
        assert cell == text
    else:
        kept, left_out = cell.split("… [+")
        assert text.startswith(kept) and int(left_out.rstrip("]")) == length - len(kept)
    whole = b"".join(csv_chunks(["svar"], [[text]])).decode("utf-8")
    assert list(csv.reader(io.StringIO(whole)))[1] == [text]


def test_an_export_of_the_counsellors_own_form_is_recorded_but_not_shown_to_the_participant(
    app, world, as_actor
):
    """Reads of the counsellor's own forms about a participant (Muligheter) are recorded but
    not listed to them, as they do not see those forms; an export of one was listed, in the
    app's reads and in their own download, as a read of their answers."""
    with app.app_context():
        muligheter = db.session.scalar(sa.select(Questionnaire).filter_by(slug="muligheter"))
        response = response_service.start(
            db.session.get(Participant, world.p1),
            muligheter,
            author=db.session.get(StaffUser, world.c1),
        )
        db.session.commit()
        version, response_id = muligheter.latest.id, response.id
    query = {"version": version, "values": "codes", "format": "csv"}
    export = as_actor(app, "c1").get("/exports/responses", query_string=query)
    assert export.status_code == 200
    assert response_id in export.get_data(as_text=True)
    phone = as_actor(app, "p1")
    assert phone.get("/api/v1/me").get_json()["reads"] == []
    download = phone.get("/api/v1/me/export").get_json()
    assert [e["action"] for e in download["log"]] == ["participant.create", "participant.join"]
    with app.app_context():  # recorded for the audit all the same: who, which response, when
        reads = db.session.execute(
            sa.select(AuditEvent.actor, AuditEvent.action, AuditEvent.target).where(
                AuditEvent.action.like("%.in_export")
            )
        ).all()
    assert reads == [(f"staff:{world.c1}", "response.in_export", f"response:{response_id}")]


def _moved_version(app) -> tuple[int, int]:
    """Publish version 2 of the mapping with questions moved as an administrator moves them in
    the builder; return the ids of versions 1 and 2."""
    from webapp.questionnaires import editing
    from webapp.services import questionnaires as questionnaire_service

    from .conftest import FORMS

    with app.app_context():
        first = _version_id(app)
        document, problems = questionnaire_service.read_document(FORMS / "kartlegging.json")
        assert problems == []
        # A follow-up question added at the end of the section, then moved up to right after
        # the question it follows (the schema keeps it last: where it was created).
        document, _ref = editing.apply(
            document, "add_question",
            {"section": "life", "widget": "text", "title": "Hvor gamle er barna?",
             "id": "children_ages"},
        )  # fmt: skip
        for _step in range(8):  # past available_time … childcare_arranged
            document, _ref = editing.apply(
                document, "move_question", {"question": "children_ages", "delta": -1}
            )
        # The Norwegian level moved to the top of its section, above the mother tongue.
        for _step in range(3):
            document, _ref = editing.apply(
                document, "move_question", {"question": "norwegian_level", "delta": -1}
            )
        # Within the group of jobs, the years moved above the country.
        document, _ref = editing.apply(
            document, "move_question", {"question": "jobs/years", "delta": -1}
        )
        questionnaire_service.import_document(document)
        db.session.commit()
        second = _version_id(app)
        assert second != first
        return first, second


def test_columns_follow_the_questionnaires_order_after_questions_are_moved(app, world, as_actor):
    """The columns kept the order the questions were created in (the schema's), so a follow-up
    moved up under its question came last, and a question moved to the top of its section
    stayed below the ones it was moved above. They follow the questionnaire's order now, in
    CSV and XLSX, codes and labels; and the files of two versions still name each question's
    column the same, so they can be put side by side by column name."""
    _answer(app, world, "p1", P1_ANSWERS, submit=True)  # on version 1
    first, second = _moved_version(app)
    on_v2 = P1_ANSWERS | {"children_count": 2, "children_ages": "3 og 5", "mother_tongue": "ar"}
    _answer(app, world, "p1", on_v2)  # on version 2
    client = as_actor(app, "c1")

    header, row = _csv(_get(client, app, version=second))
    questions = header[len(FIXED_COLUMNS) :]
    life = questions[questions.index("household") : questions.index("care_responsibilities")]
    assert life == ["household", "children_count", "children_ages", "childcare_arranged"]
    languages = questions[questions.index("norwegian_level") :][:3]
    assert languages == ["norwegian_level", "mother_tongue", "norwegian_training"]
    assert [q for q in questions if q.startswith("jobs.1.")] == [
        "jobs.1.occupation", "jobs.1.years", "jobs.1.country", "jobs.1.description",
    ]  # fmt: skip
    assert questions[-1] == "anything_else"  # the questionnaire's last question, last
    cells = _cells(header, row)
    assert (cells["children_count"], cells["children_ages"]) == ("2", "3 og 5")
    assert (cells["jobs.1.years"], cells["jobs.1.country"]) == ("2", "SY")

    response = _get(client, app, version=second, values="labels", label_language="nb",
                    format="xlsx")  # fmt: skip
    book = load_workbook(io.BytesIO(response.get_data()))
    labelled, _row = [list(r) for r in book.active.iter_rows(values_only=True)]
    after = labelled[labelled.index("Hvor mange barn bor sammen med deg?") + 1]
    assert after == "Hvor gamle er barna?"
    jobs = [h for h in labelled if h.startswith("Arbeidserfaring nr. 1: ")]
    assert jobs[1:3] == ["Arbeidserfaring nr. 1: Hvor mange år?", "Arbeidserfaring nr. 1: Land"]

    # Version 1 keeps its own order; every question of it has the same column name in both.
    old_header, _old_row = _csv(_get(client, app, version=first))
    old = old_header[len(FIXED_COLUMNS) :]
    assert old.index("mother_tongue") < old.index("norwegian_level")
    assert old.index("jobs.1.country") < old.index("jobs.1.years")
    assert old_header[: len(FIXED_COLUMNS)] == header[: len(FIXED_COLUMNS)]
    assert sorted(old) == sorted(set(questions) - {"children_ages"})
