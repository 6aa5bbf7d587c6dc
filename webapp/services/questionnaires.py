"""Whose questionnaires there are, what participants are offered, and importing versions.

Questionnaires belong to a municipality, or to nobody (national templates: the shipped ones).
A municipality's participants are offered the municipality's own published questionnaires
that it offers (to everyone, or to those a counsellor assigned it to). Until a municipality
offers any questionnaire of its own, its participants are offered the national templates, so
an installation keeps working the same way after the upgrade that introduced ownership.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, selectinload

from ..extensions import db
from ..models import (
    OFFERS,
    Municipality,
    Participant,
    QuestionAudio,
    Questionnaire,
    QuestionnaireAssignment,
    QuestionnaireDraft,
    QuestionnaireVersion,
    Response,
    StaffUser,
)
from ..models.types import utcnow
from ..questionnaires import Problem, check_document
from ..questionnaires.definition import content_hash
from ..questionnaires.editing import SLUG_PATTERN, slugify
from ..questionnaires.localize import fallback_chain
from ..questionnaires.published import published_versions
from . import audit, notifications


class OwnershipError(Exception):
    """The slug belongs to a national template or to another municipality."""


@dataclass
class ImportResult:
    slug: str
    version: QuestionnaireVersion
    created: bool


def read_document(path: Path) -> tuple[Any, list[Problem]]:
    """Read a JSON file; return the document and any problem reading or checking it."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem("", f"cannot read file: {exc}")]
    except json.JSONDecodeError as exc:
        return None, [
            Problem("", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
        ]
    return document, check_document(document)


def import_document(
    document: dict[str, Any],
    municipality: Municipality | None = None,
    actor: StaffUser | None = None,
    withheld_languages: list[str] | None = None,
) -> ImportResult:
    """Store a checked document as a new version unless the latest version has its content.

    Without ``municipality`` (the command line) the questionnaire is a national template.
    With one, the slug must be new or the municipality's own: a template or another
    municipality's questionnaire is never changed from here (``OwnershipError``).
    """
    problems = check_document(document)
    if problems:
        raise ValueError(f"document has {len(problems)} problem(s); run `forms check`")
    digest = content_hash(document)
    content = {k: v for k, v in document.items() if k != "version"}
    questionnaire = db.session.scalar(
        sa.select(Questionnaire).where(Questionnaire.slug == document["slug"])
    )
    owner_id = municipality.id if municipality is not None else None
    if questionnaire is None:
        questionnaire = Questionnaire(
            slug=document["slug"], audience=document["audience"], municipality_id=owner_id
        )
        db.session.add(questionnaire)
    elif questionnaire.municipality_id != owner_id:
        raise OwnershipError(document["slug"])
    elif questionnaire.audience != document["audience"]:
        raise ValueError("a questionnaire cannot change its audience; use a new slug")
    latest = questionnaire.latest
    if latest is not None and latest.content_hash == digest:
        return ImportResult(questionnaire.slug, latest, created=False)
    version = QuestionnaireVersion(
        questionnaire=questionnaire,
        number=(latest.number + 1) if latest else 1,
        document=content,
        content_hash=digest,
        withheld_languages=sorted(withheld_languages or []),
    )
    db.session.add(version)
    db.session.flush()
    audit.record(actor, "questionnaire.publish", f"{questionnaire.slug}@{version.number}", owner_id)
    return ImportResult(questionnaire.slug, version, created=True)


def find_version(slug: str, number: int | None = None) -> QuestionnaireVersion | None:
    """Return a version of a questionnaire (the latest when ``number`` is None)."""
    found = db.session.scalars(
        _version_statement(number is not None), {"slug": slug, "number": number}
    )
    return found.first()


@cache
def _version_statement(numbered: bool) -> sa.Select:
    """find_version's query, built once per process (every sync and document request asks)."""
    query = (
        sa.select(QuestionnaireVersion)
        .join(Questionnaire)
        .where(Questionnaire.slug == sa.bindparam("slug"))
        .order_by(QuestionnaireVersion.number.desc())
        # Its questionnaire comes with it, from the join (every caller reads it: one query).
        .options(contains_eager(QuestionnaireVersion.questionnaire))
    )
    if numbered:
        query = query.where(QuestionnaireVersion.number == sa.bindparam("number"))
    return query.limit(1)


# ------------------------------------------------------------------------------ who sees what


def visible_to_admin(admin: StaffUser) -> sa.Select[tuple[Questionnaire]]:
    """Return a query for the questionnaires an administrator sees: own and national ones."""
    if not (admin.is_administrator and admin.active):
        return sa.select(Questionnaire).where(sa.false())
    return (
        sa.select(Questionnaire)
        .where(
            sa.or_(
                Questionnaire.municipality_id == admin.municipality_id,
                Questionnaire.municipality_id.is_(None),
            )
        )
        .order_by(Questionnaire.municipality_id.is_(None), Questionnaire.slug)
    )


def listed_for_admin(admin: StaffUser) -> list[Questionnaire]:
    """Return the questionnaires an administrator sees, each with its versions loaded and its
    latest version's definition at hand: the administration's lists read them all, in a fixed
    number of statements however many questionnaires a municipality has (issue 12; before,
    each questionnaire's versions and latest document were statements of their own)."""
    listed = list(
        db.session.scalars(visible_to_admin(admin).options(selectinload(Questionnaire.versions)))
    )
    load_definitions([q.latest for q in listed if q.latest is not None])
    return listed


def load_definitions(versions: list[QuestionnaireVersion]) -> None:
    """Put each version's definition in this process's cache of published versions, reading
    the documents it does not hold yet in one statement (the document is deferred: read one
    by one, a list of questionnaires sent one statement for each). The cache keeps the 32
    versions used last (questionnaires/published.py): a list of more than that reads the
    documents of those it dropped again, one by one, as before."""
    missing = {
        v.id: v
        for v in versions
        if v.id is not None and not published_versions.holds(v.id, v.content_hash)
    }
    if not missing:
        return
    documents = db.session.execute(
        sa.select(QuestionnaireVersion.id, QuestionnaireVersion.document).where(
            QuestionnaireVersion.id.in_(missing)
        )
    )
    for version_id, document in documents:
        version = missing[version_id]
        published_versions.compiled(version_id, version.content_hash, lambda d=document: d)


def draft_titles(questionnaires: list[Questionnaire]) -> dict[int, str]:
    """Return the draft's title of each questionnaire never published (by id), in one
    statement: those are listed under the title being written."""
    unpublished = [q.id for q in questionnaires if q.latest is None]
    if not unpublished:
        return {}
    rows = db.session.execute(
        sa.select(QuestionnaireDraft.questionnaire_id, QuestionnaireDraft.document).where(
            QuestionnaireDraft.questionnaire_id.in_(unpublished)
        )
    )
    return {
        qid: document["title"]
        for qid, document in rows
        if isinstance(document, dict) and isinstance(document.get("title"), str)
    }


def may_create(admin: StaffUser) -> bool:
    return admin.is_administrator and admin.active


def may_edit(admin: StaffUser, questionnaire: Questionnaire) -> bool:
    """Return whether ``admin`` may change ``questionnaire``: their own, never a template."""
    return (
        admin.is_administrator
        and admin.active
        and questionnaire.municipality_id is not None
        and questionnaire.municipality_id == admin.municipality_id
    )


def _published(audience: str) -> sa.Select[tuple[Questionnaire]]:
    return (
        sa.select(Questionnaire)
        .where(
            Questionnaire.audience == audience,
            Questionnaire.retired_at.is_(None),
            sa.exists().where(QuestionnaireVersion.questionnaire_id == Questionnaire.id),
        )
        .order_by(Questionnaire.slug)
    )


def _own_offered(
    municipality_id: int | sa.BindParameter[int], audience: str
) -> sa.Select[tuple[Questionnaire]]:
    """The municipality's own published questionnaires that it offers to anyone."""
    return _published(audience).where(_offered_by(municipality_id))


def _offered_by(municipality_id: int | sa.BindParameter[int]) -> sa.ColumnElement[bool]:
    """A questionnaire of the municipality's own that it offers to anyone."""
    return sa.and_(
        Questionnaire.municipality_id == municipality_id, Questionnaire.offered_to != "none"
    )


def offers_own(municipality_id: int, audience: str) -> bool:
    """Return whether a municipality offers any published questionnaire of its own."""
    return db.session.scalar(sa.select(_own_offered(municipality_id, audience).exists())) or False


def offered_questionnaires(participant: Participant) -> list[Questionnaire]:
    """Return the questionnaires ``participant`` may start, by slug."""
    return offered_to_each(participant.municipality_id, [participant.id])[participant.id]


def offered_to_each(
    municipality_id: int, participant_ids: list[int], *, with_versions: bool = False
) -> dict[int, list[Questionnaire]]:
    """Return the questionnaires each participant of one municipality may start, by slug.

    A municipality offering questionnaires of its own offers those (to everyone, or to the
    participants they are assigned to); otherwise the national templates. The number of
    queries does not depend on how many participants are asked about (the caseload), nor,
    ``with_versions`` (each questionnaire's versions loaded, for ``latest``: one statement
    for all of them rather than one per questionnaire shown), on how many are offered.
    """
    # One statement: the national templates and what the municipality offers of its own.
    offered = _published("participant").where(
        sa.or_(Questionnaire.municipality_id.is_(None), _offered_by(municipality_id))
    )
    if with_versions:
        offered = offered.options(selectinload(Questionnaire.versions))
    found = list(db.session.scalars(offered))
    own = [q for q in found if q.municipality_id is not None]
    if not own:
        national = [q for q in found if q.municipality_id is None]
        return {pid: list(national) for pid in participant_ids}
    one_by_one = [q.id for q in own if q.offered_to == "assigned"]
    assigned = set()
    if one_by_one and participant_ids:
        assigned = {
            (pid, qid)
            for pid, qid in db.session.execute(
                sa.select(
                    QuestionnaireAssignment.participant_id,
                    QuestionnaireAssignment.questionnaire_id,
                ).where(
                    QuestionnaireAssignment.participant_id.in_(participant_ids),
                    QuestionnaireAssignment.questionnaire_id.in_(one_by_one),
                )
            )
        }
    return {
        pid: [q for q in own if q.offered_to == "all" or (pid, q.id) in assigned]
        for pid in participant_ids
    }


def may_start(participant: Participant, questionnaire: Questionnaire) -> bool:
    """Return whether ``participant`` may start a new response to ``questionnaire``: it is
    offered to them now (their municipality's rules, or the national templates).

    The rules of ``offered_to_each`` asked about one questionnaire, in one query
    (tests/test_api_offering.py holds the two to each other). A phone's sync asks the same
    rule inside its own lookup (``start_rule``).
    """
    values = {
        "questionnaire_id": questionnaire.id,
        "municipality_id": participant.municipality_id,
        "participant_id": participant.id,
    }
    return bool(db.session.scalar(_may_start_statement(), values))


@cache
def _may_start_statement() -> sa.Select:
    """may_start's query, built once per process."""
    return sa.select(start_rule()).where(Questionnaire.id == sa.bindparam("questionnaire_id"))


@cache
def start_rule() -> sa.ColumnElement[bool]:
    """may_start's rules as one SQL condition on the ``questionnaire`` row of the query it is
    put in, for the participant of the bind parameters ``municipality_id`` and
    ``participant_id``: published for participants and, if the municipality offers
    questionnaires of its own, offered to everyone or assigned to this participant; if not,
    a national template. Built once per process.

    Every table the subqueries read besides that row is an alias, so none of them is
    correlated to the enclosing query by accident.
    """
    other, any_version = aliased(Questionnaire), aliased(QuestionnaireVersion)
    other_version = aliased(QuestionnaireVersion)
    municipality = sa.bindparam("municipality_id")
    published = sa.and_(
        Questionnaire.audience == "participant",
        Questionnaire.retired_at.is_(None),
        sa.exists().where(any_version.questionnaire_id == Questionnaire.id),
    )
    own_offered = sa.exists().where(
        other.audience == "participant",
        other.retired_at.is_(None),
        other.municipality_id == municipality,
        other.offered_to != "none",
        sa.exists().where(other_version.questionnaire_id == other.id),
    )
    assigned = sa.exists().where(
        QuestionnaireAssignment.participant_id == sa.bindparam("participant_id"),
        QuestionnaireAssignment.questionnaire_id == Questionnaire.id,
    )
    offered = sa.case(
        # a national template, while the municipality offers nothing of its own
        (Questionnaire.municipality_id.is_(None), ~own_offered),
        (Questionnaire.municipality_id != municipality, sa.false()),
        (Questionnaire.offered_to == "all", sa.true()),
        (Questionnaire.offered_to == "assigned", assigned),
        else_=sa.false(),
    )
    return sa.and_(published, offered)


def participant_questionnaires(participant: Participant) -> list[Questionnaire]:
    """Return what a participant's list shows: what is offered, and whatever they answered."""
    offered = offered_questionnaires(participant)
    answered = db.session.scalars(
        sa.select(Questionnaire)
        .join(QuestionnaireVersion)
        .join(Response)
        .where(Response.participant_id == participant.id, Questionnaire.audience == "participant")
        .distinct()
    ).all()
    chosen = {q.id: q for q in [*offered, *answered]}
    return sorted(chosen.values(), key=lambda q: q.slug)


def participant_language(version: QuestionnaireVersion, lang: str) -> str:
    """Return the language a participant who uses ``lang`` reads ``version`` in.

    A language withheld from the version (published with missing texts) is skipped along the
    fallback chain, ending in the source language, which is never withheld.
    """
    withheld = set(version.withheld_languages or ())
    if lang not in withheld:
        return lang
    # A stored version reads its cached definition; one not stored yet has only its document.
    document = version.document if version.id is None else version.definition.document
    source = document["source_language"]
    for candidate in fallback_chain(lang, source, document.get("fallbacks")):
        if candidate not in withheld:
            return candidate
    return source


def readable_by_participant(participant: Participant, questionnaire: Questionnaire) -> bool:
    """Return whether a participant may fetch the questionnaire's documents."""
    return questionnaire.audience == "participant" and questionnaire.municipality_id in (
        None,
        participant.municipality_id,
    )


def counsellor_questionnaires(counsellor: StaffUser) -> list[Questionnaire]:
    """Return the counsellor-audience questionnaires a counsellor fills in about participants."""
    query = _published("counsellor")
    if offers_own(counsellor.municipality_id, "counsellor"):
        query = query.where(
            Questionnaire.municipality_id == counsellor.municipality_id,
            Questionnaire.offered_to != "none",
        )
    else:
        query = query.where(Questionnaire.municipality_id.is_(None))
    return list(db.session.scalars(query))


def set_offer(admin: StaffUser, questionnaire: Questionnaire, offered_to: str) -> None:
    """Choose who a municipality's questionnaire is offered to."""
    if offered_to not in OFFERS or not may_edit(admin, questionnaire):
        raise ValueError(offered_to)
    if questionnaire.municipality_id is None:
        questionnaire.offered_to = offered_to
    else:
        people = list(
            db.session.scalars(
                sa.select(Participant).where(
                    Participant.municipality_id == questionnaire.municipality_id,
                    Participant.left_programme_at.is_(None),
                )
            )
        )
        with _telling_who_is_newly_offered(questionnaire, people):
            questionnaire.offered_to = offered_to
    audit.record(admin, "questionnaire.offer", f"{questionnaire.slug}:{offered_to}")


@contextlib.contextmanager
def _telling_who_is_newly_offered(
    questionnaire: Questionnaire, people: list[Participant]
) -> Iterator[None]:
    """Notify each of ``people`` who is offered ``questionnaire`` after the block and was not
    before it (in the block's transaction)."""
    if questionnaire.audience != "participant" or not people:
        yield
        return
    municipality_id = questionnaire.municipality_id or people[0].municipality_id
    ids = [p.id for p in people]
    before = offered_to_each(municipality_id, ids)
    yield
    db.session.flush()
    after = offered_to_each(municipality_id, ids)
    for person in people:
        had = any(q.id == questionnaire.id for q in before[person.id])
        has = any(q.id == questionnaire.id for q in after[person.id])
        if has and not had:
            notifications.notify(person, "questionnaire_offered", questionnaire=questionnaire)


def assign(counsellor: StaffUser, participant: Participant, questionnaire: Questionnaire) -> None:
    """Offer a questionnaire to one participant (a counsellor of theirs, same municipality)."""
    if (
        (participant.counsellor_id != counsellor.id and not counsellor.is_lead)
        or counsellor.municipality_id != participant.municipality_id
        or questionnaire.municipality_id != participant.municipality_id
    ):
        raise LookupError("not this counsellor's participant or municipality")
    exists = db.session.get(QuestionnaireAssignment, (questionnaire.id, participant.id))
    if exists is None:
        with _telling_who_is_newly_offered(questionnaire, [participant]):
            db.session.add(
                QuestionnaireAssignment(
                    questionnaire_id=questionnaire.id,
                    participant_id=participant.id,
                    assigned_by=counsellor.id,
                )
            )
        audit.record(counsellor, "questionnaire.assign", f"{questionnaire.slug}:{participant.id}")


def assignable(counsellor: StaffUser) -> list[Questionnaire]:
    """Return the municipality's questionnaires that its counsellors offer one by one."""
    return list(
        db.session.scalars(
            _published("participant").where(
                Questionnaire.municipality_id == counsellor.municipality_id,
                Questionnaire.offered_to == "assigned",
            )
        )
    )


def assigned_ids(participant: Participant) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(QuestionnaireAssignment.questionnaire_id).where(
                QuestionnaireAssignment.participant_id == participant.id
            )
        )
    )


def unassign(counsellor: StaffUser, participant: Participant, questionnaire: Questionnaire) -> None:
    """Stop offering a questionnaire to one participant (answers given to it stay)."""
    if (
        participant.counsellor_id != counsellor.id and not counsellor.is_lead
    ) or counsellor.municipality_id != participant.municipality_id:
        raise LookupError("not this counsellor's participant")
    found = db.session.get(QuestionnaireAssignment, (questionnaire.id, participant.id))
    if found is not None:
        db.session.delete(found)
        audit.record(counsellor, "questionnaire.unassign", f"{questionnaire.slug}:{participant.id}")


def retire(admin: StaffUser, questionnaire: Questionnaire) -> None:
    """Stop new starts; responses already given stay readable and can be finished."""
    if not may_edit(admin, questionnaire):
        raise ValueError("not this administrator's questionnaire")
    questionnaire.retired_at = utcnow()
    audit.record(admin, "questionnaire.retire", questionnaire.slug)


def reopen(admin: StaffUser, questionnaire: Questionnaire) -> None:
    if not may_edit(admin, questionnaire):
        raise ValueError("not this administrator's questionnaire")
    questionnaire.retired_at = None
    audit.record(admin, "questionnaire.reopen", questionnaire.slug)


# -------------------------------------------------------------------------------- copying


def free_slug(base: str) -> str:
    """Return ``base`` or ``base-2``, … : a slug no questionnaire has yet."""
    base = (slugify(base, "-") or "questionnaire")[:56].rstrip("-")
    if not SLUG_PATTERN.match(base):
        base = f"q-{base}"[:56]
    taken = set(
        db.session.scalars(sa.select(Questionnaire.slug).where(Questionnaire.slug.like(f"{base}%")))
    )
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    return candidate


def copy_questionnaire(admin: StaffUser, source: Questionnaire) -> Questionnaire:
    """Copy a template (or an own questionnaire) into the admin's municipality as a draft.

    The copy has every text, translation, pictogram and resource tag of the source's latest
    version, and a copy of each recorded clip.
    """
    if source.latest is None or not (source.is_template or may_edit(admin, source)):
        raise LookupError("nothing to copy")
    slug = free_slug(f"{source.slug}-{admin.municipality.name}")
    document = copy.deepcopy(source.latest.document)
    document["slug"] = slug
    copy_ = Questionnaire(
        slug=slug,
        audience=source.audience,
        municipality_id=admin.municipality_id,
        copied_from_id=source.id,
    )
    db.session.add(copy_)
    db.session.add(QuestionnaireDraft(questionnaire=copy_, document=document, editor_id=admin.id))
    for clip in db.session.scalars(
        sa.select(QuestionAudio).where(QuestionAudio.questionnaire_id == source.id)
    ):
        db.session.add(
            QuestionAudio(
                questionnaire=copy_,
                question_id=clip.question_id,
                lang=clip.lang,
                mimetype=clip.mimetype,
                data=clip.data,
                sha256=clip.sha256,
                uploaded_by=clip.uploaded_by,
            )
        )
    db.session.flush()
    audit.record(admin, "questionnaire.copy", f"{source.slug}->{slug}")
    return copy_
