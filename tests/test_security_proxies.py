"""Behind reverse proxies (LOYPE_TRUSTED_PROXIES), throttling counts per client, not per proxy;
without them, X-Forwarded-For is only text a client wrote, and is ignored."""

from __future__ import annotations

import pytest

from webapp import create_app
from webapp.extensions import db
from webapp.services import throttle

from .conftest import english_client

PROXY = "10.0.0.1"


@pytest.fixture
def proxied_app(app, database_url):
    """A second app on the same database, configured with one trusted proxy."""
    proxied = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SERVER_NAME": "loype.test",
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            "TRUSTED_PROXIES": 1,
        }
    )
    yield proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def _guess(client, forwarded_for: str):
    """Try a wrong invite link, as the proxy passes it on from ``forwarded_for``."""
    response = client.get("/join/WRONGCODE2", headers={"X-Forwarded-For": forwarded_for})
    response.close()
    return response.status_code


def _through_proxy(app):
    client = english_client(app)
    client.environ_base["REMOTE_ADDR"] = PROXY
    return client


def test_without_trusted_proxies_the_header_is_ignored(app, world):
    client = _through_proxy(app)
    # A guesser who writes a new address into each request is still one address ...
    for index in range(throttle.JOIN_ADDRESS.failures):
        assert _guess(client, f"203.0.113.{index}") == 404
    assert _guess(client, "203.0.113.250") == 429
    # ... and so is everyone else behind the same address.
    assert _guess(_through_proxy(app), "198.51.100.7") == 429


def test_with_a_trusted_proxy_each_client_counts_on_its_own(proxied_app, world):
    client = _through_proxy(proxied_app)
    for _ in range(throttle.JOIN_ADDRESS.failures):
        assert _guess(client, "203.0.113.5") == 404
    assert _guess(client, "203.0.113.5") == 429
    # The proxy appends the address it saw: a value the guesser wrote in front does not count.
    assert _guess(client, "198.51.100.99, 203.0.113.5") == 429
    # Another participant behind the same proxy is not held up by the guesser.
    assert _guess(_through_proxy(proxied_app), "198.51.100.7") == 404
