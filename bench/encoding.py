"""What compressing costs the server: pages and a questionnaire document, as a phone asks.

Run from the repository root::

    .venv/bin/python bench/encoding.py            # SQLite in a temporary folder

``bench/server.py`` drives the app with wrk, which sends no ``Accept-Encoding``, so neither app
compresses there. A phone asks for Brotli. This script seeds a database as ``make run`` does
and asks, through the Flask test client in one process (signed in as the demo participant and
the demo counsellor), for the app shell, ``/me/``, the caseload and the mapping questionnaire's
document in bokmål and Arabic: first without compression (the baseline, in the same process),
then with Brotli and with gzip, each 200 times in turn, three rounds, after one request of each
page. It prints the median time of a request, the bytes sent, the ratio to the baseline and how
long the first request of each took: a page is compressed every time, a representation with an
ETag (the document) at the best level once per content and process (``_kept_compressed`` in
webapp/assets.py), so its first compressed request shows what each one cost before. There is
no target for these in issue 12; it exits 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.growth import signed_in  # noqa: E402
from bench.server import app_env, seed  # noqa: E402

ENCODINGS = ("identity", "br", "gzip")


def joined(app, code: str):
    client = app.test_client()
    page = client.get(f"/join/{code}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post(f"/join/{code}", data={"csrf_token": token}).status_code == 302
    return client


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="loype-encoding-"))
    env = app_env(f"sqlite:///{folder / 'loype.sqlite3'}")
    code = seed(env)
    os.environ.update(env)
    from webapp import create_app

    app = create_app()
    logging.disable(logging.INFO)  # the audit lines of each request
    phone = joined(app, code)
    staff = signed_in(app, "veileder@example.org", "demo-veileder-pass")
    document = "/api/v1/questionnaires/kartlegging/versions/1?lang="
    pages = [
        ("app shell", phone, "/app/"),
        ("/me/", phone, "/me/"),
        ("caseload", staff, "/caseload"),
        ("document, bokmål", phone, document + "nb"),
        ("document, Arabic", phone, document + "ar"),
    ]
    for _label, client, path in pages:  # templates, catalogs and caches of the process
        client.get(path, headers={"Accept-Encoding": "identity"})
    first: dict[tuple[str, str], float] = {}
    times: dict[tuple[str, str], list[float]] = {}
    sizes: dict[tuple[str, str], int] = {}
    for _round in range(args.rounds):
        for label, client, path in pages:
            for encoding in ENCODINGS:
                headers = {"Accept-Encoding": encoding}
                began = time.perf_counter()
                answer = client.get(path, headers=headers)
                first.setdefault((label, encoding), (time.perf_counter() - began) * 1000)
                assert answer.status_code == 200, (path, answer.status_code)
                sizes[label, encoding] = len(answer.get_data())
                began = time.perf_counter()
                for _ in range(args.requests):
                    client.get(path, headers=headers)
                each = (time.perf_counter() - began) / args.requests * 1000
                times.setdefault((label, encoding), []).append(each)
    print(f"\nA request through the test client, ms (median of {args.rounds} rounds of "
          f"{args.requests}); bytes of the body")  # fmt: skip
    print(f"{'what':18s} {'encoding':9s} {'first':>7s} {'each':>7s} {'bytes':>7s} "
          f"{'vs identity':>12s}")  # fmt: skip
    for label, _client, _path in pages:
        base = statistics.median(times[label, "identity"])
        for encoding in ENCODINGS:
            each = statistics.median(times[label, encoding])
            print(f"{label:18s} {encoding:9s} {first[label, encoding]:7.2f} {each:7.3f} "
                  f"{sizes[label, encoding]:7d} {each / base:12.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
