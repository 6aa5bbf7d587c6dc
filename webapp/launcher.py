"""Run the web server and one push worker side by side, and stop them together (``make run``).

``python -m webapp.launcher -- <server command …>`` starts the server command and
``flask push work`` (the outbox's worker, docs/notifications.md) beside it. Ctrl-C, SIGTERM, or
either of them ending stops the other: each is sent SIGTERM (gunicorn and the worker finish
what they are doing), then SIGKILL if it is still there after a grace period. The exit status
is the first one to end's, or 0 after Ctrl-C.

The children run in their own process groups, so a Ctrl-C in the terminal reaches the launcher
only and each child is stopped once, in order, not interrupted mid-delivery by the terminal.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

log = logging.getLogger(__name__)

#: How long each child has to stop after SIGTERM (gunicorn's graceful_timeout is 10 s).
GRACE_SECONDS = 15.0
POLL_SECONDS = 0.2


def worker_command() -> list[str]:
    """The push worker, with this interpreter (the virtual environment of ``make run``)."""
    return [sys.executable, "-m", "flask", "push", "work"]


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop


def run(commands: Sequence[Sequence[str]], grace: float = GRACE_SECONDS) -> int:
    """Start every command; when one ends or a stop signal comes, stop the rest. Return the
    exit status of the first to end (0 when stopped by a signal)."""
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: list[subprocess.Popen] = []
    status = 0
    try:
        for command in commands:
            children.append(subprocess.Popen(list(command), start_new_session=True))
        while True:
            ended = [child for child in children if child.poll() is not None]
            if ended:
                status = ended[0].returncode
                log.warning("%s ended (%s); stopping the rest", ended[0].args[0], status)
                break
            time.sleep(POLL_SECONDS)
    except _Stop:
        status = 0
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)  # stopping is not interrupted by a second Ctrl-C
        _stop_all(children, grace)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


def _stop_all(children: list[subprocess.Popen], grace: float) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: python -m webapp.launcher -- <web server command …>", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="launcher: %(message)s")
    os.environ.setdefault("FLASK_APP", "wsgi")
    return run([args, worker_command()])


if __name__ == "__main__":
    sys.exit(main())
