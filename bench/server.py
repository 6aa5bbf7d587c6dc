"""Server throughput: Løype under gunicorn next to a bare Flask app, driven by wrk.

Run from the repository root::

    .venv/bin/python bench/server.py                       # SQLite in a temporary folder
    .venv/bin/python bench/server.py --database postgresql://postgres@127.0.0.1:5432/loype_wt12

The PostgreSQL database is emptied first (its ``public`` schema dropped): name one made for it.
It needs Debian's ``wrk`` and gunicorn in the venv. Both apps run under gunicorn with
``gunicorn.conf.py`` (the production settings: 2 sync workers) on the same database, seeded the
way ``make run`` seeds it (``db upgrade``, ``forms import``, ``resources import``, ``demo``).
For each of the participant's app shell (``/app/``), the counsellor's caseload (``/caseload``)
and ``POST /api/v1/sync`` with one new response, and for the bare page and the bare JSON insert
it stands against, wrk runs at 1, 16 and 64 connections, after a short warm-up run on each.
It prints requests/s, p50 and p99 and the ratios, last, and exits 1 when a target of issue 12
is missed: pages at least 0.6 of the bare page, sync at least 0.4 of the bare insert, and
Løype's p99 at most 4 × its p50, at 16 connections. For comparison only (no target), it also
measures the bare app's page for a signed-in person (the page after one indexed lookup of a
session row in the same database) and prints the app shell's and the caseload's ratios to it.
It also prints how long validating one answer set of the mapping questionnaire takes. Details
go to ``bench/out/server.json``. On a shared machine, ``--rounds 3`` measures everything three
times, interleaved, and judges the median of the rounds' ratios (each Løype run against the
bare run of the same round), printing their range too.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import bare_app  # bench/, this script's folder

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUT = ROOT / "bench" / "out"
TARGET_PAGE, TARGET_SYNC, TARGET_TAIL, AT = 0.6, 0.4, 4.0, 16

# One new response per request: wrk's Lua makes a fresh random UUID each time.
SYNC_LUA = """
local body_format = '{"responses": [{"id": "%s", "questionnaire": "kartlegging", "version": %d,'
  .. ' "status": "draft", "answers": {"mapped_before": "no"}}]}'
local function uuid()
  return string.format("%08x-%04x-4%03x-%04x-%012x", math.random(0, 0xffffffff),
    math.random(0, 0xffff), math.random(0, 0xfff), 0x8000 + math.random(0, 0x3fff),
    math.random(0, 0xffffffffffff))
end
function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6) + tonumber(args[1] or 0))
end
request = function()
  return wrk.format("POST", nil, nil, string.format(body_format, uuid(), VERSION))
end
"""
INSERT_LUA = """
request = function()
  return wrk.format("POST", nil, nil, '{"answers": {"mapped_before": "no"}}')
end
"""


@dataclass
class Result:
    what: str
    app: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    round: int = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout


def app_env(database: str, **extra: str) -> dict[str, str]:
    """The environment the benches run the app with: this tree, a fixed key, ``database``."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database,
        SECRET_KEY="bench-" + "0" * 58,
        FLASK_APP="wsgi",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def reset_postgresql(url: str) -> None:
    """Empty the PostgreSQL database named (the bench owns it: use one made for it)."""
    import sqlalchemy as sa

    engine = sa.create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def seed(env: dict[str, str]) -> str:
    """Make the database as ``make run`` does; return the demo participant's invite code."""
    flask(env, "db", "upgrade")
    flask(env, "forms", "import", "forms/kartlegging.json", "forms/muligheter.json")
    flask(env, "resources", "import", "forms/resources.json")
    printed = flask(env, "demo")
    return re.search(r"/join/(\S+)", printed).group(1)


def gunicorn(
    app: str,
    port: int,
    env: dict[str, str],
    log: Path,
    *options: str,
    config: Path | str = "gunicorn.conf.py",
    cwd: Path = ROOT,
) -> subprocess.Popen:
    """Start ``app`` under gunicorn with ``config`` (the production settings) and ``options``,
    in the tree ``cwd`` (this one); return once its port accepts connections."""
    command = [str(BIN / "gunicorn"), "-c", str(config), *options, "-b", f"127.0.0.1:{port}",
               app]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"{app} did not start; see {log}") from None
            time.sleep(0.2)
    raise SystemExit(f"{app} did not start in 60 s; see {log}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


class Browser:
    """Just enough of a browser to sign in: cookies by name, no redirects followed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        #: The names of the cookies the last response set.
        self.set_cookies: list[str] = []

    def request(self, method: str, path: str, body: str | None = None, form: bool = False):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie_header()} if self.cookies else {}
        if form:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        self.set_cookies = []
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.set_cookies.append(name)
            self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, text

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def csrf(self, path: str) -> str:
        _status, html = self.request("GET", path)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', html
        )
        return found.group(1)


def form_body(fields: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)


def sign_in_participant(port: int, code: str) -> Browser:
    phone = Browser(port)
    token = phone.csrf(f"/join/{code}")
    status, _ = phone.request("POST", f"/join/{code}", form_body({"csrf_token": token}), True)
    assert status in (302, 303), f"join answered {status}"
    return phone


def sign_in_counsellor(port: int) -> Browser:
    staff = Browser(port)
    token = staff.csrf("/login")
    fields = {
        "email": "veileder@example.org",
        "password": "demo-veileder-pass",
        "csrf_token": token,
    }
    status, _ = staff.request("POST", "/login", form_body(fields), True)
    assert status in (302, 303), f"login answered {status}"
    return staff


def wrk(url: str, connections: int, seconds: int, headers: list[str], lua: str | None) -> dict:
    """Run wrk; return requests/s, p50 and p99 (ms) and the count of non-2xx/3xx answers."""
    command = ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    script = None
    if lua is not None:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write(lua)
        script.close()
        command += ["-s", script.name]
    command += [url, "--", str(connections)] if lua else [url]
    try:
        printed = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    finally:
        if script is not None:
            os.unlink(script.name)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", printed).group(1)),
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", printed).group(1)),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", printed).group(1)),
        "errors": int((re.search(r"Non-2xx or 3xx responses: (\d+)", printed) or [0, 0])[1])
        + sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", printed)),
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def validation_time(env: dict[str, str]) -> float:
    """Return the seconds one answer set of the mapping questionnaire takes to validate."""
    script = """
import time, sqlalchemy as sa
from webapp import create_app
from webapp.extensions import db
from webapp.models import Questionnaire
from webapp.questionnaires import validate_answers
app = create_app()
with app.app_context():
    q = db.session.scalar(sa.select(Questionnaire).where(Questionnaire.slug == "kartlegging"))
    definition = q.latest.definition
    answers = {}
    for question in definition.questions.values():
        if question.options:
            answers[question.id] = question.options[0].value
            if question.widget == "multichoice":
                answers[question.id] = [question.options[0].value]
        elif question.widget in ("text", "textarea"):
            answers[question.id] = "Jeg har jobbet i butikk i to år."
    validate_answers(definition, answers, complete=False)
    runs = 200
    started = time.perf_counter()
    for _ in range(runs):
        validate_answers(definition, answers, complete=False)
    print((time.perf_counter() - started) / runs, len(answers))
"""
    printed = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True,
        text=True,
    ).stdout.split()  # fmt: skip
    return float(printed[0]), int(printed[1])


def measure(
    database: str, label: str, seconds: int, levels: list[int], rounds: int = 1
) -> list[Result]:
    folder = Path(tempfile.mkdtemp(prefix="loype-bench-"))
    env = app_env(database or f"sqlite:///{folder / 'loype.sqlite3'}")
    bare_env = dict(env, BARE_DATABASE_URL=env["DATABASE_URL"])
    if database:
        reset_postgresql(database)
    code = seed(env)
    seconds_per_set, answered = validation_time(env)
    print(
        f"[{label}] validating one answer set of the mapping questionnaire "
        f"({answered} answers): {seconds_per_set * 1000:.3f} ms",
        flush=True,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    loype_port, bare_port = free_port(), free_port()
    loype = gunicorn("wsgi:app", loype_port, env, OUT / "server-loype.log")
    results: list[Result] = []
    try:
        phone = sign_in_participant(loype_port, code)
        staff = sign_in_counsellor(loype_port)
        # Each page once, as a browser opens it after signing in: the first one adds the
        # session's CSRF token and sends the cookie again, which the browser keeps. wrk sends
        # one fixed cookie, so without this every request it makes would be such a first one
        # (a token made and the cookie signed and sent each time; the caseload was measured
        # that way until session 18).
        status, shell = phone.request("GET", "/app/")
        assert status == 200, f"/app/ answered {status}"
        status, _ = staff.request("GET", "/caseload")
        assert status == 200, f"/caseload answered {status}"
        for browser, path in ((phone, "/app/"), (staff, "/caseload")):
            assert browser.request("GET", path)[0] == 200
            assert not browser.set_cookies, f"{path} still sends a cookie with the same one"
        check = json.dumps(
            {"responses": [{"id": "6f1c1c7e-1b7a-4d3e-9a55-0d7a7c0b7e01",
                            "questionnaire": "kartlegging", "version": 1, "status": "draft",
                            "answers": {"mapped_before": "no"}}]}
        )  # fmt: skip
        status, answer = phone.request("POST", "/api/v1/sync", check)
        assert status == 200 and json.loads(answer)["results"][0]["status"] == 201, answer
        bare_env["BARE_PAGE_BYTES"] = str(len(shell.encode()))
        bare = gunicorn("bench.bare_app:app", bare_port, bare_env, OUT / "server-bare.log")
        try:
            json_header = "Content-Type: application/json"
            loype_url, bare_url = f"http://127.0.0.1:{loype_port}", f"http://127.0.0.1:{bare_port}"
            pages = [
                ("app shell", "loype", f"{loype_url}/app/", [f"Cookie: {phone.cookie_header()}"],
                 None),
                ("caseload", "loype", f"{loype_url}/caseload",
                 [f"Cookie: {staff.cookie_header()}"], None),
                ("page", "bare", f"{bare_url}/page", [], None),
                ("signed-in page", "bare", f"{bare_url}/signed-in-page",
                 [f"Cookie: bench={bare_app.TOKEN}"], None),
            ]  # fmt: skip
            writes = [
                ("sync", "loype", f"{loype_url}/api/v1/sync",
                 [f"Cookie: {phone.cookie_header()}", json_header],
                 SYNC_LUA.replace("VERSION", "1")),
                ("insert", "bare", f"{bare_url}/insert", [json_header], INSERT_LUA),
            ]  # fmt: skip
            # The pages first, every round of them, then the writes: each sync run adds
            # thousands of drafts to the demo participant, who is on the caseload, and a
            # caseload measured after them read a participant with more responses in every
            # round (152, 95, 67 req/s in three rounds of one run), which no real one has.
            for part in (pages, writes):
                # Every worker of both apps past its first requests (templates compiled,
                # catalogs read, connections open) before anything is counted.
                for _what, _app, url, headers, lua in part:
                    wrk(url, 4, 2, headers, lua)
                # Each round measures every route at every level once, Løype's and the bare
                # app's in turn: a ratio is taken within a round, where both met the same
                # machine.
                for number in range(1, rounds + 1):
                    for connections in levels:
                        for what, app, url, headers, lua in part:
                            figures = wrk(url, connections, seconds, headers, lua)
                            results.append(Result(what, app, connections, **figures, round=number))
                            print(
                                f"[{label}] round {number} {what:<10} c={connections:<3} "
                                f"{figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:7.2f} "
                                f"ms  p99 {figures['p99_ms']:7.2f} ms  "
                                f"errors {figures['errors']}",
                                flush=True,
                            )
        finally:
            stop(bare)
    finally:
        stop(loype)
        shutil.rmtree(folder, ignore_errors=True)
    return results


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _typical(runs: list[Result]) -> Result:
    """One run's figures for the table: the run itself, or each figure's median over rounds."""
    if len(runs) == 1:
        return runs[0]
    return Result(
        runs[0].what, runs[0].app, runs[0].connections,
        rps=_median([r.rps for r in runs]), p50_ms=_median([r.p50_ms for r in runs]),
        p99_ms=_median([r.p99_ms for r in runs]), errors=sum(r.errors for r in runs), round=0,
    )  # fmt: skip


def report(label: str, results: list[Result], levels: list[int]) -> list[str]:
    """Print the side-by-side table; return the targets missed. With several rounds, each
    figure is the median over the rounds, and the ratio is the median of the rounds' ratios
    (each Løype run against the bare run of its own round), with their range beside it."""
    by: dict[tuple[str, int], list[Result]] = {}
    for result in results:
        by.setdefault((result.what, result.connections), []).append(result)
    rounds = max(r.round for r in results)
    missed = []
    print(f"\n{label}: Løype vs bare Flask (gunicorn, 2 sync workers)")
    if rounds > 1:
        print(f"(medians over {rounds} rounds; the ratios' range over the rounds last)")
    print(f"{'what':<28} {'c':>3} {'Løype req/s':>12} {'p50':>8} {'p99':>8} "
          f"{'bare req/s':>11} {'p50':>8} {'p99':>8} {'ratio':>6} {'target':>7}")  # fmt: skip
    for what, against, target in (
        ("app shell", "page", TARGET_PAGE),
        ("caseload", "page", TARGET_PAGE),
        ("sync", "insert", TARGET_SYNC),
        # For comparison only: the least any page that knows who asks does (bench/bare_app.py).
        ("app shell", "signed-in page", None),
        ("caseload", "signed-in page", None),
    ):
        for connections in levels:
            pairs = zip(by[(what, connections)], by[(against, connections)], strict=True)
            ratios = [o.rps / b.rps if b.rps else 0.0 for o, b in pairs]
            ratio = _median(ratios)
            ours, bare = _typical(by[(what, connections)]), _typical(by[(against, connections)])
            shown = "≥ " + str(target) if target is not None else "(info)"
            spread = f"  ({min(ratios):.2f}–{max(ratios):.2f})" if rounds > 1 else ""
            print(
                f"{what + ' vs ' + against:<28} {connections:>3} {ours.rps:>12.1f} "
                f"{ours.p50_ms:>8.2f} {ours.p99_ms:>8.2f} {bare.rps:>11.1f} {bare.p50_ms:>8.2f} "
                f"{bare.p99_ms:>8.2f} {ratio:>6.2f} {shown:>7}{spread}"
            )
            if connections != AT or target is None:
                continue
            if ratio < target:
                missed.append(f"{label} {what}: {ratio:.2f} of {against} < {target} at c={AT}")
            if ours.p99_ms > TARGET_TAIL * ours.p50_ms:
                missed.append(
                    f"{label} {what}: p99 {ours.p99_ms:.1f} ms > {TARGET_TAIL:g} × p50 "
                    f"{ours.p50_ms:.1f} ms at c={AT}"
                )
            if ours.errors or bare.errors:
                missed.append(f"{label} {what}: {ours.errors} + {bare.errors} errors at c={AT}")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="a PostgreSQL URL to measure as well as SQLite")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--connections", default="1,16,64")
    parser.add_argument(
        "--rounds", type=int, default=1,
        help="measure everything this many times, interleaved; report medians (this machine "
        "moves by a third between runs of the same code)",
    )  # fmt: skip
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    levels = [int(n) for n in args.connections.split(",")]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    databases = [("SQLite", "")] + ([("PostgreSQL", args.database)] if args.database else [])
    everything, missed = {}, []
    for label, url in databases:
        everything[label] = measure(url, label, args.seconds, levels, max(1, args.rounds))
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for label, results in everything.items():
        missed += report(label, results, levels)
    (OUT / "server.json").write_text(
        json.dumps({k: [asdict(r) for r in v] for k, v in everything.items()}, indent=1)
    )
    if missed:
        print("\nFAIL: " + "\n      ".join(missed))
        return 1
    if AT not in levels:
        print(f"\nNOT JUDGED: the targets are judged at {AT} connections, not measured here")
        return 1
    print("\nOK: every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
