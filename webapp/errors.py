"""One set of friendly error pages, or RFC 9457 problem details for the JSON API."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db
from .input_guard import UnreadableInput

log = logging.getLogger(__name__)


#: Where only staff come: their areas, and the auth pages of signing in and two-step sign-in.
STAFF_BLUEPRINTS = frozenset({"counsellor", "overview", "admin", "builder"})
STAFF_ENDPOINTS = frozenset(
    {"auth.login", "auth.login_code", "auth.two_step", "auth.two_step_new",
     "auth.two_step_confirm", "auth.two_step_off", "auth.change_password",
     "auth.set_password"}
)  # fmt: skip


def _for_staff() -> bool:
    """Whether the request is to a page only staff use (a participant's counsellor is no help
    to a counsellor)."""
    return request.blueprint in STAFF_BLUEPRINTS or request.endpoint in STAFF_ENDPOINTS


def _messages(code: int) -> tuple[str, str]:
    if code == 429 and _for_staff():
        return _("Too many attempts"), _(
            "There were too many wrong attempts. Nothing was changed. Please wait a few "
            "minutes and try again, or ask your administrator for help."
        )
    if code == 404:
        return _("Page not found"), _(
            "We could not find this page. It may have moved, or you may not have access to it."
        )
    if code == 413:
        return _("Too much data"), _("What you sent is too large. Nothing was saved.")
    if code == 429:
        return _("Too many attempts"), _(
            "There were too many wrong attempts. Nothing was changed. Please wait a few "
            "minutes and try again, or ask your counsellor for help."
        )
    if code == 405:
        return _("Not allowed"), _("This page cannot be used like that.")
    if code >= 500:
        return _("Something went wrong"), _(
            "Something went wrong on our side. Your answers saved before this are kept. "
            "Please try again in a moment."
        )
    return _("Something is wrong with the request"), _(
        "We could not understand what was sent. Nothing was saved. Please go back and try again."
    )


def _wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def render_error(code: int, title: str, detail: str):
    if _wants_json():
        body = {"type": "about:blank", "title": title, "status": code, "detail": detail}
        response = jsonify(body)
        response.status_code = code
        response.mimetype = "application/problem+json"
        return response
    return render_template("error.html", title=title, detail=detail, code=code), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            _("The form has expired"),
            _(
                "For your safety, this form could not be sent because it was open too long or "
                "your session ended. Nothing was changed. Please go back, reload the page and "
                "try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(error, UnreadableInput):
            return render_error(400, error.title, error.detail)
        title, detail = _messages(error.code or 500)
        response = make_response(render_error(error.code or 500, title, detail))
        # Keep what the exception says in headers: Allow on 405, Retry-After on 429.
        for name, value in error.get_headers():
            if name.lower() in ("allow", "retry-after"):
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        # The failed statement leaves the session unusable, and the error page reads through it
        # (the signed-in person, their language): start it over, or that page fails too.
        db.session.rollback()
        title, detail = _messages(500)
        return render_error(InternalServerError.code, title, detail)
