"""Load the actor for each request from its server-side session, and guard views.

The signed cookie carries only a session token (plus the CSRF token, the chosen language and
flashed messages); who is signed in, until when, and whether the session still counts, is in
the ``login_session`` table (webapp/services/sessions.py), so ending a session works at once
on every app server and an old cookie replayed later is refused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _

from ..extensions import db
from ..models import LoginSession, Participant, StaffUser
from ..services import sessions

Actor = StaffUser | Participant | None


def current_actor() -> Actor:
    return g.get("actor")


def current_login() -> LoginSession | None:
    """Return the server-side session of this request, if someone is signed in."""
    return g.get("login")


def _start(person: StaffUser | Participant, lifetime: timedelta) -> None:
    # A new token at every sign-in, and a fresh cookie (so a new CSRF token) with it; a
    # session this browser had before ends (nobody can be signed in twice in one cookie).
    if current_login() is not None:
        sessions.end(current_login(), "logout")
    lang = session.get("lang")
    session.clear()
    session["sid"] = sessions.start(person, request.user_agent.string, lifetime)
    if lang:
        session["lang"] = lang


def log_in_staff(user: StaffUser) -> None:
    _start(user, timedelta(hours=current_app.config["STAFF_SESSION_HOURS"]))


def log_in_participant(participant: Participant) -> None:
    _start(participant, current_app.config["PERMANENT_SESSION_LIFETIME"])
    session.permanent = True  # a phone stays signed in for the session lifetime


def log_out(reason: str = "logout") -> None:
    """End this request's session on the server, and clear the cookie."""
    login = current_login()
    if login is not None:
        sessions.end(login, reason)
    session.clear()


#: Paths that never depend on who asks: they must not touch (or vary by) the session cookie.
PUBLIC_PATHS = ("/assets/", "/media/")


def _load_actor() -> None:
    g.actor = None
    g.login = None
    g.session_expired = False
    if request.path.startswith(PUBLIC_PATHS) or "sid" not in session:
        return
    login = sessions.find(session["sid"])
    person = login.person if login is not None else None
    if login is None or person is None:
        session.clear()
        g.session_expired = True
        return
    if isinstance(person, StaffUser) and not person.active:
        sessions.end(login, "deactivated")
        db.session.commit()
        session.clear()
        return
    if sessions.touch(login):
        db.session.commit()  # before the view, so its own rollback cannot lose it
    g.actor, g.login = person, login


def init_app(app: Flask) -> None:
    app.before_request(_load_actor)


def expired_message(login_endpoint: str) -> str:
    """Say what to do now that the session has ended: staff sign in again with their password,
    but a participant's code worked once, so they need a new one."""
    if login_endpoint == "auth.join_form":
        return _("Your session has ended. Ask your counsellor for a new code to sign in again.")
    return _("Your session has expired. Please sign in again.")


def _guard(check: Callable[[Actor], bool], login_endpoint: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            actor = current_actor()
            if actor is None:
                if g.get("session_expired"):
                    flash(expired_message(login_endpoint), "warning")
                else:
                    flash(_("Please sign in to continue."), "info")
                return redirect(url_for(login_endpoint, next=request.full_path))
            if not check(actor):
                # Another kind of user: the page does not exist for them.
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def staff_required(role: str | None = None) -> Callable:
    """Require a signed-in staff user, with ``role`` when given."""
    return _guard(
        lambda a: isinstance(a, StaffUser) and (role is None or a.role == role), "auth.login"
    )


participant_required = _guard(lambda a: isinstance(a, Participant), "auth.join_form")
