"""Staff forms saved from an outdated page, or at the same moment as someone else's save.

A plan step, the programme and the guidance offer carry the state their page was opened on:
a save from a page opened before someone else's change is refused (409) and the page shows
what is stored now, so nothing the other person saved is silently put back. Two reviews of
one response saved at the same moment are never both stored: the second is checked against
the first and refused as outdated, on SQLite and PostgreSQL alike. And a step falling due is
not announced to someone who left the programme.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import date, datetime
from html import unescape
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from hypothesis import strategies as st
from hypothesis.stateful import rule

from webapp.extensions import db
from webapp.models import (
    REVIEW_STATUSES,
    NextStep,
    Notification,
    Participant,
    Response,
    Review,
    StaffUser,
)
from webapp.services import participants, plan, reviews, revisions
from webapp.services import questionnaires as questionnaire_service

from .conftest import csrf_token
from .review_forms import form_fields
from .stateful import run_against_model
from .test_review_forms import _sent
from .test_review_transitions import MESSAGES, Reviewing
from .test_write_path import model_document

OUTDATED = "Someone changed this after you opened the page. Nothing was saved."
REVIEW_STALE = "The response changed after you opened this page"
OSLO = ZoneInfo("Europe/Oslo")


class _Form(HTMLParser):
    """The fields of the first POST form whose action ends with ``action`` ("": a form posting
    to its own page), as a browser would send them unchanged."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.done = action, False, False
        self.fields: dict[str, str] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done:
            action = a.get("action")
            ours = action is None if not self.action else (action or "").endswith(self.action)
            self.inside = ours and a.get("method") == "post"
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.fields[name] = a.get("value") or "y"
            else:
                self.fields[name] = a.get("value") or ""
        elif tag == "select":
            self.select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self.select and "selected" in a:
            self.fields[self.select] = a.get("value") or ""
        elif tag == "textarea":
            self.textarea = name
            self.fields[name] = ""

    def handle_data(self, data):
        if self.inside and self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields[self.textarea] = unescape(self.fields[self.textarea]).strip("\r\n")
            self.textarea = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


def opened(client, page: str, action: str = "") -> dict[str, str]:
    """Open ``page`` and return what its form (posting to ``action``) sends unchanged."""
    parser = _Form(action)
    parser.feed(client.get(page).get_data(as_text=True))
    assert parser.fields, f"no form for {action!r} on {page}"
    return parser.fields


def _text(response) -> str:
    return " ".join(unescape(response.get_data(as_text=True)).split())


# ------------------------------------------------------------------ a plan step


def _step(app, world) -> int:
    with app.app_context():
        step = plan.add_step(
            db.session.get(StaffUser, world.c1),
            db.session.get(Participant, world.p1),
            plan.StepInput("Norskkurs A2", "Melde seg på", "participant", date(2027, 1, 10),
                           "planned", True),
        )  # fmt: skip
        db.session.commit()
        return step.id


def _stored_step(app, sid: int) -> tuple:
    with app.app_context():
        step = db.session.get(NextStep, sid)
        return step.goal, step.status, step.due_on


def test_a_step_saved_from_an_older_page_puts_nothing_back(app, world, as_actor):
    """The lead marks the step done; the counsellor, whose page was opened before, fixes the
    goal's wording: refused, the step stays done, and the page shows it as it is now."""
    sid = _step(app, world)
    path = f"/participants/{world.p1}/steps/{sid}"
    counsellor, lead = as_actor(app, "c1"), as_actor(app, "lead1")
    older = opened(counsellor, path)
    assert older["seen"] and older["status"] == "planned"

    saved = lead.post(path, data=opened(lead, path) | {"status": "done"})
    assert saved.status_code == 302
    refused = counsellor.post(path, data=older | {"goal": "Norskkurs A2 (kveld)"})
    assert refused.status_code == 409
    assert OUTDATED in _text(refused)
    assert _stored_step(app, sid) == ("Norskkurs A2", "done", date(2027, 1, 10))
    # The page shows the step as stored now; saved from there, the change is kept with the
    # lead's.
    again = _Form("")
    again.feed(refused.get_data(as_text=True))
    assert again.fields["status"] == "done" and again.fields["goal"] == "Norskkurs A2"
    assert again.fields["seen"] != older["seen"]
    saved = counsellor.post(path, data=again.fields | {"goal": "Norskkurs A2 (kveld)"})
    assert saved.status_code == 302
    assert _stored_step(app, sid) == ("Norskkurs A2 (kveld)", "done", date(2027, 1, 10))
    # Opened again and saved unchanged, twice from the same page: nothing outdated the page.
    current = opened(counsellor, path)
    assert counsellor.post(path, data=current).status_code == 302
    assert counsellor.post(path, data=current).status_code == 302


def test_an_outdated_step_page_with_a_mistake_is_shown_as_outdated(app, world, as_actor):
    sid = _step(app, world)
    path = f"/participants/{world.p1}/steps/{sid}"
    counsellor, lead = as_actor(app, "c1"), as_actor(app, "lead1")
    older = opened(counsellor, path)
    assert lead.post(path, data=opened(lead, path) | {"status": "done"}).status_code == 302
    refused = counsellor.post(path, data=older | {"due_on": "10.01.2027"})
    assert refused.status_code == 409 and OUTDATED in _text(refused)
    assert _stored_step(app, sid)[1] == "done"


@contextmanager
def both_check_together(module, name: str, seconds: float):
    """Make each of two writers wait for the other at ``module.name`` (the check of ``seen``)
    for up to ``seconds``: without the row held, both pass the check on the state both opened;
    with it, the second waits for the first's commit, and the first goes on alone."""
    real = getattr(module, name)
    barrier = threading.Barrier(2, timeout=seconds)

    def waiting(*args, **kwargs):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return real(*args, **kwargs)

    setattr(module, name, waiting)
    try:
        yield
    finally:
        setattr(module, name, real)


def _at_once(*posts) -> list:
    """Send each (client, path, data) at the same moment; return the responses in order."""
    results: list = [None] * len(posts)

    def send(index, client, path, data):
        try:
            results[index] = client.post(path, data=data)
        except Exception as error:  # noqa: BLE001 - reported by the caller's assertions
            results[index] = error

    threads = [threading.Thread(target=send, args=(i, *p)) for i, p in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_step_saves_at_the_same_moment_are_never_both_stored(app, world, as_actor):
    sid = _step(app, world)
    path = f"/participants/{world.p1}/steps/{sid}"
    counsellor, lead = as_actor(app, "c1"), as_actor(app, "lead1")
    mine, theirs = opened(counsellor, path), opened(lead, path)
    with both_check_together(plan, "step_state", 3):
        results = _at_once(
            (counsellor, path, mine | {"goal": "Norskkurs A2 (kveld)"}),
            (lead, path, theirs | {"status": "done"}),
        )
    codes = sorted(r.status_code for r in results)
    assert codes == [302, 409], results
    first = results[0].status_code == 302
    assert _stored_step(app, sid) == (
        ("Norskkurs A2 (kveld)", "planned", date(2027, 1, 10))
        if first
        else ("Norskkurs A2", "done", date(2027, 1, 10))
    )


# ------------------------------------------------------------------ programme and offer


def _programme(app, pid: int) -> tuple:
    with app.app_context():
        person = db.session.get(Participant, pid)
        return (
            person.programme,
            person.programme_start,
            person.mapping_completed_on,
            person.guidance_offered_on,
            person.guidance_centre,
        )


def test_the_programme_saved_from_an_older_page_keeps_the_mapping_date(app, world, as_actor):
    """The lead records the mapping as completed (the 90-day deadline reads it); the
    counsellor's older page sets the start date: refused, the completion date stays."""
    page = f"/participants/{world.p1}"
    action = f"{page}/programme"
    counsellor, lead = as_actor(app, "c1"), as_actor(app, "lead1")
    older = opened(counsellor, page, action)
    assert older["seen"]
    saved = lead.post(action, data=opened(lead, page, action) | {
        "programme": "integration_act", "mapping_completed_on": "2026-10-01"})  # fmt: skip
    assert saved.status_code == 302
    refused = counsellor.post(action, data=older | {"programme_start": "2026-09-01"})
    assert refused.status_code == 409 and OUTDATED in _text(refused)
    assert _programme(app, world.p1)[:3] == ("integration_act", None, date(2026, 10, 1))
    again = _Form(action)
    again.feed(refused.get_data(as_text=True))
    assert again.fields["mapping_completed_on"] == "2026-10-01"
    saved = counsellor.post(action, data=again.fields | {"programme_start": "2026-09-01"})
    assert saved.status_code == 302
    assert _programme(app, world.p1)[:3] == (
        "integration_act", date(2026, 9, 1), date(2026, 10, 1))  # fmt: skip


def test_the_guidance_offer_saved_from_an_older_page_is_refused(app, world, as_actor):
    page = f"/participants/{world.p1}"
    action = f"{page}/guidance-offer"
    counsellor, lead = as_actor(app, "c1"), as_actor(app, "lead1")
    older = opened(counsellor, page, action)
    saved = lead.post(
        action,
        data=opened(lead, page, action)
        | {"guidance_offered_on": "2026-11-20", "guidance_centre": "Karrieresenteret i Oslo"},
    )
    assert saved.status_code == 302
    refused = counsellor.post(action, data=older | {"guidance_offered_on": "2026-11-21"})
    assert refused.status_code == 409 and OUTDATED in _text(refused)
    assert _programme(app, world.p1)[3:] == (date(2026, 11, 20), "Karrieresenteret i Oslo")


def test_saving_one_form_of_the_page_does_not_outdate_the_others(app, world, as_actor):
    """The programme and the guidance offer are two forms of one page (one row): the offer
    saved from a page opened before the programme was saved is no outdated offer."""
    page = f"/participants/{world.p1}"
    client = as_actor(app, "c1")
    offer = opened(client, page, f"{page}/guidance-offer")
    saved = client.post(f"{page}/programme", data=opened(client, page, f"{page}/programme")
                        | {"programme": "other"})  # fmt: skip
    assert saved.status_code == 302
    saved = client.post(f"{page}/guidance-offer", data=offer | {"guidance_centre": "Bergen"})
    assert saved.status_code == 302
    assert _programme(app, world.p1)[0] == "other" and _programme(app, world.p1)[4] == "Bergen"


def test_two_programme_saves_at_the_same_moment_are_never_both_stored(app, world, as_actor):
    page = f"/participants/{world.p1}"
    action = f"{page}/programme"
    counsellor, lead = as_actor(app, "c1"), as_actor(app, "lead1")
    mine, theirs = opened(counsellor, page, action), opened(lead, page, action)
    with both_check_together(participants, "programme_state", 3):
        results = _at_once(
            (counsellor, action, mine | {"programme_start": "2026-09-01"}),
            (lead, action, theirs | {"mapping_completed_on": "2026-10-01"}),
        )
    assert sorted(r.status_code for r in results) == [302, 409], results
    stored = _programme(app, world.p1)[1:3]
    assert stored in ((date(2026, 9, 1), None), (None, date(2026, 10, 1)))


# ------------------------------------------------------------------ reviews at the same moment


def _review_state(app, rid: str) -> tuple[str, list[str], str]:
    with app.app_context():
        response = db.session.get(Response, rid)
        return (
            response.status,
            [r.status for r in response.reviews],
            reviews.follow_up_message(response),
        )


def test_two_reviews_saved_at_the_same_moment_are_never_both_stored(app, world, as_actor):
    """The counsellor asks for follow-up while the lead marks the answers completed: one is
    saved, the other is refused as outdated, and the response is in one consistent state."""
    rid = _sent(app, world)
    path = f"/responses/{rid}"
    counsellor, lead = as_actor(app, "c1"), as_actor(app, "lead1")
    mine = form_fields(counsellor.get(path).get_data(as_text=True))
    theirs = form_fields(lead.get(path).get_data(as_text=True))
    assert mine["seen"] == theirs["seen"]
    with both_check_together(reviews, "review_state", 3):
        results = _at_once(
            (counsellor, path, mine | {"status": "follow_up", "message": "Se på målet"}),
            (lead, path, theirs | {"status": "completed", "message": ""}),
        )
    assert sorted(r.status_code for r in results) == [302, 409], results
    refused = next(r for r in results if r.status_code == 409)
    assert REVIEW_STALE in _text(refused)
    if results[0].status_code == 302:  # the follow-up first: open for changes, with it
        assert _review_state(app, rid) == ("draft", ["follow_up"], "Se på målet")
    else:
        assert _review_state(app, rid) == ("submitted", ["completed"], "")
    with app.app_context():
        kinds = db.session.scalars(
            sa.select(Notification.kind).where(Notification.participant_id == world.p1)
        ).all()
    assert kinds.count("follow_up") == (1 if results[0].status_code == 302 else 0)


def test_two_reviews_that_open_nothing_are_never_both_stored(app, world):
    """In review and completed at once, straight through the service (as the view calls it):
    the later is refused as stale, never silently put over the other."""
    rid = _sent(app, world)
    with app.app_context():
        seen = reviews.review_state(db.session.get(Response, rid))
    outcomes: dict[str, object] = {}

    def reviewer(name: str, status: str) -> None:
        with app.app_context():
            response = db.session.get(Response, rid)
            staff = db.session.get(StaffUser, getattr(world, name))
            try:
                revisions.retrying(
                    lambda: reviews.add_review(response, staff, status, name, seen=seen)
                )
                outcomes[name] = "saved"
            except reviews.ReviewError as error:
                outcomes[name] = error.code
            finally:
                db.session.remove()

    with both_check_together(reviews, "review_state", 3):
        threads = [
            threading.Thread(target=reviewer, args=("c1", "in_review")),
            threading.Thread(target=reviewer, args=("lead1", "completed")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert sorted(outcomes.values()) == ["saved", "stale"], outcomes
    with app.app_context():
        [review] = db.session.scalars(sa.select(Review)).all()
        assert review.note == next(k for k, v in outcomes.items() if v == "saved")


class ReviewingAtOnce(Reviewing):
    """The review states' model (test_review_transitions.py), with two counsellors saving
    reviews from pages opened on the current state at the same moment: whichever is stored
    first is judged by the model's rules, and the other by them after it (outdated, when the
    first was stored)."""

    @rule(
        first=st.tuples(st.sampled_from(REVIEW_STATUSES), st.sampled_from(MESSAGES)),
        second=st.tuples(st.sampled_from(REVIEW_STATUSES), st.sampled_from(MESSAGES)),
    )
    def two_counsellors_review_at_once(self, first, second):
        with self.app.app_context():
            seen = reviews.review_state(db.session.get(Response, self.rid))
        outcomes: list = [None, None]

        def reviewer(index: int, name: str, status: str, message: str) -> None:
            with self.app.app_context():
                response = db.session.get(Response, self.rid)
                staff = db.session.get(StaffUser, getattr(self.world, name))
                try:
                    revisions.retrying(
                        lambda: reviews.add_review(response, staff, status, "", message, seen)
                    )
                    outcomes[index] = None
                except reviews.ReviewError as error:
                    outcomes[index] = error.code
                except Exception as error:  # noqa: BLE001 - fails the comparison below
                    outcomes[index] = error
                finally:
                    db.session.remove()

        with both_check_together(reviews, "review_state", 0.3):
            threads = [
                threading.Thread(target=reviewer, args=(0, "c1", *first)),
                threading.Thread(target=reviewer, args=(1, "lead1", *second)),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        # Either order may win; the outcomes must be the model's for one of them.
        era = self.era
        orders = []
        for order in ((0, 1), (1, 0)):
            a, b = (first, second)[order[0]], (first, second)[order[1]]
            verdict_a = self._verdict(*a, era)
            verdict_b = "stale" if verdict_a is None else self._verdict(*b, era)
            verdicts = [None, None]
            verdicts[order[0]], verdicts[order[1]] = verdict_a, verdict_b
            orders.append((verdicts, order))
        matching = [order for verdicts, order in orders if verdicts == outcomes]
        assert matching, (outcomes, first, second, self.status, self.reviews)
        winner = next((i for i in matching[0] if outcomes[i] is None), None)
        if winner is not None:
            self._accept(*(first, second)[winner])


def test_reviewing_at_once_against_the_model(app, world):
    with app.app_context():
        questionnaire_service.import_document(model_document())
        db.session.commit()
    ReviewingAtOnce.app, ReviewingAtOnce.world = app, world
    run_against_model(ReviewingAtOnce, 10, 8)


# ------------------------------------------------------------------ due steps after leaving


def test_a_step_falling_due_is_not_announced_to_someone_who_left(app, world, as_actor):
    with app.app_context():
        for name, counsellor in (("p1", "c1"), ("p2", "c2")):
            plan.add_step(
                db.session.get(StaffUser, getattr(world, counsellor)),
                db.session.get(Participant, getattr(world, name)),
                plan.StepInput("Mål", "Ring NAV", "participant", date(2026, 3, 10), "planned",
                               True),
            )  # fmt: skip
        db.session.commit()
    page = f"/participants/{world.p1}"
    counsellor = as_actor(app, "c1")
    left = counsellor.post(f"{page}/left", data={"csrf_token": csrf_token(counsellor, page)})
    assert left.status_code == 302
    with app.app_context():
        assert db.session.get(Participant, world.p1).left_programme_at is not None
        assert plan.notify_due_steps(datetime(2026, 3, 10, 9, tzinfo=OSLO)) == 1
        db.session.commit()
        told = db.session.scalars(
            sa.select(Notification.participant_id).where(Notification.kind == "next_step_due")
        ).all()
    assert told == [world.p2]
