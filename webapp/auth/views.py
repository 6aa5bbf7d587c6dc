"""Sign in and out."""

from __future__ import annotations

from contextlib import nullcontext

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.exceptions import TooManyRequests

from ..extensions import db
from ..models import Participant, StaffUser
from ..next_url import safe_next
from ..services import accounts, audit, throttle, totp
from .forms import (
    ChangePasswordForm,
    CodeForm,
    ConfirmJoinForm,
    JoinForm,
    LoginForm,
    SetPasswordForm,
    TwoStepOffForm,
)
from .session import (
    await_second_step,
    current_actor,
    current_login,
    log_in_participant,
    log_in_staff,
    log_out,
    second_step,
    staff_required,
)

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


def _code_keys(user: StaffUser) -> list[throttle.Key]:
    """Codes count per address (with passwords) and per account (on their own, last)."""
    secret = current_app.config["SECRET_KEY"]
    return [
        *_keys(throttle.LOGIN_ADDRESS),
        throttle.key(throttle.TOTP_ACCOUNT, str(user.id), secret),
    ]


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
            if user.has_totp:
                await_second_step(user, _safe_next(_home_for(user)))
                db.session.commit()
                return redirect(url_for(".login_code"))
            return _signed_in(user, _safe_next(_home_for(user)))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


def _signed_in(user: StaffUser, next_url: str):
    log_in_staff(user)
    audit.record(user, "staff.login")
    db.session.commit()
    if totp.must_enrol(user):
        return redirect(url_for(".two_step"))
    return redirect(next_url)


def _code_errors(result: totp.Check) -> list[str]:
    if result is totp.Check.USED:
        return [_("This code has been used already. Wait for the next code in your app.")]
    return [
        _(
            "This code is not right. Type the newest code from your app, and check that the "
            "time on your phone is right."
        )
    ]


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step of signing in: a code from the staff member's app."""
    pending = second_step()
    if pending is None:
        flash(_("Please sign in to continue."), "info")
        return redirect(url_for(".login"))
    user, next_url = pending
    form = CodeForm()
    if form.validate_on_submit():
        keys = _code_keys(user)
        _refuse_if_throttled(keys)
        result = totp.check_code(user, form.code.data)
        if result is totp.Check.ACCEPTED:
            throttle.succeeded(keys[-1])
            return _signed_in(user, next_url)
        _failed(keys)
        form.code.errors = _code_errors(result)
    return render_template("auth/login_code.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
def logout():
    _sign_out_saying(lambda: _("You are signed out."))
    return redirect(url_for("auth.login"))


def _sign_out_saying(message) -> None:
    """End the session and say so (``message()``) on the sign-in page that follows, in the
    language of the person who just left, not the browser's.

    Signing out clears the cookie, language and all, so the language is set again. Only the
    language, without the note of a choice (site.set_language): the next person on a shared
    phone or computer reads the page in it until they choose theirs, and never takes it as
    their own by signing in (auth/session.py, _take_chosen_language).
    """
    actor = current_actor()
    lang = actor.language if actor is not None else session.get("lang")
    if lang not in current_app.config["LANGUAGES"]:
        lang = None
    if actor is not None:
        audit.record(actor, "logout")
    log_out()
    db.session.commit()
    with force_locale(lang) if lang else nullcontext():
        flash(message(), "info")
    if lang:
        session["lang"] = lang


def _join(code: str):
    """Sign in with the code and return the redirect, or None if the code does not work (any
    more: another browser may have spent it a moment ago)."""
    key = current_app.config["SECRET_KEY"]
    participant = accounts.participant_for_code(code, key)
    if participant is None or not accounts.use_invite(participant, code, key):
        return None
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
        if not form.validate_on_submit():
            return render_template("auth/join_link.html", form=form, code=code)
        response = _join(code)
        if response is not None:
            return response
        # Another browser spent the code since the check above: the answer for a used link.
    _failed(keys)
    form = JoinForm(formdata=None)
    form.code.errors = [
        _(
            "This link does not work any more: an invite works only once. Ask your counsellor "
            "for a new one."
        )
    ]
    return render_template("auth/join.html", form=form), 404


@bp.get("/leave")
def leave_page():
    """Sign out, as a page with its one button; nobody signed in: the sign-in page."""
    if current_actor() is None:
        return redirect(url_for("auth.join_form"))
    return render_template("auth/leave.html")


@bp.post("/leave")
def leave():
    """Sign a participant out (shared phones): answers already sent stay on the server. The
    sign-in page says so in their language (_sign_out_saying)."""
    _sign_out_saying(
        lambda: _("You are signed out. To come back, ask your counsellor for a new code.")
    )
    return redirect(url_for("auth.join_form"))


def _enrolment_qr(uri: str) -> Markup:
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, title=_("QR code for your authenticator app"), dark="#000", light="#fff"
    )
    return Markup(svg)


def _render_two_step(user: StaffUser, code_form=None, off_form=None, status: int = 200):
    enrolling = user.totp_secret is not None and not user.has_totp
    uri = totp.provisioning_uri(user) if enrolling else None
    return render_template(
        "auth/two_step.html",
        user=user,
        required=user.municipality.require_totp,
        enrolling=enrolling,
        secret=user.totp_secret if enrolling else None,
        uri=uri,
        qr_svg=_enrolment_qr(uri) if uri else None,
        code_form=code_form or CodeForm(formdata=None),
        off_form=off_form or TwoStepOffForm(formdata=None),
    ), status


@bp.get("/account/two-step")
@staff_required()
def two_step():
    """Two-step sign-in: set it up (key, link, QR code, a first code), or turn it off."""
    return _render_two_step(current_actor())


@bp.post("/account/two-step/new")
@staff_required()
def two_step_new():
    """Make a new key to add to the app (to set up, or to start setting up over)."""
    user = current_actor()
    if not user.has_totp:
        totp.start_enrolment(user)
        db.session.commit()
    return redirect(url_for(".two_step"))


@bp.post("/account/two-step/confirm")
@staff_required()
def two_step_confirm():
    """Turn two-step sign-in on with a first code from the new key.

    Not throttled: until a code confirms it, the key protects nothing, and it was shown only
    to this person.
    """
    user = current_actor()
    form = CodeForm()
    if user.has_totp or user.totp_secret is None:
        return redirect(url_for(".two_step"))
    if form.validate_on_submit():
        result = totp.confirm_enrolment(user, form.code.data)
        if result is totp.Check.ACCEPTED:
            db.session.commit()
            flash(
                _("Two-step sign-in is on. After your password, you type a code from your app."),
                "success",
            )
            return redirect(_home_for(user))
        form.code.errors = _code_errors(result)
    return _render_two_step(user, code_form=form, status=422)


@bp.post("/account/two-step/off")
@staff_required()
def two_step_off():
    """Turn two-step sign-in off, with the password and a code (throttled like signing in)."""
    user = current_actor()
    form = TwoStepOffForm()
    if not user.has_totp:
        return redirect(url_for(".two_step"))
    if form.validate_on_submit():
        keys = [*_code_keys(user), *_keys(account=user.email)]
        _refuse_if_throttled(keys)
        if not accounts.password_matches(user, form.password.data):
            _failed(keys)
            form.password.errors = [_("The password is wrong.")]
        else:
            result = totp.check_code(user, form.code.data)
            if result is totp.Check.ACCEPTED:
                totp.disable(user)
                db.session.commit()
                flash(_("Two-step sign-in is off."), "info")
                return redirect(url_for(".two_step"))
            _failed(keys)
            form.code.errors = _code_errors(result)
    return _render_two_step(user, off_form=form, status=422)


def _in_language_of(user: StaffUser):
    """Speak the language the administrator chose for this person, unless this browser has
    chosen one: nobody is signed in on a password link's page to say which."""
    if session.get("lang") in current_app.config["LANGUAGES"]:
        return nullcontext()
    return force_locale(user.language)


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Let the person set their own password with the link an administrator made.

    Opening it changes nothing; only the form sent from its page does. Links that do not work
    count against the address as invite codes do (the same limit: one budget for guessing
    either), and the path is kept out of every log (webapp/logs.py).
    """
    keys = _keys(throttle.JOIN_ADDRESS)
    _refuse_if_throttled(keys)
    key = current_app.config["SECRET_KEY"]
    user = accounts.staff_for_link(token, key)
    if user is not None:
        with _in_language_of(user):
            form = SetPasswordForm()
            if not form.validate_on_submit():
                page = render_template("auth/set_password.html", form=form, user=user)
                return page, 422 if form.errors else 200
            if accounts.use_password_link(user, token, key, form.password.data):
                if session.get("lang") not in current_app.config["LANGUAGES"]:
                    session["lang"] = user.language  # so the sign-in page next speaks it too
                db.session.commit()
                flash(
                    _("Your password is set. Sign in with your e-mail address and your new "
                      "password."),
                    "success",
                )  # fmt: skip
                return redirect(url_for(".login"))
        # Used in another browser since the check above: the answer for a used link.
    _failed(keys)
    return render_template("auth/set_password.html", form=None, user=None), 404


@bp.route("/account/password", methods=["GET", "POST"])
@staff_required()
def change_password():
    """Change one's own password: the current one (throttled like signing in), the new twice.

    Every other session of theirs ends; this one stays.
    """
    user = current_actor()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        keys = _keys(throttle.LOGIN_ADDRESS, account=user.email)
        _refuse_if_throttled(keys)
        if accounts.password_matches(user, form.current_password.data):
            throttle.succeeded(keys[-1])
            accounts.change_own_password(user, form.password.data, current_login())
            db.session.commit()
            flash(
                _("Your password is changed. You are signed out on your other devices."),
                "success",
            )
            return redirect(_home_for(user))
        _failed(keys)
        form.current_password.errors = [_("The password is wrong.")]
    return render_template("auth/password.html", form=form), 422 if form.errors else 200
