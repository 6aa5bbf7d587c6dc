"""Answers beside their question texts, for the participant's summary and counsellor review."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

from ..i18n import date_filter
from ..questionnaires import Definition, visible_questions
from ..questionnaires.conditions import is_empty
from ..questionnaires.definition import Question
from ..questionnaires.names import country_names, language_names


@dataclass
class Text:
    """A text with the language it is written in (it may be a fallback)."""

    value: str
    lang: str


@dataclass
class AnswerRow:
    question: Question
    title: Text
    answer: list[str] = field(default_factory=list)
    items: list[list[AnswerRow]] = field(default_factory=list)
    answered: bool = True
    #: The question in a second language (the participant's, beside the counsellor's).
    title2: Text | None = None
    #: The language a free-text answer was written in, when known.
    written_in: str | None = None
    #: Skipped: the answers so far hide this question, so the participant never saw it.
    hidden: bool = False


@dataclass
class SectionRows:
    index: int
    title: Text
    rows: list[AnswerRow]
    title2: Text | None = None

    @property
    def answered(self) -> list[AnswerRow]:
        return [row for row in self.rows if row.answered]

    @property
    def unanswered(self) -> list[AnswerRow]:
        """Questions shown to the participant and left empty, then skipped ones (if asked)."""
        return [row for row in self.rows if not row.answered]


def _text(definition: Definition, pointer: str, lang: str) -> Text:
    found = definition.text_with_language(pointer, lang)
    return Text(*found) if found else Text("", lang)


def format_value(definition: Definition, question: Question, value: Any, lang: str) -> list[str]:
    """Return the answer as lines of text in ``lang``."""
    widget = question.widget
    if widget in ("choice", "multichoice"):
        values = value if isinstance(value, list) else [value]
        labels = {repr(o.value): definition.text(o.pointer, lang) for o in question.options}
        return [labels.get(repr(v)) or str(v) for v in values]
    if widget == "yesno":
        return [_("Yes") if value else _("No")]
    if widget == "country":
        return [dict(country_names(lang)).get(value, str(value))]
    if widget == "language":
        return [dict(language_names(lang)).get(value, str(value))]
    if widget == "date":
        try:
            return [date_filter(date.fromisoformat(value), "short")]
        except (TypeError, ValueError):
            return [str(value)]
    if widget in ("number", "scale"):
        text = format_decimal(value) if isinstance(value, int | float) else str(value)
        if widget == "scale":
            high = question.schema.get("maximum")
            return [_("%(value)s of %(high)s", value=text, high=high)]
        return [text]
    return [str(value)]


def _row(
    definition: Definition,
    question: Question,
    value: Any,
    lang: str,
    second: str | None,
    languages: dict[str, str],
    path: str,
) -> AnswerRow:
    row = AnswerRow(question, _text(definition, question.title_pointer, lang))
    if second:
        row.title2 = _text(definition, question.title_pointer, second)
    if is_empty(value):
        row.answered = False
    elif question.widget == "group":
        row.items = [
            [
                _row(definition, child, item.get(child.id), lang, second, languages,
                     f"{path}/{index}/{child.id}")
                for child in question.children
            ]
            for index, item in enumerate(value)
            if isinstance(item, dict)
        ]  # fmt: skip
    else:
        row.answer = format_value(definition, question, value, lang)
        row.written_in = languages.get(path)
    return row


def answer_sections(
    definition: Definition,
    answers: dict[str, Any],
    lang: str,
    second: str | None = None,
    text_languages: dict[str, str] | None = None,
    include_hidden: bool = False,
) -> list[SectionRows]:
    """Return every shown question with its answer, section by section.

    ``second`` adds each text in a second language (a counsellor reading beside the
    participant's language); ``text_languages`` says what each free-text answer was written in.
    ``include_hidden`` adds the questions the answers hide (skipped), marked as such.
    """
    visible = visible_questions(definition, answers)
    second = second if second and second != lang else None
    sections = []
    for section in definition.sections:
        rows = []
        for qid in section.items:
            question = definition.questions.get(qid)
            if question is None:
                continue  # a text between questions, not a question
            if qid in visible:
                rows.append(_row(definition, question, answers.get(qid), lang, second,
                                 text_languages or {}, f"/{qid}"))  # fmt: skip
            elif include_hidden:
                row = _row(definition, question, None, lang, second, {}, f"/{qid}")
                row.hidden = True
                rows.append(row)
        if rows:
            title = section.pointer + "/title"
            sections.append(
                SectionRows(
                    section.index,
                    _text(definition, title, lang),
                    rows,
                    _text(definition, title, second) if second else None,
                )
            )
    return sections


@dataclass
class ConflictRow:
    """One question two writers changed differently: both answers, who gave each, when."""

    index: int
    question: str
    title: Text
    kept: list[str]
    other: list[str]
    kept_by: Any  # services.conflicts.Writer
    other_by: Any
    revision: int
    resolved: dict[str, Any] | None = None
    settled_by: str | None = None
    #: Neither answer fits the response's version now: the conflict can only be closed.
    closable: bool = False


def _lines(definition: Definition, question: Question | None, value: Any, lang: str) -> list[str]:
    if is_empty(value):
        return [_("Not answered")]
    if question is None:
        return [str(value)]
    if question.widget == "group":
        return [
            "; ".join(
                f"{definition.text(c.title_pointer, lang)}: "
                + ", ".join(format_value(definition, c, item[c.id], lang))
                for c in question.children
                if isinstance(item, dict) and not is_empty(item.get(c.id))
            )
            for item in value
        ]
    return format_value(definition, question, value, lang)


def _wording(
    definition: Definition, definitions: Mapping[int, Definition] | None, version_id: int | None
) -> Definition:
    """The definition whose texts word answers given on ``version_id`` (the response's own,
    ``definition``, when that version is not known)."""
    if version_id is None or not definitions:
        return definition
    return definitions.get(version_id, definition)


def conflict_rows(
    definition: Definition,
    described: list,
    lang: str,
    definitions: Mapping[int, Definition] | None = None,
) -> list[ConflictRow]:
    """Return the recorded conflicts (services.conflicts.describe) worded for the reader, each
    with the texts of the version its two answers were given on (``definitions``, by version
    id; ``definition``, the response's version now, when that one is not among them): a
    question or an option a newer version removed is still worded as the participant saw it."""
    rows = []
    for conflict in described:
        given_on = _wording(definition, definitions, getattr(conflict, "version_id", None))
        question = given_on.questions.get(conflict.question)
        if question is None and given_on is not definition:
            given_on, question = definition, definition.questions.get(conflict.question)
        title = (
            _text(given_on, question.title_pointer, lang)
            if question
            else Text(conflict.question, lang)
        )
        rows.append(
            ConflictRow(
                conflict.index,
                conflict.question,
                title,
                _lines(given_on, question, conflict.kept, lang),
                _lines(given_on, question, conflict.other, lang),
                conflict.kept_by,
                conflict.other_by,
                conflict.kept_by.revision or 0,
                conflict.resolved,
                conflict.settled_by,
                getattr(conflict, "closable", False),
            )
        )
    return rows


@dataclass
class ChangeRow:
    """One question whose answer differs between two revisions."""

    title: Text
    before: list[str]
    after: list[str]


def revision_changes(
    definition: Definition,
    before,
    after,
    lang: str,
    definitions: Mapping[int, Definition] | None = None,
) -> list[ChangeRow]:
    """Return the questions whose answers differ between two revisions, in questionnaire
    order and worded in ``lang``; a change of status (draft, sent) comes first.

    Each revision's answers are worded with the texts of the version they were given on
    (``definitions``, by version id; ``definition`` when a revision's version is not among
    them): across a move to a newer version, a question only one of the two versions has is
    listed too, the other side saying it is not in that version."""
    rows = []
    if before.status != after.status:
        status = {"draft": _("Not sent yet"), "submitted": _("Sent")}
        rows.append(
            ChangeRow(Text(_("Status"), lang), [status[before.status]], [status[after.status]])
        )
    old_def = _wording(definition, definitions, getattr(before, "version_id", None))
    new_def = _wording(definition, definitions, getattr(after, "version_id", None))
    order = [*new_def.questions, *(q for q in old_def.questions if q not in new_def.questions)]
    absent = [_("Not in this version of the questionnaire")]
    for qid in order:
        old_q, new_q = old_def.questions.get(qid), new_def.questions.get(qid)
        old = before.answers.get(qid) if old_q is not None else None
        new = after.answers.get(qid) if new_q is not None else None
        if old_q is not None and new_q is not None:
            if old == new or (is_empty(old) and is_empty(new)):
                continue
        elif is_empty(old) and is_empty(new):
            continue  # in one version only, and not answered there
        title_def, title_q = (new_def, new_q) if new_q is not None else (old_def, old_q)
        rows.append(
            ChangeRow(
                _text(title_def, title_q.title_pointer, lang),
                _lines(old_def, old_q, old, lang) if old_q is not None else absent,
                _lines(new_def, new_q, new, lang) if new_q is not None else absent,
            )
        )
    return rows


@dataclass
class ProgressRow:
    """One question of two responses to the same questionnaire, months apart."""

    question: str
    title: Text
    before: list[str]
    after: list[str]
    changed: bool
    #: "before" or "after" when the question is only in that response's version.
    only: str | None = None


def progress_rows(before, after, lang: str) -> list[ProgressRow]:
    """Return the questions of two responses (possibly on different versions), matched by id,
    in the newer version's order with questions only in the older one after; worded in
    ``lang`` with the texts of the version each answer was given in. Questions answered in
    neither are left out."""
    old_def, new_def = before.version.definition, after.version.definition
    order = [*new_def.questions, *(q for q in old_def.questions if q not in new_def.questions)]
    rows = []
    for qid in order:
        old_q, new_q = old_def.questions.get(qid), new_def.questions.get(qid)
        old, new = before.answers.get(qid), after.answers.get(qid)
        if is_empty(old) and is_empty(new):
            continue
        title_def, title_q = (new_def, new_q) if new_q is not None else (old_def, old_q)
        rows.append(
            ProgressRow(
                qid,
                _text(title_def, title_q.title_pointer, lang),
                _lines(old_def, old_q, old, lang) if old_q is not None else [],
                _lines(new_def, new_q, new, lang) if new_q is not None else [],
                changed=old != new,
                only="after" if old_q is None else "before" if new_q is None else None,
            )
        )
    return rows


@dataclass
class LeftBehindRow:
    """An answer that did not fit when a draft moved to a newer version: it stays in the
    revision on the old version."""

    title: Text
    answer: list[str]
    moved_from: int
    moved_to: int


def left_behind_rows(
    definition: Definition, answers: dict[str, Any], move: dict[str, Any], lang: str
) -> list[LeftBehindRow]:
    """Return the answers one move left behind, worded with the old version's texts."""
    rows = []
    for qid in move.get("left_behind") or []:
        question = definition.questions.get(qid)
        title = _text(definition, question.title_pointer, lang) if question else Text(qid, lang)
        rows.append(
            LeftBehindRow(
                title, _lines(definition, question, answers.get(qid), lang),
                move.get("from", 0), move.get("to", 0),
            )
        )  # fmt: skip
    return rows
