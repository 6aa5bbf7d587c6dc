"""Canary values (answers, an invite code, passwords, a session id) never reach a log line.

The app is served for real (Werkzeug's threaded server, with its request log lines), driven
over HTTP through sign-in, joining, answering on the API and the server pages, a wrong
password, setting up two-step sign-in, a new invite and sign-out; then every captured log
record is searched.
"""

from __future__ import annotations

import re
import threading
import uuid

import pyotp
import pytest
import requests
from werkzeug.serving import make_server

from webapp.services import accounts

from .conftest import PASSWORD, csrf_token, english_client

ANSWER = "KANARI-svar-helse-7731"
WRONG_PASSWORD = "KANARI-feil-passord-5520"


@pytest.fixture
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def _token(session: requests.Session, url: str) -> str:
    html = session.get(url).text
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_no_canary_in_any_log_line(app, world, served, caplog):
    caplog.set_level("DEBUG")
    app.config["SERVER_NAME"] = None  # served on 127.0.0.1, not loype.test
    app.config["SESSION_COOKIE_SECURE"] = False  # plain http, as make run
    try:
        phone = requests.Session()
        code = world.codes["p1"]
        token = _token(phone, f"{served}/join/{code}")
        assert phone.post(f"{served}/join/{code}", data={"csrf_token": token}).ok
        cookie = next(iter(phone.cookies)).value
        rid = str(uuid.uuid4())
        body = {
            "questionnaire": "kartlegging",
            "version": 1,
            "status": "draft",
            "answers": {"short_term_goal_kind": "other", "short_term_goal": ANSWER},
        }
        assert phone.put(f"{served}/api/v1/responses/{rid}", json=body).status_code == 201
        assert phone.post(
            f"{served}/api/v1/sync",
            json={
                "responses": [
                    {**body, "id": rid, "answers": {"anything_else": ANSWER}, "base_revision": 1}
                ]
            },
        ).ok
        assert ANSWER in phone.get(f"{served}/r/{rid}/summary").text
        assert phone.get(f"{served}/api/v1/me/export").ok
        phone.post(f"{served}/leave", data={"csrf_token": _token(phone, f"{served}/me/")})

        staff = requests.Session()
        token = _token(staff, f"{served}/login")
        staff.post(f"{served}/login", data={"email": world.emails["c1"],
                   "password": WRONG_PASSWORD, "csrf_token": token})  # fmt: skip
        staff.post(f"{served}/login", data={"email": world.emails["c1"],
                   "password": PASSWORD, "csrf_token": token})  # fmt: skip
        assert ANSWER in staff.get(f"{served}/participants/{world.p1}/export.json").text
        two_step = f"{served}/account/two-step"
        staff.post(f"{two_step}/new", data={"csrf_token": _token(staff, two_step)})
        secret = re.search(r"secret=([A-Z2-7]+)", staff.get(two_step).text).group(1)
        totp_code = pyotp.TOTP(secret).now()
        token = _token(staff, two_step)
        turned_on = staff.post(f"{two_step}/confirm", data={"code": totp_code, "csrf_token": token})
        assert turned_on.url.endswith("/caseload")
        invite = staff.post(
            f"{served}/participants/{world.p1}/invite",
            data={"csrf_token": _token(staff, f"{served}/caseload")},
        )
        new_code = re.search(r"/join/([A-Z0-9]+)", invite.text).group(1)
        staff.get(f"{served}/join/{new_code}")
        staff_cookie = next(iter(staff.cookies)).value
    finally:
        app.config["SERVER_NAME"] = "loype.test"
        app.config["SESSION_COOKIE_SECURE"] = True
    # Everything the server side logged; urllib3 is this test's own HTTP client.
    records = [r for r in caplog.records if not r.name.startswith("urllib3")]
    lines = [record.getMessage() for record in records]
    assert any(r.name == "werkzeug" and "PUT /api/v1/responses" in r.getMessage()
               for r in records)  # the request lines were logged  # fmt: skip
    assert any("/join/[redacted]" in line for line in lines)
    canaries = {
        "answer": ANSWER, "invite code": code, "new invite code": new_code,
        "formatted code": accounts.format_code(new_code), "password": PASSWORD,
        "wrong password": WRONG_PASSWORD, "participant cookie": cookie,
        "staff cookie": staff_cookie, "two-step key": secret, "two-step code": totp_code,
    }  # fmt: skip
    found = [(name, line) for line in lines for name, value in canaries.items() if value in line]
    assert not found, found


def test_an_unhandled_error_on_the_invite_link_logs_no_code(app, world, monkeypatch, caplog):
    """The error handler logs the method and path of every unhandled error, and the invite
    link's path holds the code: only the request log lines of Werkzeug and gunicorn were
    redacted, not the app's own."""
    code = world.codes["p1"]
    phone = english_client(app)
    token = csrf_token(phone, f"/join/{code}")

    def fails(*args):  # stands in for any failure: a lost connection, a bug
        raise RuntimeError("the database went away")

    monkeypatch.setattr(accounts, "use_invite", fails)
    caplog.set_level("DEBUG")
    assert phone.post(f"/join/{code}", data={"csrf_token": token}).status_code == 500
    assert "unhandled error on POST /join/[redacted]" in caplog.text  # the error was logged
    assert code not in caplog.text
    assert accounts.format_code(code) not in caplog.text


def test_a_database_error_logs_no_answer(app, world, caplog):
    """A failed statement's error carries its parameters (SQLAlchemy writes them into the
    message: ``[parameters: (...)]``), and the error handler logs it with its traceback: the
    INSERT of a response would have put the participant's answers into the log. The fault here
    is a database that has turned read-only (a failed-over replica, a full disk)."""
    import sqlalchemy as sa

    from webapp.extensions import db

    with app.app_context():
        engine = db.engine
    read_only = (
        "SET default_transaction_read_only = on"
        if engine.dialect.name == "postgresql"
        else "PRAGMA query_only = ON"
    )

    def refuse_writes(connection, *args):
        cursor = connection.cursor()
        cursor.execute(read_only)
        cursor.close()
        connection.commit()  # PostgreSQL's SET began a transaction: end it, keep the setting

    phone = english_client(app)
    token = csrf_token(phone, f"/join/{world.codes['p1']}")
    assert phone.post(f"/join/{world.codes['p1']}", data={"csrf_token": token}).status_code == 302
    body = {
        "questionnaire": "kartlegging",
        "version": 1,
        "status": "draft",
        "answers": {"short_term_goal_kind": "other", "short_term_goal": ANSWER},
    }
    caplog.set_level("DEBUG")
    sa.event.listen(engine, "checkout", refuse_writes)
    try:
        put = phone.put(f"/api/v1/responses/{uuid.uuid4()}", json=body)
        synced = phone.post("/api/v1/sync", json={"responses": [{**body, "id": str(uuid.uuid4())}]})
    finally:
        sa.event.remove(engine, "checkout", refuse_writes)
        engine.dispose()  # the connections that were made read-only
    assert put.status_code == 500
    # The batch fails as a whole (PostgreSQL: its first write, before the items) or per item.
    assert synced.status_code == 500 or synced.json["results"][0]["status"] == 500
    logged = "\n".join(caplog.handler.format(record) for record in caplog.records)
    assert logged.count("Traceback") >= 2  # both errors were logged, with their tracebacks
    assert "INSERT INTO response (" in logged  # the failed statement is still shown
    assert "[SQL parameters hidden" in logged
    assert ANSWER not in logged
