"""The forms/resources/demo commands, the admin pages, the health check, and the migrations."""

from __future__ import annotations

import io
import json
import re
import warnings

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    NextStep,
    Participant,
    QuestionnaireVersion,
    Resource,
    Response,
    SharedResource,
    StaffUser,
)
from webapp.models.name_search import outside_models
from webapp.services import questionnaires as questionnaire_service

from .conftest import FORMS, csrf_token, english_client, join, login_staff
from .documents import minimal_document
from .test_questionnaire_check import _many_problems

CHECK_STOPPED_EN = (
    "Some of these problems keep the rest of the file from being checked. More problems may "
    "appear once they are fixed."
)


@pytest.fixture
def bad_file(tmp_path):
    document = minimal_document()
    document["ui"]["questions"]["name"] = {"widget": "slider"}
    document["ui"]["sections"][0]["items"].append("ghost")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    return path


def upload(client, fields: dict):
    """POST multipart data built in memory (the test client would spool it to a temp file)."""
    boundary, body = encode_multipart(fields)
    return client.post(
        "/admin/questionnaires", data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )  # fmt: skip


def versions(app) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(QuestionnaireVersion)).all()
        return sorted((v.questionnaire.slug, v.number) for v in rows)


def test_check_reports_every_problem_with_its_path(runner, bad_file):
    result = runner.invoke(args=["forms", "check", str(bad_file), str(FORMS / "kartlegging.json")])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"{bad_file}: /ui/questions/name/widget: unknown question type 'slider'" in lines
    assert any("/ui/sections/0/items/4: layout entry 'ghost' has no schema property" in line
               for line in lines)  # fmt: skip
    assert f"{FORMS / 'kartlegging.json'}: ok" in lines


def test_check_passes_shipped_forms(runner):
    result = runner.invoke(args=["forms", "check", str(FORMS / "kartlegging.json"),
                                 str(FORMS / "muligheter.json")])  # fmt: skip
    assert result.exit_code == 0, result.output


def test_check_reports_invalid_json(runner, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": ')
    result = runner.invoke(args=["forms", "check", str(path)])
    assert result.exit_code == 1 and "not valid JSON" in result.output


def test_import_is_idempotent_and_versions_changes(app, runner, tmp_path):
    path = FORMS / "kartlegging.json"
    assert runner.invoke(args=["forms", "import", str(path)]).exit_code == 0
    again = runner.invoke(args=["forms", "import", str(path)])
    assert again.exit_code == 0 and "unchanged" in again.output
    assert versions(app) == [("kartlegging", 1)]
    changed = json.loads(path.read_text())
    changed["title"] = "Kartlegging (ny)"
    changed["version"] = 7  # ignored: the import numbers versions
    new_path = tmp_path / "k.json"
    new_path.write_text(json.dumps(changed))
    result = runner.invoke(args=["forms", "import", str(new_path)])
    assert "imported as kartlegging version 2" in result.output
    assert versions(app) == [("kartlegging", 1), ("kartlegging", 2)]


def test_a_bad_file_imports_nothing(app, runner, bad_file):
    result = runner.invoke(args=["forms", "import", str(FORMS / "kartlegging.json"), str(bad_file)])
    assert result.exit_code == 1 and "Nothing imported" in result.output
    assert versions(app) == []


def test_export_prints_the_stored_document(app, runner):
    runner.invoke(args=["forms", "import", str(FORMS / "muligheter.json")])
    result = runner.invoke(args=["forms", "export", "muligheter"])
    exported = json.loads(result.output)
    original = json.loads((FORMS / "muligheter.json").read_text())
    assert exported["version"] == 1
    assert {k: v for k, v in exported.items() if k != "version"} == {
        k: v for k, v in original.items() if k != "version"
    }
    missing = runner.invoke(args=["forms", "export", "muligheter", "--version", "9"])
    assert missing.exit_code == 1


def test_resources_import_updates_by_slug(app, runner):
    first = runner.invoke(args=["resources", "import", str(FORMS / "resources.json")])
    assert first.exit_code == 0 and "0 updated" in first.output
    again = runner.invoke(args=["resources", "import", str(FORMS / "resources.json")])
    assert "0 created, 0 updated" in again.output


def test_demo_is_safe_to_run_twice(app, runner, forms):
    first = runner.invoke(args=["demo", "--port", "5123"])
    second = runner.invoke(args=["demo", "--port", "5123"])
    assert first.exit_code == second.exit_code == 0, first.output
    assert "admin@example.org" in first.output and "demo-veileder-pass" in first.output
    assert "http://127.0.0.1:5123/join/" in second.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffUser)) == 3
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) == 2
        lead = db.session.scalar(sa.select(StaffUser).filter_by(email="leder@example.org"))
        assert lead.is_lead
        # Run twice, made once: the municipality's own resource, a share, a plan of two steps.
        for model, count in ((SharedResource, 1), (NextStep, 2)):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == count
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Resource)
                .where(Resource.municipality_id.is_not(None))
            )
            == 1
        )
    assert "press the button" in second.output
    first_code = first.output.split("/join/")[1].split()[0]
    code = second.output.split("/join/")[1].split()[0]
    client = app.test_client()
    assert join(client, first_code).status_code == 404  # replaced by the second run
    assert join(client, code).status_code == 302  # the latest printed invite works
    assert join(app.test_client(), code).status_code == 404  # and only once


def test_demo_participant_in_another_language(app, runner, forms):
    """`flask demo --language ar` makes (or turns) the demo participant Arabic-speaking."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    arabic = runner.invoke(args=["demo", "--language", "ar"])
    assert arabic.exit_code == 0, arabic.output
    client = app.test_client()
    assert join(client, arabic.output.split("/join/")[1].split()[0]).status_code == 302
    me = client.get("/me/").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in me
    refused = runner.invoke(args=["demo", "--language", "klingon"])
    assert refused.exit_code == 2 and "'klingon' is not one of nb, " in refused.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) == 2


def test_demo_shows_the_counsellor_workspace(app, runner, forms):
    assert runner.invoke(args=["demo"]).exit_code == 0
    lead = english_client(app)
    assert login_staff(lead, "leder@example.org", "demo-leder-pass").status_code == 302
    html = lead.get("/caseload").get_data(as_text=True)
    assert (
        "Amina (demo)" in html and "Demo deltaker" in html and "Forsinket siden" in html
    )  # in bokmål, the lead's language
    with app.app_context():
        amina = db.session.scalar(sa.select(Participant).filter_by(display_name="Amina (demo)"))
        [response] = db.session.scalars(sa.select(Response).filter_by(participant_id=amina.id))
        rid = response.id
    html = lead.get(f"/responses/{rid}").get_data(as_text=True)
    assert "Bestill tolk" in html and "Takk! Vi går gjennom svarene" in html


def test_admin_sees_versions_and_can_check_and_publish(app, world, as_actor, bad_file):
    admin = as_actor(app, "admin1")
    page = admin.get("/admin/questionnaires").get_data(as_text=True)
    assert "kartlegging" in page and "muligheter" in page and "Published" in page
    token = csrf_token(admin, "/admin/questionnaires")
    checked = upload(
        admin,
        {"csrf_token": token, "publish": "y",
         "document": FileStorage(io.BytesIO(bad_file.read_bytes()), "bad.json")},
    )  # fmt: skip
    assert checked.status_code == 422
    assert "“slider” is not a question type here." in checked.get_data(as_text=True)
    document = json.loads((FORMS / "kartlegging.json").read_text())
    document["title"] = "Ny kartlegging"
    template = upload(
        admin,
        {"csrf_token": token, "publish": "y",
         "document": FileStorage(io.BytesIO(json.dumps(document).encode()), "k.json")},
    )  # fmt: skip
    assert template.status_code == 422  # a national template is never changed in place
    assert "belongs to a national template" in template.get_data(as_text=True)
    assert ("kartlegging", 2) not in versions(app)
    document["slug"] = "kartlegging-a"
    published = upload(
        admin,
        {"csrf_token": token, "publish": "y",
         "document": FileStorage(io.BytesIO(json.dumps(document).encode()), "k.json")},
    )  # fmt: skip
    assert published.status_code == 302
    assert ("kartlegging-a", 1) in versions(app)
    exported = admin.get("/admin/questionnaires/kartlegging-a/1.json")
    assert exported.json["title"] == "Ny kartlegging"


NOT_A_DOCUMENT = [
    (b"\xff\xfe", "The file is not text in UTF-8."),
    # Python's parser takes these three; the database's JSON column and browsers do not.
    (b'{"ui": {}, "schema": {"maximum": NaN}}', "not valid JSON (line 1, column 34)."),
    (b'{"ui": {},\n "schema": {"maximum": 1e999}}', "not valid JSON (line 2, column 24)."),
    (b'{"ui": {}, "schema": {"x": -Infinity}}', "not valid JSON (line 1, column 28)."),
    (b'{"ui": {}, "schema": ' + b"[" * 5000 + b"]" * 5000 + b"}", "not valid JSON (line 1"),
]


@pytest.mark.parametrize(("data", "words"), NOT_A_DOCUMENT)
@pytest.mark.parametrize("publish", ["", "y"])
def test_admin_upload_of_garbage(app, world, as_actor, data, words, publish):
    admin = as_actor(app, "admin1")
    token = csrf_token(admin, "/admin/questionnaires")
    before = versions(app)
    response = upload(
        admin,
        {"csrf_token": token, "publish": publish,
         "document": FileStorage(io.BytesIO(data), "x.json")},
    )  # fmt: skip
    assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert versions(app) == before


def test_a_failed_database_write_still_gets_the_error_page(app, world, as_actor, monkeypatch):
    """After a statement the database refused, the session must be rolled back before the
    error page reads the signed-in person and their language through it."""

    def refused_write(participant):
        db.session.add(AuditEvent())  # no action, no time: the database refuses the row
        db.session.flush()

    monkeypatch.setattr(questionnaire_service, "offered_questionnaires", refused_write)
    client = as_actor(app, "p1")
    client.post("/language", data={"lang": "uk", "next": "/me/",
                                   "csrf_token": csrf_token(client, "/me/")})  # fmt: skip
    response = client.get("/me/")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert '<html lang="uk"' in html and "Щось пішло не так" in html


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}


def test_migrations_match_the_models(app):
    """`flask db upgrade` on an empty database (done by the fixture) yields exactly the models."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": outside_models}
        )
        with warnings.catch_warnings():
            # SQLite's indexes on expressions (lower(name)) cannot be reflected; they are
            # checked by name below instead.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expr")
            assert compare_metadata(context, db.metadata) == []
        expression_indexes = {
            index.name
            for table in db.metadata.tables.values()
            for index in table.indexes
            if any(not isinstance(e, sa.Column) for e in index.expressions)
        }
        if connection.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'index'"
        else:
            query = "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
        assert expression_indexes <= set(connection.exec_driver_sql(query).scalars())


def test_json_clients_get_problem_details(client):
    response = client.get("/nowhere", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404 and response.json["title"] == "Page not found"


def _problems_listed(html: str) -> list[str]:
    summary = html.split("The file has problems. Nothing was published.", 1)[1]
    return re.findall(r"<li>(.*?)</li>", summary.split("</ul>", 1)[0], re.S)


@pytest.mark.parametrize("publish", ["", "y"])
def test_checking_a_file_lists_every_problem_at_once(app, world, as_actor, publish):
    """The schema's own rules once stopped the check: three problems were listed, and seven
    more came only after those were fixed."""
    admin = as_actor(app, "admin1")
    token = csrf_token(admin, "/admin/questionnaires")
    data = json.dumps(_many_problems()).encode()
    file = FileStorage(io.BytesIO(data), "x.json")
    response = upload(admin, {"csrf_token": token, "publish": publish, "document": file})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    listed = _problems_listed(html)
    assert len(listed) == 10, listed
    assert "“slider” is not a question type here." in html  # a question's rule
    assert "“zz” is not a language code Løype knows." in html  # a language's
    assert CHECK_STOPPED_EN not in html


@pytest.mark.parametrize("publish", ["", "y"])
def test_a_file_the_check_cannot_read_through_says_more_may_come(app, world, as_actor, publish):
    admin = as_actor(app, "admin1")
    token = csrf_token(admin, "/admin/questionnaires")
    document = _many_problems()
    document["schema"]["properties"]["work"] = {"$ref": "#/$defs/answer"}  # points nowhere
    data = json.dumps(document).encode()
    file = FileStorage(io.BytesIO(data), "x.json")
    response = upload(admin, {"csrf_token": token, "publish": publish, "document": file})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“zz” is not a language code Løype knows." in html  # still checked
    assert CHECK_STOPPED_EN in html


def test_forms_check_says_when_more_problems_may_come(runner, tmp_path):
    """The upload page and the builder say so; the command that checks the same files did not."""
    document = _many_problems()
    document["schema"]["properties"]["work"] = {"$ref": "#/$defs/answer"}  # points nowhere
    path = tmp_path / "x.json"
    path.write_text(json.dumps(document), "utf-8")
    result = runner.invoke(args=["forms", "check", str(path)])
    assert result.exit_code == 1
    assert "more may appear once they are fixed" in result.output
    path.write_text(json.dumps(_many_problems()), "utf-8")  # every rule could run: no such line
    result = runner.invoke(args=["forms", "check", str(path)])
    assert result.exit_code == 1 and "more may appear" not in result.output
