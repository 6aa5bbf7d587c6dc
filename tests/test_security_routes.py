"""Generated from the app's routes: every route has an explicit access rule, and nobody the
rule leaves out gets a page from it (anonymous visitors are sent to sign in, or get 401/404;
other roles get 404)."""

from __future__ import annotations

import pytest

from webapp import access

from .routes import all_requests, sample_records

ADMITTED = {
    access.PUBLIC: {"anon", "p1", "c1", "admin1"},
    access.PARTICIPANT: {"p1"},
    access.COUNSELLOR: {"c1"},
    access.ADMINISTRATOR: {"admin1"},
    access.RESPONSE_FILLER: {"p1", "c1"},
    access.OWN_DEVICE: {"p1", "c1"},
    access.STAFF: {"c1", "admin1"},
    access.LEAD_OR_ADMINISTRATOR: {"admin1"},  # c1 is no lead
}


def test_every_route_has_an_explicit_access_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(access.ROUTE_ACCESS))
    assert not missing, f"routes without an access rule in webapp/access.py: {missing}"
    assert set(access.ROUTE_ACCESS.values()) <= set(ADMITTED)
    assert not set(access.ROUTE_ACCESS) - endpoints, "rules for routes that do not exist"


def test_a_route_without_a_rule_is_not_found(app, monkeypatch):
    monkeypatch.delitem(access.ROUTE_ACCESS, "site.healthz")
    assert app.test_client().get("/healthz").status_code == 404


@pytest.mark.parametrize("actor", ["anon", "p1", "c1", "admin1"])
def test_nobody_outside_a_rule_gets_a_page(app, world, as_actor, actor):
    values = sample_records(app, world)
    client = as_actor(app, actor)
    leaks = []
    for endpoint, method, url in all_requests(app, values):
        rule = access.ROUTE_ACCESS[endpoint]
        if actor in ADMITTED[rule] or method != "GET":
            continue  # writes without a CSRF token are refused anyway
        response = client.open(url, method=method)
        response.close()
        if response.status_code < 300:
            leaks.append(f"{actor} GET {url} ({rule}): {response.status_code}")
        if actor == "anon" and response.status_code == 302:
            assert "/login" in response.location or "/join" in response.location, url
    assert not leaks, "\n".join(leaks)
