"""A municipality's overview in numbers, for its lead and its administrator. Reads only.

Aggregates only, never a person: every chart is a set of counts, and a count of 1 to 4 is
suppressed (*fewer than 5*). A suppressed count must not be recoverable by subtracting the
shown counts from the chart's total, which a reader can learn elsewhere (another chart of the
same people, or the caseload). So :func:`suppress` assumes the total is known and keeps
suppressing the smallest shown count (*hidden*, known only to be 5 or more) until no hidden
or suppressed count is the only value the total leaves possible; when that cannot be reached,
the whole chart is withheld. Zero is shown: it singles nobody out.

The charts: participants by where their competence mapping stands, the mapping and career
guidance deadlines (services/deadlines.py), and from each participant's newest submitted
mapping their Norwegian level (``norwegian_level``), whether they want help to have their
education recognised (``recognition_wanted``) and their most important goal for the next year
(``short_term_goal_kind``); and the responses submitted per week, over twelve weeks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    OverviewFigures,
    Participant,
    Questionnaire,
    QuestionnaireVersion,
    Response,
)
from ..models.types import utcnow
from . import deadlines
from .caseload import OPEN, PROGRESS, progress_state

#: The smallest group a chart shows as a number.
MINIMUM = 5
#: The questionnaire of the competence mapping, and the municipalities' copies of it.
MAPPING_SLUG = "kartlegging"
#: The mapping's questions the overview counts.
NORWEGIAN_LEVEL, RECOGNITION, GOAL = "norwegian_level", "recognition_wanted", "short_term_goal_kind"
DEADLINE_STATES = ("done", "done_late", "overdue", "open", "no_deadline")
WEEKS = 12
#: How long counted figures are shown before they are counted again (figures).
MAX_AGE = timedelta(minutes=10)


@dataclass(frozen=True)
class Cell:
    """One count as the chart may show it."""

    key: str
    count: int | None  # None: not shown
    #: None (shown), "small" (1 to 4), "hidden" (5 or more, hidden to protect a small count)
    suppressed: str | None = None


@dataclass(frozen=True)
class Chart:
    name: str
    cells: list[Cell]
    #: Option texts of a question's chart, keyed like the cells (other charts: the view's).
    labels: dict[str, str]
    #: Everything hidden: no arrangement of the counts keeps a small group safe.
    withheld: bool = False

    @property
    def largest(self) -> int:
        return max((c.count or 0 for c in self.cells), default=0)


def _bounds(cell_count: int, kind: str, total: int) -> tuple[int, int]:
    if kind == "small":
        return 1, MINIMUM - 1
    if kind == "hidden":
        return MINIMUM, total
    return cell_count, cell_count


def _determined(counts: dict[str, int], kinds: dict[str, str | None]) -> bool:
    """Return whether a reader who knows the total can work out a suppressed count."""
    total = sum(counts.values())
    hidden = [k for k, kind in kinds.items() if kind]
    if not hidden:
        return False
    bounds = {k: _bounds(counts[k], kinds[k] or "", total) for k in counts}
    rest = total - sum(counts[k] for k in counts if not kinds[k])
    for key in hidden:
        others_low = sum(bounds[k][0] for k in hidden if k != key)
        others_high = sum(bounds[k][1] for k in hidden if k != key)
        low = max(bounds[key][0], rest - others_high)
        high = min(bounds[key][1], rest - others_low)
        if low >= high:
            return True
    return False


def suppress(counts: dict[str, int]) -> tuple[list[Cell], bool]:
    """Return the cells in ``counts`` order and whether the whole chart must be withheld."""
    kinds: dict[str, str | None] = {
        k: "small" if 0 < n < MINIMUM else None for k, n in counts.items()
    }
    withheld = False
    while _determined(counts, kinds):
        shown = [k for k, kind in kinds.items() if not kind and counts[k] > 0]
        if not shown:
            withheld = True
            break
        kinds[min(shown, key=lambda k: counts[k])] = "hidden"
    if withheld:
        return [Cell(k, None, "hidden") for k in counts], True
    cells = [Cell(k, None if kinds[k] else n, kinds[k]) for k, n in counts.items()]
    return cells, False


def _chart(name: str, counts: dict[str, int], labels: dict[str, str] | None = None) -> Chart:
    cells, withheld = suppress(counts)
    return Chart(name, cells, labels or {}, withheld)


def _participants(municipality_id: int) -> list[sa.Row]:
    """The columns of each participant that the deadlines are worked out from (rows, not
    objects: deadlines.step reads them by name)."""
    return list(
        db.session.execute(
            sa.select(
                Participant.id,
                Participant.programme,
                Participant.programme_start,
                Participant.mapping_completed_on,
                Participant.guidance_completed_on,
            ).where(Participant.municipality_id == municipality_id)
        )
    )


def mapping_questionnaire_ids() -> sa.Select:
    """Return a query for the ids of the competence mapping and the municipalities' copies."""
    original = sa.select(Questionnaire.id).where(Questionnaire.slug == MAPPING_SLUG)
    return sa.select(Questionnaire.id).where(
        sa.or_(Questionnaire.slug == MAPPING_SLUG, Questionnaire.copied_from_id.in_(original))
    )


def _newest(
    municipality_id: int, *where: sa.ColumnElement[bool], by=None, first=None
) -> sa.Subquery:
    """The id of each participant's newest mapping response among those ``where`` selects
    (newest by ``by``, else by when it was started; those ``first`` selects before all the
    others, when given), numbered in SQL."""
    by = by if by is not None else Response.created_at
    order = (by.desc(), Response.id.desc())
    if first is not None:
        order = (sa.case((first, 0), else_=1), *order)
    ranked = (
        sa.select(
            Response.id,
            sa.func.row_number()
            .over(partition_by=Response.participant_id, order_by=order)
            .label("rank"),
        )
        .join(Participant, Response.participant_id == Participant.id)
        .join(QuestionnaireVersion, Response.version_id == QuestionnaireVersion.id)
        .where(
            Participant.municipality_id == municipality_id,
            QuestionnaireVersion.questionnaire_id.in_(mapping_questionnaire_ids()),
            *where,
        )
        .subquery()
    )
    return sa.select(ranked.c.id).where(ranked.c.rank == 1).subquery()


def _count_by(value: sa.ColumnElement, responses: sa.Subquery) -> Counter:
    """Count the responses whose ids ``responses`` selects by ``value``, in the database."""
    return Counter(
        dict(
            db.session.execute(
                sa.select(value, sa.func.count())
                .select_from(Response)
                .join(responses, responses.c.id == Response.id)
                .group_by(value)
            ).all()
        )
    )


def _mapping_states(municipality_id: int, people: int) -> dict[str, int]:
    """Count participants by the progress of their newest mapping still open (sent, and its
    review not finished: caseload.OPEN), else of their newest mapping ("not_started" if none).
    A mapping started again must not hide one sent before it that waits for the counsellor:
    the caseload shows both, and finds the participant under either state."""
    counts = _count_by(progress_state(), _newest(municipality_id, first=progress_state().in_(OPEN)))
    counts["not_started"] = people - sum(counts.values())
    return {state: counts[state] for state in PROGRESS}


def _deadline_states(participants: list[sa.Row], name: str, today: date) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for person in participants:
        if deadlines.due_date(person, name) is None:
            counts["no_deadline"] += 1
        else:
            counts[deadlines.step(person, name, today).state] += 1
    return {state: counts[state] for state in DEADLINE_STATES}


def _newest_answers(municipality_id: int, questions: tuple[str, ...]) -> dict[str, Counter]:
    """Count, per question, the answer in each participant's newest submitted mapping that
    answers it (in SQL: one query per question, whatever the number of participants)."""
    counts: dict[str, Counter] = {}
    for question in questions:
        value = Response.answers[question].as_string()
        newest = _newest(
            municipality_id,
            Response.status == "submitted",
            value.is_not(None),
            value != "",
            by=Response.submitted_at,
        )
        counts[question] = _count_by(value, newest)
    return counts


def _option_counts(
    version: QuestionnaireVersion | None, question: str, found: Counter, lang: str
) -> tuple[dict[str, int], dict[str, str]]:
    """Return the counts of every option of ``question`` (in the questionnaire's order, then
    answers it no longer lists) and the option texts in ``lang``."""
    labels: dict[str, str] = {}
    if version is not None and question in version.definition.questions:
        definition = version.definition
        for option in definition.questions[question].options:
            labels[str(option.value)] = definition.text(option.pointer, lang) or str(option.value)
    keys = [*labels, *sorted(k for k in found if k not in labels)]
    return {k: found[k] for k in keys}, labels


def _weekly(municipality_id: int, today: date, tz: ZoneInfo) -> dict[str, int]:
    """Count the responses submitted in each of the last WEEKS weeks (Monday to Sunday)."""
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=WEEKS - 1)
    submitted = db.session.scalars(
        sa.select(Response.submitted_at)
        .join(Participant, Response.participant_id == Participant.id)
        .where(
            Participant.municipality_id == municipality_id,
            Response.submitted_at >= datetime.combine(first, time(), tz),
        )
    )
    weeks = [first + timedelta(weeks=n) for n in range(WEEKS)]
    counts: Counter[date] = Counter()
    for when in submitted:
        day = when.astimezone(tz).date()
        counts[day - timedelta(days=day.weekday())] += 1
    return {week.isoformat(): counts[week] for week in weeks}


def _mapping_version() -> QuestionnaireVersion | None:
    questionnaire = db.session.scalar(
        sa.select(Questionnaire).where(Questionnaire.slug == MAPPING_SLUG)
    )
    return questionnaire.latest if questionnaire is not None else None


def count(municipality_id: int, today: date, tz: ZoneInfo) -> dict[str, Any]:
    """Count everything the charts show, unsuppressed (reads the whole municipality)."""
    participants = _participants(municipality_id)
    found = _newest_answers(municipality_id, (NORWEGIAN_LEVEL, RECOGNITION, GOAL))
    return {
        "states": _mapping_states(municipality_id, len(participants)),
        "mapping_deadline": _deadline_states(participants, "mapping", today),
        "guidance_deadline": _deadline_states(participants, "guidance", today),
        "answers": {question: dict(counter) for question, counter in found.items()},
        "weeks": _weekly(municipality_id, today, tz),
    }


def kept(
    municipality_id: int, today: date, now: datetime | None = None
) -> tuple[OverviewFigures | None, bool]:
    """Return the municipality's counts as kept, if they were counted today, and whether they
    are still fresh (counted less than MAX_AGE ago). Counts of another day are not returned:
    the deadline charts depend on the day."""
    now = now or utcnow()
    found = db.session.get(OverviewFigures, municipality_id)
    if found is None or found.day != today:
        return None, False
    return found, now - MAX_AGE < found.counted_at <= now


def figures(
    municipality_id: int, today: date, tz: ZoneInfo, now: datetime | None = None
) -> OverviewFigures:
    """Return the municipality's counts, counted again when older than MAX_AGE or of another
    day. Every app server shares them (a row per municipality), so the page stays as quick
    at 100,000 participants as at 1,000, and shows when they were counted."""
    now = now or utcnow()
    found, fresh = kept(municipality_id, today, now)
    if found is not None and fresh:
        return found
    kept_row = db.session.get(OverviewFigures, municipality_id)
    counted = count(municipality_id, today, tz)
    if kept_row is None:
        kept_row = OverviewFigures(municipality_id=municipality_id)
        db.session.add(kept_row)
    kept_row.counted_at, kept_row.day, kept_row.figures = now, today, counted
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # another server stored its count first: show ours
        db.session.rollback()
        return OverviewFigures(
            municipality_id=municipality_id, counted_at=now, day=today, figures=counted
        )
    return kept_row


def charts_of(counted: dict[str, Any], lang: str) -> list[Chart]:
    """Return the charts of counts from ``count``, in ``lang``, suppressed where small."""
    version = _mapping_version()
    answers = {
        q: Counter(counted["answers"].get(q, {})) for q in (NORWEGIAN_LEVEL, RECOGNITION, GOAL)
    }
    level, level_labels = _option_counts(version, NORWEGIAN_LEVEL, answers[NORWEGIAN_LEVEL], lang)
    wanted, wanted_labels = _option_counts(version, RECOGNITION, answers[RECOGNITION], lang)
    goals, goal_labels = _option_counts(version, GOAL, answers[GOAL], lang)
    goals = dict(sorted(goals.items(), key=lambda item: -item[1]))  # most common first
    return [
        _chart("states", counted["states"]),
        _chart("mapping_deadline", counted["mapping_deadline"]),
        _chart("guidance_deadline", counted["guidance_deadline"]),
        _chart("norwegian_level", level, level_labels),
        _chart("recognition", wanted, wanted_labels),
        _chart("goals", goals, goal_labels),
        _chart("weeks", counted["weeks"]),
    ]


def charts(municipality_id: int, today: date, tz: ZoneInfo, lang: str) -> list[Chart]:
    """Return the overview's charts for one municipality, suppressed where small."""
    return charts_of(figures(municipality_id, today, tz).figures, lang)
