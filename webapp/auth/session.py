"""Load the actor for each request from the signed session cookie, and guard views."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _

from ..extensions import db
from ..models import Participant, StaffUser

Actor = StaffUser | Participant | None


def current_actor() -> Actor:
    return g.get("actor")


def log_in_staff(user: StaffUser) -> None:
    session.clear()
    session["staff_id"] = user.id
    session["since"] = int(time.time())


def log_in_participant(participant: Participant) -> None:
    session.clear()
    session.permanent = True  # a phone stays signed in for the session lifetime
    session["participant_id"] = participant.id
    # Tied to the invite: a new invite code signs out every phone that used the old one.
    session["invite"] = (participant.invite_code_hash or "")[:16]


#: Paths that never depend on who asks: they must not touch (or vary by) the session cookie.
PUBLIC_PATHS = ("/assets/", "/media/")


def _load_actor(app: Flask) -> None:
    g.actor = None
    g.session_expired = False
    if request.path.startswith(PUBLIC_PATHS):
        return
    if "staff_id" in session:
        hours = app.config["STAFF_SESSION_HOURS"]
        user = db.session.get(StaffUser, session["staff_id"])
        if time.time() - session.get("since", 0) > hours * 3600:
            session.clear()
            g.session_expired = True
        elif user is not None and user.active:
            g.actor = user
        else:
            session.clear()
    elif "participant_id" in session:
        participant = db.session.get(Participant, session["participant_id"])
        if participant is not None and (participant.invite_code_hash or "")[:16] == session.get(
            "invite"
        ):
            g.actor = participant
        else:
            session.clear()
            g.session_expired = True


def init_app(app: Flask) -> None:
    app.before_request(lambda: _load_actor(app))


def _guard(check: Callable[[Actor], bool], login_endpoint: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            actor = current_actor()
            if actor is None:
                if g.get("session_expired"):
                    flash(_("Your session has expired. Please sign in again."), "warning")
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
