"""Questionnaire files in and out of the builder: JSON into a new draft or over a draft,
checked, with each problem at its element; drafts exported; bad files change nothing."""

from __future__ import annotations

import copy
import io
import json
import re

import pytest
import sqlalchemy as sa

from webapp.builder.messages import problem_view
from webapp.extensions import db
from webapp.models import AuditEvent, Questionnaire
from webapp.questionnaires import uploads
from webapp.services import builder

from .conftest import csrf_token, login_staff
from .test_builder import q, small_draft, staff
from .test_cli_and_admin import CHECK_STOPPED_EN
from .test_questionnaire_check import _many_problems

NOT_JSON = [
    (b"", "empty", {}),
    (b"   \n", "empty", {}),
    (b"\xff\xfe{\x00}\x00", "encoding", {}),
    (b'{"format": "loype-questionnaire/1",\n  "slug": }', "json", {"line": 2, "column": 11}),
    (b"[1, 2]", "json_object", {}),
    (b'"kartlegging"', "json_object", {}),
    (b'{"title": "x"}', "not_questionnaire", {}),
    (b"[" * 100_000, "json", {"line": 1, "column": 65}),  # where it nests too deeply
]


@pytest.mark.parametrize(("data", "code", "params"), NOT_JSON)
def test_a_file_that_is_not_a_questionnaire_is_refused_with_a_reason(data, code, params):
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.read_json_document(data, builder.MAX_DOCUMENT_BYTES)
    assert refused.value.code == code
    if params:
        assert refused.value.params == params


@pytest.mark.parametrize(("data", "kind"), [
    (b"PK\x03\x04rest", "xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "xls"),
    (b'{"a": 1}', "json"),
])  # fmt: skip
def test_the_kind_of_file_is_read_from_its_first_bytes(data, kind):
    assert uploads.kind_of(data) == kind


def _kartlegging() -> dict:
    return copy.deepcopy(q("kartlegging").latest.document)


def _broken(document: dict) -> dict:
    """The document with a condition on a question that does not exist."""
    first = next(iter(document["schema"]["properties"]))
    document["ui"].setdefault("questions", {}).setdefault(first, {})["visible_if"] = {
        "question": "no_such_question", "equals": "yes"}  # fmt: skip
    return document


def test_a_json_document_becomes_a_new_draft_of_the_municipality(app, world):
    with app.app_context():
        admin = staff(world, "admin1")
        questionnaire = builder.import_new(admin, _kartlegging())
        db.session.commit()
        assert questionnaire.slug == "kartlegging-2"  # the template keeps its name
        assert questionnaire.municipality_id == world.m1 and not questionnaire.versions
        assert builder.problems_of(questionnaire.draft) == []
        assert questionnaire.draft.document["translations"] == _kartlegging()["translations"]
        assert db.session.scalar(
            sa.select(AuditEvent.target).where(AuditEvent.action == "builder.import_json")
        ) == "kartlegging-2"  # fmt: skip


def test_problems_in_an_imported_document_are_shown_at_their_element(app, world):
    with app.app_context():
        questionnaire = builder.import_new(staff(world, "admin1"), _broken(_kartlegging()))
        with app.test_request_context(headers={"Accept-Language": "en"}):
            views = [problem_view(p) for p in builder.problems_of(questionnaire.draft)]
        first = next(iter(_kartlegging()["schema"]["properties"]))
        assert [(v["element"], "no_such_question" in v["message"]) for v in views] == [
            ({"kind": "question", "id": first}, True)
        ]


def test_a_document_replaces_a_draft_on_its_revision_only(app, world):
    with app.app_context():
        admin = staff(world, "admin1")
        draft = small_draft(admin)
        slug, seen = draft.questionnaire.slug, draft.revision
        replacement = _kartlegging()
        result = builder.import_over(draft, admin, seen, replacement)
        assert draft.document["slug"] == slug and draft.revision == seen + 1
        assert draft.document["schema"] == replacement["schema"] and result.problems == []
        with pytest.raises(builder.StaleDraft):
            builder.import_over(draft, admin, seen, replacement)
        counsellors = dict(replacement, audience="counsellor")
        with pytest.raises(builder.AudienceMismatch):
            builder.import_over(draft, admin, draft.revision, counsellors)
        assert draft.revision == seen + 1


def _upload(client, url: str, data: bytes, name: str, **fields):
    token = csrf_token(client, "/admin/questionnaires")
    return client.post(
        url,
        data={"csrf_token": token, "document": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


PAGE_REFUSALS = [
    (b"{oops", "kartlegging.json", "The file is not valid JSON (line 1, column 2)."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.xls", "This is an old Excel file (.xls)."),
    (b"[]", "list.json", "a JSON object in curly braces"),
]


@pytest.mark.parametrize(("data", "name", "words"), PAGE_REFUSALS)
def test_importing_a_bad_file_from_the_page_changes_nothing(app, world, data, name, words):
    client = app.test_client()
    login_staff(client, "admin@a.no")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Questionnaire))
    page = _upload(client, "/admin/builder/import", data, name)
    assert words in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Questionnaire)) == before


def test_import_and_export_from_the_pages(app, world, admin2):
    client = app.test_client()
    login_staff(client, "admin@a.no")
    with app.app_context():
        document = _broken(_kartlegging())
    page = _upload(client, "/admin/builder/import", json.dumps(document).encode(), "k.json")
    html = page.get_data(as_text=True)
    assert "Imported, with problems to fix: 1." in html and "kartlegging-2" in html
    # Over the draft: a bad file changes nothing, a good one replaces it.
    edit = client.get("/admin/builder/kartlegging-2").get_data(as_text=True)
    revision = re.search(r'id="import-revision"[^>]*value="(\d+)"', edit).group(1)
    url = "/admin/builder/kartlegging-2/import"
    refused = _upload(client, url, b"{", "x.json", revision=revision)
    assert "not valid JSON" in refused.get_data(as_text=True)
    with app.app_context():
        assert q("kartlegging-2").draft.revision == int(revision)
        fixed = _kartlegging()
    replaced = _upload(client, url, json.dumps(fixed).encode(), "x.json", revision=revision)
    assert "Imported, with no problems." in replaced.get_data(as_text=True)
    again = _upload(client, url, json.dumps(fixed).encode(), "x.json", revision=revision)
    assert "Someone saved this questionnaire since you opened it" in again.get_data(as_text=True)
    exported = client.get("/admin/builder/kartlegging-2/draft.export.json")
    assert exported.status_code == 200
    assert json.loads(exported.data)["schema"] == fixed["schema"]
    other = app.test_client()
    login_staff(other, "admin@b.no")
    assert other.get("/admin/builder/kartlegging-2/draft.export.json").status_code == 404
    token = csrf_token(other, "/admin/questionnaires")
    assert other.post(url, data={"csrf_token": token}).status_code == 404


def _flashes(html: str) -> str:
    """The page's flash messages (the editor's script also carries the sentence, to say it
    under Problems when the draft's own check stops early)."""
    return " ".join(re.findall(r'<p class="flash [^"]*">(.*?)</p>', html, re.S))


def test_an_import_lists_every_problem_or_says_more_may_come(app, world):
    """The schema's own rules once stopped the check after an import: "problems to fix: 3",
    and seven more after those were fixed. A file the check cannot read through (a $ref to
    nowhere) says that more may come, on import and when it replaces a draft."""
    client = app.test_client()
    login_staff(client, "admin@a.no")
    document = _many_problems()
    page = _upload(client, "/admin/builder/import", json.dumps(document).encode(), "k.json")
    html = page.get_data(as_text=True)
    assert "Imported, with problems to fix: 10." in html
    assert CHECK_STOPPED_EN not in _flashes(html)
    document["schema"]["properties"]["work"] = {"$ref": "#/$defs/answer"}
    page = _upload(client, "/admin/builder/import", json.dumps(document).encode(), "k.json")
    html = page.get_data(as_text=True)
    assert "Imported, with problems to fix:" in html and CHECK_STOPPED_EN in _flashes(html)
    revision = re.search(r'id="import-revision"[^>]*value="(\d+)"', html).group(1)
    url = re.search(r'action="(/admin/builder/[^/"]+/import)"', html).group(1)
    replaced = _upload(client, url, json.dumps(document).encode(), "x.json", revision=revision)
    assert CHECK_STOPPED_EN in _flashes(replaced.get_data(as_text=True))
