"""Two responses of one participant to the same questionnaire, months apart: their progress.

Reads only. A participant may answer a questionnaire again (a new mapping after months in the
programme); the counsellor compares two of those responses question by question. Two
responses are comparable when they answer the same questionnaire, in any of its versions; the
competence mapping and the municipalities' copies of it count as one questionnaire, since a
copy keeps the question ids. Questions are matched by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Participant, QuestionnaireVersion, Response
from .overview import mapping_questionnaire_ids

#: The mapping's questions that show progress, shown first: goals, Norwegian level,
#: recognition of education, digital skills (ids in forms/kartlegging.json).
KEY_QUESTIONS = (
    "short_term_goal_kind", "short_term_goal", "long_term_goal_kind", "long_term_goal",
    "desired_occupation", "desired_education",
    "norwegian_level", "norwegian_confidence", "norwegian_tests", "norwegian_training_need",
    "recognition_applied", "recognition_wanted",
    "digital_phone", "digital_email", "digital_bankid", "digital_forms", "digital_office",
    "digital_training_need",
)  # fmt: skip
MAPPING = "mapping"  # the family key of the competence mapping and its copies


class ProgressError(Exception):
    """Two responses that cannot be compared; ``code`` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code  # "same" | "unknown" | "participant" | "questionnaire"


@dataclass
class Family:
    """A participant's responses to one questionnaire (all its versions), oldest first."""

    key: str
    responses: list[Response] = field(default_factory=list)

    @property
    def is_mapping(self) -> bool:
        return self.key == MAPPING


def _family_key(response: Response, mapping_ids: set[int]) -> str:
    questionnaire_id = response.version.questionnaire_id
    return MAPPING if questionnaire_id in mapping_ids else str(questionnaire_id)


def _mapping_ids() -> set[int]:
    return set(db.session.scalars(mapping_questionnaire_ids()))


def families(participant: Participant) -> list[Family]:
    """Return the questionnaires the participant answered at least twice, the mapping first.

    A fixed number of queries, however many responses there are.
    """
    mapping_ids = _mapping_ids()
    found: dict[str, Family] = {}
    for response in db.session.scalars(
        sa.select(Response)
        .options(joinedload(Response.version).joinedload(QuestionnaireVersion.questionnaire))
        .where(Response.participant_id == participant.id)
        .order_by(Response.created_at, Response.id)
    ):
        key = _family_key(response, mapping_ids)
        found.setdefault(key, Family(key)).responses.append(response)
    comparable = [f for f in found.values() if len(f.responses) > 1]
    return sorted(comparable, key=lambda f: not f.is_mapping)


def answered_twice(responses: list[Response]) -> bool:
    """Say whether two of these responses (one participant's, versions loaded) compare."""
    mapping_ids = _mapping_ids()
    keys = [_family_key(r, mapping_ids) for r in responses]
    return len(set(keys)) < len(keys)


def default_pair(found: list[Family]) -> tuple[Response, Response] | None:
    """Return the oldest and the newest response of the first family (the mapping's)."""
    if not found:
        return None
    return found[0].responses[0], found[0].responses[-1]


def pair(
    participant: Participant, readable: sa.Select, first_id: str, second_id: str
) -> tuple[Response, Response, bool]:
    """Return the two responses to compare and whether they are mappings.

    ``readable`` is a query for the participants the reader may see (access.caseload_query):
    a response of anyone else is unknown to them. Raises :class:`ProgressError`.
    """
    ids = [first_id, second_id]
    if any(len(i) != 36 for i in ids):
        raise ProgressError("unknown")
    if first_id == second_id:
        raise ProgressError("same")
    found = {
        r.id: r
        for r in db.session.scalars(
            sa.select(Response)
            .options(joinedload(Response.version))
            .where(
                Response.id.in_(ids),
                Response.participant_id.in_(readable.with_only_columns(Participant.id)),
            )
        )
    }
    if len(found) != 2:
        raise ProgressError("unknown")
    first, second = found[first_id], found[second_id]
    if first.participant_id != participant.id or second.participant_id != participant.id:
        raise ProgressError("participant")
    mapping_ids = _mapping_ids()
    key = _family_key(first, mapping_ids)
    if key != _family_key(second, mapping_ids):
        raise ProgressError("questionnaire")
    return first, second, key == MAPPING
