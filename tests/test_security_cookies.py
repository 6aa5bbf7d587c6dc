"""The session cookie: __Host- prefixed, Secure, HttpOnly, SameSite=Lax; plain only for make run."""

from __future__ import annotations

from webapp.config import default_config

from .conftest import PASSWORD, csrf_token


def _session_cookie_header(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-loype=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def test_staff_sign_in_sets_a_host_only_secure_cookie(client, world):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": world.emails["c1"], "password": PASSWORD, "csrf_token": token}
    )
    header = _session_cookie_header(response)
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    assert {"secure", "httponly", "samesite", "path"} <= attributes
    assert "SameSite=Lax" in header and "Path=/" in header
    assert "domain" not in attributes  # __Host- forbids a Domain


def test_secure_by_default_and_off_only_when_asked(monkeypatch, tmp_path):
    monkeypatch.delenv("LOYPE_SECURE_COOKIES", raising=False)
    config = default_config(tmp_path)
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_NAME"] == "__Host-loype"
    monkeypatch.setenv("LOYPE_SECURE_COOKIES", "0")
    config = default_config(tmp_path)
    assert config["SESSION_COOKIE_SECURE"] is False
    assert config["SESSION_COOKIE_NAME"] == "loype"  # a __Host- cookie must be Secure


def test_make_run_is_the_only_place_that_turns_it_off():
    """Only the Makefile's local servers (make run, make dev) turn it off, and they listen on
    127.0.0.1 only; nothing else in the project does."""
    from .conftest import ROOT

    makefile = (ROOT / "Makefile").read_text()
    lines = [line for line in makefile.splitlines() if "LOYPE_SECURE_COOKIES=0" in line]
    assert len(lines) == 2
    assert all("127.0.0.1" in line for line in lines)
    assert any("gunicorn" in line for line in lines) and any("flask run" in line for line in lines)
    others = [
        path
        for path in [*ROOT.glob("webapp/**/*.py"), *ROOT.glob("*.py"), *ROOT.glob(".ci/*")]
        if "LOYPE_SECURE_COOKIES=0" in path.read_text()
    ]
    assert others == []


def test_a_new_secret_key_signs_new_cookies_and_reads_old_ones_only_as_a_fallback(
    app, world, as_actor
):
    """The cookie's signing serializer is kept per set of keys (issue 12), so changing them
    takes effect: the old key's cookies still count while it is a fallback, and not after."""
    phone = as_actor(app, "p1")
    assert phone.get("/api/v1/me").status_code == 200
    old_key, old_fallbacks = app.secret_key, app.config.get("SECRET_KEY_FALLBACKS")
    try:
        app.secret_key = "a-rotated-secret"
        app.config["SECRET_KEY_FALLBACKS"] = [old_key]
        assert phone.get("/api/v1/me").status_code == 200
        app.config["SECRET_KEY_FALLBACKS"] = []
        assert phone.get("/api/v1/me").status_code == 401
    finally:
        app.secret_key = old_key
        app.config["SECRET_KEY_FALLBACKS"] = old_fallbacks
    assert phone.get("/api/v1/me").status_code == 200
