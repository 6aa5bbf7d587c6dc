"""Addresses handed to people outside the browser (an invite link, a password link)."""

from __future__ import annotations

from flask import current_app, request, url_for


def public_url(endpoint: str, **values: object) -> str:
    """Return the address of ``endpoint`` as people reach it: on LOYPE_PUBLIC_URL's host when
    set (behind a proxy the request's own host may be an internal one), else this request's."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + url_for(endpoint, **values)
