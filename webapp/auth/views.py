"""Sign in and out."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from ..extensions import db
from ..models import Participant
from ..next_url import safe_next
from ..services import accounts, audit, throttle
from .forms import ConfirmJoinForm, JoinForm, LoginForm
from .session import current_actor, log_in_participant, log_in_staff, log_out

bp = Blueprint("auth", __name__)


def _safe_next(default: str) -> str:
    return safe_next(request.args.get("next"), default)


def _home_for(actor) -> str:
    if isinstance(actor, Participant):
        return url_for("participant.home")
    if actor is not None and actor.is_administrator:
        return url_for("admin.questionnaires")
    return url_for("counsellor.caseload")


def _keys(*limits: throttle.Limit, account: str | None = None) -> list[throttle.Key]:
    secret = current_app.config["SECRET_KEY"]
    keys = [throttle.key(limit, request.remote_addr or "", secret) for limit in limits]
    if account is not None:
        keys.append(throttle.key(throttle.LOGIN_ACCOUNT, account, secret))
    return keys


def _refuse_if_throttled(keys: list[throttle.Key]) -> None:
    """Answer 429 with Retry-After before any work (a password check costs CPU time)."""
    wait = throttle.retry_after(*keys)
    if wait is not None:
        db.session.commit()  # windows that ended were reset
        raise TooManyRequests(retry_after=wait)


def _failed(keys: list[throttle.Key]) -> None:
    throttle.failed(*keys)
    db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        keys = _keys(throttle.LOGIN_ADDRESS, account=form.email.data)
        _refuse_if_throttled(keys)
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            _failed(keys)
            form.password.errors = [_("The e-mail address or the password is wrong.")]
        else:
            throttle.succeeded(keys[-1])  # the account's count; the address keeps its own
            log_in_staff(user)
            audit.record(user, "staff.login")
            db.session.commit()
            return redirect(_safe_next(_home_for(user)))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
def logout():
    actor = current_actor()
    if actor is not None:
        audit.record(actor, "logout")
    log_out()
    db.session.commit()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


def _join(code: str):
    participant = accounts.participant_for_code(code, current_app.config["SECRET_KEY"])
    if participant is None:
        return None
    accounts.use_invite(participant)
    log_in_participant(participant)
    audit.record(participant, "participant.join")
    db.session.commit()
    return redirect(_safe_next(url_for("participant.home")))


@bp.route("/join", methods=["GET", "POST"])
def join_form():
    form = JoinForm()
    if form.validate_on_submit():
        keys = _keys(throttle.JOIN_ADDRESS)
        _refuse_if_throttled(keys)
        response = _join(form.code.data)
        if response is not None:
            return response
        _failed(keys)
        form.code.errors = [
            _(
                "We did not find this code. Check it and try again, or ask your counsellor "
                "for a new one."
            )
        ]
    return render_template("auth/join.html", form=form), 200 if not form.errors else 422


@bp.route("/join/<code>", methods=["GET", "POST"])
def join_link(code: str):
    """The invite link: a page with a button, never a sign-in on a plain GET.

    Otherwise any site could sign a participant's phone into another account with a link
    (login CSRF); the button sends a form with this browser's CSRF token.
    """
    keys = _keys(throttle.JOIN_ADDRESS)
    _refuse_if_throttled(keys)
    if accounts.participant_for_code(code, current_app.config["SECRET_KEY"]) is not None:
        form = ConfirmJoinForm()
        if form.validate_on_submit():
            return _join(code)
        return render_template("auth/join_link.html", form=form, code=code)
    _failed(keys)
    form = JoinForm(formdata=None)
    form.code.errors = [
        _(
            "This link does not work any more: an invite works only once. Ask your counsellor "
            "for a new one."
        )
    ]
    return render_template("auth/join.html", form=form), 404


@bp.post("/leave")
def leave():
    """Sign a participant out (shared phones): answers already sent stay on the server."""
    actor = current_actor()
    if actor is not None:
        audit.record(actor, "logout")
    log_out()
    db.session.commit()
    flash(_("You are signed out. To come back, ask your counsellor for a new code."), "info")
    return redirect(url_for("auth.join_form"))
