"""A model-based test of the one write path (Hypothesis stateful testing).

Two phones (each following the phone's protocol: base revision from receipts only, rebase on a
receipt that meets newer edits or on a 409, never moving the base backwards), the server pages
and the counsellor write one response in random interleavings, through the real services and
the real database. The network loses replies, delivers requests out of order and replays them.

After every step the stored response is compared with a small reference model:

- the stored answers are the last write of every question (a clash keeps the later writer's
  value, and is recorded);
- a conflict is recorded exactly where two writers changed a question differently, never where
  only one side changed it;
- every revision is recorded, numbered 1..n without gaps, each with the answers it produced;
- a replay changes nothing.

``LOYPE_MODEL_EXAMPLES`` sets how many random runs (default 25 per database).
"""

from __future__ import annotations

import copy
import itertools
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from webapp.extensions import db
from webapp.models import Participant, Response, StaffUser
from webapp.services import questionnaires as questionnaire_service
from webapp.services import responses as response_service
from webapp.services import reviews, revisions, sync

from .stateful import run_against_model
from .test_write_path import model_document

# Few questions and values, so that writers often meet on the same question.
VALUES: dict[str, list[Any]] = {
    "name": [None, "Ada", "Bo"],
    "work": [None, "yes", "no"],
    "skills": [None, ["it"], ["it", "cooking"]],
    "educations": [None, [{"field": "IT"}], [{"field": "IT"}, {"field": "Mat"}]],
}
QUESTIONS = sorted(VALUES)
EDITS = st.sampled_from(QUESTIONS).flatmap(
    lambda q: st.tuples(st.just(q), st.sampled_from(VALUES[q]))
)


def three_way(base: dict, theirs: dict, mine: dict) -> tuple[dict, int]:
    """The reference rule, written out plainly: returns (result, number of clashes)."""
    result, clashes = {}, 0
    for key in set(base) | set(theirs) | set(mine):
        b, t, m = base.get(key), theirs.get(key), mine.get(key)
        if m != b and t != b and t != m:
            clashes += 1
        value = t if m == b else m
        if value is not None:
            result[key] = value
    return result, clashes


SERIALS = itertools.count(1)


@dataclass
class Request:
    device: str
    sequence: int
    base: int | None
    answers: dict[str, Any]
    #: Which request this is (a replay is the same object sent again). Not id(): Python reuses
    #: the id of a request nobody holds any more, and the model then took a new request for a
    #: replay, now and then.
    serial: int = field(default_factory=lambda: next(SERIALS))

    def submission(self, rid: str) -> sync.Submission:
        return sync.Submission(
            id=rid, questionnaire="model", version=1, status="draft",
            answers=copy.deepcopy(self.answers), base_revision=self.base,
            device=self.device, sequence=self.sequence,
        )  # fmt: skip


@dataclass
class Phone:
    """The phone's protocol (static/js/app/store.js), in a few lines."""

    device: str
    local: dict[str, Any] = field(default_factory=dict)
    base: int | None = None
    base_answers: dict[str, Any] = field(default_factory=dict)
    sequence: int = 0
    acknowledged: int = 0
    blocked: bool = False

    @property
    def pending(self) -> bool:
        return self.sequence > self.acknowledged

    def edit(self, question: str, value: Any) -> None:
        if value is None:
            self.local.pop(question, None)
        else:
            self.local[question] = copy.deepcopy(value)
        self.sequence += 1

    def request(self) -> Request:
        return Request(self.device, self.sequence, self.base, copy.deepcopy(self.local))

    def receipt(self, request: Request, receipt: revisions.Receipt) -> None:
        if self.base is not None and receipt.revision < self.base:
            return  # an old reply: the base never moves backwards
        if self.sequence == request.sequence:
            self.local = copy.deepcopy(receipt.answers)
            self.acknowledged = self.sequence
        else:  # newer edits wait: replay them on top of the server's answers
            self.local, _ = three_way(request.answers, receipt.answers, self.local)
        self.base, self.base_answers = receipt.revision, copy.deepcopy(receipt.answers)

    def rebase(self, current: Response) -> None:
        self.local, _ = three_way(self.base_answers, current.answers, self.local)
        self.base, self.base_answers = current.revision, copy.deepcopy(current.answers)


class WritePath(RuleBasedStateMachine):
    app = None
    world = None

    @initialize()
    def start(self):
        self.rid = str(uuid.uuid4())
        self.phones = [Phone("phone-aaaaaaaa"), Phone("phone-bbbbbbbb")]
        self.network: list[tuple[int, Request]] = []
        self.delivered: list[tuple[int, Request]] = []
        # The reference: answers and status now, the answers at each revision, clashes, and
        # what each phone request did (by device and sequence: revision number and answers).
        self.exists = False
        self.answers: dict[str, Any] = {}
        self.status = "draft"
        self.history: list[dict[str, Any]] = [{}]  # history[n] = answers at revision n
        self.clashes = 0
        self.stored_requests: dict[tuple[str, int], tuple[int, dict]] = {}
        self.seen_requests: set[int] = set()
        self.web: tuple[int, dict] | None = None
        # Phone A starts the response; phone B brings it home (as /api/v1/me does).
        self.phones[0].edit("name", "Ada")
        self._deliver(0, self.phones[0].request(), lost=False)
        self.phone_refreshes(1)

    # ---------------------------------------------------------------- the phones

    @rule(which=st.integers(0, 1), edit=EDITS)
    def phone_edits(self, which, edit):
        self.phones[which].edit(*edit)

    @rule(which=st.integers(0, 1), lost=st.booleans())
    def phone_syncs(self, which, lost):
        """The usual case: send what waits and (unless the reply is lost) hear back."""
        phone = self.phones[which]
        if phone.pending and not phone.blocked:
            request = phone.request()
            self._deliver(which, request, lost)
            self.delivered.append((which, request))

    @rule(which=st.integers(0, 1))
    def phone_sends(self, which):
        phone = self.phones[which]
        if phone.pending and not phone.blocked:
            self.network.append((which, phone.request()))

    @precondition(lambda self: self.network)
    @rule(pick=st.integers(0, 100), lost=st.booleans())
    def network_delivers(self, pick, lost):
        which, request = self.network.pop(pick % len(self.network))
        self._deliver(which, request, lost)
        self.delivered.append((which, request))

    @precondition(lambda self: self.delivered)
    @rule(pick=st.integers(0, 100))
    def network_replays(self, pick):
        """A request delivered again. One the server stored changes nothing; one it refused
        (sent while the response was submitted) is a new attempt, and may be stored now."""
        which, request = self.delivered[pick % len(self.delivered)]
        stored_before = request.serial in self.seen_requests
        before = (copy.deepcopy(self.answers), len(self.history))
        self._deliver(which, request, lost=False)
        if stored_before:
            assert (self.answers, len(self.history)) == before

    @rule(which=st.integers(0, 1))
    def phone_refreshes(self, which):
        """What /api/v1/me brings home: the server's state, when nothing waits to be sent."""
        if not self.exists:
            return
        phone = self.phones[which]
        with self.app.app_context():
            response = db.session.get(Response, self.rid)
            if phone.blocked and response.status == "draft":
                phone.blocked = False  # the counsellor opened it again
            if not phone.pending and (phone.base or 0) < response.revision:
                phone.local = copy.deepcopy(response.answers)
                phone.base, phone.base_answers = response.revision, copy.deepcopy(phone.local)

    def _deliver(self, which: int, request: Request, lost: bool):
        phone = self.phones[which]
        with self.app.app_context():
            person = db.session.get(Participant, self.world.p1)
            try:
                receipt = revisions.retrying(
                    lambda: sync.apply(person, request.submission(self.rid))
                )
            except revisions.Conflict as error:
                db.session.rollback()
                expected = self._expect_phone(request)
                assert expected == error.code, (expected, error.code)
                if not lost and error.code == "revision":
                    phone.rebase(db.session.get(Response, self.rid))
                elif not lost:
                    phone.blocked = True
                return
            expected = self._expect_phone(request)
            assert expected in (None, "stored"), expected
            if not lost:
                phone.receipt(request, receipt)

    def _expect_phone(self, request: Request) -> str | None:
        """Apply a phone request to the reference; return what the server must have done."""
        key = request.serial
        if key in self.seen_requests:
            return None  # a replay
        if not self.exists:
            self.seen_requests.add(key)
            self.exists = True
            self._store(request.answers, base_answers=None)
            self.stored_requests[(request.device, request.sequence)] = (1, request.answers)
            return "stored"
        own = [
            (seq, number, sent)
            for (device, seq), (number, sent) in self.stored_requests.items()
            if device == request.device
        ]
        newest = max(own, default=None)
        if newest is not None and newest[0] >= request.sequence:
            self.seen_requests.add(key)
            return "stored"  # overtaken: a receipt, nothing changes
        if self.status == "submitted":
            return "submitted"
        base, seen = request.base, None
        if newest is not None and (base is None or newest[1] > base):
            base, seen = newest[1], newest[2]
        if base is None or base >= len(self.history):
            return "revision"
        self.seen_requests.add(key)
        self._store(request.answers, self.history[base] if seen is None else seen, always=True)
        self.stored_requests[(request.device, request.sequence)] = (
            len(self.history) - 1, request.answers,
        )  # fmt: skip
        return "stored"

    def _store(
        self, mine: dict, base_answers: dict | None, status: str | None = None, always=False
    ) -> bool:
        if base_answers is None:
            result, clashes = copy.deepcopy(mine), 0
        else:
            result, clashes = three_way(base_answers, self.answers, mine)
        status = status or self.status
        unchanged = result == self.answers and status == self.status
        if len(self.history) > 1 and unchanged and not always:
            return False
        self.clashes += clashes
        self.answers, self.status = result, status
        self.history.append(copy.deepcopy(result))
        return True

    # ---------------------------------------------------------------- the server pages

    @precondition(lambda self: self.exists)
    @rule()
    def web_opens_a_page(self):
        self.web = (len(self.history) - 1, copy.deepcopy(self.answers))

    @precondition(lambda self: self.web is not None)
    @rule(edit=EDITS)
    def web_posts_the_page(self, edit):
        question, value = edit
        base, seen = self.web
        with self.app.app_context():
            response = db.session.get(Response, self.rid)
            person = db.session.get(Participant, self.world.p1)
            page = {} if value is None else {question: copy.deepcopy(value)}
            try:
                receipt, errors = revisions.retrying(
                    lambda: response_service.save_page(
                        response, person, page, [question], base=base, require=False
                    )
                )
            except response_service.ResponseClosed:
                assert self.status == "submitted"
                return
            assert errors == []
            mine = {k: v for k, v in seen.items() if k != question}
            if value is not None:
                mine[question] = value
            self._store(mine, self.history[base])
            self.web = (receipt.revision, copy.deepcopy(receipt.answers))

    @precondition(lambda self: self.exists)
    @rule()
    def web_submits(self):
        with self.app.app_context():
            response = db.session.get(Response, self.rid)
            if response.status != "draft":
                return
            person = db.session.get(Participant, self.world.p1)
            errors = revisions.retrying(lambda: response_service.submit(response, person))
            if not errors:
                self._store(self.answers, self.answers, "submitted")
            else:
                assert not {"name", "work"} <= set(self.answers)

    @precondition(lambda self: self.status == "submitted")
    @rule()
    def counsellor_reopens(self):
        with self.app.app_context():
            response = db.session.get(Response, self.rid)
            staff = db.session.get(StaffUser, self.world.c1)
            revisions.retrying(
                lambda: reviews.add_review(response, staff, "follow_up", "", "Se igjen")
            )
            self._store(self.answers, self.answers, "draft")

    # ---------------------------------------------------------------- what must hold

    def teardown(self):
        if os.environ.get("LOYPE_MODEL_STATS"):
            print("STATS", len(self.history) - 1, self.clashes, len(self.delivered))

    @invariant()
    def stored_response_matches_the_model(self):
        if not getattr(self, "exists", False):
            return
        with self.app.app_context():
            response = db.session.get(Response, self.rid)
            assert response.answers == self.answers
            assert response.status == self.status
            assert response.revision == len(self.history) - 1
            numbers = [r.number for r in response.revisions]
            assert numbers == list(range(1, response.revision + 1))
            assert [r.answers for r in response.revisions] == self.history[1:]
            assert len(response.conflicts or []) == self.clashes


@pytest.mark.parametrize("runs", [int(os.environ.get("LOYPE_MODEL_EXAMPLES", "25"))])
def test_write_path_against_the_model(app, world, runs):
    with app.app_context():
        questionnaire_service.import_document(model_document())
        db.session.commit()
    WritePath.app, WritePath.world = app, world
    run_against_model(WritePath, runs, 50, HealthCheck.filter_too_much)
