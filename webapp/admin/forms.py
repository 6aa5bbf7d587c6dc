"""Administrator forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.validators import DataRequired

from ..form_fields import TextBoxField, at_most
from ..i18n import lazy_gettext as _l
from ..i18n import own_name
from ..services import accounts, resource_editing


class UploadForm(FlaskForm):
    # The questionnaire list has the import form's file field too (posted as "document"
    # as well): each needs an id of its own, or one's label opens the other's file picker.
    document = FileField(
        _l("Questionnaire file (JSON)"),
        validators=[FileRequired(_l("Please choose a file."))],
        description=_l("The file is checked first. Nothing is published if it has problems."),
        id="check-document",
    )
    publish = BooleanField(_l("Publish as a new version if the check passes"))


class AudioForm(FlaskForm):
    questionnaire = SelectField(_l("Questionnaire"))
    question = SelectField(_l("Question"))
    lang = SelectField(_l("Language"))
    clip = FileField(
        _l("Recording"),
        validators=[FileRequired(_l("Please choose a file."))],
        description=_l("MP3, Ogg, WebM, M4A or WAV, at most 2 MB. It replaces an earlier one."),
    )


class OfferForm(FlaskForm):
    offered_to = SelectField(
        _l("Offered to"),
        choices=[
            SelectChoice("none", _l("Nobody yet")),
            SelectChoice("all", _l("Every participant")),
            SelectChoice("assigned", _l("Participants a counsellor assigns it to")),
        ],
    )


class RequireTwoStepForm(FlaskForm):
    required = BooleanField(
        _l("Staff must use two-step sign-in"),
        description=_l(
            "Staff who have not set it up are asked to do so before they can open any other page."
        ),
    )


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _email_shaped(form, field) -> None:
    if not accounts.email_shaped(field.data or ""):
        raise ValidationError(
            _l("Please write a whole e-mail address, for example name@kommune.no.")
        )


class ColleagueForm(FlaskForm):
    """A new colleague of the administrator's municipality: no password, a link instead.

    The view gives ``language`` its choices: the shipped languages.
    """

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please write a name.")), at_most(120)],
        filters=[_stripped],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(_l("Please write a whole e-mail address, for example name@kommune.no.")),
            at_most(254),
            _email_shaped,
        ],
        filters=[_stripped],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("counsellor", _l("Counsellor")),
            SelectChoice("administrator", _l("Administrator")),
        ],
    )
    language = SelectField(_l("Language"))

    #: The administrator's municipality (the view sets it): an address in use elsewhere is
    #: said so, as the administrator cannot find that account in their own list.
    municipality_id: int | None = None

    def validate_email(self, field) -> None:
        holder = accounts.municipality_of_email(field.data)
        if holder is None:
            return
        if self.municipality_id is not None and holder != self.municipality_id:
            raise ValidationError(in_another_municipality())
        raise ValidationError(_l("There is already a staff account with this e-mail address."))


def in_another_municipality():
    """The address belongs to an account the administrator cannot see (one account per
    address in all of Løype: staff sign in with it)."""
    return _l(
        "There is already a staff account with this e-mail address in another municipality. "
        "An address can have only one account: use another address, or ask whoever runs "
        "Løype about that account."
    )


class ResourceForm(FlaskForm):
    """A resource's link, texts per language (bokmål required), tags, region and audience.

    ``resource_form`` adds a title and a description field for each language.
    """

    url = StringField(
        _l("Web address"),
        validators=[DataRequired(_l("Please write the web address."))],
        description=_l("Starts with https:// (or http://)."),
    )
    tags = StringField(
        _l("Tags"),
        description=_l(
            "Separated by commas. Answers whose options carry one of these tags suggest the "
            "resource."
        ),
    )
    region = SelectField(
        _l("Where it applies"),
        choices=[
            SelectChoice("municipality", _l("Only in our municipality")),
            SelectChoice("county", _l("In our county")),
        ],
    )
    audience = SelectField(
        _l("Who it is for"),
        choices=[
            SelectChoice("participant", _l("Participants (counsellors can share it)")),
            SelectChoice("counsellor", _l("Counsellors only")),
        ],
    )
    active = BooleanField(_l("Active: suggested to counsellors"), default=True)

    def validate_url(self, field) -> None:
        problem = resource_editing.url_problem(field.data.strip())
        if problem == "too_long":
            raise ValidationError(_l("The web address is too long (at most 500 characters)."))
        if problem == "characters":
            raise ValidationError(
                _l(
                    "The web address has a space or an invisible character in it. "
                    "Please type it again."
                )
            )
        if problem:
            raise ValidationError(
                _l("Please write a full web address starting with https:// or http://.")
            )

    def validate_tags(self, field) -> None:
        _tags, bad = resource_editing.parse_tags(field.data or "")
        problems = {t: resource_editing.tag_problem(t) for t in bad}
        long = [t for t in bad if problems[t] == "long"]
        if long:
            raise ValidationError(
                _l("A tag can have at most 40 characters: %(tags)s", tags=", ".join(long))
            )
        letters = [t for t in bad if problems[t] == "characters"]
        if letters:
            raise ValidationError(
                _l(
                    "A tag can only have small letters a–z, digits and -, and starts with a "
                    "letter: %(tags)s",
                    tags=", ".join(letters),
                )
            )
        if bad:
            raise ValidationError(
                _l(
                    "A tag cannot have a space. Separate tags with commas, and join the words "
                    "of one tag with a hyphen (-): %(tags)s",
                    tags=", ".join(f"“{t}”" for t in bad),
                )
            )


def resource_form(languages: list[str], **kwargs) -> ResourceForm:
    """Return a ResourceForm with a title and description field for every language."""

    class Form(ResourceForm):
        pass

    for lang in languages:
        required = lang == "nb"
        name = own_name(lang)
        title_checks = [at_most(resource_editing.TITLE_MAX)]
        text_checks = [at_most(resource_editing.DESCRIPTION_MAX)]
        if required:
            title_checks.insert(0, DataRequired(_l("Please write a title in bokmål.")))
            text_checks.insert(0, DataRequired(_l("Please write a description in bokmål.")))
        setattr(
            Form,
            f"title_{lang}",
            StringField(
                _l("Title (%(language)s)", language=name),
                validators=title_checks,
                render_kw={"lang": lang.replace("_", "-"), "dir": "auto"},
            ),
        )
        setattr(
            Form,
            f"description_{lang}",
            TextBoxField(
                _l("Description (%(language)s)", language=name),
                validators=text_checks,
                render_kw={"lang": lang.replace("_", "-"), "dir": "auto", "rows": 3},
            ),
        )
    return Form(**kwargs)
