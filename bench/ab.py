"""A/B: one route of this tree against the same route of another git revision, in one run.

Run from the repository root::

    .venv/bin/python bench/ab.py --against 44c1bca                 # sync, SQLite
    .venv/bin/python bench/ab.py --against main --what "app shell" --database postgresql://postgres@127.0.0.1:5432/loype_ab

Whole runs of ``bench/server.py`` an hour apart move by more than most single changes do on a
shared machine, so a change to a request path is judged here instead: the other revision is
checked out in a temporary git worktree, both trees run under gunicorn with their own
``gunicorn.conf.py`` (2 sync workers each) on one database, seeded by this tree as ``make
run`` seeds it (``db upgrade`` and the rest: the other revision runs on this tree's schema, so
compare revisions whose migrations only add), and wrk loads one of them at a time, in turns
(ABBA), at 16 connections. The participant and counsellor signed in once are the same on
both. It prints each run, then the medians and the ratio (this tree / the other) last. There
is no target: it exits 0, or 1 when the other revision cannot be checked out or started.
The PostgreSQL database named is emptied first (its ``public`` schema dropped).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import server  # bench/, this script's folder

ROOT = server.ROOT
WHAT = {
    # name: (path, signed in as, wrk's Lua or None)
    "sync": ("/api/v1/sync", "participant", server.SYNC_LUA.replace("VERSION", "1")),
    "app shell": ("/app/", "participant", None),
    "caseload": ("/caseload", "counsellor", None),
}


def new_response() -> str:
    return json.dumps({"responses": [{
        "id": str(uuid.uuid4()), "questionnaire": "kartlegging", "version": 1,
        "status": "draft", "answers": {"mapped_before": "no"},
    }]})  # fmt: skip


def warm(port: int, cookies: dict[str, str], path: str) -> None:
    """A few requests to each worker first: what a process keeps (the published version,
    compiled statements) is then in both trees."""
    for _ in range(8):
        browser = server.Browser(port)
        browser.cookies = dict(cookies)
        if path == "/api/v1/sync":
            status, answer = browser.request("POST", path, new_response())
            assert status == 200 and json.loads(answer)["results"][0]["status"] == 201, answer
        else:
            status, _ = browser.request("GET", path)
            assert status == 200, f"{path} answered {status}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", required=True, help="the git revision to compare with")
    parser.add_argument("--what", choices=sorted(WHAT), default="sync")
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--rounds", type=int, default=3, help="ABBA rounds (2 runs each)")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=server.AT)
    args = parser.parse_args()
    path, who, lua = WHAT[args.what]
    folder = Path(tempfile.mkdtemp(prefix="loype-ab-"))
    other = folder / "other"
    added = subprocess.run(
        ["git", "worktree", "add", "--detach", str(other), args.against],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if added.returncode != 0:
        print(f"cannot check out {args.against}: {added.stderr.strip()}")
        return 1
    processes = {}
    try:
        env = server.app_env(args.database or f"sqlite:///{folder / 'loype.sqlite3'}")
        if args.database:
            server.reset_postgresql(args.database)
        code = server.seed(env)
        server.OUT.mkdir(parents=True, exist_ok=True)
        ports = {}
        for name, tree in (("this", ROOT), ("other", other)):
            ports[name] = server.free_port()
            processes[name] = server.gunicorn(
                "wsgi:app", ports[name], dict(env, PYTHONPATH=str(tree)),
                server.OUT / f"ab-{name}.log", config=tree / "gunicorn.conf.py", cwd=tree,
            )  # fmt: skip
        if who == "participant":
            person = server.sign_in_participant(ports["this"], code)
            person.request("GET", "/app/")  # the session's CSRF token, as a browser has it
        else:
            person = server.sign_in_counsellor(ports["this"])
            person.request("GET", "/caseload")
        headers = [f"Cookie: {person.cookie_header()}"]
        if lua is not None:
            headers.append("Content-Type: application/json")
        for port in ports.values():
            warm(port, person.cookies, path)
        runs: dict[str, list[server.Result]] = {"this": [], "other": []}
        print(f"{args.what} ({path}), this tree against {args.against}, "
              f"{'PostgreSQL' if args.database else 'SQLite'}, c={args.connections}:")  # fmt: skip
        for round_ in range(max(1, args.rounds)):
            for name in ("this", "other", "other", "this") if round_ % 2 else (
                    "other", "this", "this", "other"):  # fmt: skip
                url = f"http://127.0.0.1:{ports[name]}{path}"
                found = server.wrk(url, args.connections, args.seconds, headers, lua)
                runs[name].append(server.Result(args.what, name, args.connections, **found))
                print(f"  round {round_ + 1} {name:5} {found['rps']:9.1f} req/s  p50 "
                      f"{found['p50_ms']:7.2f} ms  p99 {found['p99_ms']:7.2f} ms  errors "
                      f"{found['errors']}", flush=True)  # fmt: skip
    finally:
        for process in processes.values():
            server.stop(process)
        subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT,
                       capture_output=True, check=False)  # fmt: skip
    median = {name: statistics.median(r.rps for r in results) for name, results in runs.items()}
    spread = {name: (min(r.rps for r in results), max(r.rps for r in results))
              for name, results in runs.items()}  # fmt: skip
    print(f"\n{'':8}{'median req/s':>14}{'range':>22}")
    for name, label in (("other", args.against), ("this", "this tree")):
        low, high = spread[name]
        print(f"{label[:12]:12}{median[name]:10.1f}{low:13.1f} – {high:.1f}")
    print(f"\nthis tree / {args.against}: {median['this'] / median['other']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
