"""How many bytes a participant's phone downloads: first visit online, then a repeat visit offline.

Run from the repository root:  .venv/bin/python bench/transfer.py   (exit 0 within budget, 1 over)
    --way direct | nginx | both (the default): which ways of serving to measure.

What it does, all on 127.0.0.1 and bounded in time, once for each way of serving:

1. Serves the app from this work tree with a fresh SQLite database in a temporary folder
   (flask db upgrade, forms import, resources import, demo) and waits for /healthz:
   * direct: gunicorn with the production settings (gunicorn.conf.py), plain HTTP/1.1, as
     `make run` serves it;
   * nginx: as docs/deploy.md deploys it, deploy/nginx.conf (HTTPS, HTTP/2) in front of the
     same gunicorn (tests/cluster.py; a self-signed certificate that Chromium trusts by its
     key, --ignore-certificate-errors-spki-list, so that service workers register).
   The browser talks to it through a small byte-counting TCP relay (see "Two meters" below).
2. Drives Debian's headless Chromium (Playwright, phone viewport 360x740, fresh profile):
   a. first visit: invite link -> /join -> /me/ -> /app/, until the list shows, the service
      worker controls the page and the network is quiet; then opens the mapping questionnaire.
   b. repeat visit offline: context.set_offline(True), load /app/ again, continue the
      questionnaire; the service worker must answer everything. The relay cuts the wire too
      (DevTools' offline mode does not cover the service worker update check that Chromium's
      browser process makes on navigation); what still tried the network is listed.
3. Downloads SurveyJS's plain-JS runtime with `npm pack` as a baseline and compresses it
   (gzip -9, Brotli 11), and compresses Løype's own static JS+CSS the same way.
4. Targets (issue 12): first visit <= 40,960 bytes compressed with every URL crossing the
   network once, offline repeat = 0 bytes from the network.

Two meters, so that nothing is missed:

* CDP: a Network session on the page (context.new_cdp_session(page)) and one on every service
  worker. Playwright cannot open a CDP session on a worker, and a browser-level Playwright
  session cannot talk to flattened child sessions, so Chromium also gets
  --remote-debugging-port=0 (it listens on 127.0.0.1) and this script opens its own
  browser-level CDP connection (a minimal WebSocket client below), calls Target.setAutoAttach
  {autoAttach, flatten, waitForDebuggerOnStart: true}, and on each attached service worker sends
  Network.enable before Runtime.runIfWaitingForDebugger, so the worker's first request is seen.
  Bytes are the sum of Network.loadingFinished.encodedDataLength (plus redirect hops); requests
  answered by the service worker or a cache are counted separately.
* Wire: the relay counts every byte the server sends to the browser (status line, headers,
  body; behind nginx: TLS records, HTTP/2 frames), per connection. Chromium's CDP does not
  report the body of the service worker's own script fetched by the browser process (sw.js,
  and sometimes its module imports), so the budget uses the larger of the two totals; both are
  printed. Behind nginx the relay sees only TLS, so nginx's access log names the requests
  (each with the bytes nginx sent for it) for the check that every URL crossed once.

Each way is judged on its own: PASS or FAIL for both, and the exit status fails if either does.

Results are also written to bench/out/transfer.json.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import brotli

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import cluster  # noqa: E402  (nginx with deploy/nginx.conf, as in production)

OUT = ROOT / "bench" / "out"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--remote-debugging-port=0",  # our own browser-level CDP connection (127.0.0.1 only)
]  # fmt: skip
PHONE = {"width": 360, "height": 740}
BUDGET_FIRST = 40 * 1024  # bytes, compressed, everything the first visit downloads (issue 12)
BUDGET_OFFLINE = 0
TOTAL_SECONDS = 600  # the whole run, hard limit
STEP_TIMEOUT_MS = 20_000
QUIET_SECONDS = 1.0
QUIET_LIMIT = 30.0
STALE_SECONDS = 5.0
SECRET_KEY = "transfer-bench-" + "0" * 49

# SurveyJS files a plain-JS page loads, first match wins (names changed between major versions).
SURVEYJS_FILES = {
    "survey-core": [["survey.core.min.js"], ["survey-core.min.css", "defaultV2.min.css"]],
    "survey-js-ui": [["survey-js-ui.min.js"]],
}


def log(message: str) -> None:
    print(f"[transfer] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask_bin() -> str:
    for candidate in (ROOT / ".venv" / "bin" / "flask", Path(sys.executable).parent / "flask"):
        if candidate.exists():
            return str(candidate)
    raise SystemExit("flask not found: run `make install` first")


class App:
    """The Flask app on a free port with a fresh SQLite database; stopped by stop()."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=f"sqlite:///{workdir / 'loype.sqlite3'}",
            SECRET_KEY=SECRET_KEY,
            FLASK_APP="wsgi",
            LOYPE_SECURE_COOKIES="0",  # plain HTTP on 127.0.0.1, as `make run`
            WEB_CONCURRENCY="2",
        )
        self.env.pop("FLASK_DEBUG", None)
        self.flask = flask_bin()
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / "server.log"

    def cli(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [self.flask, *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
            timeout=timeout, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def prepare(self, link_port: int, language: str) -> str:
        """Create the database and demo data; return the invite code."""
        if not any(ROOT.glob("translations/*/LC_MESSAGES/*.mo")):
            log("no compiled translations: running `flask translate compile` (as `make run` does)")
            self.cli("translate", "compile")
        self.cli("db", "upgrade")
        self.cli("forms", "import", "forms/kartlegging.json", "forms/muligheter.json")
        self.cli("resources", "import", "forms/resources.json")
        out = self.cli("demo", "--port", str(link_port), "--language", language)
        match = re.search(rf"http://127\.0\.0\.1:{link_port}/join/([A-Za-z0-9-]+)", out)
        if not match:
            raise RuntimeError(f"no invite link in `flask demo` output:\n{out}")
        return match.group(1)

    def start(self) -> None:
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        gunicorn = str(Path(self.flask).parent / "gunicorn")  # the production server, as make run
        self.process = subprocess.Popen(
            [gunicorn, "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/healthz", timeout=2
                ) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"/healthz did not answer within 30 s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if getattr(self, "_log", None):
            self._log.close()


# --------------------------------------------------------------------------------------------
# The wire meter: a TCP relay in front of the app that counts bytes per connection and phase


REQUEST_LINE = re.compile(rb"(?:^|\r\n\r\n)([A-Z]+) (\S+) HTTP/1\.[01]\r\n")
STATUS_LINE = re.compile(rb"(?:^|\r\n\r\n)HTTP/1\.[01] (\d{3}) ")


class Relay:
    def __init__(self, upstream_port: int, keeps_alive: bool = False):
        self.upstream_port = upstream_port
        # HTTP/2 keeps its one connection open: then quiet means no bytes for a while.
        self.keeps_alive = keeps_alive
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(128)
        self.port = self.server.getsockname()[1]
        self.phase = "setup"
        self.cut = False  # airplane mode: connections are accepted, read and dropped unanswered
        self.lock = threading.Lock()
        self.connections: list[dict] = []
        self.active = 0
        self.last_activity = time.monotonic()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        record = {"phase": self.phase, "requests": [], "down": Counter(), "up": Counter(),
                  "dropped": self.cut}  # fmt: skip
        with self.lock:
            self.connections.append(record)
            self.active += 1
            self.last_activity = time.monotonic()
        if self.cut:
            self._drop(client, record)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
        except OSError:
            client.close()
            with self.lock:
                self.active -= 1
            return
        head, answers = bytearray(), bytearray()
        up = threading.Thread(target=self._pump, args=(client, upstream, record, "up", head))
        up.start()
        self._pump(upstream, client, record, "down", answers)
        up.join(35)
        for sock in (client, upstream):
            try:
                sock.close()
            except OSError:
                pass
        record["requests"] = [
            f"{m.group(1).decode()} {m.group(2).decode(errors='replace')}"
            for m in REQUEST_LINE.finditer(bytes(head))
        ]
        # Status codes, in order; a body may hide a later one on a kept-alive connection, so
        # they count only when there is one per request.
        statuses = [int(m.group(1)) for m in STATUS_LINE.finditer(bytes(answers))]
        record["statuses"] = statuses if len(statuses) == len(record["requests"]) else []
        with self.lock:
            self.active -= 1
            self.last_activity = time.monotonic()

    def _drop(self, client: socket.socket, record: dict) -> None:
        """Read what the browser asks (to report it), answer nothing, close."""
        head = b""
        client.settimeout(1.0)
        try:
            while b"\r\n\r\n" not in head and len(head) < 65536:
                data = client.recv(65536)
                if not data:
                    break
                head += data
        except OSError:
            pass
        with self.lock:
            record["up"][self.phase] += len(head)
            record["requests"] = [
                f"{m.group(1).decode()} {m.group(2).decode(errors='replace')}"
                for m in REQUEST_LINE.finditer(head)
            ]
            self.active -= 1
            self.last_activity = time.monotonic()
        client.close()

    def _pump(self, source, sink, record, direction, head) -> None:
        source.settimeout(60)
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                try:
                    sink.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            if self.cut and not record["dropped"]:  # airplane mode ends open connections too
                for sock in (source, sink):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            with self.lock:
                record[direction][self.phase] += len(data)
                self.last_activity = time.monotonic()
            if head is not None and len(head) < 65536:
                head.extend(data[: 65536 - len(head)])
            try:
                sink.sendall(data)
            except OSError:
                return

    def idle_for(self) -> float:
        with self.lock:
            if self.active and not self.keeps_alive:
                return 0.0
            return time.monotonic() - self.last_activity

    def summary(self, phase: str) -> dict:
        with self.lock:
            rows = [
                {"requests": c["requests"], "statuses": c.get("statuses", []),
                 "down": c["down"][phase], "up": c["up"][phase],
                 "dropped": c["dropped"]}
                for c in self.connections
                if c["down"][phase] or c["up"][phase]
            ]  # fmt: skip
        return {
            "down": sum(r["down"] for r in rows),
            "up": sum(r["up"] for r in rows),
            "connections": len(rows),
            "requests": sum(max(1, len(r["requests"])) for r in rows),
            "dropped": [req for r in rows if r["dropped"] for req in r["requests"] or ["?"]],
            "rows": rows,
        }

    def close(self) -> None:
        self.closed = True
        try:
            self.server.close()
        except OSError:
            pass


# --------------------------------------------------------------------------------------------
# The CDP meter


class RawCDP:
    """A minimal client for Chromium's browser-level DevTools WebSocket (flat sessions)."""

    def __init__(self, url: str):
        parsed = urlparse(url)
        if parsed.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError("DevTools endpoint must be on 127.0.0.1")
        self.sock = socket.create_connection((parsed.hostname, parsed.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {parsed.path} HTTP/1.1\r\nHost: {parsed.hostname}:{parsed.port}\r\n"
                f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            buffer += chunk
        head, self._buffer = buffer.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.decode(errors="replace"))
        self.sock.settimeout(None)
        self._next_id = 0
        self._write = threading.Lock()
        self._pending: dict[int, tuple[threading.Event, dict]] = {}
        self.handlers: list = []
        threading.Thread(target=self._read_loop, daemon=True).start()

    def _exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("closed")
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _message(self) -> bytes:
        parts = []
        while True:
            first, second = self._exact(2)
            opcode, size = first & 0x0F, second & 0x7F
            if size == 126:
                size = struct.unpack(">H", self._exact(2))[0]
            elif size == 127:
                size = struct.unpack(">Q", self._exact(8))[0]
            mask = self._exact(4) if second & 0x80 else None
            payload = self._exact(size)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 8:
                raise ConnectionError("closed")
            if opcode == 9:
                self._frame(0xA, payload)
                continue
            if opcode == 10:
                continue
            parts.append(payload)
            if first & 0x80:
                return b"".join(parts)

    def _frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            head = struct.pack(">BB", 0x80 | opcode, 0x80 | size)
        elif size < 65536:
            head = struct.pack(">BBH", 0x80 | opcode, 0x80 | 126, size)
        else:
            head = struct.pack(">BBQ", 0x80 | opcode, 0x80 | 127, size)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        with self._write:
            self.sock.sendall(head + mask + masked)

    def _read_loop(self) -> None:
        try:
            while True:
                message = json.loads(self._message())
                if "id" in message:
                    slot = self._pending.pop(message["id"], None)
                    if slot:
                        slot[1].update(message)
                        slot[0].set()
                else:
                    for handler in self.handlers:
                        handler(message)
        except (OSError, ConnectionError, ValueError):
            for event, box in list(self._pending.values()):
                box["error"] = {"message": "connection closed"}
                event.set()

    def send(self, method: str, params=None, session_id=None, wait=True, timeout=10.0):
        with self._write:
            self._next_id += 1
            ident = self._next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        event, box = threading.Event(), {}
        self._pending[ident] = (event, box)
        self._frame(0x1, json.dumps(message).encode())
        if not wait:
            return None
        if not event.wait(timeout):
            raise TimeoutError(method)
        if "error" in box:
            raise RuntimeError(f"{method}: {box['error']}")
        return box.get("result", {})

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


NETWORK_EVENTS = (
    "Network.requestWillBeSent", "Network.responseReceived", "Network.responseReceivedExtraInfo",
    "Network.dataReceived", "Network.loadingFinished", "Network.loadingFailed",
    "Network.requestServedFromCache",
)  # fmt: skip


class Meter:
    """Collects Network events from the page and the service workers, tagged with the phase."""

    def __init__(self):
        self.phase = "setup"
        self.lock = threading.Lock()
        self.events: list[tuple[str, str, str, dict]] = []  # (phase, source, method, params)
        self.inflight: dict[tuple[str, str], float] = {}
        self.last_activity = time.monotonic()
        self.workers: list[str] = []

    def record(self, source: str, method: str, params: dict) -> None:
        with self.lock:
            self.events.append((self.phase, source, method, params))
            key = (source, params.get("requestId", ""))
            now = time.monotonic()
            if method == "Network.requestWillBeSent":
                self.inflight[key] = now
            elif method in ("Network.loadingFinished", "Network.loadingFailed"):
                self.inflight.pop(key, None)
            self.last_activity = now

    def idle_for(self) -> float:
        """Seconds without Network events and without a request open for less than STALE s.

        (Chromium never finishes some requests in CDP, e.g. the favicon; they are ignored.)
        """
        with self.lock:
            now = time.monotonic()
            if any(now - started < STALE_SECONDS for started in self.inflight.values()):
                return 0.0
            return now - self.last_activity

    def attach_workers(self, raw: RawCDP) -> None:
        sessions: dict[str, str] = {}

        def on_message(message: dict) -> None:
            method = message.get("method", "")
            params = message.get("params", {})
            if method == "Target.attachedToTarget":
                session, info = params["sessionId"], params["targetInfo"]
                if info.get("type") == "service_worker":
                    sessions[session] = f"sw:{info.get('url', '')}"
                    with self.lock:
                        self.workers.append(info.get("url", ""))
                    raw.send("Network.enable", {}, session, wait=False)
                raw.send("Runtime.runIfWaitingForDebugger", {}, session, wait=False)
                if info.get("type") != "service_worker":
                    raw.send("Target.detachFromTarget", {"sessionId": session}, wait=False)
            elif method.startswith("Network.") and message.get("sessionId") in sessions:
                self.record(sessions[message["sessionId"]], method, params)

        raw.handlers.append(on_message)
        raw.send(
            "Target.setAutoAttach",
            {"autoAttach": True, "flatten": True, "waitForDebuggerOnStart": True},
        )

    def requests(self, phase: str) -> list[dict]:
        """One row per request (and per redirect hop) seen in the phase."""
        rows: dict[tuple[str, str], dict] = {}
        hops: list[dict] = []
        with self.lock:
            events = [e for e in self.events if e[0] == phase]
        for _phase, source, method, params in events:
            key = (source, params.get("requestId", ""))
            row = rows.setdefault(
                key,
                {"source": "page" if source == "page" else "sw", "url": "", "type": "",
                 "method": "GET", "status": None, "state": "pending", "bytes": 0, "finished": 0,
                 "chunks": 0, "headers_text": 0, "content_length": None, "encoding": "",
                 "from_sw": False, "from_cache": False},
            )  # fmt: skip
            if method == "Network.requestWillBeSent":
                redirect = params.get("redirectResponse")
                if redirect:  # the hop before is a response of its own
                    hops.append(
                        {**row, "url": redirect.get("url", row["url"]),
                         "status": redirect.get("status"), "state": "network",
                         "bytes": int(redirect.get("encodedDataLength") or 0)}
                    )  # fmt: skip
                row["url"] = params["request"]["url"]
                row["method"] = params["request"].get("method", "GET")
                row["type"] = params.get("type", row["type"])
            elif method == "Network.responseReceived":
                response = params["response"]
                headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
                row["status"] = response.get("status")
                row["type"] = params.get("type", row["type"])
                row["encoding"] = headers.get("content-encoding", "")
                row["vary"] = headers.get("vary", "")
                row["cache_control"] = headers.get("cache-control", "")
                if headers.get("content-length", "").isdigit():
                    row["content_length"] = int(headers["content-length"])
                row["from_sw"] = bool(response.get("fromServiceWorker"))
                row["from_cache"] = row["from_cache"] or bool(
                    response.get("fromDiskCache") or response.get("fromPrefetchCache")
                )
            elif method == "Network.responseReceivedExtraInfo":
                row["headers_text"] = len((params.get("headersText") or "").encode())
                raw_headers = {k.lower(): v for k, v in (params.get("headers") or {}).items()}
                row["set_cookie"] = "set-cookie" in raw_headers
            elif method == "Network.requestServedFromCache":
                row["from_cache"] = True
            elif method == "Network.dataReceived":
                row["chunks"] += int(params.get("encodedDataLength") or 0)
            elif method == "Network.loadingFinished":
                row["finished"] = int(params.get("encodedDataLength") or 0)
                row["state"] = "done"
            elif method == "Network.loadingFailed":
                row["state"] = "failed"
                row["error"] = params.get("errorText", "")
        result = []
        for row in [*rows.values(), *hops]:
            if not row["url"] or row["url"].startswith("data:"):
                continue
            if row["state"] == "failed":
                row["kind"] = "failed"
            elif row["state"] == "pending":
                row["kind"] = "unfinished"
            elif row["from_sw"]:
                row["kind"] = "service worker"
            elif row["from_cache"]:
                row["kind"] = "cache"
            else:
                row["kind"] = "network"
            if row["kind"] != "network":
                row["bytes"] = 0
            elif row["state"] != "network":  # a redirect hop already has its size
                # Chromium under-reports what its service worker script loader fetched: the
                # chunks, or headers + Content-Length, may be larger than loadingFinished says.
                seen = row["finished"]
                rebuilt = row["chunks"] + row["headers_text"]
                if row["headers_text"] and row["content_length"]:
                    rebuilt = max(rebuilt, row["headers_text"] + row["content_length"])
                row["bytes"] = max(seen, rebuilt)
                row["corrected"] = row["bytes"] > seen
            result.append(row)
        return result

    def any_manifest(self, phase: str) -> bool:
        return any(r["type"] == "Manifest" for r in self.requests(phase))


def wait_quiet(page, meter: Meter, relay: Relay, label: str, warnings: list[str]) -> None:
    """Wait until neither the page, the service worker nor the wire has moved for a while."""
    deadline = time.monotonic() + QUIET_LIMIT
    while time.monotonic() < deadline:
        page.wait_for_timeout(150)  # lets Playwright deliver the page session's events
        if meter.idle_for() >= QUIET_SECONDS and relay.idle_for() >= QUIET_SECONDS:
            return
    warnings.append(f"{label}: network not quiet after {QUIET_LIMIT:.0f} s; measured anyway")


class NoController(Exception):
    pass


def wait_for_controller(page) -> None:
    """Wait until a service worker controls the page.

    Not page.wait_for_function: Playwright evaluates its predicate with eval, which the
    site's Content-Security-Policy (script-src 'self') refuses; page.evaluate goes through
    DevTools' Runtime.evaluate, which the policy does not cover.
    """
    deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
    while not page.evaluate("!!(navigator.serviceWorker && navigator.serviceWorker.controller)"):
        if time.monotonic() > deadline:
            raise NoController(f"no service worker controls the page after {STEP_TIMEOUT_MS} ms")
        page.wait_for_timeout(100)


def drive(base: str, code: str, relay: Relay, profile: Path, extra_args=()) -> dict:
    """Both visits in one fresh profile; a step that fails is reported, not raised."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    meter = Meter()
    outcome = {"meter": meter, "warnings": [], "failed": {}, "manifest_asked": False}
    raw = None
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args],
            headless=True,
            viewport=PHONE, locale="nb-NO", service_workers="allow",
        )  # fmt: skip
        try:
            context.set_default_timeout(STEP_TIMEOUT_MS)
            active = profile / "DevToolsActivePort"
            deadline = time.monotonic() + 10
            while not active.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            port, path = active.read_text().split()[:2]
            raw = RawCDP(f"ws://127.0.0.1:{port}{path}")
            outcome["chromium"] = raw.send("Browser.getVersion").get("product", "")
            meter.attach_workers(raw)

            page = context.pages[0] if context.pages else context.new_page()
            session = context.new_cdp_session(page)
            for name in NETWORK_EVENTS:
                session.on(name, lambda params, name=name: meter.record("page", name, params))
            session.send("Network.enable")

            # a. first visit
            meter.phase = relay.phase = "first"
            try:
                page.goto(f"{base}/join/{code}")
                page.click("main form button[type=submit]")  # the invite's sign-in button
                page.wait_for_url("**/app/**")
                page.wait_for_selector("#app .cards")
                wait_for_controller(page)
                page.wait_for_load_state("networkidle")
                wait_quiet(page, meter, relay, "first visit (list)", outcome["warnings"])
                if not meter.any_manifest("first"):
                    # A phone's browser reads the manifest to offer installation; headless
                    # Chromium does not always, so ask for it as Chrome's install check would.
                    session.send("Page.getAppManifest")
                    outcome["manifest_asked"] = True
                page.click("#app .card button.primary")
                page.wait_for_selector("#fields")
            except (PlaywrightError, NoController) as error:
                outcome["failed"]["first"] = str(error).splitlines()[0]
            wait_quiet(page, meter, relay, "first visit (questionnaire)", outcome["warnings"])

            # b. repeat visit offline: the browser is offline and the wire is cut as well, since
            # DevTools' offline mode does not cover the service worker update check that
            # Chromium's browser process makes on navigation.
            meter.phase = relay.phase = "offline"
            if "first" not in outcome["failed"]:
                context.set_offline(True)
                relay.cut = True
                try:
                    page.goto(f"{base}/app/")
                    page.wait_for_selector("#app .cards")
                    page.click("#app .card a.button")
                    page.wait_for_selector("#fields")
                except PlaywrightError as error:
                    outcome["failed"]["offline"] = str(error).splitlines()[0]
                wait_quiet(page, meter, relay, "offline repeat", outcome["warnings"])
            else:
                outcome["failed"]["offline"] = "not run: the first visit failed"
            meter.phase = relay.phase = "done"
            return outcome
        finally:
            if raw:
                raw.close()
            context.close()


# --------------------------------------------------------------------------------------------
# Sizes of files: SurveyJS baseline and Løype's own static files


def compressed(body: bytes) -> tuple[int, int, int]:
    return len(body), len(gzip.compress(body, 9, mtime=0)), len(brotli.compress(body, quality=11))


def npm(*args: str, cwd: Path, timeout: float = 180) -> str:
    done = subprocess.run(
        ["npm", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"npm {' '.join(args)}: {done.stderr.strip()[-500:]}")
    return done.stdout


def surveyjs_baseline(workdir: Path) -> dict:
    """Pack survey-js-ui and the survey-core it was built for; size the plain-JS runtime."""
    if not shutil.which("npm"):
        raise RuntimeError("npm is not installed")
    ui_version = json.loads(npm("view", "survey-js-ui", "version", "--json", cwd=workdir))
    ui = f"survey-js-ui@{ui_version}"
    peers_json = npm("view", ui, "peerDependencies", "--json", cwd=workdir)
    peers = json.loads(peers_json or "{}")
    core_spec = peers.get("survey-core", ui_version)  # survey-core's "latest" may be ahead
    packed = json.loads(
        npm(
            "pack",
            f"survey-core@{core_spec}",
            f"survey-js-ui@{ui_version}",
            "--pack-destination",
            str(workdir),
            "--json",
            cwd=workdir,
        )  # fmt: skip
    )
    files = []
    versions = {}
    for entry in packed:
        name = entry["name"]
        versions[name] = entry["version"]
        with tarfile.open(workdir / entry["filename"]) as tar:
            members = {m.name.removeprefix("package/"): m for m in tar.getmembers() if m.isfile()}
            for choices in SURVEYJS_FILES.get(name, []):
                pick = next((c for c in choices if c in members), None)
                if pick is None:
                    raise RuntimeError(f"{name}@{entry['version']} has none of {choices}")
                body = tar.extractfile(members[pick]).read()
                raw, gz, br = compressed(body)
                files.append({"file": f"{name}/{pick}", "raw": raw, "gzip": gz, "brotli": br})
    return {"versions": versions, "files": files}


def loype_static() -> list[dict]:
    rows = []
    for path in sorted((ROOT / "static").rglob("*")):
        if path.is_file() and path.suffix in (".js", ".css"):
            raw, gz, br = compressed(path.read_bytes())
            rows.append(
                {"file": path.relative_to(ROOT).as_posix(), "raw": raw, "gzip": gz, "brotli": br}
            )
    return rows


# --------------------------------------------------------------------------------------------
# Report


def short(url: str) -> str:
    parsed = urlparse(url)
    path = re.sub(r"^/assets/[0-9a-f]{8,}/", "/assets/…/", parsed.path)
    path = re.sub(r"^/join/[A-Za-z0-9-]+", "/join/[code]", path)
    return path + (f"?{parsed.query}" if parsed.query else "")


def category(row: dict) -> str:
    path = urlparse(row["url"]).path
    if path.startswith("/api/"):
        return "api"
    for suffix, name in ((".js", "js"), (".css", "css"), (".png", "png"), (".svg", "svg")):
        if path.endswith(suffix):
            return name
    if path.endswith(".webmanifest"):
        return "manifest"
    if path.startswith("/assets/") and path.endswith(".json"):
        return "js bundle"  # the app's modules in one document (webapp/assets.py)
    return "html"


def wire_gaps(rows: list[dict], wire: dict) -> list[tuple[str, int]]:
    """Paths whose bytes at the wire exceed what CDP reported for them."""
    cdp, seen = Counter(), Counter()
    for r in rows:
        if r["kind"] == "network":
            parsed = urlparse(r["url"])
            cdp[parsed.path + (f"?{parsed.query}" if parsed.query else "")] += r["bytes"]
    for row in wire["rows"]:
        if row["requests"]:
            seen[row["requests"][0].split(" ", 1)[-1]] += row["down"]
    gaps = [(short(path), n - cdp[path]) for path, n in seen.items() if n > cdp[path]]
    return sorted(gaps, key=lambda gap: -gap[1])


def phase_numbers(rows: list[dict]) -> dict:
    numbers = {}
    for source in ("page", "sw"):
        mine = [r for r in rows if r["source"] == source]
        kinds = Counter(r["kind"] for r in mine)
        numbers[source] = {
            "requests": len(mine),
            "network": kinds["network"],
            "service_worker": kinds["service worker"],
            "cache": kinds["cache"],
            "failed": kinds["failed"],
            "unfinished": kinds["unfinished"],
            "bytes": sum(r["bytes"] for r in mine if r["kind"] == "network"),
        }
    numbers["all"] = {k: numbers["page"][k] + numbers["sw"][k] for k in numbers["page"]}
    return numbers


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KB"


def runtime_table(baseline, baseline_error, static, first_bytes: int) -> list[str]:
    """Løype's static files and first visit beside SurveyJS's runtime, compressed."""
    lines: list[str] = []
    add = lines.append
    add("")
    table = f"{'Runtime, compressed bytes':<52}{'raw':>10}{'gzip -9':>10}{'brotli 11':>11}"
    add(table)
    add("-" * len(table))
    static_total = {k: sum(r[k] for r in static) for k in ("raw", "gzip", "brotli")}
    sjs_total = None
    if baseline:
        sjs_total = {k: sum(f[k] for f in baseline["files"]) for k in ("raw", "gzip", "brotli")}
        versions = ", ".join(f"{n} {v}" for n, v in baseline["versions"].items())
        add(f"SurveyJS ({versions}), plain-JS page:")
        for f in baseline["files"]:
            add(f"  {f['file']:<50}{f['raw']:>10,}{f['gzip']:>10,}{f['brotli']:>11,}")
        add(f"{'SurveyJS runtime total':<52}{sjs_total['raw']:>10,}"
            f"{sjs_total['gzip']:>10,}{sjs_total['brotli']:>11,}")  # fmt: skip
    else:
        add(f"SurveyJS runtime: not measured ({baseline_error or 'skipped with --no-baseline'})")
    add(f"{f'Løype static JS+CSS ({len(static)} files in static/)':<52}{static_total['raw']:>10,}"
        f"{static_total['gzip']:>10,}{static_total['brotli']:>11,}")  # fmt: skip
    add(f"{'Løype first visit, everything, as served (br)':<52}{'':>10}{'':>10}"
        f"{first_bytes:>11,}")  # fmt: skip
    if sjs_total and first_bytes:
        add(f"SurveyJS runtime alone / Løype whole first visit: "
            f"{sjs_total['brotli'] / first_bytes:.1f}x (brotli)")  # fmt: skip
        brotli_ratio = sjs_total["brotli"] / static_total["brotli"]
        gzip_ratio = sjs_total["gzip"] / static_total["gzip"]
        add(
            f"SurveyJS runtime / Løype static JS+CSS: {brotli_ratio:.1f}x (brotli), "
            f"{gzip_ratio:.1f}x (gzip)"
        )
        add("(SurveyJS counted without a locale file, its questionnaire JSON, page or icons.)")

    return lines


def report(result, relay, way: str, logged=None) -> tuple[list[str], dict, bool]:
    """The two visits over one way of serving; ``logged``: nginx's access log of the first
    visit, when the app was behind nginx (the relay then sees only TLS)."""
    meter: Meter = result["meter"]
    first_rows, offline_rows = meter.requests("first"), meter.requests("offline")
    first, offline = phase_numbers(first_rows), phase_numbers(offline_rows)
    wire_first, wire_offline = relay.summary("first"), relay.summary("offline")
    first_bytes = max(first["all"]["bytes"], wire_first["down"])
    offline_bytes = max(offline["all"]["bytes"], wire_offline["down"])

    lines: list[str] = []
    add = lines.append
    add(f"Løype transfer bench, {way}: {result.get('chromium', 'Chromium')}, "
        f"{PHONE['width']}x{PHONE['height']}, fresh profile, a participant in "
        f"{result.get('lang', 'nb')}, this work tree")  # fmt: skip
    add("")
    header = (f"{'':40}{'requests':>9}{'network':>9}{'by SW':>7}{'cache':>7}{'failed':>8}"
              f"{'bytes CDP':>11}{'bytes wire':>12}")  # fmt: skip
    add(header)
    add("-" * len(header))
    for title, numbers, wire in (
        ("First visit", first, wire_first),
        ("Repeat visit offline", offline, wire_offline),
    ):
        for source, label in (("page", "page"), ("sw", "service worker"), ("all", "total")):
            n = numbers[source]
            wire_text = f"{wire['down']:>12,}" if source == "all" else ""
            add(f"{(title if source == 'page' else ''):<22}{label:<18}{n['requests']:>9}"
                f"{n['network']:>9}{n['service_worker']:>7}{n['cache']:>7}{n['failed']:>8}"
                f"{n['bytes']:>11,}{wire_text}")  # fmt: skip
        if logged is None:
            counted = f"{wire['requests']} HTTP request(s)"
        else:
            counted = f"{wire['connections']} TLS connection(s)"
        add(f"{'':22}wire: {counted}, {wire['down']:,} bytes down, {wire['up']:,} up")
    if logged is not None:
        frames = sum(e.bytes_sent for e in logged)
        add(f"nginx answered {len(logged)} requests of the first visit over HTTP/2, "
            f"{frames:,} bytes of frames (HPACK headers and bodies) by its own count; the "
            f"rest of the wire is TLS")  # fmt: skip
    add("")
    add("requests: all a target made; network: answered over the network; by SW: answered by")
    add("the service worker; cache: HTTP disk/memory cache; bytes: encoded bytes received")
    add("(headers + compressed body) per CDP and as counted at the wire.")
    encodings = Counter(r["encoding"] or "none" for r in first_rows if r["kind"] == "network")
    add(
        "First visit content-encoding over the network: "
        + ", ".join(f"{k} {v}" for k, v in encodings.most_common())
    )
    corrected = [short(r["url"]) for r in first_rows if r.get("corrected")]
    if corrected:
        add(f"CDP sizes rebuilt from dataReceived/headers (SW script loader): {len(corrected)}")
    if first["all"]["bytes"] < wire_first["down"]:
        missing = wire_first["down"] - first["all"]["bytes"]
        gaps = wire_gaps(first_rows, wire_first)
        add(
            f"CDP saw {missing:,} bytes fewer than the wire; the wire counts. Where: "
            + ", ".join(f"{path} +{n:,}" for path, n in gaps)
        )
        add(
            "  (Chromium does not always report the service worker's main script, fetched\n"
            "  by the browser process, nor the body of a redirect.)"
        )
    unfinished = [short(r["url"]) for r in first_rows + offline_rows if r["kind"] == "unfinished"]
    if unfinished:
        add(f"Never finished in CDP (not counted): {', '.join(sorted(set(unfinished)))}")
    if result["manifest_asked"]:
        add("Manifest: headless Chromium had not fetched it; asked via Page.getAppManifest.")
    add(f"Service worker targets measured over CDP: {len(meter.workers)}")
    if wire_offline["dropped"] and logged is not None:
        add(f"Offline, TLS connections dropped at the cut wire: {len(wire_offline['dropped'])}")
    elif wire_offline["dropped"]:
        add(f"Offline, dropped at the cut wire ({len(wire_offline['dropped'])}): "
            + ", ".join(short(r.split(" ", 1)[-1]) for r in wire_offline["dropped"]))  # fmt: skip
    for warning in result["warnings"]:
        add(f"WARNING: {warning}")

    add("")
    add("Largest first-visit transfers over the network (CDP; page or sw: who fetched it):")
    largest = sorted((r for r in first_rows if r["kind"] == "network"), key=lambda r: -r["bytes"])
    for r in largest[:10]:
        add(f"  {r['bytes']:>8,}  {r['source']:<4} {r['encoding'] or '-':<5} {short(r['url'])}")

    # A URL is the same download only for the same method: the invite's form is a GET of
    # /join/<code> and then a POST to it, which is not the page crossing the network twice.
    def download(row: dict) -> str:
        method = row.get("method", "GET")
        return short(row["url"]) if method == "GET" else f"{method} {short(row['url'])}"

    by_path = Counter(download(r) for r in first_rows if r["kind"] == "network")
    twice = {p: n for p, n in by_path.items() if n > 1}
    if twice:
        again = 0
        for path in twice:
            sizes = sorted((r["bytes"] for r in largest if download(r) == path), reverse=True)
            again += sum(sizes[1:])
        add(
            f"  per CDP, {len(twice)} URLs crossed the network more than once ({again:,} bytes"
            " again):"
        )
        listed = ", ".join(f"{p} x{n}" for p, n in sorted(twice.items()))
        lines.extend(textwrap.wrap(listed, 100, initial_indent="    ", subsequent_indent="    "))
    groups = Counter()
    for r in first_rows:
        if r["kind"] == "network":
            groups[(r["source"], category(r))] += r["bytes"]
    mix = ", ".join(f"{who} {what} {n:,}" for (who, what), n in groups.most_common())
    lines.extend(
        textwrap.wrap(f"By who and what: {mix}", 100, initial_indent="  ", subsequent_indent="    ")
    )

    add("")
    ok_first = first_bytes <= BUDGET_FIRST and "first" not in result["failed"]
    # Judged at the wire, which sees every request the server got: CDP may list a request
    # twice that Chromium answered from its memory cache with no byte (the favicon). A 304 (a
    # revalidation: the worker's update check on navigation) downloads nothing again.
    if logged is not None:  # behind nginx the wire is TLS: its access log names the requests
        answered = [(f"{e.method} {e.target}", e.status) for e in logged]
    else:
        answered = [
            pair
            for row in wire_first["rows"]
            for pair in zip(
                row["requests"], row["statuses"] or [None] * len(row["requests"]), strict=True
            )
        ]
    on_wire = Counter(
        request.split(" ", 1)[1]
        for request, status in answered
        if request.startswith("GET ") and status != 304
    )
    twice_on_wire = {target: n for target, n in on_wire.items() if n > 1}
    ok_once = not twice_on_wire and "first" not in result["failed"]
    ok_offline = offline_bytes <= BUDGET_OFFLINE and "offline" not in result["failed"]
    add(f"{'PASS' if ok_first else 'FAIL'}  first visit: {first_bytes:,} bytes ({kb(first_bytes)})"
        f", budget {BUDGET_FIRST:,} ({kb(BUDGET_FIRST)})")  # fmt: skip
    if "first" in result["failed"]:
        add(f"      the first visit did not complete: {result['failed']['first']}")
    add(f"{'PASS' if ok_once else 'FAIL'}  every URL crossed the network once on the first visit"
        + (f" (at the wire, not: {', '.join(short(r) for r in twice_on_wire)})"
           if twice_on_wire else " (at the wire)"))  # fmt: skip
    add(f"{'PASS' if ok_offline else 'FAIL'}  repeat visit offline: {offline_bytes:,} bytes from "
        f"the network, budget 0; the service worker answered "
        f"{offline['page']['service_worker']} requests")  # fmt: skip
    if "offline" in result["failed"]:
        add(f"      the offline visit did not complete: {result['failed']['offline']}")
    data = {
        "chromium": result.get("chromium"), "lang": result.get("lang"),
        "budget": {"first_visit": BUDGET_FIRST, "offline": BUDGET_OFFLINE},
        "first_visit": {"bytes": first_bytes, "cdp": first, "wire": wire_first,
                        "requests": first_rows},
        "offline_repeat": {"bytes": offline_bytes, "cdp": offline, "wire": wire_offline,
                           "requests": offline_rows},
        "way": way, "warnings": result["warnings"], "failed": result["failed"],
        "nginx_log": [vars(e) for e in logged] if logged is not None else None,
        "twice_on_wire": twice_on_wire, "pass": ok_first and ok_once and ok_offline,
    }  # fmt: skip
    return lines, data, ok_first and ok_once and ok_offline


def serve_direct(workdir: Path, language: str, drive_args) -> tuple[dict, Relay, None]:
    """The app alone (gunicorn, production settings, plain HTTP/1.1), as `make run` serves."""
    app = App(workdir)
    relay = Relay(app.port)
    try:
        log(f"direct: database {app.env['DATABASE_URL']}")
        code = app.prepare(relay.port, language)
        app.start()
        log(f"direct: app on 127.0.0.1:{app.port}; the browser uses the relay on :{relay.port}")
        result = drive(f"http://127.0.0.1:{relay.port}", code, relay, *drive_args)
        return {**result, "lang": language}, relay, None
    except Exception:
        log("server log tail:\n" + app.log_tail())
        raise
    finally:
        app.stop()
        relay.close()


def serve_deployed(workdir: Path, language: str, drive_args) -> tuple[dict, Relay, list]:
    """As docs/deploy.md deploys it: deploy/nginx.conf (HTTPS, HTTP/2) in front of gunicorn."""
    app = App(workdir)
    log(f"nginx: database {app.env['DATABASE_URL']}")
    code = app.prepare(0, language)
    folder = workdir / "nginx"
    folder.mkdir()
    with cluster.running(app.env["DATABASE_URL"], SECRET_KEY, folder, instances=1,
                         workers=2) as running:  # fmt: skip
        relay = Relay(urlparse(running.url).port, keeps_alive=True)
        try:
            before = len(running.requests())  # nginx's own start-up checks
            log(f"nginx: {running.url}; the browser uses the relay on :{relay.port}")
            pin = f"--ignore-certificate-errors-spki-list={cluster.spki_pin(running.cert)}"
            result = drive(f"https://127.0.0.1:{relay.port}", code, relay, *drive_args, [pin])
            return {**result, "lang": language}, relay, running.requests()[before:]
        finally:
            relay.close()


WAYS = {
    "direct": ("the app directly, HTTP/1.1", serve_direct),
    "nginx": ("as deployed, nginx with HTTP/2 and TLS", serve_deployed),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-baseline", action="store_true", help="skip the SurveyJS download")
    parser.add_argument("--way", choices=[*WAYS, "both"], default="both",
                        help="the app directly, behind nginx as deployed, or both")  # fmt: skip
    parser.add_argument("--lang", default="nb",
                        help="the participant's language (the questionnaire's texts and the "
                             "app's strings come in it); default nb")  # fmt: skip
    args = parser.parse_args()

    def too_long(signum, frame):
        raise TimeoutError(f"bench/transfer.py took longer than {TOTAL_SECONDS} s")

    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(TOTAL_SECONDS)

    if not Path(CHROMIUM).exists():
        print(f"Debian's chromium is needed at {CHROMIUM} (apt-get install chromium)")
        return 2
    ways = list(WAYS) if args.way == "both" else [args.way]
    if "nginx" in ways and cluster.nginx_path() is None:
        print("Debian's nginx is needed to measure the app as deployed (apt-get install nginx)")
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="loype-transfer-"))
    try:
        measured = {}
        for way in ways:
            folder = workdir / way
            folder.mkdir()
            measured[way] = WAYS[way][1](folder, args.lang, (folder / "profile",))

        baseline, baseline_error = None, None
        if not args.no_baseline:
            try:
                npm_dir = workdir / "npm"
                npm_dir.mkdir()
                log("packing SurveyJS with npm")
                baseline = surveyjs_baseline(npm_dir)
            except Exception as error:  # the budget does not depend on the baseline
                baseline_error = str(error).splitlines()[0][:200]
        static = loype_static()
        signal.alarm(0)

        everything, data, ok = [], {}, True
        for way, (result, relay, logged) in measured.items():
            lines, data[way], passed = report(result, relay, WAYS[way][0], logged)
            everything += [*lines, ""]
            ok = ok and passed
        first_bytes = data[ways[-1]]["first_visit"]["bytes"]
        everything += runtime_table(baseline, baseline_error, static, first_bytes)
        data["surveyjs"], data["surveyjs_error"] = baseline, baseline_error
        data["loype_static"] = static
        if len(ways) > 1:
            everything += [
                "",
                "First visit, bytes on the wire: "
                + "; ".join(
                    f"{WAYS[way][0]} {data[way]['first_visit']['bytes']:,}" for way in ways
                ),
            ]
        print("\n".join(everything))
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "transfer.json").write_text(json.dumps(data, indent=1, default=str))
        log(f"details in {(OUT / 'transfer.json').relative_to(ROOT)}")
        return 0 if ok else 1
    finally:
        signal.alarm(0)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
