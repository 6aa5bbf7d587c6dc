"""A server or push worker with another SECRET_KEY or VAPID key than the database's other
servers refuses to start, naming the variable (webapp/services/key_check.py).

Without the check such a server starts and serves: behind a load balancer every second request
of a signed-in participant lands on it and is refused, and the invite codes the others made are
"not valid" there.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from webapp import create_app
from webapp.extensions import db
from webapp.models import AuditEvent, KeyFingerprint
from webapp.services import key_check, push_keys

from . import cluster


def _recorded(app) -> dict[str, str]:
    with app.app_context():
        return {row.name: row.fingerprint for row in db.session.scalars(sa.select(KeyFingerprint))}


def test_the_first_server_records_its_keys_and_the_same_keys_pass(app):
    with app.app_context():
        first = key_check.verify(app)
        again = key_check.verify(app)
    assert [s.name for s in first] == ["SECRET_KEY", "LOYPE_VAPID_PRIVATE_KEY"]
    assert not any(s.differs for s in first + again)
    recorded = _recorded(app)
    assert set(recorded) == {"SECRET_KEY", "LOYPE_VAPID_PRIVATE_KEY"}
    # Only fingerprints: neither key, nor the VAPID public key phones are given, is stored.
    with app.app_context():
        public = push_keys.application_server_key(push_keys.load(app.config, app.instance_path))
    assert app.config["SECRET_KEY"] not in recorded.values() and public not in recorded.values()


def test_another_secret_key_is_refused_naming_the_variable_never_the_key(app, monkeypatch):
    with app.app_context():
        key_check.verify(app)
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key-typed-on-one-server")
    with app.app_context(), pytest.raises(key_check.KeysDiffer) as refused:
        key_check.verify(app)
    message = refused.value.message
    assert message.startswith("SECRET_KEY is not the one this database's app servers use")
    assert "VAPID" not in message  # that key is the same
    assert "flask --app wsgi keys accept" in message
    assert "another-secret-key" not in message and "test-secret" not in message
    # The database still holds the first server's key: the others go on as before.
    monkeypatch.setitem(app.config, "SECRET_KEY", "test-secret")
    with app.app_context():
        assert not any(s.differs for s in key_check.verify(app))


def test_another_vapid_key_is_refused(app, monkeypatch):
    with app.app_context():
        key_check.verify(app)
    _key, other = push_keys.new_private_key()
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", other)
    with app.app_context(), pytest.raises(key_check.KeysDiffer) as refused:
        key_check.verify(app)
    assert "The VAPID key (LOYPE_VAPID_PRIVATE_KEY" in refused.value.message
    assert "SECRET_KEY is not" not in refused.value.message
    assert other not in refused.value.message


def test_a_key_no_server_had_yet_is_recorded_by_the_first_that_has_it(app, monkeypatch):
    """A first server without a VAPID key (push not set up yet) records SECRET_KEY alone; the
    first one with a VAPID key records that, and then a different one is refused."""
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", None)
    monkeypatch.setattr(app, "instance_path", "/nonexistent-instance")
    with app.app_context():
        assert [s.name for s in key_check.verify(app)] == ["SECRET_KEY"]
    monkeypatch.undo()
    with app.app_context():
        key_check.verify(app)
    assert set(_recorded(app)) == {"SECRET_KEY", "LOYPE_VAPID_PRIVATE_KEY"}


def test_a_server_without_the_vapid_key_the_others_have_is_refused(app, runner, monkeypatch):
    with app.app_context():
        key_check.verify(app)
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", None)
    monkeypatch.setattr(app, "instance_path", "/nonexistent-instance")
    with app.app_context(), pytest.raises(key_check.KeysDiffer) as refused:
        key_check.verify(app)
    assert refused.value.message.startswith("This server has no VAPID key")
    assert "keys accept" not in refused.value.message  # it would record nothing
    checked = runner.invoke(args=["keys", "check"])
    assert checked.exit_code == 1
    assert "LOYPE_VAPID_PRIVATE_KEY: MISSING on this server" in checked.output


def test_a_database_before_the_migration_is_not_checked(tmp_path):
    fresh = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
         "SECRET_KEY": "x" * 32, "TESTING": True}
    )  # fmt: skip
    with fresh.app_context():
        assert key_check.verify(fresh) == []
        db.engine.dispose()


def test_keys_check_and_accept_from_the_command_line(app, runner, monkeypatch):
    first = runner.invoke(args=["keys", "check"])
    assert first.exit_code == 0, first.output
    assert "SECRET_KEY: the same as recorded" in first.output

    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret-key-set-on-purpose")
    differs = runner.invoke(args=["keys", "check"])
    assert differs.exit_code == 1
    assert "SECRET_KEY: DIFFERS from the one recorded" in differs.output
    assert "LOYPE_VAPID_PRIVATE_KEY: the same as recorded" in differs.output

    asked = runner.invoke(args=["keys", "accept"], input="n\n")
    assert asked.exit_code == 1 and "Aborted" in asked.output
    assert runner.invoke(args=["keys", "check"]).exit_code == 1  # nothing was recorded

    accepted = runner.invoke(args=["keys", "accept", "--yes"])
    assert accepted.exit_code == 0, accepted.output
    assert "SECRET_KEY: the same as recorded" in accepted.output
    assert runner.invoke(args=["keys", "check"]).exit_code == 0
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).filter_by(action="keys.accept"))
        assert event.target == "keys:SECRET_KEY"
    # The server with the old key is now the one refused.
    monkeypatch.setitem(app.config, "SECRET_KEY", "test-secret")
    assert runner.invoke(args=["keys", "check"]).exit_code == 1


def test_the_push_worker_with_another_vapid_key_does_not_start(app, runner, monkeypatch):
    assert runner.invoke(args=["keys", "check"]).exit_code == 0
    _key, other = push_keys.new_private_key()
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", other)
    worked = runner.invoke(args=["push", "work", "--once"])
    assert worked.exit_code == 1
    assert "The VAPID key (LOYPE_VAPID_PRIVATE_KEY" in worked.output
    assert "deliveries tried" not in worked.output


def _gunicorn(app, tmp_path: Path, secret_key: str) -> tuple[subprocess.Popen, str, Path]:
    port = cluster.free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY=secret_key,
        LOYPE_VAPID_PRIVATE_KEY=app.config["VAPID_PRIVATE_KEY"],
        LOYPE_SECURE_COOKIES="0",
        WEB_CONCURRENCY="1",
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / f"gunicorn-{port}.log"
    with open(log, "wb") as errors:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
             "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=cluster.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
    return server, f"http://127.0.0.1:{port}", log


def test_an_app_server_with_another_secret_key_refuses_to_start(app, world, tmp_path):
    first, url, _log = _gunicorn(app, tmp_path, "test-secret")
    servers = [first]
    try:
        cluster._wait_for(f"{url}/healthz", first)
        with requests.Session() as phone:
            phone.trust_env = False
            join = f"{url}/join/{world.codes['p1']}"
            token = re.search(
                r'name="csrf_token"[^>]*value="([^"]+)"', phone.get(join, timeout=30).text
            ).group(1)
            joined = phone.post(join, data={"csrf_token": token}, allow_redirects=False, timeout=30)
            assert joined.status_code == 302, joined.text
            assert phone.get(f"{url}/api/v1/me", timeout=30).status_code == 200

            second, _url, log = _gunicorn(app, tmp_path, "a-key-mistyped-on-the-second-server")
            servers.append(second)
            status = second.wait(timeout=60)
            assert status == 4
            said = log.read_text("utf-8")
            assert "SECRET_KEY is not the one this database's app servers use" in said
            assert "mistyped" not in said and "test-secret" not in said
            # The first server, and the participant signed in on it, go on as before.
            assert phone.get(f"{url}/api/v1/me", timeout=30).status_code == 200
    finally:
        for server in servers:
            if server.poll() is None:
                server.send_signal(signal.SIGINT)
                server.wait(timeout=30)
