"""The caseload answers "who needs me now": progress, deadlines, search, filters, pages."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import NextStep, Participant, Questionnaire, StaffUser
from webapp.services import caseload, deadlines, reviews, revisions
from webapp.services import questionnaires as questionnaire_service
from webapp.services import responses as response_service

from .conftest import FORMS

TODAY = date(2026, 12, 1)


def _add_participants(app, world, count: int, counsellor: str = "c1") -> list[int]:
    """Add ``count`` participants of one counsellor, each with a response in another state."""
    with app.app_context():
        staff = db.session.get(StaffUser, getattr(world, counsellor))
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        ids = []
        for n in range(count):
            person = Participant(
                municipality_id=staff.municipality_id, counsellor=staff,
                display_name=f"Person {n:04d}", language=["ar", "so", "uk", "nb"][n % 4],
                programme=["integration_act", "introduction_act", None][n % 3],
                programme_start=TODAY - timedelta(days=n % 200),
            )  # fmt: skip
            db.session.add(person)
            db.session.flush()
            if n % 3 == 0:  # a step of the plan, overdue for every other one of them
                db.session.add(
                    NextStep(
                        participant_id=person.id, goal="Søke skole", responsible="participant",
                        due_on=TODAY + timedelta(days=10 if n % 2 else -10),
                        status="planned", created_by_id=staff.id,
                    )
                )  # fmt: skip
            if n % 2:
                response = response_service.start(person, kartlegging)
                if n % 4 == 3:
                    response.status = "submitted"  # a stand-in: the write path is not the point
                    reviews.add_review(response, staff, "in_review", "")
            ids.append(person.id)
        db.session.commit()
        return ids


class StatementCounter:
    """Count the SQL statements sent while it is active (SQLAlchemy's cursor event)."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _count(self, *args, **kwargs):
        self.count += 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._count)


def _statements(app, client, url: str) -> tuple[int, str]:
    client.get(url)  # warm up: the session's first requests touch more (login, catalog)
    with app.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count, response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/caseload?per_page=500", "/caseload?per_page=500&sort=last_sync"])
@pytest.mark.parametrize("who", ["c1", "lead1"])
def test_statement_count_does_not_grow_with_the_participants_shown(app, world, as_actor, url, who):
    """The counsellor's own caseload, and the lead's, which shows each row's counsellor."""
    _add_participants(app, world, 10)
    client = as_actor(app, who)
    few, html = _statements(app, client, url)
    shown = html.count('<th scope="row">')
    assert shown >= 11  # and p1 (and the lead: the municipality's others)
    _add_participants(app, world, 490, counsellor="c2" if who == "lead1" else "c1")
    many, html = _statements(app, client, url)
    assert html.count('<th scope="row">') == 500
    assert many == few, f"{few} statements for {shown} participants, {many} for 500"
    if who == "lead1":
        named = html.count("Counsellor One") + html.count("Counsellor Two")
        assert named == 500  # each row's counsellor


def test_progress_of_each_questionnaire_and_last_sync(app, world, as_actor):
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        response_service.start(person, kartlegging)
        db.session.commit()
    html = as_actor(app, "c1").get("/caseload").get_data(as_text=True)
    assert "Draft, saved" in html and "Never" in html
    with app.app_context():
        response = db.session.scalars(sa.select(caseload.Response)).one()
        response.status = "submitted"  # a stand-in: the write path is not the point
        reviews.add_review(response, db.session.get(StaffUser, world.c1), "follow_up", "", "Se")
        db.session.commit()
    html = as_actor(app, "c1").get("/caseload").get_data(as_text=True)
    assert "Follow-up needed" in html


def test_deadlines_are_highlighted_when_missing_or_late(app, world, as_actor):
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        person.programme = "integration_act"
        person.programme_start = date.today() - timedelta(days=deadlines.MAPPING_DAYS + 5)
        person.guidance_completed_on = date.today() - timedelta(days=1)  # after its deadline
        db.session.commit()
    html = as_actor(app, "c1").get("/caseload").get_data(as_text=True)
    assert '<strong class="late">Overdue since' in html
    assert "after the deadline" in html
    assert 'class="overdue"' in html


@pytest.mark.parametrize(
    ("programme", "start_days_ago", "done_days_ago", "state"),
    [
        ("integration_act", 100, None, "overdue"),
        ("integration_act", 90, None, "open"),  # due today: not late yet
        ("integration_act", 100, 5, "done_late"),
        ("integration_act", 100, 50, "done"),
        ("introduction_act", 400, None, "open"),  # no deadline under the older act
        ("integration_act", None, None, "open"),  # no start recorded
    ],
)
def test_the_deadline_rule_and_its_sql_twin_agree(
    app, world, programme, start_days_ago, done_days_ago, state
):
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        person.programme = programme
        person.programme_start = (
            TODAY - timedelta(days=start_days_ago) if start_days_ago is not None else None
        )
        person.mapping_completed_on = (
            TODAY - timedelta(days=done_days_ago) if done_days_ago is not None else None
        )
        person.guidance_completed_on = TODAY  # only the mapping is looked at here
        db.session.commit()
        assert deadlines.step(person, "mapping", TODAY).state == state
        overdue = db.session.scalar(
            sa.select(Participant.id).where(
                Participant.id == person.id, deadlines.overdue_clause(TODAY)
            )
        )
        assert (overdue is not None) == (state == "overdue")


def test_the_newest_of_many_answers_is_what_the_caseload_shows_and_filters_by(app, world, as_actor):
    """A participant who answered a questionnaire again and again: the row shows where the
    newest answer stands, and the state filters look at it; older answers only while they
    still wait for the counsellor (sent, not reviewed: not the completed one)."""
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        staff = db.session.get(StaffUser, world.c1)
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        first = response_service.start(person, kartlegging)
        first.status = "submitted"  # a stand-in: the write path is not the point
        reviews.add_review(first, staff, "completed", "")
        db.session.flush()
        for _ in range(300):  # many later answers, all with the same creation time as the last
            response_service.start(person, kartlegging).status = "submitted"
        db.session.flush()
        newest = response_service.start(person, kartlegging)
        newest.created_at = first.created_at + timedelta(days=1)
        db.session.commit()
    client = as_actor(app, "c1")
    html = client.get("/caseload").get_data(as_text=True)
    table = html[html.index("<tbody") : html.index("</tbody>")]
    assert "Submitted; New draft, saved" in " ".join(re.sub(r"<[^>]+>", " ", table).split())
    assert "Completed" not in table
    for found in ("draft", "submitted"):
        html = client.get(f"/caseload?state={found}").get_data(as_text=True)
        assert "Participants found: 1" in html, found
    html = client.get("/caseload?state=completed").get_data(as_text=True)
    assert "Nobody matches" in html
    statements, _html = _statements(app, client, "/caseload")
    assert statements <= 9


def test_search_filter_sort_and_pages(app, world, as_actor):
    _add_participants(app, world, 60)
    client = as_actor(app, "c1")
    html = client.get("/caseload?q=person+001").get_data(as_text=True)
    assert "Participants found: 10" in html  # Person 0010 … 0019
    html = client.get("/caseload?language=so").get_data(as_text=True)
    assert "Participants found: 15" in html
    html = client.get("/caseload?programme=none").get_data(as_text=True)
    assert "Participants found: 21" in html  # 20 of them and p1
    html = client.get("/caseload?state=in_review").get_data(as_text=True)
    assert "Participants found: 15" in html
    html = client.get("/caseload?state=not_started").get_data(as_text=True)
    assert "Participants found: 31" in html  # 30 of them and p1
    first = client.get("/caseload").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Next page" in first
    second = client.get("/caseload?page=2").get_data(as_text=True)
    assert "Person 0000" in first and "Person 0000" not in second
    assert "Person 0055" in second and "Person 0055" not in first
    by_start = client.get("/caseload?sort=start&per_page=25").get_data(as_text=True)
    assert by_start.index("Person 0059") < by_start.index("Person 0058")  # started earlier
    junk = client.get("/caseload?state=x&per_page=7&page=-3&sort=nonsense&q=%25").status_code
    assert junk == 200
    # "²" is a digit to isdigit() but not to int(); too many digits are not a page size.
    for per_page in ("²", "٢٥", "9" * 5000):
        strange = client.get(f"/caseload?per_page={per_page}")
        assert strange.status_code == 200 and "Page 1 of 2" in strange.get_data(as_text=True)
    html = client.get("/caseload?q=%25").get_data(as_text=True)
    assert "Nobody matches" in html  # "%" is a character, not a wildcard


def test_a_name_search_that_finds_very_many_says_so_and_pages_the_first_of_them(
    app, world, as_actor, monkeypatch
):
    """A search counts what it finds up to a cap (issue 12: counting thousands grew the page
    with the municipality); past it the page says there are more, asks for more of the name,
    and its pages hold the first ones in the chosen order, never more."""
    _add_participants(app, world, 30)
    client = as_actor(app, "c1")
    monkeypatch.setattr(caseload, "SEARCH_COUNT_CAP", 10)
    exact = client.get("/caseload?q=person+001").get_data(as_text=True)  # 0010 … 0019
    assert "Participants found: 10" in exact and "More than" not in exact
    assert exact.count('<th scope="row">') == 10
    monkeypatch.setattr(caseload, "SEARCH_COUNT_CAP", 4)
    capped = client.get("/caseload?q=person+001").get_data(as_text=True)
    assert "More than 4 participants found" in capped and "type more of the name" in capped
    assert "Participants found:" not in capped and "Page 1 of" not in capped
    shown = [f"Person {n:04d}" for n in range(10, 20) if f"Person {n:04d}" in capped]
    assert shown == ["Person 0010", "Person 0011", "Person 0012", "Person 0013"]
    # Pages of 25 hold the first 4; the pages past the cap are the last one within it.
    assert capped.count('<th scope="row">') == 4
    late = client.get("/caseload?q=person+001&page=3").get_data(as_text=True)
    assert late.count('<th scope="row">') == 4 and "Person 0013" in late
    # Another order: the first 4 of that order.
    by_start = client.get("/caseload?q=person+001&sort=start").get_data(as_text=True)
    assert "Person 0019" in by_start and "Person 0010" not in by_start  # started earliest
    # The same when the name is one so many share that SQLite's trigram table gives no hint
    # and the count reads names in order (_count's ``many``).
    monkeypatch.setattr(caseload, "FEW_FOUND", 3)

    def without_tokens(html: str) -> str:  # a CSRF token holds the second it was made in
        return re.sub(r'name="csrf_token" value="[^"]*"', "", html)

    again = client.get("/caseload?q=person+001").get_data(as_text=True)
    assert without_tokens(again) == without_tokens(capped)
    # Without a search the list is counted in full.
    assert "Participants found: 31" in client.get("/caseload").get_data(as_text=True)


def test_a_search_that_many_names_match_reads_the_name_index_once_on_sqlite(
    app, world, as_actor, monkeypatch
):
    """Past FEW_FOUND the trigram table gives no hint and every name is tested. The people
    found are then looked for once (their ids, how many there are and which the page shows
    come from one statement), in the municipality's index of lowered names alone, not each row
    of the table for its name (issue 12: the part of a dense search at 100,000 participants
    that grew most)."""
    _add_participants(app, world, 30)
    monkeypatch.setattr(caseload, "FEW_FOUND", 3)
    client = as_actor(app, "lead1")
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's trigram index serves the search by itself")
    sent = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        html = client.get("/caseload?q=person+00&per_page=25").get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    assert "Participants found: 30" in html  # Person 0000 … 0029: more than FEW_FOUND
    assert "Person 0024" in html and "Person 0025" not in html and "Page 1 of 2" in html
    assert not [s for s, _p in sent if s.lstrip().startswith("SELECT count(*)")]
    looked_for = [(s, p) for s, p in sent if re.match(r"SELECT participant\.id\s+FROM", s)]
    assert len(looked_for) == 1
    statement, parameters = looked_for[0]
    with engine.connect() as connection:
        plan = str(connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all())
    assert "ix_participant_municipality_name" in plan and "TEMP B-TREE" not in plan, plan


STEP_CASES = [
    # (status, due in days from today, overdue?)
    ("planned", -1, True),
    ("in_progress", -30, True),
    ("planned", 0, False),
    ("planned", 5, False),
    ("planned", None, False),
    ("done", -10, False),
    ("cancelled", -10, False),
]


@pytest.mark.parametrize(("status", "due_in", "overdue"), STEP_CASES)
def test_an_overdue_plan_step_marks_the_row_and_the_sql_twin_agrees(
    app, world, as_actor, status, due_in, overdue
):
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        person.programme = "other"  # no programme deadline: only the step can be overdue
        step = NextStep(
            participant_id=person.id, goal="Melde seg på norskprøve", responsible="participant",
            due_on=None if due_in is None else TODAY + timedelta(days=due_in), status=status,
            created_by_id=world.c1,
        )  # fmt: skip
        db.session.add(step)
        db.session.commit()
        assert deadlines.next_step_overdue(step, TODAY) is overdue
        found = db.session.scalars(
            sa.select(Participant.id).where(deadlines.any_overdue_clause(TODAY))
        ).all()
        assert (world.p1 in found) is overdue
        result = caseload.page(
            sa.select(Participant).where(Participant.id == world.p1),
            person.municipality_id,
            caseload.Filters(),
            TODAY,
        )
        [row] = result.rows
        assert row.overdue_next_steps == int(overdue) and row.overdue is overdue


def test_the_last_sync_is_kept_on_the_participant_and_sorts_the_caseload(app, world, as_actor):
    import uuid

    phone = as_actor(app, "p2")  # p2 syncs from the phone; p1 never does
    item = {"id": str(uuid.uuid4()), "questionnaire": "kartlegging", "version": 1,
            "status": "draft", "answers": {"mapped_before": "no"}}  # fmt: skip
    assert phone.post("/api/v1/sync", json={"responses": [item]}).status_code == 200
    with app.app_context():
        first = db.session.get(Participant, world.p2).last_synced_at
        assert first is not None
        assert first == db.session.scalar(sa.select(caseload.Response.synced_at))
    # A resend that changes nothing is a sync too (kept to the minute: within one, the
    # participant's row is not written again); a response started on the server is not.
    assert phone.post("/api/v1/sync", json={"responses": [item]}).status_code == 200
    second = {**item, "id": str(uuid.uuid4())}
    assert phone.post("/api/v1/sync", json={"responses": [second]}).status_code == 200
    with app.app_context():
        again = db.session.get(Participant, world.p2).last_synced_at
        synced = db.session.scalar(
            sa.select(caseload.Response.synced_at).where(caseload.Response.id == second["id"])
        )
        assert again == first < synced < first + revisions.LAST_SYNC_EVERY
        later = first - revisions.LAST_SYNC_EVERY  # as if that sync was a minute ago
        db.session.get(Participant, world.p2).last_synced_at = later
        db.session.commit()
    item = {**item, "id": str(uuid.uuid4())}
    assert phone.post("/api/v1/sync", json={"responses": [item]}).status_code == 200
    with app.app_context():
        again = db.session.get(Participant, world.p2).last_synced_at
        assert again > later
        assert again == db.session.scalar(
            sa.select(caseload.Response.synced_at).where(caseload.Response.id == item["id"])
        )
        person = db.session.get(Participant, world.p1)
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        response_service.start(person, kartlegging)
        db.session.commit()
        assert db.session.get(Participant, world.p1).last_synced_at is None

    lead = as_actor(app, "lead1")
    by_sync = lead.get("/caseload?sort=last_sync").get_data(as_text=True)
    assert by_sync.index(">p2<") < by_sync.index(">p1<")  # synced first, never synced last
    by_name = lead.get("/caseload?sort=name").get_data(as_text=True)
    assert by_name.index(">p1<") < by_name.index(">p2<")


def test_the_name_search_index_follows_new_renamed_and_deleted_participants(
    app, world, as_actor, monkeypatch
):
    """The search by part of a name goes through an index of its own on each database
    (models/name_search.py); it must find exactly what ILIKE finds as names change."""
    ids = _add_participants(app, world, 30)
    client = as_actor(app, "c1")
    with app.app_context():
        db.session.get(Participant, ids[3]).display_name = "Hodan Warsame"
        db.session.delete(db.session.get(Participant, ids[4]))
        db.session.commit()
    assert "Participants found: 1" in client.get("/caseload?q=warsa").get_data(as_text=True)
    assert "Nobody matches" in client.get("/caseload?q=person+0003").get_data(as_text=True)
    assert "Nobody matches" in client.get("/caseload?q=person+0004").get_data(as_text=True)
    html = client.get("/caseload?q=PERSON+002").get_data(as_text=True)
    assert "Participants found: 10" in html  # any case, as ILIKE
    monkeypatch.setattr(caseload, "FEW_FOUND", 3)  # too many found: every name is read
    html = client.get("/caseload?q=PERSON+002").get_data(as_text=True)
    assert "Participants found: 10" in html
    monkeypatch.undo()
    with app.app_context():  # a term across the space, counted the plain way
        names = db.session.scalars(sa.select(Participant.display_name)).all()
    expected = sum("on 0" in name.lower() for name in names)
    assert expected == 28
    found = client.get("/caseload?q=on+0&per_page=100").get_data(as_text=True)
    assert f"Participants found: {expected}" in found
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":  # raises if the index and the names disagree
            connection.exec_driver_sql(
                "INSERT INTO participant_name_search(participant_name_search, rank) "
                "VALUES ('integrity-check', 1)"
            )
            plan = connection.exec_driver_sql(  # as services/caseload._name_index_hint asks
                "EXPLAIN QUERY PLAN SELECT rowid FROM participant_name_search "
                "WHERE participant_name_search MATCH '\"warsa\"'"
            ).all()
            assert "INDEX 0:M" in str(plan)  # the trigram index, not a scan
        else:
            connection.exec_driver_sql("SET enable_seqscan = off")
            plan = connection.execute(
                sa.text("EXPLAIN SELECT id FROM participant WHERE display_name ILIKE :term"),
                {"term": "%warsa%"},
            ).scalars()
            assert "ix_participant_name_trgm" in " ".join(plan)


def test_statement_count_does_not_grow_with_the_questionnaires_offered(app, world, as_actor):
    """Each offered questionnaire's title comes from its latest version: loaded for all of
    them at once, not one statement per questionnaire on the page."""
    _add_participants(app, world, 4)
    client = as_actor(app, "c1")
    before, html = _statements(app, client, "/caseload")
    document = json.loads((FORMS / "kartlegging.json").read_text("utf-8"))
    with app.app_context():
        for n in range(3):
            extra = copy.deepcopy(document)
            extra["slug"] = f"kartlegging-{n}"
            extra["title"] = f"Ekstra kartlegging {n}"
            for texts in extra["translations"].values():
                texts["/title"] = f"Ekstra kartlegging {n}"
            questionnaire_service.import_document(extra)
        db.session.commit()
    after, html = _statements(app, client, "/caseload")
    assert after == before, f"{before} statements for the shipped ones, {after} with 3 more"
    for n in range(3):
        assert f"Ekstra kartlegging {n}" in html


@pytest.mark.parametrize(
    "q, found",
    [("øystein", "Øystein Ås"), ("ØYSTEIN", "Øystein Ås"), ("N ÅS", "Øystein Ås"),
     ("åse", "Åse Berg"), ("ÅSE B", "Åse Berg"), ("zoë", "Zoë Ünal"), ("ÜNAL", "Zoë Ünal"),
     ("ø", "Øystein Ås"), ("أحمد", "أحمد Ali"), ("ALI", "أحمد Ali"), ('"ø', None),
     ("%", None), ("_ber", None), ("e\\b", None)],
)  # fmt: skip
def test_the_name_search_ignores_case_beyond_ascii(app, world, as_actor, q, found):
    """SQLite's own ILIKE folds A-Z only: "øystein" missed "Øystein" there (not on
    PostgreSQL). Both databases find the same people, with and without the trigram index."""
    with app.app_context():
        staff = db.session.get(StaffUser, world.c1)
        for name in ("Øystein Ås", "Åse Berg", "Zoë Ünal", "أحمد Ali", "Oystein Aas"):
            db.session.add(Participant(municipality_id=staff.municipality_id, counsellor=staff,
                                       display_name=name, language="nb"))  # fmt: skip
        db.session.commit()
    html = as_actor(app, "c1").get("/caseload", query_string={"q": q}).get_data(as_text=True)
    if found is None:  # quotes, wildcards and backslashes are characters of a name
        assert "Nobody matches" in html
    else:
        assert "Participants found: 1" in html and found in html


def _rows_per_page_shown(html: str) -> list[str]:
    """The options of the "Rows per page" select that the page shows as chosen."""
    select = re.search(r'<select[^>]*name="per_page"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option selected value="(\d+)">', select)


@pytest.mark.parametrize(
    ("query", "chosen", "shown"),
    [
        ("", "50", 28),  # the default: 50 rows a page, not the first option (25)
        ("?per_page=25", "25", 25),
        ("?per_page=100", "100", 28),
        ("?per_page=7", "50", 28),  # not a size offered: the default, as the page does
        ("?per_page=abc", "50", 28),
    ],
)
def test_rows_per_page_shows_what_the_page_does(app, world, as_actor, query, chosen, shown):
    """With 28 participants the caseload showed them all on one page, while its "Rows per
    page" select said 25 (its first option): the form had no default, the page used 50."""
    _add_participants(app, world, 27)  # and p1: 28
    html = as_actor(app, "c1").get(f"/caseload{query}").get_data(as_text=True)
    assert "Participants found: 28" in html
    assert _rows_per_page_shown(html) == [chosen]
    rows = html.split("<tbody>")[1].split("</tbody>")[0]
    assert len(re.findall(r"<tr[ >]", rows)) == shown
    assert ("Page 1 of 2" in html) == (shown < 28)
