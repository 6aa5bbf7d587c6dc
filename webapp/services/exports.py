"""The responses of one questionnaire version as the rows of a spreadsheet. Reads only.

Who: the responses of the participants ``access.caseload_query`` gives the actor (a lead their
municipality's, a counsellor their own participants'; administrators nobody's). Which: one
version of a questionnaire the actor's municipality can use (its own or a national template),
narrowed by a :class:`ExportFilter`.

Columns, always in this order (docs/counsellor.md, *Exports*, shows an example):

1. Fixed columns about the response: ``response``, ``participant_id``, ``participant``,
   ``language``, ``programme``, ``state`` (caseload.PROGRESS), ``version``, ``started_at``,
   ``saved_at``, ``submitted_at`` (times in UTC, ISO 8601).
2. One column per question, in the order the questionnaire shows them (its sections' items,
   one after the other; a group's questions in the group's order), not the order of the
   schema's properties (the order the questions were created in). The flattening rule:

   - a question with one answer (text, number, scale, date, choice, yes/no, country,
     language) is one column named by its id;
   - a question with several choices (multichoice) is one column too: the chosen options in
     the order the questionnaire lists them, joined with ``"; "``;
   - a repeat group is one column per item and child question, ``<group>.<n>.<child>`` with
     n = 1 … the largest number of items any exported response has (a response with fewer
     leaves the rest empty); a group inside a group repeats the rule
     (``<group>.<n>.<child>.<m>.<grandchild>``).

Values are *codes* (what is stored: option values, ``true``/``false``, ISO dates, country and
language codes) or *labels* in a chosen language (option texts through the questionnaire's
fallback chain, Yes/No, country and language names; numbers stay numbers and dates stay ISO
dates so that a spreadsheet can sort them). With labels the headers are the question texts
(``<group> <n>: <child>`` inside a repeat group). A question without an answer is empty.

Memory stays constant: responses are read in batches (``yield_per``), once to count the items
of repeat groups and once to write the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    Participant,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    StaffUser,
)
from ..questionnaires.definition import Definition, Question
from ..questionnaires.names import country_names, language_names
from . import audit
from .caseload import PROGRESS, progress_state

#: Response states an export can be narrowed to (a response is never "not started").
STATES = PROGRESS[1:]
VALUES = ("codes", "labels")
FORMATS = ("csv", "xlsx")
FIXED = (
    "response", "participant_id", "participant", "language", "programme", "state", "version",
    "started_at", "saved_at", "submitted_at",
)  # fmt: skip
#: How many responses are read from the database at a time.
BATCH = 200
#: What joins the chosen options of a multichoice question in one cell.
CHOICE_SEPARATOR = "; "


class ExportError(ValueError):
    """An export that cannot be made; ``code`` says why: ``empty`` (the filter matches no
    response), ``dates`` (the period ends before it starts)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ExportFilter:
    """Which responses of the version: every field left empty means "any"."""

    version_id: int
    state: str = ""  # one of STATES
    programme: str = ""  # one of PROGRAMMES, or "none" (not recorded)
    language: str = ""  # the participant's language
    saved_from: date | None = None  # last saved on or after this day (municipality's time)
    saved_to: date | None = None  # … and on or before this day

    def __post_init__(self) -> None:
        if self.saved_from and self.saved_to and self.saved_to < self.saved_from:
            raise ExportError("dates")

    def audit_details(self) -> dict[str, Any]:
        """Return the filter as JSON-ready data for the audit log."""
        return {
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in asdict(self).items()
        }


@dataclass(frozen=True)
class Labels:
    """The texts a labelled export needs, already in its language (the view translates them:
    services do not know the request's locale)."""

    lang: str
    headers: Mapping[str, str]  # fixed column -> header
    programmes: Mapping[str, str]  # programme code -> name
    states: Mapping[str, str]  # state -> name
    yes: str
    no: str
    item: Callable[[str, int, str], str]  # (group title, n, child title) -> header


@dataclass(frozen=True)
class Column:
    """One question column: where its answer is in a response's answers."""

    key: str  # "jobs.2.occupation"
    path: tuple[str | int, ...]  # ("jobs", 1, "occupation")
    question: Question
    header: str  # in the chosen language, or the key


def exportable_versions(actor: StaffUser) -> list[QuestionnaireVersion]:
    """Return the versions the actor may export from: their municipality's questionnaires and
    the national templates, newest questionnaire first, each version newest first."""
    return list(
        db.session.scalars(
            sa.select(QuestionnaireVersion)
            .join(Questionnaire)
            .where(
                sa.or_(
                    Questionnaire.municipality_id.is_(None),
                    Questionnaire.municipality_id == actor.municipality_id,
                )
            )
            .order_by(Questionnaire.slug, QuestionnaireVersion.number.desc())
        )
    )


def _scope(participants: sa.Select, tz: ZoneInfo, chosen: ExportFilter) -> sa.Select:
    """Return the WHERE clauses of the export as a select of Response (with its participant)."""
    query = (
        sa.select(Response, Participant)
        .join(Participant, Response.participant_id == Participant.id)
        .where(
            Response.version_id == chosen.version_id,
            Participant.id.in_(participants.with_only_columns(Participant.id)),
        )
    )
    if chosen.state:
        query = query.where(progress_state() == chosen.state)
    if chosen.programme == "none":
        query = query.where(Participant.programme.is_(None))
    elif chosen.programme:
        query = query.where(Participant.programme == chosen.programme)
    if chosen.language:
        query = query.where(Participant.language == chosen.language)
    if chosen.saved_from:
        query = query.where(Response.updated_at >= datetime.combine(chosen.saved_from, time(), tz))
    if chosen.saved_to:
        end = datetime.combine(chosen.saved_to + timedelta(days=1), time(), tz)
        query = query.where(Response.updated_at < end)
    return query


def count(participants: sa.Select, tz: ZoneInfo, chosen: ExportFilter) -> int:
    """Return how many responses the filter matches among ``participants``."""
    query = _scope(participants, tz, chosen).with_only_columns(sa.func.count(Response.id))
    return db.session.scalar(query.order_by(None)) or 0


def _item_counts(question: Question, value: Any, found: dict[tuple, int], prefix: tuple) -> None:
    """Record the most items seen of each repeat group (nested ones under their item)."""
    if question.widget != "group" or not isinstance(value, list):
        return
    key = (*prefix, question.id)
    found[key] = max(found.get(key, 0), len(value))
    for item in value:
        if isinstance(item, dict):
            for child in question.children:
                # Nested groups count across every item: their columns are the same for each.
                _item_counts(child, item.get(child.id), found, (*key, "*"))


def _columns(
    definition: Definition, counts: Mapping[tuple, int], labels: Labels | None
) -> list[Column]:
    def title(question: Question) -> str:
        if labels is None:
            return question.id
        return definition.text(question.title_pointer, labels.lang) or question.id

    def expand(question: Question, path: tuple, key: str, header: str, shape: tuple):
        if question.widget != "group":
            yield Column(key, path, question, header)
            return
        group_shape = (*shape, question.id)
        for n in range(1, counts.get(group_shape, 0) + 1):
            for child in question.children:
                child_header = (
                    f"{key}.{n}.{child.id}"
                    if labels is None
                    else labels.item(header, n, title(child))
                )
                yield from expand(
                    child,
                    (*path, n - 1, child.id),
                    f"{key}.{n}.{child.id}",
                    child_header,
                    (*group_shape, "*"),
                )

    columns: list[Column] = []
    for question in shown_order(definition):
        columns += expand(question, (question.id,), question.id, title(question), ())
    return columns


def shown_order(definition: Definition) -> list[Question]:
    """Return the top-level questions in the order the questionnaire shows them: section by
    section, each section's items in turn (texts between questions left out). A checked
    document places every question in exactly one section; any other is put last."""
    ordered: dict[str, Question] = {}
    for section in definition.sections:
        for item in section.items:
            question = definition.questions.get(item)
            if question is not None:
                ordered.setdefault(item, question)
    for qid, question in definition.questions.items():
        ordered.setdefault(qid, question)
    return list(ordered.values())


def _dig(answers: Any, path: tuple[str | int, ...]) -> Any:
    value = answers
    for step in path:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and step < len(value) else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


class _Cells:
    """Turn stored answers into cell values: codes, or labels in one language."""

    def __init__(self, definition: Definition, labels: Labels | None) -> None:
        self.definition, self.labels = definition, labels
        if labels is not None:
            self.countries = dict(country_names(labels.lang))
            self.languages = dict(language_names(labels.lang))
        self.options: dict[str, dict[str, str]] = {}

    def _option_labels(self, question: Question) -> dict[str, str]:
        if question.pointer not in self.options:
            self.options[question.pointer] = {
                repr(o.value): self.definition.text(o.pointer, self.labels.lang) or str(o.value)
                for o in question.options
            }
        return self.options[question.pointer]

    def value(self, question: Question, value: Any) -> str | int | float | None:
        if value is None or value == "" or value == []:
            return None
        widget = question.widget
        if widget == "multichoice":
            chosen = value if isinstance(value, list) else [value]
            order = [o.value for o in question.options]
            chosen = sorted(chosen, key=lambda v: order.index(v) if v in order else len(order))
            if self.labels is not None:
                names = self._option_labels(question)
                chosen = [names.get(repr(v), str(v)) for v in chosen]
            return CHOICE_SEPARATOR.join(str(v) for v in chosen)
        if isinstance(value, bool):
            if self.labels is None:
                return "true" if value else "false"
            return self.labels.yes if value else self.labels.no
        if self.labels is not None:
            if widget == "choice":
                return self._option_labels(question).get(repr(value), str(value))
            if widget == "country":
                return self.countries.get(value, str(value))
            if widget == "language":
                return self.languages.get(value, str(value))
        if isinstance(value, int | float):
            return value
        return str(value)


def _when(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


@dataclass
class Table:
    """The export, ready to be written: a header row and rows made on demand."""

    header: list[str]
    rows: Callable[[], Iterator[list[Any]]]
    count: int


def table(
    participants: sa.Select,
    tz: ZoneInfo,
    chosen: ExportFilter,
    labels: Labels | None,
) -> Table:
    """Return the export of the responses ``chosen`` picks among ``participants``.

    Raises ``ExportError("empty")`` when the filter matches nothing: there is no empty file.
    """
    matched = count(participants, tz, chosen)
    if not matched:
        raise ExportError("empty")
    version = db.session.get(QuestionnaireVersion, chosen.version_id)
    definition = version.definition
    query = _scope(participants, tz, chosen)
    counts: dict[tuple, int] = {}
    answers_only = query.with_only_columns(Response.answers).order_by(None)
    for (answers,) in db.session.execute(answers_only.execution_options(yield_per=BATCH)):
        for question in definition.questions.values():
            _item_counts(question, (answers or {}).get(question.id), counts, ())
    columns = _columns(definition, counts, labels)
    cells = _Cells(definition, labels)
    if labels is None:
        header = [*FIXED, *(c.key for c in columns)]
    else:
        header = [*(labels.headers[k] for k in FIXED), *(c.header for c in columns)]
    ordered = query.add_columns(progress_state()).order_by(Participant.id, Response.created_at)

    def rows() -> Iterator[list[Any]]:
        result = db.session.execute(ordered.execution_options(yield_per=BATCH))
        for response, person, state in result:
            programme = person.programme or ""
            if labels is not None:
                programme = labels.programmes.get(programme, programme)
                state = labels.states.get(state, state)
            fixed = [
                response.id, person.id, person.display_name, person.language, programme, state,
                version.number, _when(response.created_at), _when(response.updated_at),
                _when(response.submitted_at),
            ]  # fmt: skip
            answers = response.answers or {}
            yield fixed + [cells.value(c.question, _dig(answers, c.path)) for c in columns]

    return Table(header, rows, matched)


def record(
    actor: StaffUser,
    participants: sa.Select,
    tz: ZoneInfo,
    chosen: ExportFilter,
    fmt: str,
    values: str,
    lang: str,
) -> None:
    """Write the export to the audit log with its filter (never the answers), and a read for
    each participant whose answers it holds, so that each of them sees it among who read
    their answers (services/reads.py).

    The counsellor's own forms about participants (audience "counsellor") are the exception:
    a read of one of those is recorded but not listed to the participant, who does not see
    these forms. So their export records a read of each response in the file
    (``response.in_export``), like opening the response, which the participant's list leaves
    out; a read of the participant would have been listed to them.
    """
    details = {**chosen.audit_details(), "format": fmt, "values": values}
    if values == "labels":
        details["lang"] = lang
    audit.record(actor, "responses.export", f"version:{chosen.version_id}", details=details)
    included = _scope(participants, tz, chosen)
    version = db.session.get(QuestionnaireVersion, chosen.version_id)
    if version.questionnaire.audience == "participant":
        action, column, label = "participant.in_export", Participant.id, "participant"
    else:
        action, column, label = "response.in_export", Response.id, "response"
    ids = db.session.scalars(
        included.with_only_columns(column)
        .distinct()
        .order_by(column)
        .execution_options(yield_per=audit.BATCH)
    )
    audit.record_many(
        actor, action, (f"{label}:{id_}" for id_ in ids), details={"version_id": chosen.version_id}
    )
