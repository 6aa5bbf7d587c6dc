"""Sign-in forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, ValidationError
from wtforms.validators import DataRequired, EqualTo

from ..form_fields import at_most
from ..i18n import lazy_gettext as _l
from ..services import accounts


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


def _current_password(label) -> PasswordField:
    """The password of now, asked again before a change a borrowed session must not make."""
    return PasswordField(
        label,
        validators=[DataRequired(_l("Please enter your password.")), at_most(200)],
        render_kw={"autocomplete": "current-password"},
    )


class TwoStepOffForm(FlaskForm):
    """Turning two-step sign-in off takes the password and a code: a borrowed session cannot."""

    password = _current_password(_l("Password"))
    code = _code_field()


def _password_rules(form, field) -> None:
    """Refuse a new password by the rules of ``accounts.password_rule_broken``."""
    broken = accounts.password_rule_broken(field.data or "")
    if broken == "short":
        limit = accounts.MIN_PASSWORD_LENGTH
        raise ValidationError(_l("Please write at least %(limit)s characters.", limit=limit))
    if broken == "long":
        limit = accounts.MAX_PASSWORD_LENGTH
        raise ValidationError(_l("Please write at most %(limit)s characters.", limit=limit))
    if broken == "blank":
        raise ValidationError(_l("Please enter your password."))


def _new_password() -> PasswordField:
    # No length in the browser (minlength): the server's rule says what is wrong, in words.
    return PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Please enter your password.")), _password_rules],
        description=_l(
            "At least %(limit)s characters. A few words in a row are easy to remember and hard "
            "to guess.",
            limit=accounts.MIN_PASSWORD_LENGTH,
        ),
        render_kw={"autocomplete": "new-password"},
    )


def _new_password_again() -> PasswordField:
    return PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Please enter your password.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class SetPasswordForm(FlaskForm):
    """A new password, twice, with a link an administrator made."""

    password = _new_password()
    password_again = _new_password_again()


class ChangePasswordForm(FlaskForm):
    """One's own password changed: the one of now first, so a borrowed session cannot."""

    current_password = _current_password(_l("Current password"))
    password = _new_password()
    password_again = _new_password_again()
