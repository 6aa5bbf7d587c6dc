"""Sign-in forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired

from ..form_fields import at_most
from ..i18n import lazy_gettext as _l


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(_l("Please enter your e-mail address.")), at_most(254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), at_most(200)],
        render_kw={"autocomplete": "current-password"},
    )


class JoinForm(FlaskForm):
    code = StringField(
        _l("Your code"),
        validators=[DataRequired(_l("Please type the code you got.")), at_most(40)],
        description=_l("The code has 10 letters and numbers, for example ABCD-EFGH-JK."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


class ConfirmJoinForm(FlaskForm):
    """The button on an invite link's page: only a form from this site signs in."""


def _code_field() -> StringField:
    return StringField(
        _l("Code from your app"),
        validators=[DataRequired(_l("Please type the code from your app.")), at_most(20)],
        description=_l("6 digits. Your app shows a new code every 30 seconds."),
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "autocapitalize": "off",
            "spellcheck": "false",
        },
    )


class CodeForm(FlaskForm):
    """The second step of signing in, and the first code that turns two-step sign-in on."""

    code = _code_field()


class TwoStepOffForm(FlaskForm):
    """Turning two-step sign-in off takes the password and a code: a borrowed session cannot."""

    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), at_most(200)],
        render_kw={"autocomplete": "current-password"},
    )
    code = _code_field()
