"""Security headers on every route, for every kind of visitor, and no-store on anything personal."""

from __future__ import annotations

import re

import pytest

from webapp.security_headers import CONTENT_SECURITY_POLICY

from .conftest import ROOT
from .routes import all_requests, sample_records

#: Responses a cache may keep: they are the same for everyone and hold nothing personal.
CACHEABLE = ("/assets/", "/static/", "/media/", "/manifest.webmanifest", "/sw.js")


#: Policies a browser reads from documents and workers' own scripts only.
DOCUMENT_ONLY = (
    "Content-Security-Policy", "Permissions-Policy", "X-Frame-Options",
    "Cross-Origin-Opener-Policy", "Strict-Transport-Security",
)  # fmt: skip


#: What a redirect does not need: a browser shows nothing of it.
REDIRECT_FREE = ("Content-Security-Policy", "Permissions-Policy", "X-Frame-Options")


def _is_subresource(response, url: str) -> bool:
    return url.startswith("/assets/") and response.mimetype in ("text/javascript", "text/css")


def _check(response, url: str) -> list[str]:
    problems = []
    headers = response.headers
    if _is_subresource(response, url):
        return _check_subresource(response)
    if response.mimetype in ("application/json", "application/problem+json",
                             "application/manifest+json") or (
        url.startswith("/assets/") and response.mimetype == "image/svg+xml"
    ):  # fmt: skip
        return _check_json(response, kept=url.startswith(CACHEABLE))
    if response.status_code in (301, 302, 303, 304, 307, 308):
        return _check_redirect(response, kept=url.startswith(CACHEABLE))
    csp = headers.get("Content-Security-Policy", "")
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "script-src 'self'", "style-src 'self'"):  # fmt: skip
        if directive not in csp:
            problems.append(f"CSP lacks {directive}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append("CSP allows unsafe-*")
    expected = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
    for name, value in expected.items():
        if headers.get(name) != value:
            problems.append(f"{name}: {headers.get(name)!r}")
    if "camera=()" not in headers.get("Permissions-Policy", ""):
        problems.append("Permissions-Policy")
    if not url.startswith(CACHEABLE) and headers.get("Cache-Control") != "no-store":
        problems.append(f"Cache-Control: {headers.get('Cache-Control')!r}")
    return problems


def _check_json(response, kept: bool = False) -> list[str]:
    """A JSON answer: a policy that lets nothing load or frame it, and nothing kept (but the
    manifest, which is the same for everyone who asks in a language)."""
    headers = response.headers
    problems = []
    if headers.get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'":
        problems.append(f"CSP {headers.get('Content-Security-Policy')!r}")
    expected = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
    if not kept:
        expected["Cache-Control"] = "no-store"
    for name, value in expected.items():
        if headers.get(name) != value:
            problems.append(f"{name}: {headers.get(name)!r}")
    return problems


def _check_subresource(response) -> list[str]:
    """A script or stylesheet: nosniff, and none of the policies a page's own answer sets."""
    headers = response.headers
    problems = [f"{name} on a subresource" for name in DOCUMENT_ONLY if name in headers]
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options")
    if "Referrer-Policy" in headers:  # the page's policy decides what its scripts send
        problems.append("Referrer-Policy on a subresource")
    return problems


def _check_redirect(response, kept: bool = False) -> list[str]:
    """A redirect or a 304: the policies that act on the hop (COOP, what the next request may
    say); no document policies, since nothing of it is shown."""
    headers = response.headers
    problems = [f"{name} on a redirect" for name in REDIRECT_FREE if name in headers]
    expected = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if not kept:
        expected["Cache-Control"] = "no-store"
    for name, value in expected.items():
        if headers.get(name) != value:
            problems.append(f"{name}: {headers.get(name)!r}")
    return problems


def test_the_service_worker_and_its_modules(app, client):
    """/sw.js is a worker's own script: its policy applies, so it keeps the full set. The
    modules it imports and the app's scripts and styles carry only what acts on them."""
    assert app.config["SESSION_COOKIE_SECURE"] is True  # so HSTS would be sent
    worker = client.get("/sw.js")
    assert "Strict-Transport-Security" in worker.headers
    assert _check(worker, "/sw.js") == []
    assert "script-src 'self'" in worker.headers["Content-Security-Policy"]
    base = worker.get_data(as_text=True).split('from "')[1].split("js/sw-main.js")[0]
    for path in ("js/sw-main.js", "js/app/main.js", "css/app.css"):
        response = client.get(base + path)
        assert response.status_code == 200
        assert _check_subresource(response) == [], path
    # The worker's update check on every navigation: the kept script keeps its policy.
    again = client.get("/sw.js", headers={"If-None-Match": worker.headers["ETag"]})
    assert again.status_code == 304 and _check(again, "/sw.js") == []
    assert "Content-Security-Policy" not in again.headers
    # An icon can be opened as a document: one with nothing to run, style or load.
    icon = client.get(base + "icons/icon.svg")
    assert icon.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert _check(icon, base + "icons/icon.svg") == []


def test_the_apps_own_svgs_need_nothing_their_policy_forbids():
    """default-src 'none' on the icons: none of them may script, style or load anything."""
    svgs = sorted((ROOT / "static").rglob("*.svg"))
    assert svgs
    for svg in svgs:
        text = svg.read_text("utf-8").lower()
        for needs in ("<script", "<style", "style=", "href=", "url(", "on"):
            if needs == "on":
                assert not re.search(r"\son\w+\s*=", text), svg
            else:
                assert needs not in text, (svg, needs)


def test_every_route_has_the_headers_for_every_visitor(app, world, as_actor):
    values = sample_records(app, world)
    requests = all_requests(app, values)
    problems = []
    for actor in ("anon", "p1", "c1", "admin1"):
        client = as_actor(app, actor)
        for _endpoint, method, url in requests:
            response = client.open(url, method=method)
            response.close()
            problems += [f"{actor} {method} {url} ({response.status_code}): {p}"
                         for p in _check(response, url)]  # fmt: skip
    assert not problems, "\n".join(problems)
    assert CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "actor, url",
    [("p1", "/me/"), ("c1", "/caseload"), ("c1", "/participants/{participant_id}"),
     ("c1", "/responses/{response_id}"), ("p1", "/r/{response_id}/1"), ("p1", "/app/"),
     ("p1", "/api/v1/me"), ("c1", "/r/{response_id}/meeting/1"),
     ("c1", "/exports"),
     ("c1", "/exports/responses?version={version_id}&format=csv"), ("admin1", "/overview"),
     ("c1", "/participants/{participant_id}/print"),
     ("c1", "/participants/{participant_id}/progress")],
)  # fmt: skip
def test_pages_with_personal_data_are_never_stored(app, world, as_actor, actor, url):
    values = sample_records(app, world)
    response = as_actor(app, actor).get(url.format(**values))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    response.close()


def test_the_invite_page_with_its_code_is_never_stored(app, world, as_actor):
    counsellor = as_actor(app, "c1")
    from .conftest import csrf_token

    token = csrf_token(counsellor, f"/participants/{world.p1}")
    response = counsellor.post(f"/participants/{world.p1}/invite", data={"csrf_token": token})
    assert response.status_code == 200 and "/join/" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_hsts_only_in_secure_mode(app, client):
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert client.get("/join").headers["Strict-Transport-Security"].startswith("max-age=")
    app.config["SESSION_COOKIE_SECURE"] = False
    try:
        assert "Strict-Transport-Security" not in client.get("/join").headers
    finally:
        app.config["SESSION_COOKIE_SECURE"] = True


def test_no_inline_scripts_or_style_attributes_in_templates():
    import re

    from .conftest import ROOT

    problems = []
    for template in (ROOT / "webapp" / "templates").rglob("*.html"):
        text = template.read_text()
        for match in re.finditer(r"<script\b([^>]*)>", text):
            attributes = match.group(1)
            # Data islands are not run; the builder's import map runs by this request's nonce.
            nonced_map = 'type="importmap"' in attributes and "nonce=" in attributes
            if (
                "src=" not in attributes
                and 'type="application/json"' not in attributes
                and (not nonced_map)
            ):
                problems.append(f"{template.name}: inline <script{attributes}>")
        if re.search(r"\sstyle=|\son[a-z]+=", text):
            problems.append(f"{template.name}: style or event-handler attribute")
    assert not problems, problems
