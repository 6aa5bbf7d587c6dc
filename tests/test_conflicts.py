"""Sync conflicts: the counsellor sees both values and who gave each, and keeps one.

Examples first (the page, the caseload, the phone afterwards, every refusal), then a
model-based test that drives clashes and resolutions against a small reference model.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from webapp.extensions import db
from webapp.models import AuditEvent, Participant, Response, StaffUser
from webapp.services import questionnaires as questionnaire_service
from webapp.services import revisions

from .stateful import run_against_model
from .test_write_path import (
    body,
    model_document,
    put,
    revision_rows,
    start_model_draft,
    stored,
)


def _clash(phone) -> str:
    """Two phones change the same answer from revision 1: a conflict the server records."""
    rid = str(uuid.uuid4())
    put(phone, rid, body({"mapped_before": "yes", "previous_mapping_where": "NAV"}))
    first = {"mapped_before": "yes", "previous_mapping_where": "NAV Oslo"}
    second = {"mapped_before": "yes", "previous_mapping_where": "Bydel Grorud"}
    put(phone, rid, body(first, base=1, device="phone-aaaaaaaa", sequence=2))
    answer = put(phone, rid, body(second, base=1, device="phone-bbbbbbbb", sequence=2))
    assert answer.json["conflicts"] == ["previous_mapping_where"]
    return rid


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _resolve(client, rid, *, index=0, keep="other", revision=None, question=None):
    page = client.get(f"/responses/{rid}").get_data(as_text=True)
    seen = (
        revision
        if revision is not None
        else int(re.search(r'name="revision" value="(\d+)"', page).group(1))
    )
    return client.post(
        f"/responses/{rid}/conflicts/{index}",
        data={"csrf_token": _token(page), "question": question or "previous_mapping_where",
              "revision": seen, "keep": keep},
    )  # fmt: skip


@pytest.fixture
def phone(app, world, as_actor):
    return as_actor(app, "p1")


def test_the_page_shows_both_values_who_gave_each_and_the_caseload_counts_it(
    app, world, phone, as_actor
):
    rid = _clash(phone)
    counsellor = as_actor(app, "c1")
    page = counsellor.get(f"/responses/{rid}").get_data(as_text=True)
    section = page[page.index('id="conflicts-heading"') :]
    assert "NAV Oslo" in section and "Bydel Grorud" in section
    assert section.count("on their phone") == 2  # both values came from the participant's phones
    assert 'value="kept"' in section and 'value="other"' in section
    caseload = counsellor.get("/caseload").get_data(as_text=True)
    assert "Open conflicts: 1" in caseload


def test_keeping_the_other_value_is_a_recorded_revision_that_reaches_the_phone(
    app, world, phone, as_actor
):
    rid = _clash(phone)
    counsellor = as_actor(app, "c1")
    before = stored(app, rid).revision
    answer = _resolve(counsellor, rid, keep="other")
    assert answer.status_code == 302
    response = stored(app, rid)
    assert response.answers["previous_mapping_where"] == "NAV Oslo"
    assert response.revision == before + 1
    last = revision_rows(app, rid)[-1]
    assert (last.source, last.staff_id, last.occasion) == ("staff", world.c1, "resolution")
    assert response.conflicts[0]["resolved"]["keep"] == "other"
    assert response.conflicts[0]["resolved"]["revision"] == response.revision
    page = counsellor.get(f"/responses/{rid}").get_data(as_text=True)
    section = page[
        page.index('id="conflicts-heading"') : page.index(
            "</section>", page.index('id="conflicts-heading"')
        )
    ]
    assert 'class="resolve-form"' not in section
    assert "kept by <bdi>Counsellor One</bdi>" in section and "NAV Oslo" in section
    assert "Open conflicts" not in counsellor.get("/caseload").get_data(as_text=True)
    me = phone.get("/api/v1/me").json
    (mine,) = [r for r in me["responses"] if r["id"] == rid]
    assert mine["answers"]["previous_mapping_where"] == "NAV Oslo"
    assert mine["revision"] == response.revision
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.target.like(f"response:{rid}%"))
        ).all()
        assert "response.conflict_resolved" in actions


def test_keeping_the_value_stored_now_still_records_the_decision(app, world, phone, as_actor):
    rid = _clash(phone)
    before = stored(app, rid)
    assert _resolve(as_actor(app, "c1"), rid, keep="kept").status_code == 302
    after = stored(app, rid)
    assert after.answers == before.answers and after.revision == before.revision + 1
    assert revision_rows(app, rid)[-1].occasion == "resolution"


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("twice", 409, "already settled"),
        ("stale", 409, "changed after you opened this page"),
        ("no revision", 409, "changed after you opened this page"),
        ("bogus", 422, "Choose one of the two answers"),
        ("empty", 422, "Choose one of the two answers"),
    ],
)
def test_bad_input_gives_a_clear_message_and_changes_nothing(
    app, world, phone, as_actor, case, status, message
):
    rid = _clash(phone)
    counsellor = as_actor(app, "c1")
    if case == "twice":
        page = counsellor.get(f"/responses/{rid}").get_data(as_text=True)
        seen = int(re.search(r'name="revision" value="(\d+)"', page).group(1))
        assert _resolve(counsellor, rid, keep="other", revision=seen).status_code == 302
    before = stored(app, rid)
    count = len(revision_rows(app, rid))
    if case == "twice":
        answer = _resolve(counsellor, rid, keep="kept", revision=seen)
    elif case == "stale":
        answer = _resolve(counsellor, rid, keep="other", revision=before.revision - 1)
    elif case == "no revision":
        answer = _resolve(counsellor, rid, keep="other", revision="")
    elif case == "bogus":
        answer = _resolve(counsellor, rid, keep="NAV Bergen")
    else:
        answer = _resolve(counsellor, rid, keep="")
    assert answer.status_code == status
    assert message in answer.get_data(as_text=True)
    after = stored(app, rid)
    assert (after.answers, after.revision, after.conflicts) == (
        before.answers, before.revision, before.conflicts,
    )  # fmt: skip
    assert len(revision_rows(app, rid)) == count


def test_an_unknown_conflict_or_another_counsellor_finds_nothing(app, world, phone, as_actor):
    rid = _clash(phone)
    before = stored(app, rid)
    assert _resolve(as_actor(app, "c1"), rid, index=5).status_code == 404
    assert _resolve(as_actor(app, "c1"), rid, question="mapped_before").status_code == 404
    other = as_actor(app, "c2")
    token = _token(other.get("/caseload").get_data(as_text=True))
    refused = other.post(
        f"/responses/{rid}/conflicts/0",
        data={"csrf_token": token, "question": "previous_mapping_where",
              "revision": before.revision, "keep": "other"},
    )  # fmt: skip
    assert refused.status_code == 404
    assert stored(app, rid).revision == before.revision


# ------------------------------------------------------------------ the model

VALUES = ["Ada", "Bo", "Cy"]


class Resolving(RuleBasedStateMachine):
    """Clashes on one question, settled one by one, with stale and repeated attempts."""

    app = None
    world = None

    @initialize()
    def start(self):
        self.rid = start_model_draft(self.app, self.world.p1, {"name": "Ada"})
        self.answers: dict[str, Any] = {"name": "Ada"}
        self.revision = 1
        self.conflicts: list[dict[str, Any]] = []

    def _write(self, value: str, base: int) -> None:
        with self.app.app_context():
            response = db.session.get(Response, self.rid)
            person = db.session.get(Participant, self.world.p1)
            revisions.retrying(
                lambda: revisions.write(
                    response, revisions.Author("phone", person), base=base,
                    answers={"name": value}, status="draft",
                )
            )  # fmt: skip

    @rule(theirs=st.sampled_from(VALUES), mine=st.sampled_from(VALUES))
    def two_writers_clash(self, theirs, mine):
        """One writer stores ``theirs``; another, still on the same base, sends ``mine``."""
        base, base_value = self.revision, self.answers.get("name")
        self._write(theirs, base)
        if theirs != base_value:
            self.revision += 1
        self.answers["name"] = theirs
        self._write(mine, base)
        if mine != theirs and base_value not in (theirs, mine):
            self.conflicts.append({"kept": mine, "other": theirs, "open": True})
        if mine != theirs and mine != base_value:
            self.revision += 1
            self.answers["name"] = mine

    @precondition(lambda self: self.conflicts)
    @rule(pick=st.integers(0, 50), keep=st.sampled_from(["kept", "other", "third"]),
          stale=st.booleans())  # fmt: skip
    def counsellor_resolves(self, pick, keep, stale):
        index = pick % len(self.conflicts)
        expected = self.conflicts[index]
        seen = self.revision - 1 if stale else self.revision
        with self.app.app_context():
            response = db.session.get(Response, self.rid)
            staff = db.session.get(StaffUser, self.world.c1)
            try:
                revisions.retrying(
                    lambda: revisions.resolve_conflict(
                        response, revisions.Author("staff", staff), index=index,
                        question="name", keep=keep, seen=seen,
                    )
                )  # fmt: skip
            except revisions.WriteError as error:
                refused = error.code
            else:
                refused = None
        if not expected["open"]:
            assert refused == "resolved"
        elif stale:
            assert refused == "stale"
        elif keep == "third":
            assert refused == "choice"
        else:
            assert refused is None
            expected["open"] = False
            self.answers["name"] = expected[keep]
            self.revision += 1

    @invariant()
    def stored_response_matches_the_model(self):
        with self.app.app_context():
            response = db.session.get(Response, self.rid)
            assert response.answers == self.answers
            assert response.revision == self.revision
            assert [r.number for r in response.revisions] == list(range(1, self.revision + 1))
            assert revisions.open_conflicts(response.conflicts) == sum(
                c["open"] for c in self.conflicts
            )
            assert [(c["kept"], c["other"]) for c in response.conflicts] == [
                (c["kept"], c["other"]) for c in self.conflicts
            ]


def test_resolving_against_the_model(app, world):
    with app.app_context():
        questionnaire_service.import_document(model_document())
        db.session.commit()
    Resolving.app, Resolving.world = app, world
    run_against_model(Resolving, 15, 15)


def test_a_conflict_in_sent_answers_still_counts_after_answer_again(app, world, phone, as_actor):
    """The caseload counted conflicts in the newest response only: once the participant pressed
    *Answer again*, a conflict in the answers they had sent vanished from the count while the
    sent response itself still showed in the row."""
    rid = _clash(phone)
    answers = {**stored(app, rid).answers, "short_term_goal_kind": "work",
               "long_term_goal_kind": "work"}  # fmt: skip
    sent = put(phone, rid, body(answers, status="submitted", base=stored(app, rid).revision))
    assert sent.status_code == 200, sent.json
    again = put(phone, str(uuid.uuid4()), body({"mapped_before": "yes"}))
    assert again.status_code in (200, 201), again.json
    caseload = as_actor(app, "c1").get("/caseload").get_data(as_text=True)
    assert "Open conflicts: 1" in caseload
