"""Throughput through nginx in front of two app servers, next to one app server alone.

Run from the repository root (it empties the PostgreSQL database it is given)::

    .venv/bin/python bench/scale_out.py --database postgresql://postgres@127.0.0.1:5432/loype_bench

The setup is tests/cluster.py's: deploy/nginx.conf itself (ports and a self-signed certificate
put in) in front of two gunicorn instances with gunicorn.conf.py, on one PostgreSQL database
seeded as ``make run`` seeds it. wrk (Debian's) drives, in the same run, the participant's app
shell (``/app/``) and ``POST /api/v1/sync`` with one new response per request, first through
nginx (HTTPS, both instances) and then against one instance directly (plain HTTP), at 16 and
64 connections. It prints requests/s, p50 and p99 of both and the ratio, last, and exits 1 if
any request failed. On a machine with two cores both instances share the same two cores, so
the ratio shows what nginx and TLS cost rather than what a second machine would add.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import SYNC_LUA, reset_postgresql, seed, wrk  # noqa: E402
from tests import cluster  # noqa: E402


def sign_in(url: str, cert: Path, code: str) -> str:
    """Join as the demo participant through nginx; return the Cookie header the phone sends."""
    phone = requests.Session()
    phone.trust_env, phone.verify = False, str(cert)
    page = phone.get(f"{url}/join/{code}", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    joined = phone.post(f"{url}/join/{code}", data={"csrf_token": token},
                        headers={"Referer": f"{url}/join/{code}"}, allow_redirects=False,
                        timeout=30)  # fmt: skip
    assert joined.status_code == 302, f"join answered {joined.status_code}"
    return "; ".join(f"{c.name}={c.value}" for c in phone.cookies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="a PostgreSQL URL the bench may empty")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if cluster.nginx_path() is None:
        raise SystemExit("Debian's nginx is needed (apt-get install nginx)")
    url = "postgresql+psycopg://" + args.database.split("://", 1)[1]
    secret = "bench-" + "0" * 58
    reset_postgresql(args.database)
    code = seed(dict(os.environ, DATABASE_URL=url, SECRET_KEY=secret, FLASK_APP="wsgi"))
    rows, failed = [], 0
    with tempfile.TemporaryDirectory(prefix="loype-scale-") as folder:
        with cluster.running(url, secret, Path(folder), instances=2, workers=2) as running:
            cookie = f"Cookie: {sign_in(running.url, running.cert, code)}"
            json_header = "Content-Type: application/json"
            sync_lua = SYNC_LUA.replace("VERSION", "1")
            for connections in (16, 64):
                for what, path, headers, lua in (
                    ("app shell", "/app/", [cookie], None),
                    ("sync", "/api/v1/sync", [cookie, json_header], sync_lua),
                ):
                    both = wrk(running.url + path, connections, args.seconds, headers, lua)
                    one = wrk(running.app_urls[0] + path, connections, args.seconds, headers, lua)
                    failed += both["errors"] + one["errors"]
                    rows.append((what, connections, both, one))
                    print(f"{what:<9} c={connections:<3} nginx+2: {both['rps']:7.1f} req/s "
                          f"p99 {both['p99_ms']:7.1f} ms | 1 server: {one['rps']:7.1f} req/s "
                          f"p99 {one['p99_ms']:7.1f} ms | failed {both['errors']} / "
                          f"{one['errors']}", flush=True)  # fmt: skip
            served = {address for address in running.upstreams() if address != "-"}
    print(f"\nnginx spread the requests over {len(served)} app servers")
    print(f"{'what':<9} {'conns':>5} {'nginx + 2 servers':>18} {'1 server':>10} {'ratio':>6}")
    for what, connections, both, one in rows:
        print(f"{what:<9} {connections:>5} {both['rps']:>14.1f} r/s {one['rps']:>6.1f} r/s "
              f"{both['rps'] / one['rps']:>6.2f}")  # fmt: skip
    if failed:
        print(f"FAIL: {failed} requests failed")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
