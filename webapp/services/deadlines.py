"""When the competence mapping and the career guidance are due: the one rule, in one place.

Under the Integration Act (integreringsloven), a participant in the introduction programme
has their competence mapped and is offered career guidance before the programme's content is
decided. Løype counts that as due :data:`MAPPING_DAYS` and :data:`GUIDANCE_DAYS` days after
the programme started (``Participant.programme_start``). The rule applies to the introduction
programme under the Integration Act only; for the older Introduction Act and other paths the
caseload says whether each step is done, without a deadline. docs/counsellor.md explains it
to counsellors; change the numbers here and both the caseload and its filter follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from ..models import OPEN_STEP_STATUSES, NextStep, Participant

#: Programmes the deadlines apply to.
WITH_DEADLINES = ("integration_act",)
MAPPING_DAYS = 90
GUIDANCE_DAYS = 90
#: Steps, with the participant's column that records when each was completed.
STEPS = {"mapping": ("mapping_completed_on", MAPPING_DAYS),
         "guidance": ("guidance_completed_on", GUIDANCE_DAYS)}  # fmt: skip


@dataclass(frozen=True)
class Step:
    """Where one step stands for one participant."""

    name: str  # "mapping" | "guidance"
    #: "done", "done_late", "open" (not done, not yet due, or no deadline), "overdue"
    state: str
    done_on: date | None
    due: date | None

    @property
    def late(self) -> bool:
        return self.state in ("overdue", "done_late")


def due_date(participant: Participant, step: str) -> date | None:
    """Return when ``step`` is due for the participant, or None without a deadline."""
    if participant.programme not in WITH_DEADLINES or participant.programme_start is None:
        return None
    try:
        return participant.programme_start + timedelta(days=STEPS[step][1])
    except OverflowError:  # a start near year 9999, stored before the form refused it
        return date.max


def step(participant: Participant, name: str, today: date) -> Step:
    """Return where step ``name`` stands for the participant on ``today``."""
    done_on = getattr(participant, STEPS[name][0])
    due = due_date(participant, name)
    if done_on is not None:
        state = "done_late" if due is not None and done_on > due else "done"
    else:
        state = "overdue" if due is not None and today > due else "open"
    return Step(name, state, done_on, due)


def steps(participant: Participant, today: date) -> list[Step]:
    return [step(participant, name, today) for name in STEPS]


def overdue_clause(today: date) -> sa.ColumnElement[bool]:
    """Return a WHERE clause for participants with a step past due on ``today`` (the SQL
    twin of :func:`step`'s "overdue"; tests/test_caseload.py checks that they agree)."""
    late = [
        sa.and_(
            getattr(Participant, column).is_(None),
            Participant.programme_start < today - timedelta(days=days),
        )
        for column, days in STEPS.values()
    ]
    return sa.and_(Participant.programme.in_(WITH_DEADLINES), sa.or_(*late))


def next_step_overdue(step: NextStep, today: date) -> bool:
    """Return whether a step of the follow-up plan is open and past its due date."""
    return step.status in OPEN_STEP_STATUSES and step.due_on is not None and step.due_on < today


def overdue_steps_count(today: date) -> sa.ScalarSelect:
    """Return, per participant (correlated), how many plan steps are overdue on ``today``
    (the SQL twin of :func:`next_step_overdue`)."""
    return (
        sa.select(sa.func.count(NextStep.id))
        .where(
            NextStep.participant_id == Participant.id,
            NextStep.status.in_(OPEN_STEP_STATUSES),
            NextStep.due_on < today,
        )
        .correlate(Participant)
        .scalar_subquery()
    )


def any_overdue_clause(today: date) -> sa.ColumnElement[bool]:
    """Return a WHERE clause for participants with a programme step or a plan step overdue."""
    return sa.or_(overdue_clause(today), overdue_steps_count(today) > 0)
