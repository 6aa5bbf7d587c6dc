"""Security headers on every response, and no caching of anything personal.

The Content-Security-Policy allows only this site's own files: no inline script or style
(JSON data islands, ``<script type="application/json">``, are data and are not run), no eval,
no plugins, no ``<base>``, no framing. Pages, JSON and redirects are ``no-store`` unless the view
chose otherwise (static files, the manifest, the service worker): they may show answers, names
or an invite code, and a shared phone's or a proxy's cache must not keep them.

Scripts and stylesheets under /assets/ carry only the headers that act on them (nosniff and
their caching): a Content-Security-Policy, Permissions-Policy, X-Frame-Options or COOP is read
from a document or a worker's own script, never from a module it imports or a stylesheet; HSTS
is noted from the pages and API answers of the same host; and the Referrer-Policy of a page
decides what its scripts' requests send (the stylesheets load nothing but data: URLs). These
~630 bytes of headers went with each of the ~25 files of a phone's first visit (issue 12), and
nginx's HTTP/2 sends each answer's headers in full. /sw.js and pages keep them all. A redirect
and a 304 (the worker's update check) keep COOP and the Referrer-Policy, which act on the hop;
the rest acts on a document only.

The Referrer-Policy is ``same-origin``: a page's address (an invite link carries a code) never
goes to another site, and the site's own forms keep their Referer, which Flask-WTF's CSRF check
requires over HTTPS. (With ``no-referrer`` every form failed behind nginx; the transfer bench
found it by signing in through deploy/nginx.conf.)

JSON answers (the API, problems and the web app manifest) and the app's own SVG icons get the
policy for a document with nothing to run: a Content-Security-Policy of
``default-src 'none'; frame-ancestors 'none'`` (opened in a tab, such an answer loads nothing
and cannot be framed), HSTS, nosniff, the Referrer-Policy and no-store unless kept on purpose
(the manifest for a day, icons for good). Permissions-Policy and COOP act on what a document's
scripts may do, and these documents have none: dropping them, and the pages' long policy, saves
about 550 bytes on every answer a phone gets over a metered connection, each sync included.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # pictograms are data: URLs inside css/pictograms.css
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera", "microphone", "geolocation", "payment", "usb", "serial",
        "accelerometer", "gyroscope", "magnetometer", "display-capture", "browsing-topics",
    )
)  # fmt: skip
# Not "bluetooth": Chromium knows no such policy feature and logged an error about the header
# on every page (tests/browser/test_csp.py watches the console for that).

HSTS = "max-age=31536000; includeSubDomains"

#: A page's address goes to no other site (an invite link carries its code), but it does go
#: with the site's own requests: over HTTPS Flask-WTF refuses a form whose Referer is missing
#: or names another host, and with "no-referrer" every form failed behind nginx.
REFERRER_POLICY = "same-origin"


def csp_nonce() -> str:
    """Return this request's nonce, for a page that must name inline code (an import map) or
    let a library add its styles (the builder's code editor): only those, on that page."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def _policy() -> str:
    nonce = g.get("csp_nonce")
    if not nonce:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", f"script-src 'self' 'nonce-{nonce}'"
    ).replace("style-src 'self'", f"style-src 'self' 'nonce-{nonce}'")


#: The policy of a JSON answer: nothing may load, nothing may frame it.
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"
#: The web app manifest is JSON too: the browser reads it for the page, and opened in a tab it
#: is a document with nothing to run (the pages' policy on it was ~560 bytes of a first visit).
JSON_TYPES = ("application/json", "application/problem+json", "application/manifest+json")

#: What a browser loads only as a subresource: no document-level policy applies to it.
SUBRESOURCE_TYPES = ("text/javascript", "text/css")


#: A browser shows nothing of these: it follows a redirect, and a 304 confirms the answer it
#: keeps, whose headers stay as they were (RFC 9111, 4.3.4). The policies of a document (CSP,
#: Permissions-Policy, X-Frame-Options) do nothing on them; COOP is checked on every hop of a
#: navigation and the Referrer-Policy decides what the next request says, so both stay.
NOT_SHOWN = frozenset({301, 302, 303, 304, 307, 308})


def is_own_image(response: Response) -> bool:
    """An SVG of static/ (the app's icons): opened in a tab it is a document, but one with
    nothing to run, style or load (tests/test_security_headers.py reads every one)."""
    return request.path.startswith("/assets/") and response.mimetype == "image/svg+xml"


def is_subresource(response: Response) -> bool:
    return request.path.startswith("/assets/") and response.mimetype in SUBRESOURCE_TYPES


def add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if is_subresource(response):
        return response  # cached as the asset view chose (immutable, or no-cache)
    # Invite links carry a code: never send a page's address to another site. Within the
    # site the Referer stays: over HTTPS, CSRF protection refuses a form without it.
    headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    # On every page and API answer: a browser notes HSTS from any of them, once is enough.
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if response.mimetype in JSON_TYPES or is_own_image(response):
        headers.setdefault("Content-Security-Policy", JSON_POLICY)
        if "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        return response
    if "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")  # checked on each hop
    if response.status_code in NOT_SHOWN:
        return response  # the page it leads to, or the one kept, brings its policies
    headers.setdefault("Content-Security-Policy", _policy())
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for old browsers
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
