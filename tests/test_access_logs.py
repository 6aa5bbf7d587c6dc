"""gunicorn's access log, should an operator turn it on, holds no query string.

A caseload search names a participant in its address (``/caseload?q=<name>``), and erasing
the participant cannot reach a log file. nginx's own log is checked in tests/test_scale_out.py
(it needs nginx and PostgreSQL); gunicorn.conf.py is checked here, on every database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from . import cluster

NAME = "Kanarinavn Testesen"


def test_gunicorns_access_log_has_the_path_alone(app, world, tmp_path):
    log = tmp_path / "access.log"
    port = cluster.free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY=app.config["SECRET_KEY"],
        WEB_CONCURRENCY="1",
        PYTHONUNBUFFERED="1",
    )
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    with open(tmp_path / "error.log", "wb") as errors:
        server = subprocess.Popen(
            [gunicorn, "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
             "--access-logfile", str(log), "wsgi:app"],
            cwd=cluster.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            cluster._wait_for(f"{url}/healthz", server)
            with requests.Session() as browser:
                browser.trust_env = False
                browser.get(f"{url}/caseload", params={"q": NAME}, timeout=30)
                browser.get(f"{url}/join/{world.codes['p1']}", params={"q": NAME}, timeout=30)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    logged = log.read_text("utf-8")
    assert '"GET /caseload HTTP/1.1" 302' in logged
    assert '"GET /join/[redacted] HTTP/1.1" 200' in logged
    assert "Kanarinavn" not in logged and "q=" not in logged
    assert world.codes["p1"] not in logged
