"""Every bench under bench/ runs to its report, in its quickest mode.

The benches are how issue 12's figures are measured, and no other test runs them: phone.py
stopped with a TypeError for two days before anyone noticed (a helper it shares with
transfer.py had gained an argument). Each runs here as a person runs it, on little data and
for a second or two of load, and must print its report and end with 0 (every target met) or 1
(a target missed), never a traceback. The figures themselves are not judged: a short run on a
shared CI machine says nothing about them (docs/benchmarks.md holds the measured ones).

A bench that needs a program the machine lacks (Chromium, wrk, nginx, npm) is skipped, loudly;
in CI, which installs them (.ci/run), that fails instead. scale_out.py needs PostgreSQL: it
runs when TEST_DATABASE_URL names a server, on a database of its own that it may empty.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from .browser.conftest import chromium_path
from .cluster import nginx_path

ROOT = Path(__file__).resolve().parent.parent
#: The database scale_out.py may empty, on TEST_DATABASE_URL's server.
SMOKE_DATABASE = "loype_bench_smoke"


def _require(program: str) -> None:
    """Skip without ``program`` (Debian's package of the same name), or fail on CI."""
    if FOUND[program]():
        return
    message = f"{program} is needed to run this bench (apt-get install {program})"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _postgresql_url() -> str:
    """Return the URL of a database for the bench on the test server, made if missing."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("scale_out.py needs PostgreSQL: set TEST_DATABASE_URL")
    server = sa.engine.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": SMOKE_DATABASE},
            )
            if not exists:
                connection.execute(sa.text(f"CREATE DATABASE {SMOKE_DATABASE}"))
    finally:
        engine.dispose()
    return (
        server.set(database=SMOKE_DATABASE)
        .render_as_string(hide_password=False)
        .replace("postgresql+psycopg://", "postgresql://", 1)
    )


def _run(script: str, *args: str, report: str) -> str:
    """Run bench/<script> with ``args``; check it ended with its report; return its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOYPE_", "FLASK_"))}
    env.pop("DATABASE_URL", None)  # each bench makes its own database
    done = subprocess.run(
        [sys.executable, f"bench/{script}", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    printed = done.stdout + done.stderr
    where = f"bench/{script} {' '.join(args)} ended with {done.returncode}:\n{printed[-4000:]}"
    assert "Traceback (most recent call last)" not in printed, where
    assert done.returncode in (0, 1), where
    assert re.search(report, done.stdout, re.MULTILINE), f"no report ({report!r}) in {where}"
    return done.stdout


#: Each bench in its quickest mode: (script, arguments, programs it needs, its report's line).
#: "{postgresql}" stands for a database of its own on TEST_DATABASE_URL's server.
BENCHES = [
    ("first_requests.py", ["--rounds", "1"], [],
     r"^all of them\s+[\d.]+\s+[\d.]+\s+[\d.]+$"),
    ("encoding.py", ["--requests", "3", "--rounds", "1"], [],
     r"^document, Arabic\s+gzip\s+[\d.]+\s+[\d.]+\s+\d+\s+[\d.]+$"),
    ("growth.py", ["--sizes", "50", "200", "--runs", "2"], [],
     r"^(OK: every page within|FAIL: over) "),
    ("server.py", ["--seconds", "1", "--connections", "16"], ["wrk"],
     r"^sync vs insert\s+16\s+[\d.]+(.|\n)*^(OK: every target met|FAIL: )"),
    ("ab.py", ["--against", "HEAD", "--rounds", "1", "--seconds", "1"], ["wrk"],
     r"^this tree / HEAD: [\d.]+$"),
    ("scale_out.py", ["--database", "{postgresql}", "--seconds", "1"], ["wrk", "nginx"],
     r"^sync\s+\d+\s+[\d.]+ r/s\s+[\d.]+ r/s\s+[\d.]+$"),
    ("transfer.py", ["--no-baseline", "--way", "direct"], ["chromium"],
     r"^(PASS|FAIL)\s+first visit: [\d,]+ bytes"),
    ("phone.py", ["--conditions", "phone", "--no-sync"], ["chromium"],
     r"^(PASS|FAIL)\s+mapping: interactive [\d,]+ ms on the phone"),
    ("lighthouse.py", [], ["chromium", "npm"], r"^join\s+\d+\s+\d+\s+\d+\s+\d+$"),
]  # fmt: skip

FOUND = {
    "wrk": lambda: shutil.which("wrk") is not None,
    "nginx": lambda: nginx_path() is not None,
    "chromium": lambda: chromium_path() is not None,
    "npm": lambda: shutil.which("npm") is not None,
}


@pytest.mark.parametrize(
    ("script", "arguments", "needs", "report"), BENCHES, ids=[b[0] for b in BENCHES]
)
def test_the_bench_runs_to_its_report(script, arguments, needs, report):
    for program in needs:
        _require(program)
    if "{postgresql}" in arguments:
        arguments = [_postgresql_url() if a == "{postgresql}" else a for a in arguments]
    _run(script, *arguments, report=report)
