"""The caseload: who needs the counsellor now. Reads only.

One page of participants with, for each, the progress of every questionnaire offered to them
(or answered), when their phone last synced, and where the competence mapping and the career
guidance stand (services/deadlines.py). A page takes a fixed number of SQL statements however
many participants it shows (tests/test_caseload.py counts them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from math import ceil

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    PROGRAMMES,
    Participant,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    Review,
    name_search,
)
from . import deadlines, revisions
from . import questionnaires as questionnaire_service

PAGE_SIZES = (25, 50, 100, 500)
#: Progress of one questionnaire, in the order a response goes through them.
PROGRESS = ("not_started", "draft", "submitted", "in_review", "follow_up", "completed")
#: Answers sent whose review is not finished: submitted (not reviewed yet, or sent again after
#: a follow-up), in review, or opened again for a follow-up. They still need the counsellor
#: however many newer responses the participant has started since, so the caseload shows them
#: beside the newest response and its filters find them.
OPEN = ("submitted", "in_review", "follow_up")
#: What the caseload can be filtered by: a questionnaire in that progress (nothing started at
#: all for "not_started"), or a step past its deadline.
STATES = (*PROGRESS, "overdue")
SORTS = ("name", "last_sync", "start")


@dataclass
class Filters:
    """What the counsellor asked for; anything unknown has been replaced by the default."""

    q: str = ""
    state: str = ""
    language: str = ""
    programme: str = ""  # one of PROGRAMMES, "none" (not recorded) or "" (any)
    sort: str = "name"
    page: int = 1
    per_page: int = 50


@dataclass
class Progress:
    questionnaire: Questionnaire
    state: str  # one of PROGRESS: where the newest response stands
    #: When the phone last synced the draft (None: saved on the server pages only).
    synced_at: datetime | None = None
    updated_at: datetime | None = None
    #: Where older responses to it stand that are still open (OPEN, in PROGRESS order, each
    #: once and none the same as ``state``): a newer draft must not hide answers sent in.
    earlier: tuple[str, ...] = ()


@dataclass
class Row:
    participant: Participant
    last_sync: datetime | None
    progress: list[Progress] = field(default_factory=list)
    steps: list[deadlines.Step] = field(default_factory=list)
    #: How many steps of the follow-up plan are open past their due date.
    overdue_next_steps: int = 0
    #: Sync conflicts not settled yet, over the responses the row shows: the newest to each
    #: questionnaire and the older ones still open (a conflict in answers sent before the
    #: participant pressed *Answer again* still needs the counsellor).
    open_conflicts: int = 0

    @property
    def overdue(self) -> bool:
        return self.overdue_next_steps > 0 or any(s.state == "overdue" for s in self.steps)


@dataclass
class Page:
    rows: list[Row]
    #: How many were found; for a name search at most SEARCH_COUNT_CAP (see ``more``).
    total: int
    filters: Filters
    #: A name search found more than SEARCH_COUNT_CAP: the pages hold the first of them only.
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.filters.per_page))


def _latest_review_status() -> sa.ScalarSelect:
    return (
        sa.select(Review.status)
        .where(Review.response_id == Response.id)
        .order_by(Review.id.desc())
        .limit(1)
        .correlate(Response)
        .scalar_subquery()
    )


def progress_state() -> sa.ColumnElement[str]:
    """Return a response's progress (one of PROGRESS but not_started) as a SQL expression:
    the one definition, used both to show progress and to filter by it (``Response.progress``
    is the same rule for one loaded response). A follow-up counts while the response is open
    again; once the participant sends it again it is "submitted", to be reviewed anew."""
    review = _latest_review_status()
    return sa.case(
        (Response.status == "draft", sa.case((review == "follow_up", "follow_up"), else_="draft")),
        (review.in_(("in_review", "completed")), review),
        else_="submitted",
    )


def _ranked_responses(*where: sa.ColumnElement[bool]) -> sa.Subquery:
    """Each participant's responses to the questionnaires meant for them, among those ``where``
    selects, numbered newest first per participant and questionnaire (``rank`` 1 is the newest:
    a participant may answer a questionnaire again), with their progress (``state``).

    Numbered with a window function: each participant's responses are sorted once. (A test of
    "no newer response exists" per response read a participant's responses once for each of
    them: with a thousand responses, the caseload took seconds.)
    """
    return (
        sa.select(
            Response.id,
            Response.participant_id,
            progress_state().label("state"),
            sa.func.row_number()
            .over(
                partition_by=(Response.participant_id, QuestionnaireVersion.questionnaire_id),
                order_by=(Response.created_at.desc(), Response.id.desc()),
            )
            .label("rank"),
        )
        .join(QuestionnaireVersion, Response.version_id == QuestionnaireVersion.id)
        .join(Questionnaire, QuestionnaireVersion.questionnaire_id == Questionnaire.id)
        .where(Questionnaire.audience == "participant", *where)
        .subquery()
    )


def _shown_responses(*where: sa.ColumnElement[bool]) -> sa.Subquery:
    """The ids of the responses the caseload shows, among those ``where`` selects: the newest
    to each questionnaire, and older ones still open (OPEN), with ``newest`` saying which.

    Only the newest of them once stood for the questionnaire, so sent answers vanished from
    the row and from the state filters as soon as the participant pressed *Answer again*: a
    new draft hid them while they still waited for the counsellor.
    """
    ranked = _ranked_responses(*where)
    return (
        sa.select(
            ranked.c.id,
            ranked.c.participant_id,
            ranked.c.state,
            (ranked.c.rank == 1).label("newest"),
        )
        .where(sa.or_(ranked.c.rank == 1, ranked.c.state.in_(OPEN)))
        .subquery()
    )


def _participant_responses() -> sa.Select:
    return (
        sa.select(Response.id)
        .join(QuestionnaireVersion, Response.version_id == QuestionnaireVersion.id)
        .join(Questionnaire, QuestionnaireVersion.questionnaire_id == Questionnaire.id)
        .where(Response.participant_id == Participant.id, Questionnaire.audience == "participant")
    )


#: Up to this many people found by the trigram table are fetched by id. When more are found
#: the search reads every name of the municipality instead: with thousands of ids SQLite's
#: plans were several times slower than that (measured at 100,000 participants, bench/growth.py).
FEW_FOUND = 500


def _name_index_hint(term: str) -> list[sa.ColumnElement[bool]]:
    """On SQLite, narrow a name search to the rows its trigram table finds first
    (models/name_search.py); the ILIKE beside it still decides. PostgreSQL's trigram index
    serves ILIKE by itself.

    The table is asked with MATCH and the term as one phrase: the trigram tokenizer folds case
    in all of Unicode, so "øystein" finds "Øystein" (its LIKE checks each row found again with
    SQLite's LIKE, which folds A-Z only, and found nobody). It needs three characters or more.
    What it finds is handed over as a list of ids, so SQLite knows how few they are and fetches
    them by id, rather than walking the whole municipality in name order and testing each row
    against them. Past FEW_FOUND no hint is given.
    """
    if db.session.get_bind().dialect.name != "sqlite" or len(term) < 3:
        return []
    phrase = '"' + term.replace('"', '""') + '"'
    found = (
        sa.select(sa.literal_column("rowid"))
        .select_from(sa.table(name_search.SQLITE_TABLE))
        .where(sa.literal_column(name_search.SQLITE_TABLE).op("MATCH")(phrase))
    )
    ids = db.session.scalars(found.limit(FEW_FOUND + 1)).all()
    return [Participant.id.in_(ids)] if len(ids) <= FEW_FOUND else []


def _filtered(visible: sa.Select, filters: Filters, today: date) -> sa.Select:
    query = visible
    if filters.q:
        escaped = filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        if db.session.get_bind().dialect.name == "sqlite" and not filters.q.isascii():
            # SQLite's lower() folds A-Z only, so "åse" missed "Åse": Python's lower() for such
            # a term (extensions.py), over lower(display_name), the value the index of lowered
            # names holds, so a search still reads that index alone, not the table's rows.
            folded = sa.func.unicode_lower(sa.func.lower(Participant.display_name))
            matches = folded.like(f"%{escaped.lower()}%", escape="\\")
        else:  # lower(display_name) LIKE lower(…) on SQLite: exact for an ASCII term
            matches = Participant.display_name.ilike(f"%{escaped}%", escape="\\")
        query = query.where(matches, *_name_index_hint(filters.q))
    if filters.language:
        query = query.where(Participant.language == filters.language)
    if filters.programme == "none":
        query = query.where(Participant.programme.is_(None))
    elif filters.programme:
        query = query.where(Participant.programme == filters.programme)
    if filters.state == "overdue":
        query = query.where(deadlines.any_overdue_clause(today))
    elif filters.state == "not_started":
        query = query.where(~_participant_responses().exists())
    elif filters.state:
        # The responses the rows show (_shown_responses): a participant is found by any of
        # them, so a new draft does not hide answers sent before it from "submitted".
        shown = _shown_responses(Response.participant_id.in_(sa.select(query.subquery().c.id)))
        query = query.where(
            Participant.id.in_(
                sa.select(shown.c.participant_id).where(shown.c.state == filters.state)
            )
        )
    return query


def _ordered(query: sa.Select, sort: str, searching: bool = False) -> sa.Select:
    by_name = (sa.func.lower(Participant.display_name), Participant.id)
    if sort == "name" and searching:
        # The same order, in a form no index has: the people found are sorted. Otherwise the
        # planner walks the municipality in name order, expecting the matches spread evenly
        # over it, but names cluster ("Amina" comes after every "Abdi" and "Ahmad"): at
        # 100,000 participants it read 11,885 rows to find 50 (PostgreSQL, 36 ms; the trigram
        # index finds the 5,880 and sorting them takes 20). PostgreSQL only: SQLite has no such
        # index for thousands found (_name_index_hint), and its walk stops at the 50th.
        return query.order_by(sa.func.lower(Participant.display_name).concat(""), Participant.id)
    if sort == "last_sync":
        # The terms of the index on them (models/tenancy.py SYNC_ORDER): never synced last.
        synced = Participant.last_synced_at
        return query.order_by(synced.is_(None), synced.desc(), *by_name)
    if sort == "start":
        return query.order_by(sa.nulls_last(Participant.programme_start.asc()), *by_name)
    return query.order_by(*by_name)


#: A name search finds the people it shows up to this many. Past it the page says "more than
#: 1,000" and its pages hold the first 1,000 in the chosen order: a search that finds that
#: many asks for more of the name, and counting them all grew with the municipality (issue
#: 12: one in 17 of 100,000 participants is an Amina, and counting the 5,880 was the largest
#: part of that page). A list without a search is counted in full (an index-only count of the
#: municipality, which the lead reads as its size).
SEARCH_COUNT_CAP = 1000


def _count(query: sa.Select) -> int:
    """Return how many ``query`` finds (a list without a search: every one is counted)."""
    counted = query.with_only_columns(Participant.id)
    return db.session.scalar(sa.select(sa.func.count()).select_from(counted.subquery())) or 0


def page(
    visible: sa.Select,
    municipality_id: int,
    filters: Filters,
    today: date,
    with_counsellors: bool = False,
) -> Page:
    """Return one page of the participants ``visible`` selects (access.caseload_query), of
    one municipality, filtered and sorted; ``with_counsellors`` loads each row's counsellor
    (the lead's caseload shows them).

    A name search first finds the ids of the first SEARCH_COUNT_CAP + 1 people it matches,
    in the page's order, in one statement: how many there are (up to the cap) and which of
    them the page shows both come from it, and the page's rows are then read by id. A capped
    count and a page of its own each looked through the names again: with a name that many
    share, on SQLite each row of the municipality was read for its name, and on PostgreSQL
    every match was fetched twice (issue 12, bench/growth.py).
    """
    query = _filtered(visible, filters, today)
    overdue_next = deadlines.overdue_steps_count(today)
    more = False
    if filters.q:
        # Only the ids, in the page's order: on SQLite, in name order, from the index of the
        # municipality's (or the counsellor's) lowered names alone.
        found_ids = db.session.scalars(
            _ordered(
                query.with_only_columns(Participant.id),
                filters.sort,
                searching=len(filters.q) >= 3
                and db.session.get_bind().dialect.name == "postgresql",
            ).limit(SEARCH_COUNT_CAP + 1)
        ).all()
        more = len(found_ids) > SEARCH_COUNT_CAP
        total = min(len(found_ids), SEARCH_COUNT_CAP)
    else:
        total = _count(query)
    filters.page = min(filters.page, max(1, ceil(total / filters.per_page)))
    offset = (filters.page - 1) * filters.per_page
    columns = (Participant.last_synced_at, overdue_next)
    if filters.q:
        # The page's people by id, put in the order they were found in here: asked to sort
        # them, SQLite walked the municipality's names in order to find the 50 ids.
        shown = found_ids[offset : min(offset + filters.per_page, total)]
        chosen = visible.where(Participant.id.in_(shown)).add_columns(*columns)
    else:
        chosen = _ordered(query.add_columns(*columns), filters.sort)
        chosen = chosen.limit(filters.per_page).offset(offset)
    if with_counsellors:
        # By id, once the page is chosen: joined in, they were read for every person found
        # before the sort picked 50 (5,880 for a dense name search at 100,000 participants).
        chosen = chosen.options(selectinload(Participant.counsellor))
    found = db.session.execute(chosen).all()
    if filters.q:
        place = {pid: n for n, pid in enumerate(shown)}
        found.sort(key=lambda row: place[row[0].id])
    rows = [
        Row(person, synced, steps=deadlines.steps(person, today), overdue_next_steps=late)
        for person, synced, late in found
    ]
    _add_progress(municipality_id, rows)
    return Page(rows, total, filters, more)


@cache
def _progress_statement() -> sa.Select:
    """The progress of the responses the caseload shows (_shown_responses) of the participants
    whose ids are bound as ``ids``: built once per process. Building it took
    about half a millisecond of every caseload page (a window over a join, a subquery's
    columns, the review state's CASE), as much as running it on a page of 50 (issue 12)."""
    shown = _shown_responses(Response.participant_id.in_(sa.bindparam("ids", expanding=True)))
    return (
        sa.select(
            Response.participant_id,
            QuestionnaireVersion.questionnaire_id,
            shown.c.state,
            shown.c.newest,
            Response.synced_at,
            Response.updated_at,
            Response.conflicts,
        )
        .join(shown, shown.c.id == Response.id)
        .join(QuestionnaireVersion, Response.version_id == QuestionnaireVersion.id)
    )


def _add_progress(municipality_id: int, rows: list[Row]) -> None:
    """Fill in each row's questionnaires: what is offered, and whatever was answered."""
    ids = [row.participant.id for row in rows]
    if not ids:
        return
    # Each questionnaire with its versions: the page shows the latest one's title.
    offered = questionnaire_service.offered_to_each(municipality_id, ids, with_versions=True)
    found = db.session.execute(_progress_statement(), {"ids": ids}).all()
    known = {q.id: q for qs in offered.values() for q in qs}
    missing = {qid for _pid, qid, *_rest in found} - set(known)
    conflicts = dict.fromkeys(ids, 0)
    if missing:
        known.update(
            (q.id, q)
            for q in db.session.scalars(
                sa.select(Questionnaire)
                .where(Questionnaire.id.in_(missing))
                .options(selectinload(Questionnaire.versions))
            )
        )
    answered: dict[int, dict[int, Progress]] = {pid: {} for pid in ids}
    earlier: dict[tuple[int, int], set[str]] = {}
    for pid, qid, state, newest, synced_at, updated_at, recorded in found:
        conflicts[pid] += revisions.open_conflicts(recorded)
        if newest:
            answered[pid][qid] = Progress(known[qid], state, synced_at, updated_at)
        else:
            earlier.setdefault((pid, qid), set()).add(state)
    for (pid, qid), states in earlier.items():
        progress = answered[pid][qid]
        progress.earlier = tuple(s for s in OPEN if s in states and s != progress.state)
    for row in rows:
        pid = row.participant.id
        row.open_conflicts = conflicts[pid]
        chosen = {q.id: Progress(q, "not_started") for q in offered[pid]}
        chosen.update(answered[pid])
        row.progress = sorted(chosen.values(), key=lambda p: p.questionnaire.slug)


def parse_filters(
    q: str | None,
    state: str | None,
    language: str | None,
    programme: str | None,
    sort: str | None,
    page_number: int | None,
    per_page: int | None,
    languages: list[str],
) -> Filters:
    """Return the filters asked for, with anything unknown replaced by its default."""
    return Filters(
        q=(q or "").strip()[:120],
        state=state if state in STATES else "",
        language=language if language in languages else "",
        programme=programme if programme in (*PROGRAMMES, "none") else "",
        sort=sort if sort in SORTS else "name",
        page=page_number if page_number and page_number > 0 else 1,
        per_page=per_page if per_page in PAGE_SIZES else 50,
    )
