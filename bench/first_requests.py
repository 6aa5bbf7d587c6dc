"""A new worker's first requests: gunicorn with the production settings, warmed and not.

Run from the repository root::

    .venv/bin/python bench/first_requests.py              # 3 rounds on SQLite
    .venv/bin/python bench/first_requests.py --rounds 5

gunicorn forks its workers from a master that loaded the app (``preload_app``), and replaces
each worker after about 10,000 requests. Whatever a worker does on its first request of a kind
(compiling the templates, reading Babel's locale data and a language's catalog, configuring
the ORM) a request waits for, after every deploy and every replacement. ``gunicorn.conf.py``
does that work in the master before it forks (``when_ready``, webapp/warm.py).

The script seeds a SQLite database in a temporary folder as ``make run`` does, then for each
round starts gunicorn with one worker twice, interleaved: with ``gunicorn.conf.py`` as it is
("warmed") and with the same settings without ``when_ready`` ("cold"). It waits until the
worker has booted (its log says so; no HTTP request: the first one is measured) and times, in
that worker,
a participant's way in and the counsellor's caseload, each page first and then once more
("later", the same worker by then warm). It prints the medians over the rounds and the ratios
of the first requests, warmed to cold. There is no target for these in issue 12; it exits 0.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import app_env, flask, free_port, gunicorn, seed, stop  # noqa: E402

BIN = Path(sys.executable).parent
OUT = ROOT / "bench" / "out"
# The production settings without the warm-up: gunicorn.conf.py read as it is, then its
# when_ready hook taken away.
COLD_CONFIG = f"exec(open({str(ROOT / 'gunicorn.conf.py')!r}).read())\ndel when_ready\n"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SYNC = {"questionnaire": "kartlegging", "version": 1, "status": "draft",
        "answers": {"mapped_before": "no"}}  # fmt: skip


def start(config: Path | str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    process = gunicorn("wsgi:app", port, env, log, "-w", "1", config=config)
    # The port accepts connections before the master has forked its worker (and, warmed,
    # before it has warmed): wait for the worker, as a worker replacing another is measured.
    deadline = time.monotonic() + 60
    while "Booting worker" not in log.read_text("utf-8"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise SystemExit(f"gunicorn's worker did not start; see {log}")
        time.sleep(0.05)
    time.sleep(0.5)  # its post_fork; the same wait for both
    return process


def _session() -> requests.Session:
    browser = requests.Session()
    browser.trust_env = False
    return browser


def timed(times: dict[str, float], label: str, call) -> requests.Response:
    began = time.perf_counter()
    response = call()
    times[label] = (time.perf_counter() - began) * 1000
    assert response.status_code < 400, f"{label}: {response.status_code}"
    return response


def one_worker(base: str, code: str) -> tuple[dict[str, float], dict[str, float]]:
    """Time a participant's way in and the caseload in a new worker: first, then later."""
    first: dict[str, float] = {}
    later: dict[str, float] = {}
    phone, staff = _session(), _session()
    arabic = {"Accept-Language": "ar"}
    code_page = ("code page (Arabic)", lambda: phone.get(f"{base}/join", headers=arabic))
    timed(first, *code_page)
    page = timed(first, "invite link page", lambda: phone.get(f"{base}/join/{code}"))
    token = CSRF.search(page.text).group(1)
    timed(first, "join (sign in)", lambda: phone.post(f"{base}/join/{code}",
          data={"csrf_token": token}, allow_redirects=False))  # fmt: skip
    document = f"{base}/api/v1/questionnaires/kartlegging/versions/1?lang=nb"
    pages = [
        ("/me/", lambda: phone.get(f"{base}/me/")),
        ("/app/", lambda: phone.get(f"{base}/app/")),
        ("questionnaire", lambda: phone.get(document)),
        ("sync, a new response", lambda: phone.post(
            f"{base}/api/v1/sync", json={"responses": [{"id": str(uuid.uuid4()), **SYNC}]})),
        ("staff sign-in page", lambda: staff.get(f"{base}/login")),
    ]  # fmt: skip
    for label, call in pages:
        timed(first, label, call)
    token = CSRF.search(staff.get(f"{base}/login").text).group(1)
    fields = {"email": "veileder@example.org", "password": "demo-veileder-pass",
              "csrf_token": token}  # fmt: skip
    assert staff.post(f"{base}/login", data=fields, allow_redirects=False).status_code == 302
    timed(first, "/caseload", lambda: staff.get(f"{base}/caseload"))
    for label, call in [code_page, *pages, ("/caseload", lambda: staff.get(f"{base}/caseload"))]:
        timed(later, label, call)
    return first, later


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="loype-first-"))
    env = app_env(f"sqlite:///{folder / 'loype.sqlite3'}", LOYPE_SECURE_COOKIES="0")
    seed(env)
    cold_config = folder / "cold.conf.py"
    cold_config.write_text(COLD_CONFIG, "utf-8")
    OUT.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[tuple[dict, dict]]] = {"cold": [], "warmed": []}
    for round_ in range(args.rounds):
        for how, config in (("cold", cold_config), ("warmed", ROOT / "gunicorn.conf.py")):
            code = re.search(r"/join/(\S+)", flask(env, "demo")).group(1)
            port = free_port()
            server = start(config, port, env, OUT / f"first-requests-{how}.log")
            try:
                runs[how].append(one_worker(f"http://127.0.0.1:{port}", code))
            finally:
                stop(server)
            first = runs[how][-1][0]
            print(f"round {round_ + 1} {how}: the first page {first['code page (Arabic)']:.1f} ms, "
                  f"all first requests {sum(first.values()):.1f} ms", flush=True)  # fmt: skip
    labels = list(runs["cold"][0][0])
    print(f"\nA new worker's requests, ms (median of {args.rounds} rounds; SQLite, 1 worker)")
    print(f"{'request':26s} {'cold first':>11s} {'warmed first':>13s} {'later':>8s} "
          f"{'warmed/cold':>12s}")  # fmt: skip
    for label in labels:
        cold = statistics.median(first[label] for first, _ in runs["cold"])
        warm = statistics.median(first[label] for first, _ in runs["warmed"])
        after = [later[label] for _, later in runs["warmed"] if label in later]
        later = f"{statistics.median(after):8.1f}" if after else f"{'':8s}"
        print(f"{label:26s} {cold:11.1f} {warm:13.1f} {later} {warm / cold:12.2f}")
    total_cold = statistics.median(sum(first.values()) for first, _ in runs["cold"])
    total_warm = statistics.median(sum(first.values()) for first, _ in runs["warmed"])
    print(f"{'all of them':26s} {total_cold:11.1f} {total_warm:13.1f} {'':8s} "
          f"{total_warm / total_cold:12.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
