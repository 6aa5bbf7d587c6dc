"""Load the actor for each request from its server-side session, and guard views.

The signed cookie carries only a session token (plus the CSRF token, the chosen language,
when it was chosen if nobody was signed in, and flashed messages); who is signed in, until
when, and whether the session still counts, is in the ``login_session`` table
(webapp/services/sessions.py), so ending a session works at once on every app server and an
old cookie replayed later is refused.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _

from ..extensions import db
from ..models import LoginSession, Participant, StaffUser
from ..services import sessions, totp

Actor = StaffUser | Participant | None


def current_actor() -> Actor:
    return g.get("actor")


def current_login() -> LoginSession | None:
    """Return the server-side session of this request, if someone is signed in."""
    return g.get("login")


#: The cookie's note of when a language was chosen with nobody signed in (site.set_language).
LANGUAGE_CHOSEN = "lang_chosen"
#: A language chosen this long before signing in is still taken as the person's own.
LANGUAGE_CHOSEN_SECONDS = 3600


def _start(person: StaffUser | Participant, lifetime: timedelta) -> None:
    # A new token at every sign-in, and a fresh cookie (so a new CSRF token) with it; a
    # session this browser had before ends (nobody can be signed in twice in one cookie).
    if current_login() is not None:
        sessions.end(current_login(), "logout")
    lang, chosen = session.get("lang"), session.get(LANGUAGE_CHOSEN)
    session.clear()
    session["sid"] = sessions.start(person, request.user_agent.string, lifetime)
    if lang:
        session["lang"] = lang
    _take_chosen_language(person, lang, chosen)
    g.actor, g.login = person, sessions.find(session["sid"])


def _take_chosen_language(person: StaffUser | Participant, lang: Any, chosen: Any) -> None:
    """Make the language this person just chose on the invite or sign-in page their own.

    Otherwise the language on record (the counsellor's choice, or bokmål) took over the moment
    they signed in, and a participant who had chosen Arabic on the invite page met the app in
    Norwegian. Only a choice made with nobody signed in, in the last hour, counts: signing out
    clears the cookie (it keeps only the language the person leaving reads the sign-in page in,
    without a note of a choice: auth/views.py, leave), so on a shared phone the previous
    person's language is never taken.
    """
    if (
        isinstance(chosen, int)
        and 0 <= time.time() - chosen <= LANGUAGE_CHOSEN_SECONDS
        and lang in current_app.config["LANGUAGES"]
        and person.language != lang
    ):
        person.language = lang


def log_in_staff(user: StaffUser) -> None:
    _start(user, timedelta(hours=current_app.config["STAFF_SESSION_HOURS"]))
    # Kept in the (signed) cookie: once the session has ended on the server, a page that both
    # staff and participants use still sends each to their own way to sign in again.
    session["staff"] = True


def log_in_participant(participant: Participant) -> None:
    _start(participant, current_app.config["PERMANENT_SESSION_LIFETIME"])
    session.permanent = True  # a phone stays signed in for the session lifetime


#: How long the code step of two-step sign-in waits after the right password.
SECOND_STEP_SECONDS = 300


def _password_mark(user: StaffUser) -> str:
    # Changes with the password, so a new password ends a half-done sign-in too.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def await_second_step(user: StaffUser, next_url: str) -> None:
    """Remember, in this browser only, that ``user`` gave the right password: the code is next.

    Nobody is signed in yet; the signed cookie holds who, since when, and where to go after.
    """
    session["second_step"] = {
        "staff": user.id,
        "since": int(time.time()),
        "mark": _password_mark(user),
        "next": next_url,
    }


def second_step() -> tuple[StaffUser, str] | None:
    """Return the staff user whose code this browser is asked for, and where to go after."""
    pending = session.get("second_step")
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("since", 0) > SECOND_STEP_SECONDS:
        session.pop("second_step", None)
        return None
    user = db.session.get(StaffUser, pending.get("staff"))
    if (
        user is None
        or not user.active
        or not user.has_totp
        or not hmac.compare_digest(pending.get("mark", ""), _password_mark(user))
    ):
        session.pop("second_step", None)
        return None
    return user, pending.get("next", "/")


def log_out(reason: str = "logout") -> None:
    """End this request's session on the server, and clear the cookie."""
    login = current_login()
    if login is not None:
        sessions.end(login, reason)
    session.clear()
    g.actor, g.login = None, None


#: Paths that never depend on who asks: they must not touch (or vary by) the session cookie.
PUBLIC_PATHS = ("/assets/", "/media/")


class _CookieJSON(TaggedJSONSerializer):
    """The session's JSON, read with the standard parser: the cookie's signature is checked
    before it is read, so it holds only what this server wrote. The limits of input_guard
    (the app's JSON parser) are for bodies that anyone can send; through them, reading the
    cookie was a share of every request (issue 12)."""

    def loads(self, value: str) -> Any:
        return self._untag_scan(json.loads(value))


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed session cookie, never sent with a file that is the same for everyone.

    Flask adds ``Vary: Cookie`` to any response that read or wrote the session, and used to
    re-sign a permanent session's cookie on every response (a new value each second; now off,
    config.py). On a versioned asset that made the browser's HTTP cache keep the file only for
    the cookie it was fetched with: the service worker, precaching what /me/ had downloaded a
    second earlier (static/js/sw-main.js), missed it and downloaded it again.

    Flask builds the cookie's signing serializer again for every request; it depends only on
    the keys, so it is built once per keys and kept.
    """

    serializer = _CookieJSON()

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept = app.extensions.get("loype_cookie_serializer")
        if kept is None or kept[0] != keys:
            kept = (keys, super().get_signing_serializer(app))
            app.extensions["loype_cookie_serializer"] = kept
        return kept[1]

    def save_session(self, app: Flask, session, response: Response) -> None:
        if request.path.startswith(PUBLIC_PATHS):
            return
        super().save_session(app, session, response)


def _load_actor() -> None:
    g.actor = None
    g.login = None
    g.session_expired = False
    if request.path.startswith(PUBLIC_PATHS) or "sid" not in session:
        return
    login = sessions.find(session["sid"])
    person = login.person if login is not None else None
    if login is None or person is None:
        g.expired_staff = bool(session.get("staff"))
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


def owner_cookie_name() -> str:
    """The cookie that tells the phone app whose data it may show (see _owner_cookie)."""
    return f"{current_app.config['SESSION_COOKIE_NAME']}-owner"


def _row_id(row) -> int:
    """The primary key of a stored row, without reloading it after the view committed (a
    commit expires every attribute; the identity stays)."""
    identity = sa.inspect(row).identity
    return identity[0] if identity else row.id


def _owner_cookie(response: Response) -> Response:
    """Name the signed-in participant in a cookie the app can read, or remove it.

    The session cookie is HttpOnly, and a cached app shell cannot say who is signed in, so the
    app reads this to open only that participant's data on the phone (static/js/app/owner.js).
    It holds the participant's id and the session's row id, nothing else, and grants nothing:
    the session does that.
    """
    if request.path.startswith(PUBLIC_PATHS):
        return response
    name = owner_cookie_name()
    actor, login = current_actor(), current_login()
    # "<participant>.<session>": the session part tells a sign-out made offline (finished
    # later) from a new sign-in of the same person.
    owner = (
        f"{_row_id(actor)}.{_row_id(login)}" if isinstance(actor, Participant) and login else None
    )
    if owner is None and name in request.cookies:
        response.delete_cookie(name, path="/", secure=current_app.config["SESSION_COOKIE_SECURE"])
    elif owner is not None and request.cookies.get(name) != owner:
        response.set_cookie(
            name,
            owner,
            max_age=current_app.config["PERMANENT_SESSION_LIFETIME"],
            path="/",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=False,  # read by the app; it is no credential
            samesite="Lax",
        )
    return response


#: Where staff who must still set up two-step sign-in may go: the set-up itself, signing out,
#: the language, and files with nothing personal in them.
OPEN_BEFORE_ENROLMENT = frozenset(
    {
        "auth.two_step", "auth.two_step_new", "auth.two_step_confirm", "auth.logout",
        "site.set_language", "static", "assets.serve", "site.healthz", "pwa.manifest",
        "pwa.service_worker",
    }
)  # fmt: skip


def _require_second_factor():
    """Send staff whose municipality requires two-step sign-in to set it up first."""
    actor = current_actor()
    if (
        isinstance(actor, StaffUser)
        and request.endpoint not in OPEN_BEFORE_ENROLMENT
        and totp.must_enrol(actor)
    ):
        return redirect(url_for("auth.two_step"))
    return None


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessionInterface()
    app.before_request(_load_actor)
    app.before_request(_require_second_factor)
    app.after_request(_owner_cookie)


def sign_in_again() -> str:
    """Return the endpoint where the person whose session this request came with signs in:
    the staff sign-in, or a participant's invite code (pages both use: fill/views.py)."""
    return "auth.login" if g.get("expired_staff") else "auth.join_form"


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
