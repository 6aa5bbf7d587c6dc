"""Real headless Chromium against the app served on 127.0.0.1 (Debian's chromium).

In CI (``CI=true``) a missing browser fails the run; elsewhere the browser tests are skipped
with a note on how to install it.
"""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest
from werkzeug.serving import make_server

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
PHONE = {"width": 360, "height": 740}
#: How long a step may wait for the page (a navigation, a selector). The suite runs on one
#: pytest-xdist worker per core, so a page may wait for a core while another worker's browser
#: works: 15 s timed out once on a form's answer that takes a second alone. Waiting longer
#: costs a passing run nothing.
TIMEOUT_MS = 30_000


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        message = "Debian's chromium is needed for the browser tests (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Faults:
    """WSGI middleware that makes the sync endpoint fail on purpose, the ways networks do.

    Requests from a page that a service worker controls cannot be intercepted in the browser,
    so the failures happen where they happen in life: at the server and on the connection.
    ``plan`` holds the next outcomes: "500" (an error answer), "drop" (the connection closes
    before the server does anything), "lost" (the server stores the request, then the
    connection closes before the answer is sent), "late" (the server stores the request at
    once, and its answer reaches the phone ``late_by`` seconds later). ``blocked`` answers 503
    until cleared.
    ``slow`` holds seconds by path ending: such a request waits that long before it is served
    (a slow network or server). ``refused`` holds path endings answered 500 whatever they are
    (a file a broken server or proxy cannot serve); ``answered`` holds path endings answered
    with another status line ("429 TOO MANY REQUESTS", a proxy's limit, say).
    """

    PATH = "/api/v1/sync"

    def __init__(self, app):
        self.app = app
        self.reset()

    def reset(self):
        self.served: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self.plan: list[str] = []
        self.blocked = False
        self.seen: list[str] = []
        self.slow: dict[str, float] = {}
        self.refused: set[str] = set()
        self.answered: dict[str, str] = {}
        self.late_by = 3.0

    @staticmethod
    def _drop(environ):
        import socket

        connection = environ.get("werkzeug.socket")
        if connection is not None:
            connection.shutdown(socket.SHUT_RDWR)

    def __call__(self, environ, start_response):
        self.served.append((environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")))
        for ending, seconds in list(self.slow.items()):
            if environ.get("PATH_INFO", "").endswith(ending):
                time.sleep(seconds)
        if environ.get("PATH_INFO", "").endswith(tuple(self.refused)):
            start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")])
            return [b"failing on purpose"]
        for ending, status in list(self.answered.items()):
            if environ.get("PATH_INFO", "").endswith(ending):
                start_response(status, [("Content-Type", "text/plain")])
                return [b"answering so on purpose"]
        if environ.get("PATH_INFO") != self.PATH:
            return self.app(environ, start_response)
        kind = self.plan.pop(0) if self.plan else ("blocked" if self.blocked else "pass")
        self.seen.append(kind)
        if kind == "pass":
            return self.app(environ, start_response)
        if kind in ("500", "blocked"):
            status = "500 INTERNAL SERVER ERROR" if kind == "500" else "503 SERVICE UNAVAILABLE"
            start_response(status, [("Content-Type", "text/plain")])
            return [b"failing on purpose"]
        if kind == "late":
            answer: list = []
            body = self.app(environ, lambda *args, **kwargs: answer.append(args))
            sent = b"".join(body)  # handled and committed now ...
            if hasattr(body, "close"):
                body.close()
            time.sleep(self.late_by)  # ... the answer on a slow way back
            start_response(*answer[0])
            return [sent]
        if kind == "lost":
            body = self.app(environ, lambda *args, **kwargs: None)
            b"".join(body)  # the request is handled and committed ...
            if hasattr(body, "close"):
                body.close()
        self._drop(environ)  # ... but nothing reaches the phone
        start_response("200 OK", [])
        return []


@pytest.fixture(scope="session")
def _live(base_app):
    """Serve the test app on a free port for the session (threads, like a real server)."""
    faults = Faults(base_app)
    server = make_server("127.0.0.1", 0, faults, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", faults
    server.shutdown()
    thread.join(5)


@pytest.fixture
def live_server(_live):
    return _live[0]


@pytest.fixture
def faults(_live):
    """The live server's fault injector, clean for each test."""
    _live[1].reset()
    yield _live[1]
    _live[1].reset()


@pytest.fixture
def context(browser, live_server):
    """A fresh browser profile (no service worker, no storage) at phone width.

    ``bypass_csp``: Playwright polls ``wait_for_function`` predicates with eval, which the
    site's policy forbids. tests/browser/test_csp.py walks the journeys with the policy on.
    """
    ctx = browser.new_context(viewport=PHONE, locale="en-GB", base_url=live_server, bypass_csp=True)
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()
