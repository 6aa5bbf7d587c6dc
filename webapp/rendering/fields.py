"""Build WTForms fields from questions, and turn posted form data into answers.

One adapter per widget name (the same names as ``webapp.questionnaires.types``): it makes the
field, fills it from a stored answer, and reads an answer back from what was posted. Values
are checked afterwards by the questionnaire core, so every rule lives in one place.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..digits import MOST_DIGITS, small_int
from ..questionnaires import AnswerError, Definition, Section
from ..questionnaires.definition import Question
from ..questionnaires.names import country_names, language_names
from ..questionnaires.types import option_token
from ..questionnaires.validate import MAX_ANSWER_TEXT, normalize
from .widgets import Select

NOT_A_NUMBER = object()
TOO_MANY_DIGITS = object()
_SCALE_VALUE = re.compile(r"-?[0-9]{1,9}")  # a scale step, as the radio buttons send it


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):  # the questionnaire core checks the values
        pass


class OptionalRadioField(RadioField):
    def pre_validate(self, form):
        pass


class OptionalSelectField(SelectField):
    widget = Select()  # a country list has about 250 options

    def pre_validate(self, form):
        pass


@dataclass(frozen=True)
class FieldContext:
    definition: Definition
    lang: str

    def text(self, pointer: str | None) -> str:
        return self.definition.text(pointer, self.lang) or ""


def _options(question: Question, ctx: FieldContext) -> list[SelectChoice]:
    return [SelectChoice(option_token(o.value), ctx.text(o.pointer)) for o in question.options]


def _kwargs(question: Question, ctx: FieldContext) -> dict[str, Any]:
    render_kw: dict[str, Any] = {}
    placeholder = ctx.text(question.ui_text_pointer("placeholder"))
    if placeholder:
        render_kw["placeholder"] = placeholder
    return {
        "label": ctx.text(question.title_pointer),
        "description": ctx.text(question.ui_text_pointer("help")),
        "render_kw": render_kw,
    }


def _string(cls: type) -> Callable[[Question, FieldContext], Any]:
    def make(question: Question, ctx: FieldContext):
        kwargs = _kwargs(question, ctx)
        max_length = question.schema.get("maxLength") or MAX_ANSWER_TEXT
        kwargs["render_kw"]["maxlength"] = min(max_length, MAX_ANSWER_TEXT)
        return cls(**kwargs)

    return make


def _number(question: Question, ctx: FieldContext):
    kwargs = _kwargs(question, ctx)
    is_integer = question.schema.get("type") == "integer"
    kwargs["render_kw"]["inputmode"] = "numeric" if is_integer else "decimal"
    return StringField(**kwargs)


def _date(question: Question, ctx: FieldContext):
    kwargs = _kwargs(question, ctx)
    kwargs["render_kw"]["type"] = "date"
    return StringField(**kwargs)


#: More options than this make a single choice a drop-down: easier on a small screen.
MOST_RADIO_BUTTONS = 8


def _choice(question: Question, ctx: FieldContext):
    options = _options(question, ctx)
    if len(options) > MOST_RADIO_BUTTONS:
        return OptionalSelectField(
            choices=[SelectChoice("", _("Choose …")), *options], **_kwargs(question, ctx)
        )
    return OptionalRadioField(choices=options, **_kwargs(question, ctx))


def _multichoice(question: Question, ctx: FieldContext):
    return CheckboxListField(choices=_options(question, ctx), **_kwargs(question, ctx))


def _yesno(question: Question, ctx: FieldContext):
    return OptionalRadioField(
        choices=[SelectChoice("true", _("Yes")), SelectChoice("false", _("No"))],
        **_kwargs(question, ctx),
    )


def _scale(question: Question, ctx: FieldContext):
    low, high = question.schema["minimum"], question.schema["maximum"]
    return OptionalRadioField(
        choices=[SelectChoice(str(n)) for n in range(low, high + 1)], **_kwargs(question, ctx)
    )


def _names(source: Callable[[str], tuple[tuple[str, str], ...]]):
    def make(question: Question, ctx: FieldContext):
        choices = [SelectChoice("", _("Choose …"))]
        choices += [SelectChoice(code, name) for code, name in source(ctx.lang)]
        return OptionalSelectField(choices=choices, **_kwargs(question, ctx))

    return make


def _group(question: Question, ctx: FieldContext):
    attrs = {child.id: MAKERS[child.widget](child, ctx) for child in question.children}
    item_form = type(f"{question.id}_item", (Form,), attrs)
    return FieldList(FormField(item_form), min_entries=0, **_kwargs(question, ctx))


MAKERS: dict[str, Callable[[Question, FieldContext], Any]] = {
    "text": _string(StringField),
    "textarea": _string(TextAreaField),
    "number": _number,
    "date": _date,
    "choice": _choice,
    "multichoice": _multichoice,
    "yesno": _yesno,
    "scale": _scale,
    "country": _names(country_names),
    "language": _names(language_names),
    "group": _group,
}


def make_page_form(
    definition: Definition, section: Section, shown: list[str], lang: str
) -> type[FlaskForm]:
    """Return a form class with one field per shown question of ``section``."""
    ctx = FieldContext(definition, lang)
    attrs = {
        qid: MAKERS[definition.questions[qid].widget](definition.questions[qid], ctx)
        for qid in shown
    }
    return type("QuestionnairePageForm", (FlaskForm,), attrs)


# From stored answers to form data -------------------------------------------------------------


def to_form_value(question: Question, value: Any) -> Any:
    if value is None:
        return None
    if question.widget == "group":
        return [
            {c.id: to_form_value(c, item.get(c.id)) for c in question.children}
            for item in value
            if isinstance(item, dict)
        ]
    if question.widget == "multichoice":
        return [option_token(v) for v in value] if isinstance(value, list) else []
    if question.widget in ("choice", "yesno", "scale"):
        return option_token(value)
    return str(value) if not isinstance(value, str) else value


# From posted form data to answers ---------------------------------------------------------------

# A decimal point, a comma or the Arabic decimal separator (U+066B, what an Arabic or Persian
# keyboard types); the phone reads numbers the same way (engine/render.js parseNumber).
_NUMBER = re.compile(r"^[+-]?\d+([.,\u066b]\d+)?$")


def _parse_number(question: Question, raw: str) -> Any:
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if not _NUMBER.match(text):
        return NOT_A_NUMBER
    if len(re.sub(r"\D", "", text).lstrip("0")) > MOST_DIGITS:
        return TOO_MANY_DIGITS
    value = float(text.replace(",", ".").replace("\u066b", "."))
    if not math.isfinite(value):  # hundreds of digits: too large to be an answer
        return NOT_A_NUMBER
    if question.schema.get("type") == "integer":
        return int(value) if value.is_integer() else value  # a fraction fails the schema
    return int(value) if value.is_integer() else value


def _lookup(question: Question, token: Any) -> Any:
    for option in question.options:
        if option_token(option.value) == token:
            return option.value
    return token  # unknown values are reported by the schema check


def group_item(
    question: Question, entry: dict[str, Any], path: str, errors: list[AnswerError]
) -> dict[str, Any]:
    """Return one posted entry of a group as an answer item (blank fields left out)."""
    item = {
        c.id: from_form_value(c, entry.get(c.id), f"{path}/{c.id}", errors)
        for c in question.children
    }
    return {k: v for k, v in item.items() if v not in (None, "", [])}


def from_form_value(question: Question, data: Any, path: str, errors: list[AnswerError]) -> Any:
    """Return the answer for one field's data; conversion problems go to ``errors``."""
    widget = question.widget
    if widget == "group":
        items = (
            group_item(question, entry, f"{path}/{index}", errors)
            for index, entry in enumerate(data or [])
        )
        return [item for item in items if normalize(item)]
    if widget == "multichoice":
        return [_lookup(question, token) for token in data or []]
    if data in (None, ""):
        return None
    if widget == "number":
        value = _parse_number(question, str(data))
        if value is NOT_A_NUMBER:
            errors.append(AnswerError(path, "type", {"expected": "number"}))
            return None
        if value is TOO_MANY_DIGITS:
            errors.append(AnswerError(path, "digits", {"limit": MOST_DIGITS}))
            return None
        return value
    if widget == "choice":
        return _lookup(question, data)
    if widget == "yesno":
        return {"true": True, "false": False}.get(data, data)
    if widget == "scale":
        # Only ASCII digits, and few of them: "²" is a digit to isdigit() but not to int(),
        # and thousands of digits are too many for int() (the schema then refuses the text).
        return int(data) if _SCALE_VALUE.fullmatch(str(data)) else data
    return data


def form_answers(
    form: FlaskForm, definition: Definition, shown: list[str]
) -> tuple[dict[str, Any], list[AnswerError], dict[str, list[int]]]:
    """Return the answers posted in ``form`` for the ``shown`` questions, conversion errors,
    and for each group the posted entry index of each answer item (blank entries are dropped,
    so item 0 of the answer may be entry 1 on the page)."""
    errors: list[AnswerError] = []
    answers: dict[str, Any] = {}
    entries: dict[str, list[int]] = {}
    for qid in shown:
        question = definition.questions[qid]
        if question.widget == "group":
            items = [
                (index, group_item(question, entry, f"/{qid}/{index}", errors))
                for index, entry in enumerate(form[qid].data or [])
            ]
            kept = [(index, item) for index, item in items if normalize(item)]
            answers[qid] = [item for _index, item in kept]
            entries[qid] = [index for index, _item in kept]
        else:
            answers[qid] = from_form_value(question, form[qid].data, f"/{qid}", errors)
    return answers, errors, entries


def entries_on_page(items: Any) -> list[int]:
    """Return, for each item of a group's stored answer, the entry (from 0) a page drawn from
    it shows the item in: ``to_form_value`` leaves out items that are no object."""
    if not isinstance(items, list):
        return []
    # A non-object item gets the number of the entry after it: only a whole item's error
    # (no field of it) can name such an item, and that error stays on the group.
    return [sum(isinstance(item, dict) for item in items[:index]) for index in range(len(items))]


def _option_count(question: Question) -> int:
    """How many options the page draws the question with (0: not a question with options)."""
    if question.widget == "yesno":
        return 2
    if question.widget == "scale":
        return max(0, question.schema["maximum"] - question.schema["minimum"] + 1)
    if question.widget in ("choice", "multichoice"):
        return len(question.options)
    return 0


def control_id(question: Question, field_id: str) -> str:
    """Return the id of the control a link to the field drawn with ``field_id`` leads to.

    A question drawn as a set of options (radio buttons, check boxes) is a fieldset, which
    takes no focus: following a link to it scrolled there and left keyboard and screen reader
    users to look for the options. Such a link leads to the first option (WTForms numbers the
    options <field id>-0, -1, ...), as the GOV.UK Design System's error summary does; a group's
    to the first field of its first entry (a page always draws one).
    """
    if question.widget == "group" and question.children:
        return control_id(question.children[0], f"{field_id}-0-{question.children[0].id}")
    count = _option_count(question)
    if count and not (question.widget == "choice" and count > MOST_RADIO_BUTTONS):
        return f"{field_id}-0"
    return field_id


@dataclass(frozen=True)
class FieldInError:
    """A field an error summary links to: the id of the control the link leads to (see
    ``control_id``), and its question."""

    target: str
    #: The question, or the group whose entry holds the field; None: not in the questionnaire.
    question: Question | None
    #: The field inside a group's entry, and that entry's number as the page shows it (from 1).
    child: Question | None = None
    entry: int | None = None
    path: str = ""


def fields_in_error(form: FlaskForm, definition: Definition) -> list[FieldInError]:
    """Return the fields of a page form holding errors (after ``attach_errors``), in page
    order: a field inside a group's entry itself, so that its link leads to that field."""
    found = []
    for field in form:
        question = definition.questions.get(field.name)
        if question is None:
            continue  # the CSRF token
        if field.errors:
            # A group drawn with no entry (none posted) has no field to lead to but itself.
            empty = isinstance(field, FieldList) and not field.entries
            target = field.id if empty else control_id(question, field.id)
            found.append(FieldInError(target, question))
        if not isinstance(field, FieldList):
            continue
        children = {child.id: child for child in question.children}
        for number, entry in enumerate(field.entries, start=1):
            for sub in entry.form:
                if sub.errors and sub.short_name in children:
                    child = children[sub.short_name]
                    target = control_id(child, sub.id)
                    found.append(FieldInError(target, question, child, number))
    return found


def field_in_error(
    definition: Definition, answers: dict[str, Any], error: AnswerError
) -> FieldInError:
    """Return the field a page drawn from the stored ``answers`` shows ``error`` at."""
    question = definition.questions.get(error.question)
    if question is None:
        return FieldInError(error.path, None, path=error.path)
    parts = error.path.strip("/").split("/")
    if question.widget == "group" and len(parts) >= 3:
        items = answers.get(question.id)
        entries = entries_on_page(items)
        index = small_int(parts[1])
        child = next((c for c in question.children if c.id == parts[2]), None)
        if (
            child is not None
            and index is not None
            and index < len(entries)
            and isinstance(items[index], dict)
        ):
            entry = entries[index]
            # WTForms names a field in a group's entry <group>-<entry>-<field>; the page's
            # ids are these names.
            target = control_id(child, f"{question.id}-{entry}-{child.id}")
            return FieldInError(target, question, child, entry + 1, error.path)
    return FieldInError(control_id(question, question.id), question, path=error.path)


def attach_errors(
    form: FlaskForm,
    errors: list[AnswerError],
    message: Callable,
    entries: dict[str, list[int]] | None = None,
) -> None:
    """Put each error on the field it belongs to, so it shows next to that field.

    ``entries`` maps answer item numbers of groups back to entries on the page.
    """
    for error in errors:
        parts = error.path.strip("/").split("/")
        if not parts or parts[0] not in form:
            continue
        field = form[parts[0]]
        index = small_int(parts[1]) if len(parts) >= 3 else None
        if index is not None and isinstance(field, FieldList):
            posted = (entries or {}).get(parts[0])
            if posted is not None and index < len(posted):
                index = posted[index]
            if index < len(field.entries) and parts[2] in field.entries[index].form:
                sub = field.entries[index].form[parts[2]]
                sub.errors = [*list(sub.errors or []), message(error)]
                continue
        field.errors = [*list(field.errors or []), message(error)]
