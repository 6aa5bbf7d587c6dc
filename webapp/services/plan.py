"""The follow-up plan: a participant's next steps, and the career guidance offer.

A step is open while planned or in progress; an open step past its due date is overdue, and
the caseload shows it (deadlines.py holds that rule beside the programme deadlines).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    OPEN_STEP_STATUSES,
    RESPONSIBLE,
    STEP_STATUSES,
    NextStep,
    Participant,
    StaffUser,
)
from ..models.types import utcnow
from . import audit, notifications
from .form_state import hold, state_of

GOAL_MAX = 300
ACTION_MAX = 1000
CENTRE_MAX = 200


class PlanError(ValueError):
    """A step that cannot be stored; ``code`` says why: goal, goal_too_long, action_too_long,
    responsible, status, centre_too_long, or stale (the form was opened before someone
    else's change)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class StepInput:
    goal: str
    action: str
    responsible: str
    due_on: date | None
    status: str
    shown_to_participant: bool


def _checked(values: StepInput) -> StepInput:
    goal, action = values.goal.strip(), values.action.strip()
    if not goal:
        raise PlanError("goal")
    if len(goal) > GOAL_MAX:
        raise PlanError("goal_too_long")
    if len(action) > ACTION_MAX:
        raise PlanError("action_too_long")
    if values.responsible not in RESPONSIBLE:
        raise PlanError("responsible")
    if values.status not in STEP_STATUSES:
        raise PlanError("status")
    return StepInput(
        goal, action, values.responsible, values.due_on, values.status,
        values.shown_to_participant,
    )  # fmt: skip


def _apply(step: NextStep, values: StepInput) -> None:
    step.goal, step.action = values.goal, values.action
    step.responsible, step.due_on, step.status = values.responsible, values.due_on, values.status
    step.shown_to_participant = values.shown_to_participant
    step.updated_at = utcnow()


def add_step(counsellor: StaffUser, participant: Participant, values: StepInput) -> NextStep:
    """Add a step to the plan of a participant the caller has looked up through access.py."""
    values = _checked(values)
    step = NextStep(participant_id=participant.id, created_by_id=counsellor.id)
    _apply(step, values)
    db.session.add(step)
    db.session.flush()
    audit.record(counsellor, "plan.add", f"participant:{participant.id}:step:{step.id}")
    return step


def step_state(step: NextStep) -> str:
    """The ``seen`` of a step's form: the values it shows."""
    return state_of(
        step.goal, step.action, step.responsible, step.due_on, step.status,
        step.shown_to_participant,
    )  # fmt: skip


def update_step(
    counsellor: StaffUser, step: NextStep, values: StepInput, seen: str | None = None
) -> None:
    """Change a step. ``seen`` is the ``step_state`` its form was opened on; when given and no
    longer the step's (someone changed it since), nothing is changed (``stale``): the older
    page would put back every value it showed, e.g. a step marked done back to planned."""
    values = _checked(values)
    hold(step, NextStep.updated_at)
    if seen is not None and seen != step_state(step):
        raise PlanError("stale")
    _apply(step, values)
    audit.record(counsellor, "plan.update", f"participant:{step.participant_id}:step:{step.id}")


def step_of(participant: Participant, step_id: int) -> NextStep | None:
    """Return one step of this participant's plan (None for any other participant's)."""
    return db.session.scalar(
        sa.select(NextStep).where(NextStep.id == step_id, NextStep.participant_id == participant.id)
    )


def steps_of(participant: Participant, *, for_participant: bool = False) -> list[NextStep]:
    """Return the plan, by due date (undated last); for the participant, only what they see."""
    query = sa.select(NextStep).where(NextStep.participant_id == participant.id)
    if for_participant:
        query = query.where(NextStep.shown_to_participant.is_(True), NextStep.status != "cancelled")
    return list(
        db.session.scalars(query.order_by(sa.nulls_last(NextStep.due_on.asc()), NextStep.id))
    )


def guidance_offer_state(participant: Participant) -> str:
    """The ``seen`` of the guidance offer's form: the values it shows."""
    return state_of(participant.guidance_offered_on, participant.guidance_centre or "")


def set_guidance_offer(
    counsellor: StaffUser,
    participant: Participant,
    offered_on: date | None,
    centre: str,
    seen: str | None = None,
) -> None:
    """Record when a career guidance conversation was offered, and at which career centre.

    ``seen`` is the ``guidance_offer_state`` the form was opened on; when given and no longer
    the participant's, nothing is changed (``stale``)."""
    centre = centre.strip()
    if len(centre) > CENTRE_MAX:
        raise PlanError("centre_too_long")
    hold(participant, Participant.guidance_centre)
    if seen is not None and seen != guidance_offer_state(participant):
        raise PlanError("stale")
    participant.guidance_offered_on = offered_on
    participant.guidance_centre = centre or None
    audit.record(counsellor, "plan.guidance_offer", f"participant:{participant.id}")


#: Steps that fell due longer ago than this are not announced any more (e.g. when this
#: started: the caseload shows them as overdue to the counsellor anyway).
DUE_NOTICE_DAYS = 7


def notify_due_steps(now: datetime, limit: int = 100) -> int:
    """Tell participants about their open steps that are due (today, or in the last days):
    once per step and due date, never in the quiet hours. The notifications and the marks
    go into the caller's transaction; on PostgreSQL, workers running at once skip each
    other's steps. Return how many were announced."""
    if notifications.quiet(now):
        return 0
    today = now.astimezone(notifications.NORWAY).date()
    query = (
        sa.select(NextStep)
        .join(Participant, Participant.id == NextStep.participant_id)
        .where(
            # Someone who left the programme is not told about its steps any more.
            Participant.left_programme_at.is_(None),
            NextStep.shown_to_participant.is_(True),
            NextStep.status.in_(OPEN_STEP_STATUSES),
            NextStep.due_on <= today,
            NextStep.due_on >= today - timedelta(days=DUE_NOTICE_DAYS),
            (NextStep.due_notified_on.is_(None)) | (NextStep.due_notified_on != NextStep.due_on),
        )
        .order_by(NextStep.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=NextStep, skip_locked=True)
    steps = db.session.scalars(query).all()
    for step in steps:
        notifications.notify(db.session.get(Participant, step.participant_id), "next_step_due")
        step.due_notified_on = step.due_on
    return len(steps)
