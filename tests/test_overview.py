"""The municipality's overview: chart numbers, small-group suppression, SVG, who sees it."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import OverviewFigures, Participant, Questionnaire, StaffUser
from webapp.services import overview, reviews
from webapp.services import responses as response_service

TODAY = date(2026, 12, 1)
OSLO = ZoneInfo("Europe/Oslo")


# -- suppression ------------------------------------------------------------------------------


def _shown(counts: dict[str, int]) -> tuple[dict[str, object], bool]:
    cells, withheld = overview.suppress(counts)
    return {c.key: c.suppressed or c.count for c in cells}, withheld


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"a": 10, "b": 7, "c": 0}, {"a": 10, "b": 7, "c": 0}),
        # One small count alone is the total minus the others: the next smallest hides too.
        ({"a": 10, "b": 7, "c": 3}, {"a": 10, "b": "hidden", "c": "small"}),
        # Two small counts that must both be 1 (or both 4) are as good as shown.
        ({"a": 10, "b": 1, "c": 1}, {"a": "hidden", "b": "small", "c": "small"}),
        ({"a": 10, "b": 2, "c": 1}, {"a": 10, "b": "small", "c": "small"}),
        # 1 beside a hidden 5: the hidden count is at least 5, so the small one is 1.
        ({"a": 20, "b": 5, "c": 1}, {"a": "hidden", "b": "hidden", "c": "small"}),
    ],
)
def test_suppression(counts, expected):
    assert _shown(counts) == (expected, False)


def test_a_chart_of_one_small_group_is_withheld():
    shown, withheld = _shown({"a": 3, "b": 0})
    assert withheld and shown == {"a": "hidden", "b": "hidden"}


def _possible(counts: dict[str, int], shown: dict[str, object]) -> list[dict[str, int]]:
    """Every set of counts a reader who knows the total and the shown cells finds possible."""
    total = sum(counts.values())
    ranges = {
        k: range(1, 5) if v == "small" else range(5, total + 1) if v == "hidden" else [v]
        for k, v in shown.items()
    }
    keys = list(ranges)
    return [
        dict(zip(keys, combo, strict=True))
        for combo in itertools.product(*(ranges[k] for k in keys))
        if sum(combo) == total
    ]


def test_no_suppressed_count_can_be_worked_out_from_the_total():
    for combo in itertools.product((0, 1, 2, 4, 5, 6, 9), repeat=4):
        counts = dict(zip("abcd", combo, strict=True))
        _assert_safe(counts)


def _assert_safe(counts):
    shown, withheld = _shown(counts)
    if withheld:
        return
    possible = _possible(counts, shown)
    assert counts in possible
    for key, value in shown.items():
        if value in ("small", "hidden"):
            assert len({p[key] for p in possible}) > 1, (counts, shown, key)
        else:
            assert value == counts[key]


# -- the charts of a municipality -------------------------------------------------------------


def _people(app, world, n: int, **fields) -> list[int]:
    with app.app_context():
        counsellor = db.session.get(StaffUser, world.c1)
        ids = []
        for i in range(n):
            person = Participant(
                municipality_id=counsellor.municipality_id, counsellor=counsellor,
                display_name=f"Person {i}", language="ar", **fields,
            )  # fmt: skip
            db.session.add(person)
            db.session.flush()
            ids.append(person.id)
        db.session.commit()
        return ids


def _map(app, ids: list[int], answers: dict, submitted_at: datetime | None, review: str = ""):
    with app.app_context():
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        for pid in ids:
            person = db.session.get(Participant, pid)
            response = response_service.start(person, kartlegging)
            response.answers = dict(answers)
            if submitted_at is not None:
                response.status, response.submitted_at = "submitted", submitted_at
                if review:
                    reviews.add_review(response, person.counsellor, review, "")
        db.session.commit()


@pytest.fixture
def town(app, world):
    """The first municipality (p1, p2 and these): 8 in review at A2 wanting recognition and
    work; 6 submitted at B1 with education; 3 drafts; 2 submitted in another municipality."""
    start = TODAY - timedelta(days=100)
    a = _people(app, world, 8, programme="integration_act", programme_start=start,
                mapping_completed_on=start + timedelta(days=30))  # fmt: skip
    b = _people(app, world, 6, programme="integration_act", programme_start=start)
    c = _people(app, world, 3)
    week = datetime(2026, 11, 25, 12, tzinfo=UTC)  # the Monday of that week is 2026-11-23
    _map(app, a, {"norwegian_level": "A2", "recognition_wanted": "yes",
                  "short_term_goal_kind": "work"}, week, "in_review")  # fmt: skip
    _map(app, b, {"norwegian_level": "B1", "recognition_wanted": "no",
                  "short_term_goal_kind": "education"}, week - timedelta(weeks=1))  # fmt: skip
    _map(app, c, {"norwegian_level": "C1"}, None)
    with app.app_context():
        other = db.session.get(StaffUser, world.c3)
        _map(app, [world.p3], {"norwegian_level": "C2"}, week)
        assert other.municipality_id != world.m1
    return {"a": a, "b": b, "c": c}


def _charts(app, world) -> dict[str, dict[str, object]]:
    with app.app_context():
        found = overview.charts(world.m1, TODAY, OSLO, "nb")
    return {ch.name: {c.key: c.suppressed or c.count for c in ch.cells} for ch in found}


def test_chart_numbers(app, world, town):
    charts = _charts(app, world)
    # 19 participants: 8 in review, 6 submitted, 3 drafts, p1 and p2 without a mapping (the
    # two small groups add up to 5, which 1+4, 2+3, 3+2 and 4+1 all do: nothing else hides).
    assert charts["states"] == {
        "not_started": "small", "draft": "small", "submitted": 6, "in_review": 8,
        "follow_up": 0, "completed": 0,
    }  # fmt: skip
    # The mapping: 8 done in time, 6 overdue; 5 without a deadline (p1, p2 and c).
    assert charts["mapping_deadline"] == {
        "done": 8, "done_late": 0, "overdue": 6, "open": 0, "no_deadline": 5,
    }  # fmt: skip
    assert charts["guidance_deadline"] == {
        "done": 0, "done_late": 0, "overdue": 14, "open": 0, "no_deadline": 5,
    }  # fmt: skip
    level = charts["norwegian_level"]
    assert (level["A2"], level["B1"], level["C1"], level["C2"]) == (8, 6, 0, 0)  # drafts: no
    assert charts["recognition"] == {"yes": 8, "no": 6, "unsure": 0}
    assert list(charts["goals"])[:2] == ["work", "education"]  # most common first
    assert (charts["goals"]["work"], charts["goals"]["education"]) == (8, 6)
    weeks = charts["weeks"]
    assert len(weeks) == 12 and list(weeks)[-1] == "2026-11-30"
    assert (weeks["2026-11-23"], weeks["2026-11-16"]) == (8, 6)
    assert sum(v for v in weeks.values() if isinstance(v, int)) == 14  # p3 is elsewhere


def test_the_page_draws_accessible_svg_with_a_table_and_no_script(app, world, as_actor, town):
    page = as_actor(app, "lead1").get("/overview")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    svgs = re.findall(r"<svg class=\"chart\" role=\"img\".*?</svg>", html, re.S)
    assert len(svgs) == 7
    for svg in svgs:
        assert "<title id=" in svg and "<desc id=" in svg and "aria-labelledby=" in svg
    assert html.count('<div class="visually-hidden"><table>') == 7
    # No chart script: nothing in the page's content runs; the only scripts are the site's
    # own modules every staff page loads (signing out), never a chart framework.
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert all("/js/" in src and "chart" not in src.lower() for src in scripts), scripts
    # The states chart: its numbers in the table, the small group as "fewer than 5".
    states = html.split("Participants by where their competence mapping stands", 2)[2]
    states = states.split("</table>", 1)[0]
    assert '<th scope="row">In review</th><td>8</td>' in states
    assert '<th scope="row">Draft</th><td>fewer than 5</td>' in states
    assert '<th scope="row">Not started</th><td>fewer than 5</td>' in states
    assert "Draft: fewer than 5" in svgs[0]


# who -> status: the lead and the administrator of the municipality; nobody else.
ACCESS = [("lead1", 200), ("admin1", 200), ("c1", 404), ("c3", 404), ("p1", 404), ("anon", 302)]


@pytest.mark.parametrize(("who", "status"), ACCESS)
def test_who_sees_the_overview(app, world, as_actor, who, status):
    assert as_actor(app, who).get("/overview").status_code == status


def test_each_sees_their_own_municipality(app, world, as_actor, admin2, town):
    client = as_actor(app, "anon")
    from .conftest import login_staff

    assert login_staff(client, "admin@b.no").status_code == 302
    html = client.get("/overview").get_data(as_text=True)
    assert "Kommune B" in html
    # One participant (p3): every number about them is withheld.
    assert "Too few people to show these numbers" in html


def test_counted_figures_are_kept_for_a_while_and_counted_again_after(app, world, as_actor, town):
    """Counting reads the whole municipality, so the counts are kept (one row, shared by every
    app server) for MAX_AGE, and counted again after that or on another day."""
    counted_at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with app.app_context():
        first = overview.figures(world.m1, TODAY, OSLO, now=counted_at)
        assert first.figures["states"]["in_review"] == 8
    _map(app, town["c"], {"norwegian_level": "C1"}, datetime(2026, 11, 30, 12, tzinfo=UTC))
    with app.app_context():
        soon = counted_at + overview.MAX_AGE - timedelta(seconds=1)
        kept = overview.figures(world.m1, TODAY, OSLO, now=soon)
        assert kept.counted_at == counted_at and kept.figures["states"]["submitted"] == 6
        later = overview.figures(world.m1, TODAY, OSLO, now=counted_at + overview.MAX_AGE)
        assert later.figures["states"]["submitted"] == 9  # the three drafts were sent
        tomorrow = overview.figures(world.m1, TODAY + timedelta(days=1), OSLO, now=later.counted_at)
        assert tomorrow.day == TODAY + timedelta(days=1)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OverviewFigures)) == 1
    html = as_actor(app, "lead1").get("/overview").get_data(as_text=True)
    assert "Counted at" in html and "more than 10 minutes old" in html


def test_old_counts_are_shown_at_once_and_counted_again_once_the_page_is_sent(
    app, world, as_actor, town
):
    """Counting takes seconds at 100,000 participants, so after MAX_AGE the page shows the
    kept counts (saying when they were counted) at once and counts again after it has been
    sent; only the day's first visit waits for a count (issue 12)."""
    lead = as_actor(app, "lead1")
    lead.get("/overview").close()  # nothing counted today: counted while the lead waits
    with app.app_context():
        row = db.session.get(OverviewFigures, world.m1)
        assert row.figures["states"]["submitted"] == 6
        row.counted_at -= overview.MAX_AGE + timedelta(minutes=1)
        old = row.counted_at
        db.session.commit()
    _map(app, town["c"], {"norwegian_level": "C1"}, datetime(2026, 11, 30, 12, tzinfo=UTC))

    def kept() -> OverviewFigures:
        with app.app_context():
            return db.session.get(OverviewFigures, world.m1)

    page = lead.get("/overview", buffered=False)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Submitted: 6" in html  # the kept counts, at once
    assert kept().counted_at == old and kept().figures["states"]["submitted"] == 6
    page.close()  # sent: now it counts again
    assert kept().counted_at > old and kept().figures["states"]["submitted"] == 9
    assert "Submitted: 9" in lead.get("/overview").get_data(as_text=True)
