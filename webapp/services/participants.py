"""A participant's programme status, and which counsellor follows them.

The programme form carries the state it was opened on (``seen``, form_state.py).
"""

from __future__ import annotations

from datetime import date

from ..models import PROGRAMMES, Participant, StaffUser
from . import audit, notifications
from .form_state import hold, state_of


class ParticipantError(ValueError):
    """A change that cannot be made; ``code`` says why (the view words it): programme,
    not_lead, counsellor, or stale (the form was opened before someone else's change)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def programme_state(participant: Participant) -> str:
    """The ``seen`` of the programme form: the values it shows."""
    return state_of(
        participant.programme,
        participant.programme_start,
        participant.mapping_completed_on,
        participant.guidance_completed_on,
    )


def set_programme(
    actor: StaffUser,
    participant: Participant,
    programme: str | None,
    start: date | None,
    mapping_completed: date | None,
    guidance_completed: date | None,
    seen: str | None = None,
) -> None:
    """Record the participant's programme, its start, and when the mapping and the career
    guidance were completed.

    ``seen`` is the ``programme_state`` the form was opened on; when given and no longer the
    participant's (someone saved the programme since), nothing is changed (``stale``): an
    older page would put back the dates it showed, e.g. empty the mapping's completion date
    that the 90-day deadline reads.
    """
    if programme is not None and programme not in PROGRAMMES:
        raise ParticipantError("programme")
    hold(participant, Participant.programme)
    if seen is not None and seen != programme_state(participant):
        raise ParticipantError("stale")
    participant.programme = programme
    participant.programme_start = start
    participant.mapping_completed_on = mapping_completed
    participant.guidance_completed_on = guidance_completed
    audit.record(actor, "participant.programme", f"participant:{participant.id}")


def reassign(actor: StaffUser, participant: Participant, counsellor: StaffUser | None) -> None:
    """Give the participant another counsellor of the same municipality (leads only).

    Raises ParticipantError, changing nothing, for anyone but the municipality's lead and for
    a counsellor who is not an active counsellor of the participant's municipality.
    """
    if not (actor.is_lead and actor.municipality_id == participant.municipality_id):
        raise ParticipantError("not_lead")
    if (
        counsellor is None
        or not counsellor.is_counsellor
        or not counsellor.active
        or counsellor.municipality_id != participant.municipality_id
    ):
        raise ParticipantError("counsellor")
    if counsellor.id == participant.counsellor_id:
        return
    notifications.hand_over(participant, participant.counsellor, counsellor)
    participant.counsellor = counsellor
    audit.record(
        actor, "participant.reassign", f"participant:{participant.id}:staff:{counsellor.id}"
    )
