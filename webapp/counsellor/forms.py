"""Counsellor forms."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Form,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)

from ..form_fields import TextBoxField, at_most
from ..i18n import lazy_gettext as _l
from ..rendering.widgets import Select
from ..services.caseload import PAGE_SIZES

REVIEW_LABELS = {
    "new": _l("New"),
    "in_review": _l("In review"),
    "follow_up": _l("Follow-up needed"),
    "completed": _l("Completed"),
}

PROGRAMME_LABELS = {
    "integration_act": _l("Introduction programme (Integration Act)"),
    "introduction_act": _l("Introduction programme (Introduction Act, before 2021)"),
    "other": _l("Another qualification path"),
}


def row_id(value) -> int:
    """Coerce a submitted id. A number no row can have (beyond PostgreSQL's integer) is not an
    id: the database driver would fail on it."""
    number = int(value)
    if not 0 < number < 2**31:
        raise ValueError(value)
    return number


class ListedChoiceField(SelectField):
    """A select whose refusal of a value that is not listed says what to do."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None  # not even of the right kind: "not listed", or "required"

    def pre_validate(self, form) -> None:
        if self.data is None and any(isinstance(v, DataRequired) for v in self.validators):
            return  # DataRequired says what is missing
        if self.data not in {choice[0] for choice in self.iter_choices()}:
            raise ValidationError(str(_l("Choose one of the listed options.")))


class ParticipantForm(FlaskForm):
    display_name = StringField(
        _l("Name or pseudonym"),
        validators=[DataRequired(_l("Please write a name or a pseudonym.")), at_most(120)],
        description=_l("What you and the participant call them. No e-mail or ID number needed."),
    )
    language = ListedChoiceField(_l("Preferred language"))
    counsellor_id = ListedChoiceField(_l("Counsellor"), coerce=row_id)


class ReviewForm(FlaskForm):
    """A review: status, internal note, follow-up message, and the state it was opened on.

    ``seen`` is services/reviews.py ``review_state`` as the page showed it; the service
    refuses a review made on an outdated page (a missing or unknown ``seen`` is outdated too).
    """

    seen = HiddenField()
    status = SelectField(
        _l("Status"), choices=[SelectChoice(key, label) for key, label in REVIEW_LABELS.items()]
    )
    note = TextBoxField(
        _l("Internal note"),
        validators=[at_most(10000)],
        description=_l("Only counsellors see this note. The participant does not."),
    )
    message = TextBoxField(
        _l("Message to the participant"),
        validators=[at_most(2000)],
        description=_l(
            "With “Follow-up needed”: the answers open for changes again, and the participant "
            "sees this message in the app."
        ),
    )


class PlanDateField(DateField):
    """A date field whose refusal of a badly written date says what to write, and which takes
    only dates a programme can have (a year like 9999 is a typing slip, and no page can count
    days from it)."""

    EARLIEST = date(1900, 1, 1)
    LATEST = date(2099, 12, 31)

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(
                str(_l("Please write the date as year-month-day, for example 2027-03-31."))
            ) from error

    def post_validate(self, form, validation_stopped: bool) -> None:
        if self.data is not None and not self.EARLIEST <= self.data <= self.LATEST:
            self.errors.append(str(_l("Please write a date between the years 1900 and 2099.")))


class ProgrammeForm(FlaskForm):
    """The participant's programme and its dates, and the state the form was opened on.

    ``seen`` is services/participants.py ``programme_state`` as the page showed it; the
    service refuses a save from a page opened before someone else's change to these values.
    """

    seen = HiddenField()
    programme = SelectField(
        _l("Programme"),
        choices=[
            SelectChoice("", _l("Not recorded")),
            *(SelectChoice(key, label) for key, label in PROGRAMME_LABELS.items()),
        ],
    )
    programme_start = PlanDateField(_l("Start date"), validators=[Optional()])
    mapping_completed_on = PlanDateField(
        _l("Competence mapping completed"), validators=[Optional()]
    )
    guidance_completed_on = PlanDateField(_l("Career guidance completed"), validators=[Optional()])


class ReassignForm(FlaskForm):
    #: Any id is accepted here; the service refuses a counsellor of another municipality.
    counsellor_id = SelectField(_l("Counsellor"), coerce=row_id, validate_choice=False)


PROGRESS_LABELS = {
    "not_started": _l("Not started"),
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "in_review": _l("In review"),
    "follow_up": _l("Follow-up needed"),
    "completed": _l("Completed"),
}
SORT_LABELS = {
    "name": _l("Name"),
    "last_sync": _l("Last sync, newest first"),
    "start": _l("Programme start, earliest first"),
}


class CaseloadForm(Form):
    """Search, filters, order and page of the caseload (a GET form: no CSRF token)."""

    q = SearchField(_l("Search by name"), validators=[Optional(), at_most(120)])
    state = SelectField(
        _l("State"),
        choices=[
            SelectChoice("", _l("Any")),
            SelectChoice("not_started", _l("Nothing started")),
            *(SelectChoice(k, v) for k, v in PROGRESS_LABELS.items() if k != "not_started"),
            SelectChoice("overdue", _l("Overdue")),
        ],
        validate_choice=False,
        widget=Select(),
    )
    language = SelectField(_l("Language"), validate_choice=False, widget=Select())
    programme = SelectField(
        _l("Programme"),
        choices=[
            SelectChoice("", _l("Any")),
            *(SelectChoice(k, v) for k, v in PROGRAMME_LABELS.items()),
            SelectChoice("none", _l("Not recorded")),
        ],
        validate_choice=False,
        widget=Select(),
    )
    sort = SelectField(
        _l("Sort by"), choices=[SelectChoice(k, v) for k, v in SORT_LABELS.items()],
        validate_choice=False,
        widget=Select(),
    )  # fmt: skip
    per_page = SelectField(
        _l("Rows per page"),
        choices=[SelectChoice(str(n), str(n)) for n in PAGE_SIZES],
        validate_choice=False,
        widget=Select(),
    )
    page = IntegerField(validators=[Optional()])


class CommentForm(FlaskForm):
    """A note between staff or a message to the participant (limits: services/comments.py)."""

    kind = RadioField(
        _l("Who is it for?"),
        choices=[
            SelectChoice("note", _l("Internal note: only staff see it")),
            SelectChoice("message", _l("Message to the participant: shown in their app")),
        ],
        default="note",
    )
    body = TextBoxField(_l("Text"))


class EditCommentForm(FlaskForm):
    body = TextBoxField(_l("Text"))


class RevisionsForm(Form):
    """Two revisions of a response to compare (a GET form)."""

    first = ListedChoiceField(_l("From"), coerce=row_id)
    second = ListedChoiceField(_l("To"), coerce=row_id)


class ProgressForm(Form):
    """Two responses of the participant to compare (a GET form). Any id is accepted here:
    services/progress.py says why two cannot be compared, in words the counsellor can act on."""

    first = SelectField(_l("From"), validate_choice=False)
    second = SelectField(_l("To"), validate_choice=False)


class ShareForm(FlaskForm):
    """Share one suggested resource with the participant (limit: services/sharing.py)."""

    resource_id = IntegerField(validators=[DataRequired(), NumberRange(1, 2**31 - 1)])
    note = TextBoxField(
        _l("Personal note (optional)"),
        description=_l("At most 500 characters. The participant sees it with the link."),
    )


RESPONSIBLE_LABELS = {
    "participant": _l("The participant"),
    "counsellor": _l("The counsellor"),
    "other": _l("Someone else"),
}
STEP_STATUS_LABELS = {
    "planned": _l("Planned"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "cancelled": _l("Cancelled"),
}


class StepForm(FlaskForm):
    """One step of the follow-up plan (limits: services/plan.py)."""

    goal = StringField(
        _l("Goal"), validators=[DataRequired(_l("Please write the goal.")), at_most(300)]
    )
    action = TextBoxField(_l("What to do"), validators=[at_most(1000)])
    responsible = SelectField(
        _l("Who is responsible"),
        choices=[SelectChoice(k, label) for k, label in RESPONSIBLE_LABELS.items()],
    )
    due_on = PlanDateField(_l("Due date"), validators=[Optional()])
    status = SelectField(
        _l("Status"), choices=[SelectChoice(k, label) for k, label in STEP_STATUS_LABELS.items()]
    )
    shown_to_participant = BooleanField(_l("The participant sees this step"), default=True)


class EditStepForm(StepForm):
    """A step of the plan changed, with ``seen``: services/plan.py ``step_state`` as the page
    showed it (a save from a page opened before someone else's change is refused)."""

    seen = HiddenField()


class GuidanceOfferForm(FlaskForm):
    """``seen`` is services/plan.py ``guidance_offer_state`` as the page showed it."""

    seen = HiddenField()
    guidance_offered_on = PlanDateField(
        _l("Career guidance conversation offered on"), validators=[Optional()]
    )
    guidance_centre = StringField(_l("At which career centre"), validators=[at_most(200)])


class ResolveForm(FlaskForm):
    """Settle one sync conflict: which of its two values to keep, on the revision seen.

    ``keep`` is checked by the service (services/revisions.py ``resolve_conflict``), which
    answers a value that is not one of the two with its own clear message; "neither" closes a
    conflict neither of whose values fits the response's version (services/conflicts.py
    ``close``).
    """

    question = StringField(validators=[DataRequired(), at_most(200)])
    revision = IntegerField(validators=[InputRequired()])
    keep = StringField(validators=[Optional(), at_most(20)])


class ListedRadioField(RadioField):
    """Radio buttons whose refusal of a value that is not listed says what to do."""

    def pre_validate(self, form) -> None:
        if self.data not in {choice[0] for choice in self.iter_choices()}:
            raise ValidationError(str(_l("Choose one of the listed options.")))


class ExportForm(Form):
    """Which responses to export, and how (a GET form: no CSRF token; nothing is changed)."""

    version = ListedChoiceField(
        _l("Questionnaire version"),
        coerce=int,
        validators=[DataRequired(_l("Choose the questionnaire version to export."))],
    )
    state = ListedChoiceField(
        _l("State"),
        choices=[
            SelectChoice("", _l("Any")),
            *(SelectChoice(k, v) for k, v in PROGRESS_LABELS.items() if k != "not_started"),
        ],
        default="",
    )
    programme = ListedChoiceField(
        _l("Programme"),
        choices=[
            SelectChoice("", _l("Any")),
            *(SelectChoice(k, v) for k, v in PROGRAMME_LABELS.items()),
            SelectChoice("none", _l("Not recorded")),
        ],
        default="",
    )
    language = ListedChoiceField(_l("The participant's language"), default="")
    saved_from = PlanDateField(_l("Last saved on or after"), validators=[Optional()])
    saved_to = PlanDateField(_l("Last saved on or before"), validators=[Optional()])
    values = ListedRadioField(
        _l("Answers as"),
        choices=[
            SelectChoice("labels", _l("Texts in the language chosen below")),
            SelectChoice("codes", _l("Codes (the stored values, the same in every language)")),
        ],
        default="labels",
    )
    label_language = ListedChoiceField(_l("Language of the texts"))
    format = ListedRadioField(
        _l("File"),
        choices=[
            SelectChoice("xlsx", _l("Excel workbook (XLSX)")),
            SelectChoice("csv", _l("CSV (UTF-8)")),
        ],
        default="xlsx",
    )
