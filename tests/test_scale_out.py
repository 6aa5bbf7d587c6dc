"""Two app servers behind nginx (deploy/nginx.conf) on one PostgreSQL database.

The same responses are sent through both at once, replayed and retried, and one app server is
stopped halfway: every response is stored exactly once, with one revision, and the phone never
sees a server error it cannot recover from by sending again. Needs Debian's nginx (and
PostgreSQL, as production has); without nginx it is skipped, loudly (and fails in CI).
"""

from __future__ import annotations

import random
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Response, ResponseRevision

from . import cluster
from .conftest import PASSWORD

SENDERS, RESPONSES = 6, 24


@pytest.fixture
def nginx_cluster(app, world, tmp_path):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("several app servers share PostgreSQL, never one SQLite file")
    cluster.require_nginx("the scale-out test")
    with cluster.running(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SECRET_KEY"], tmp_path
    ) as running:
        yield running


def join_through(running: cluster.Cluster, code: str) -> requests.Session:
    """Sign in as a participant through nginx, over HTTPS, as the phone does."""
    phone = requests.Session()
    phone.trust_env = False  # this certificate, and no proxy from the environment
    phone.verify = str(running.cert)
    page = phone.get(f"{running.url}/join/{code}", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    joined = phone.post(
        f"{running.url}/join/{code}",
        data={"csrf_token": token},
        headers={"Referer": f"{running.url}/join/{code}"},
        allow_redirects=False,
        timeout=30,
    )
    assert joined.status_code == 302, joined.text
    assert any(c.name.startswith("__Host-") and c.secure for c in phone.cookies)
    return phone


def send(phone: requests.Session, url: str, participant: int, batch: list[dict], statuses):
    """Send a batch until a reply comes back, as the phone's outbox does; return its results."""
    for _ in range(20):
        try:
            reply = phone.post(
                f"{url}/api/v1/sync",
                json={"participant": participant, "responses": batch},
                timeout=30,
            )
        except requests.RequestException:
            statuses.append("no reply")
            continue
        statuses.append(reply.status_code)
        if reply.status_code == 200:
            return reply.json()["results"]
    raise AssertionError(f"no reply after 20 tries: {statuses[-5:]}")


def item(answers: dict | None = None) -> dict:
    return {"id": str(uuid.uuid4()), "questionnaire": "kartlegging", "version": 1,
            "status": "draft", "answers": answers or {"mapped_before": "no"}}  # fmt: skip


def stored(app, participant: int) -> dict[str, int]:
    """Each stored response id of the participant -> how many revisions it has."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Response.id, sa.func.count(ResponseRevision.id))
            .join(ResponseRevision, ResponseRevision.response_id == Response.id)
            .where(Response.participant_id == participant)
            .group_by(Response.id)
        ).all()
        return {str(response_id): count for response_id, count in rows}


def test_the_same_responses_through_two_app_servers_are_stored_exactly_once(
    app, world, nginx_cluster
):
    phone = join_through(nginx_cluster, world.codes["p1"])
    items = [item() for _ in range(RESPONSES)]
    statuses: list = []

    def sender(seed: int) -> list[dict]:
        rnd = random.Random(seed)
        tab = requests.Session()  # the same phone: its cookies, another connection
        tab.trust_env, tab.verify, tab.cookies = False, phone.verify, phone.cookies.copy()
        order = items[:]
        rnd.shuffle(order)
        results = []
        while order:
            batch, order = order[: rnd.randint(1, 5)], order[rnd.randint(1, 5) :]
            results += send(tab, nginx_cluster.url, world.p1, batch, statuses)
            if rnd.random() < 0.3:  # a reply that was lost: the phone sends it all again
                results += send(tab, nginx_cluster.url, world.p1, batch, statuses)
        return results

    with ThreadPoolExecutor(SENDERS) as pool:
        outcomes = [r for results in pool.map(sender, range(SENDERS)) for r in results]

    assert set(statuses) == {200}
    by_id: dict[str, list[dict]] = {}
    for result in outcomes:
        by_id.setdefault(result["id"], []).append(result)
    assert set(by_id) == {i["id"] for i in items}
    for results in by_id.values():
        assert {r["status"] for r in results} <= {200, 201}, results
        # Stored once: one request created it, every other one was a replay of it.
        assert [r["status"] for r in results].count(201) == 1, results
        assert {r["receipt"]["revision"] for r in results} == {1}
    assert stored(app, world.p1) == {i["id"]: 1 for i in items}
    # Both app servers answered.
    assert len(set(nginx_cluster.upstreams())) == 2

    # One app server stops: nginx sends everything to the other, and what a request lost on
    # the way is sent again by the phone; nothing is lost, nothing stored twice.
    nginx_cluster.stop_app_server(0)
    later = [item({"mapped_before": "yes"}) for _ in range(8)]
    statuses.clear()
    for batch in (later[:4], later[4:], later):
        results = send(phone, nginx_cluster.url, world.p1, batch, statuses)
        assert all(r["status"] in (200, 201) for r in results)
    assert all(s == 200 or s == "no reply" or s in (502, 503) for s in statuses)
    assert stored(app, world.p1) == {i["id"]: 1 for i in items + later}


def test_nginx_passes_the_client_address_and_https_to_the_app(app, world, nginx_cluster):
    # Secure cookies are set (the app sees https through X-Forwarded-Proto) and sign-in
    # throttling counts the client's address that nginx appended, not nginx's own.
    phone = join_through(nginx_cluster, world.codes["p2"])
    assert phone.get(f"{nginx_cluster.url}/api/v1/me", timeout=30).status_code == 200
    plain = phone.get(f"{nginx_cluster.app_urls[1]}/api/v1/me", timeout=30)
    assert plain.status_code == 401  # no cookie over plain http: it was Secure
    head = phone.get(f"{nginx_cluster.url}/join", timeout=30)
    assert "Strict-Transport-Security" in head.headers
    assert "Server" not in head.headers or "nginx/" not in head.headers["Server"]


def test_nginx_logs_no_query_string(app, world, nginx_cluster):
    """A caseload search names a participant in its address (GET /caseload?q=<name>), and no
    erasure reaches a log file: deploy/nginx.conf's log has the path alone, whatever follows."""
    name = "Kanarinavn Testesen"
    with app.app_context():
        db.session.get(Participant, world.p1).display_name = name
        db.session.commit()
    staff = requests.Session()
    staff.trust_env, staff.verify = False, str(nginx_cluster.cert)
    login = f"{nginx_cluster.url}/login"
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', staff.get(login, timeout=30).text
    ).group(1)
    signed_in = staff.post(
        login,
        data={"email": world.emails["c1"], "password": PASSWORD, "csrf_token": token},
        headers={"Referer": login},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302, signed_in.text
    found = staff.get(f"{nginx_cluster.url}/caseload", params={"q": name}, timeout=30)
    assert found.status_code == 200 and name in found.text
    logged = nginx_cluster.site_log('"GET /caseload HTTP/1.1" 200')
    assert '"GET /caseload HTTP/1.1" 200' in logged
    assert "Kanarinavn" not in logged and "q=" not in logged


def test_nginx_logs_no_address_when_no_app_server_answers(app, world, nginx_cluster):
    """With the app servers down (a restart, say), nginx's error log at its usual level wrote
    each request line and its Referer: a caseload search's name, an invite code. The shipped
    site logs its errors from "crit" on, which names no request."""
    for index in range(len(nginx_cluster.app_urls)):
        nginx_cluster.stop_app_server(index)
    phone = requests.Session()
    phone.trust_env, phone.verify = False, str(nginx_cluster.cert)
    answer = phone.get(
        f"{nginx_cluster.url}/caseload",
        params={"q": "Kanarinavn Testesen"},
        headers={"Referer": f"{nginx_cluster.url}/join/ABCDEFGHJK"},
        timeout=30,
    )
    assert answer.status_code == 502
    logged = "".join(
        path.read_text("utf-8", "replace") for path in nginx_cluster.folder.glob("*error.log")
    )
    assert "Kanarinavn" not in logged and "ABCDEFGHJK" not in logged
