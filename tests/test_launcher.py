"""``make run``'s launcher: the web server and the push worker start together and stop together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import ROOT, _vapid_pem

# A child that says it started, then runs until told to stop (it prints how it ended).
CHILD = """
import signal, sys, time, pathlib
name, folder = sys.argv[1], pathlib.Path(sys.argv[2])
def stop(signum, frame):
    (folder / f"{name}.stopped").write_text(signal.Signals(signum).name)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
(folder / f"{name}.started").write_text("")
time.sleep(float(sys.argv[3]) if len(sys.argv) > 3 else 60)
sys.exit(int(sys.argv[4]) if len(sys.argv) > 4 else 0)
"""

LAUNCH = """
import sys
from webapp import launcher
child = [sys.executable, "-c", sys.argv[1]]
commands = [child + ["server", sys.argv[2], *sys.argv[3:]], child + ["worker", sys.argv[2]]]
sys.exit(launcher.run(commands, grace=5))
"""


def _launch(folder: Path, *server_args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCH, CHILD, str(folder), *server_args], cwd=ROOT
    )


def _wait_for(path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def _wait_until_catching(pid: int, sig: signal.Signals, timeout: float = 30.0) -> None:
    """Wait until the process has a handler for ``sig`` (Linux: SigCgt in /proc)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text()
        caught = int(
            next(line for line in status.splitlines() if line.startswith("SigCgt:"))[7:], 16
        )
        if caught & (1 << (sig - 1)):
            return
        time.sleep(0.1)
    raise AssertionError(f"{pid} never handled {sig.name}")


def test_ctrl_c_stops_the_server_and_the_worker(tmp_path):
    launched = _launch(tmp_path)
    _wait_for(tmp_path / "server.started")
    _wait_for(tmp_path / "worker.started")

    launched.send_signal(signal.SIGINT)  # what Ctrl-C sends the launcher

    assert launched.wait(20) == 0
    assert (tmp_path / "server.stopped").read_text() == "SIGTERM"
    assert (tmp_path / "worker.stopped").read_text() == "SIGTERM"


def test_when_the_server_ends_the_worker_is_stopped_too(tmp_path):
    launched = _launch(tmp_path, "0.5", "3")  # the server fails after half a second

    assert launched.wait(20) == 3
    assert (tmp_path / "worker.stopped").read_text() == "SIGTERM"
    assert not (tmp_path / "server.stopped").exists()  # it had ended by itself


def test_the_push_worker_stops_on_sigterm(tmp_path):
    """The worker the launcher starts finishes its pass and says so (no traceback, status 0)."""
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
        "SECRET_KEY": "launcher-test",
        "LOYPE_VAPID_PRIVATE_KEY": _vapid_pem(),
    }
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    worker = subprocess.Popen(
        [*flask, "push", "work", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    _wait_until_catching(worker.pid, signal.SIGTERM)  # started: app loaded, loop running
    time.sleep(0.5)  # a pass or two over the empty outbox
    assert worker.poll() is None

    worker.terminate()

    output, _ = worker.communicate(timeout=20)
    assert worker.returncode == 0
    assert "push worker stopped" in output
