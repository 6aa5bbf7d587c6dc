"""Open redirects: a ``next`` parameter only ever leads to a path on this site.

The payloads are those of issue 8 and the usual open-redirect list (scheme-relative URLs,
backslashes, whitespace and control characters browsers strip, userinfo tricks, encoded
slashes, other schemes). Each one is tried on the staff sign-in, the language form and the
participant's join; a refused target falls back to the normal home page, and nothing answers 500.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from webapp.next_url import is_safe

from .conftest import PASSWORD, csrf_token, english_client

OFF_SITE = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/%0A/x",
    "/%09/evil.example",
    "/%5Cevil.example",
    "/%2F%2Fevil.example",
    "/\n/x",
    "/\r\n/x",
    "//evil.example",
    "///evil.example",
    "////evil.example/x",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example",
    "http:evil.example",
    "https:/evil.example",
    "//evil.example@loype.test",
    "/ /evil.example",
    " //evil.example",
    "\t//evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "@evil.example",
    "/\u202e/evil.example",
    "/\x00/evil.example",
    "/\x7f/evil.example",
    "/\ud800",
    "//%2Fevil.example",
    "",
    "/" + "a" * 5000,
]
ON_SITE = ["/caseload", "/r/abc/1?x=1", "/me/", "/r/a%2Db", "/caseload#top"]


@pytest.mark.parametrize("target", OFF_SITE, ids=lambda t: repr(t)[:40])
def test_off_site_targets_are_refused(target):
    assert not is_safe(target)


@pytest.mark.parametrize("target", ON_SITE)
def test_paths_on_this_site_are_kept(target):
    assert is_safe(target)


def _location(response) -> str:
    assert response.status_code in (302, 303), response.status_code
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.netloc in ("", "loype.test"), location
    assert not any(ord(ch) < 32 for ch in location)
    return parts.path


#: What a browser can send in a URL or a form (a NUL is refused earlier, by the input guard).
SENDABLE = [t for t in OFF_SITE if "\x00" not in t and "\ud800" not in t]


@pytest.mark.parametrize("target", SENDABLE, ids=lambda t: repr(t)[:40])
def test_next_stays_on_site_everywhere(app, world, target):
    """Sign-in, the language form and the participant's join all fall back to home."""
    client = english_client(app)
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": world.emails["c1"], "password": PASSWORD, "csrf_token": token},
    )
    assert _location(response) == "/caseload"

    token = csrf_token(client, "/caseload")
    response = client.post("/language", data={"lang": "en", "next": target, "csrf_token": token})
    assert _location(response) == "/"

    client = english_client(app)
    token = csrf_token(client, "/join")
    response = client.post(
        "/join",
        query_string={"next": target},
        data={"code": world.codes["p1"], "csrf_token": token},
    )
    assert _location(response) == "/me/"


@pytest.mark.parametrize("query", ["next=%2F%09%2Fevil.example", "next=/%0A/x", "next=%2F%5Cevil"])
def test_raw_payloads_from_the_issue(client, world, query):
    """The exact request lines of issue 8: one went off-site, one answered 500."""
    token = csrf_token(client, "/login")
    response = client.post(
        f"/login?{query}",
        data={"email": world.emails["c1"], "password": PASSWORD, "csrf_token": token},
    )
    assert _location(response) == "/caseload"


def test_a_safe_next_is_followed(client, world):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=/participants/new",
        data={"email": world.emails["c1"], "password": PASSWORD, "csrf_token": token},
    )
    assert _location(response) == "/participants/new"


def test_join_follows_a_safe_next(client, world):
    token = csrf_token(client, "/join")
    response = client.post(
        "/join?next=/me/",
        data={"code": world.codes["p1"], "csrf_token": token},
    )
    assert _location(response) == "/me/"
