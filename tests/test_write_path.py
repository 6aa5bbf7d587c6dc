"""The one write path: what the participant last wrote is what the counsellor reads.

Examples first (each a bug that was seen), then two real concurrent writers, then a
model-based test that drives the real services with random interleavings of two phones, the
server pages and the counsellor against a small reference model.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Participant, Response, ResponseRevision, StaffUser
from webapp.questionnaires.published import published_versions
from webapp.services import merge as merge_rules
from webapp.services import questionnaires as questionnaire_service
from webapp.services import responses as response_service
from webapp.services import reviews, revisions, sync

from .conftest import csrf_token
from .documents import minimal_document
from .review_forms import review_form


def body(answers=None, status="draft", base=None, device=None, sequence=None):
    payload = {"questionnaire": "kartlegging", "version": 1, "status": status,
               "answers": answers or {}, "base_revision": base}  # fmt: skip
    if device:
        payload.update(device=device, sequence=sequence)
    return payload


def put(client, rid, payload):
    return client.put(f"/api/v1/responses/{rid}", json=payload)


@pytest.fixture
def phone(app, world, as_actor):
    return as_actor(app, "p1")


def stored(app, rid) -> Response:
    with app.app_context():
        response = db.session.get(Response, rid)
        db.session.expunge(response)
        return response


def revision_rows(app, rid) -> list[ResponseRevision]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(ResponseRevision)
            .where(ResponseRevision.response_id == rid)
            .order_by(ResponseRevision.number)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


# ------------------------------------------------------------------ the reported journeys


def test_a_cleared_answer_is_cleared_for_the_counsellor(app, world, phone, as_actor):
    rid = str(uuid.uuid4())
    first = put(phone, rid, body({"mapped_before": "yes", "previous_mapping_where": "NAV Oslo"}))
    assert first.status_code == 201 and first.json["revision"] == 1
    cleared = put(phone, rid, body({"mapped_before": "yes"}, base=1))
    assert cleared.status_code == 200 and cleared.json["revision"] == 2
    assert cleared.json["answers"] == {"mapped_before": "yes"}
    put(phone, rid, body({"mapped_before": "yes"}, status="submitted", base=2))
    counsellor = as_actor(app, "c1")
    page = counsellor.get(f"/responses/{rid}").get_data(as_text=True)
    assert "NAV Oslo" not in page
    assert stored(app, rid).answers == {"mapped_before": "yes"}


def test_unknown_or_missing_base_is_refused_with_the_current_state(app, phone):
    rid = str(uuid.uuid4())
    put(phone, rid, body({"mapped_before": "yes", "previous_mapping_where": "NAV Oslo"}))
    for base in (None, 7):
        refused = put(phone, rid, body({"mapped_before": "yes"}, base=base))
        assert refused.status_code == 409
        assert refused.json["current"] == {
            "revision": 1, "status": "draft",
            "answers": {"mapped_before": "yes", "previous_mapping_where": "NAV Oslo"},
        }  # fmt: skip
    assert (
        stored(app, rid).answers["previous_mapping_where"] == "NAV Oslo"
    )  # never merged against {}


def test_one_question_edited_twice_with_a_sync_between_is_no_conflict(app, phone):
    rid = str(uuid.uuid4())
    put(phone, rid, body({"mapped_before": "yes", "previous_mapping_where": "NAV"}))
    second = put(
        phone, rid, body({"mapped_before": "yes", "previous_mapping_where": "NAV Oslo"}, base=1)
    )
    third = put(
        phone,
        rid,
        body({"mapped_before": "yes", "previous_mapping_where": "NAV Oslo sentrum"}, base=2),
    )
    assert third.json["conflicts"] == [] and third.json["merged"] is False
    assert second.json["revision"] == 2 and third.json["revision"] == 3
    assert stored(app, rid).conflicts == []


def test_lost_reply_then_more_edits_keeps_the_newest_edit(app, phone):
    """The phone sent "NAV" (the reply was lost), then cleared it: the clear wins."""
    rid = str(uuid.uuid4())
    device = "phone-aaaaaaaa"
    put(phone, rid, body({"mapped_before": "yes"}, device=device, sequence=1))
    sent = put(
        phone,
        rid,
        body(
            {"mapped_before": "yes", "previous_mapping_where": "NAV"},
            base=1,
            device=device,
            sequence=2,
        ),
    )
    assert sent.json.get("revision") == 2, sent.json  # ... but the phone never hears this
    cleared = put(phone, rid, body({"mapped_before": "yes"}, base=1, device=device, sequence=3))
    assert cleared.status_code == 200 and cleared.json["answers"] == {"mapped_before": "yes"}
    assert stored(app, rid).conflicts == []
    # A delayed copy of the older request arrives last: it changes nothing.
    late = put(
        phone,
        rid,
        body(
            {"mapped_before": "yes", "previous_mapping_where": "NAV"},
            base=1,
            device=device,
            sequence=2,
        ),
    )
    assert late.json["revision"] == 2 and stored(app, rid).revision == 3
    # An older request that never arrived before (overtaken by sequence 3): nothing changes.
    older = put(
        phone,
        rid,
        body({"mapped_before": "no"}, base=1, device=device, sequence=2),
    )
    assert older.json["superseded"] is True and older.json["revision"] == 3
    assert stored(app, rid).answers == {"mapped_before": "yes"}
    assert [r.number for r in revision_rows(app, rid)] == [1, 2, 3]


def test_a_phone_signed_in_again_counts_from_one_and_its_edits_are_stored(app, phone):
    """The phone keeps its device id across sign-outs but starts each response it takes from
    the server again at sequence 1 (records.adoptServer): its edits were "superseded" by its
    own earlier life and silently dropped, while the phone showed them as sent."""
    rid, device = str(uuid.uuid4()), "phone-signed-in-again"
    put(phone, rid, body({"mapped_before": "yes"}, device=device, sequence=1))
    for sequence in range(2, 6):
        answers = {"mapped_before": "no", "anything_else": f"v{sequence}"}
        put(phone, rid, body(answers, base=sequence - 1, device=device, sequence=sequence))
    # Signed out and in again: the response comes from the server at revision 5.
    edit = put(
        phone,
        rid,
        body({"mapped_before": "no", "anything_else": "new"}, base=5, device=device, sequence=1),
    )
    assert edit.json["superseded"] is False and edit.json["revision"] == 6
    assert stored(app, rid).answers["anything_else"] == "new"
    # Its next write's reply is lost; the one after is based on revision 6 still.
    put(phone, rid, body({"mapped_before": "no", "anything_else": "newer"}, base=6,
                         device=device, sequence=2))  # fmt: skip
    cleared = put(phone, rid, body({"mapped_before": "no"}, base=6, device=device, sequence=3))
    assert cleared.json["revision"] == 8 and stored(app, rid).answers == {"mapped_before": "no"}
    assert stored(app, rid).conflicts == []
    # A delayed copy of an older request of this life is still overtaken.
    late = put(phone, rid, body({"mapped_before": "yes"}, base=6, device=device, sequence=2))
    assert late.json["revision"] == 8 and stored(app, rid).answers == {"mapped_before": "no"}


def test_a_device_without_its_sequence_is_not_read(app, phone):
    """A device with no sequence cannot say which of its requests is newer: it was stored as
    the revision's device, and the phone's next write with a sequence compared None with a
    number, a 500 on every write from that phone from then on."""
    rid = str(uuid.uuid4())
    alone = {**body({"mapped_before": "yes"}), "device": "phone-without-sequence"}
    assert put(phone, rid, alone).status_code == 201
    assert [r.device for r in revision_rows(app, rid)] == [None]
    # A revision stored so before (device, no sequence) no longer breaks the phone's writes.
    with app.app_context():
        db.session.execute(sa.update(ResponseRevision).values(device="phone-without-sequence"))
        db.session.commit()
    later = put(phone, rid, body({"mapped_before": "no"}, base=1,
                                 device="phone-without-sequence", sequence=3))  # fmt: skip
    assert later.status_code == 200 and stored(app, rid).answers == {"mapped_before": "no"}


def test_an_id_with_a_newline_after_it_is_no_id(app, phone):
    """``$`` matches before a final newline: "<uuid>\\n" was stored as a response that the
    counsellor's links could never open."""
    rid = str(uuid.uuid4())
    assert put(phone, rid + "%0A", body({"mapped_before": "yes"})).status_code == 404
    batch = {"responses": [{**body({"mapped_before": "yes"}), "id": rid + "\n"}]}
    refused = phone.post("/api/v1/sync", json=batch)
    assert refused.status_code == 422
    assert refused.json["errors"][0]["pointer"] == "/responses/0/id"
    with app.app_context():
        assert db.session.scalars(sa.select(Response.id)).all() == []


def test_an_over_long_answer_is_refused_alone_and_the_rest_of_the_batch_is_stored(app, phone):
    """A pasted text past the body's limit made the whole batch a 400, which the phone sent
    again forever: nothing behind it in the outbox was ever stored."""
    long_one, good_one = str(uuid.uuid4()), str(uuid.uuid4())
    batch = {"responses": [
        {**body({"mapped_before": "no", "anything_else": "x" * 30_000}), "id": long_one},
        {**body({"mapped_before": "yes"}), "id": good_one},
    ]}  # fmt: skip
    answered = phone.post("/api/v1/sync", json=batch, headers={"Accept-Language": "nb"})
    assert answered.status_code == 200
    refused, stored_one = answered.json["results"]
    assert refused["status"] == 422
    [error] = refused["problem"]["errors"]
    assert (error["pointer"], error["code"]) == ("/answers/anything_else", "max_length")
    assert "20000" in error["detail"].replace("\xa0", "").replace(" ", "")
    assert stored_one["status"] == 201 and stored(app, good_one).answers == {"mapped_before": "yes"}


def test_an_item_the_schema_refuses_is_refused_alone(app, phone):
    """An item with a field the schema refuses (here a language tag) made the whole batch a
    422: the phone, which sends the oldest 20 first, would send the same batch forever."""
    bad_one, good_one = str(uuid.uuid4()), str(uuid.uuid4())
    batch = {"responses": [
        {**body({"mapped_before": "no"}), "id": bad_one,
         "text_languages": {"/short_term_goal": "nb-NO-x"}},
        {**body({"mapped_before": "yes"}), "id": good_one},
    ]}  # fmt: skip
    answered = phone.post("/api/v1/sync", json=batch, headers={"Accept-Language": "nb"})
    assert answered.status_code == 200
    refused, stored_one = answered.json["results"]
    assert (refused["id"], refused["status"], refused["receipt"]) == (bad_one, 422, None)
    [error] = refused["problem"]["errors"]
    assert error["pointer"] == "/text_languages/~1short_term_goal"
    assert error["detail"] == "This value is not allowed here."
    assert stored_one["status"] == 201 and stored(app, good_one).answers == {"mapped_before": "yes"}
    with app.app_context():
        assert db.session.get(Response, bad_one) is None


def test_a_whole_number_sent_as_a_float_is_stored_as_the_whole_number(app, phone, as_actor):
    """4.0 for a scale question was stored as 4.0: the web page checked no radio button for it
    and saving the page erased the answer; the export said "4.0"."""
    rid = str(uuid.uuid4())
    put(phone, rid, body({"digital_phone": 4.0, "digital_email": 2.0}))
    assert stored(app, rid).answers == {"digital_phone": 4, "digital_email": 2}
    assert [type(v) for v in stored(app, rid).answers.values()] == [int, int]
    page = phone.get(f"/r/{rid}/8").get_data(as_text=True)
    [radio] = re.findall(r'<input[^>]*id="digital_phone-3"[^>]*>', page)
    assert 'value="4"' in radio and "checked" in radio


@pytest.mark.parametrize(
    ("sent", "web", "expected"),
    [
        # The phone typed "Oslo " (stored as "Oslo"); the page then wrote "Bergen".
        ({"mapped_before": "no", "anything_else": "Oslo "},
         {"mapped_before": "no", "anything_else": "Bergen"},
         {"mapped_before": "no", "anything_else": "Bergen", "digital_phone": 3}),
        # The phone kept an answer to a question its answers hide (not stored); the page then
        # showed that question, unanswered.
        ({"mapped_before": "no", "previous_mapping_where": "Bergen"},
         {"mapped_before": "yes"},
         {"mapped_before": "yes", "digital_phone": 3}),
    ],
    ids=["a trailing space", "a hidden answer"],
)  # fmt: skip
def test_after_a_lost_reply_the_phone_is_merged_against_what_it_sent(
    app, world, phone, sent, web, expected
):
    """What the phone sent was kept only for a merged write; otherwise its next write was
    merged against the stored answers, and an answer it had not touched since overwrote the
    page's newer one, or came back from hidden."""
    rid, device = str(uuid.uuid4()), "phone-lost-reply"
    put(phone, rid, body({"mapped_before": "no"}, device=device, sequence=1))
    put(phone, rid, body(sent, base=1, device=device, sequence=2))  # its reply is lost
    with app.app_context():
        response = db.session.get(Response, rid)
        person = db.session.get(Participant, world.p1)
        revisions.write(response, revisions.Author("web", person), base=2, answers=web,
                        status="draft")  # fmt: skip
        db.session.commit()
    later = put(phone, rid, body({**sent, "digital_phone": 3}, base=1, device=device, sequence=3))
    assert later.status_code == 200
    assert stored(app, rid).answers == expected
    assert stored(app, rid).conflicts == []


def test_two_phones_change_one_question_both_values_kept(app, world, phone, as_actor):
    rid = str(uuid.uuid4())
    put(phone, rid, body({"mapped_before": "yes", "previous_mapping_where": "NAV"}))
    mine = {"mapped_before": "yes", "previous_mapping_where": "NAV Oslo"}
    theirs = {
        "mapped_before": "yes",
        "previous_mapping_where": "Bydel Grorud",
        "anything_else": "hei",
    }
    a = put(phone, rid, body(mine, base=1, device="phone-aaaaaaaa", sequence=2))
    b = put(phone, rid, body(theirs, base=1, device="phone-bbbbbbbb", sequence=2))
    assert a.json["conflicts"] == [] and b.json["conflicts"] == ["previous_mapping_where"]
    response = stored(app, rid)
    assert response.answers == {
        "mapped_before": "yes",
        "previous_mapping_where": "Bydel Grorud",
        "anything_else": "hei",
    }
    (conflict,) = response.conflicts
    assert (conflict["kept"], conflict["other"]) == ("Bydel Grorud", "NAV Oslo")
    assert (conflict["kept_by"], conflict["other_by"]) == ("phone", "phone")
    page = as_actor(app, "c1").get(f"/responses/{rid}").get_data(as_text=True)
    assert "NAV Oslo" in page and "Bydel Grorud" in page


def test_two_phones_differing_only_in_spaces_are_no_conflict(app, phone):
    rid = str(uuid.uuid4())
    put(phone, rid, body({"mapped_before": "no"}))
    put(phone, rid, body({"mapped_before": "no", "anything_else": "abc"}, base=1,
                         device="phone-aaaaaaaa", sequence=1))  # fmt: skip
    spaced = put(phone, rid, body({"mapped_before": "no", "anything_else": "abc "}, base=1,
                                  device="phone-bbbbbbbb", sequence=1))  # fmt: skip
    assert spaced.json["conflicts"] == []
    assert stored(app, rid).conflicts in (None, [])


def test_a_conflict_keeps_the_checked_answer_and_the_page_shows_it(app, phone, as_actor):
    """The other phone's answer to a question its own answers hide was kept as sent (5 for a
    list of jobs): the counsellor's page failed on it, the button to settle it with it."""
    rid = str(uuid.uuid4())
    put(phone, rid, body({"has_work_experience": True, "jobs": [{"occupation": "A"}]},
                         device="phone-aaaaaaaa", sequence=1))  # fmt: skip
    put(phone, rid, body({"has_work_experience": True, "jobs": [{"occupation": "B"}]}, base=1,
                         device="phone-aaaaaaaa", sequence=2))  # fmt: skip
    odd = put(phone, rid, body({"has_work_experience": False, "jobs": 5}, base=1,
                               device="phone-bbbbbbbb", sequence=1))  # fmt: skip
    assert odd.status_code == 200
    kept = {c["question"]: c["kept"] for c in stored(app, rid).conflicts}
    assert kept == {"jobs": None}  # hidden by its answers: no answer kept, never the 5 sent
    page = as_actor(app, "c1").get(f"/responses/{rid}")
    assert page.status_code == 200


def test_server_pages_record_revisions_and_merge_a_stale_page(app, world, as_actor):
    web = as_actor(app, "p1")
    started = web.post("/me/q/kartlegging/start", data={"csrf_token": csrf_token(web, "/me/")})
    rid = started.headers["Location"].split("/r/")[1].split("/")[0]
    assert [(r.number, r.source) for r in revision_rows(app, rid)] == [(1, "web")]
    page = web.get(f"/r/{rid}/1").get_data(as_text=True)
    assert 'name="base_revision" value="1"' in page
    # Meanwhile the phone answers a question on another page.
    phone = as_actor(app, "p1")
    assert put(phone, rid, body({"anything_else": "fra telefonen"}, base=1)).status_code == 200
    token = csrf_token(web, f"/r/{rid}/1")
    posted = web.post(
        f"/r/{rid}/1",
        data={"csrf_token": token, "base_revision": "1", "action": "save",
              "mapped_before": "no"},
    )  # fmt: skip
    assert posted.status_code == 302
    response = stored(app, rid)
    assert response.answers == {"anything_else": "fra telefonen", "mapped_before": "no"}
    rows = revision_rows(app, rid)
    assert [(r.number, r.source, r.base_number, r.merged) for r in rows] == [
        (1, "web", None, False), (2, "phone", 1, False), (3, "web", 1, True),
    ]  # fmt: skip
    home = web.get("/me/", follow_redirects=True).get_data(as_text=True)
    assert "combined with answers given on another device" in home


def test_submit_and_reopen_are_revisions_and_reach_the_server_pages(app, world, as_actor):
    web = as_actor(app, "p1")
    started = web.post("/me/q/kartlegging/start", data={"csrf_token": csrf_token(web, "/me/")})
    rid = started.headers["Location"].split("/r/")[1].split("/")[0]
    phone = as_actor(app, "p1")
    answers = {"short_term_goal_kind": "work", "long_term_goal_kind": "work"}
    put(phone, rid, body(answers, base=1))
    sent = web.post(f"/r/{rid}/submit", data={"csrf_token": csrf_token(web, f"/r/{rid}/summary")})
    assert sent.status_code == 302 and stored(app, rid).status == "submitted"
    counsellor = as_actor(app, "c1")
    counsellor.post(
        f"/responses/{rid}",
        data={**review_form(counsellor, rid), "status": "follow_up",
              "message": "Fortell mer om utdanningen din"},
    )  # fmt: skip
    home = web.get("/me/").get_data(as_text=True)
    assert "Fortell mer om utdanningen din" in home and f"/r/{rid}" in home
    assert [(r.number, r.source, r.status) for r in revision_rows(app, rid)] == [
        (1, "web", "draft"), (2, "phone", "draft"), (3, "web", "submitted"),
        (4, "staff", "draft"),
    ]  # fmt: skip
    assert web.get(f"/r/{rid}/1").status_code == 200  # editable again


def test_a_batch_item_that_fails_leaves_the_others_alone(app, phone):
    good1, bad, good2 = (str(uuid.uuid4()) for _ in range(3))
    items = [
        {"id": good1, **body({"mapped_before": "no"})},
        {"id": bad, **body({"mapped_before": "maybe-not-an-option"})},
        {"id": good2, **body({"mapped_before": "yes"})},
    ]
    results = phone.post("/api/v1/sync", json={"responses": items}).json["results"]
    assert [r["status"] for r in results] == [201, 422, 201]
    assert stored(app, good1).answers == {"mapped_before": "no"}
    assert stored(app, good2).answers == {"mapped_before": "yes"}


# ------------------------------------------------------------------ two real writers at once


def test_a_response_started_for_a_participant_added_in_the_same_transaction(app, world):
    """A new response's rows are plain INSERTs, which do not flush the session by themselves:
    a participant added just before (a counsellor adding someone and starting a meeting) must
    be in the database first, with the revision pointing at the response."""
    with app.app_context():
        staff = db.session.get(StaffUser, world.c1)
        version = questionnaire_service.find_version("kartlegging")
        assert version.definition.audience == "participant"  # read (and kept) before the add
        person = Participant(
            municipality_id=staff.municipality_id, counsellor=staff, display_name="Ny Person"
        )
        db.session.add(person)  # not flushed: no id yet, and no query in between flushes it
        assert person.id is None
        receipt = revisions.create(
            person, version, revisions.Author("staff", staff, occasion="meeting"),
            response_id=str(uuid.uuid4()),
        )  # fmt: skip
        db.session.commit()
        response = db.session.get(Response, receipt.id)
        assert response.participant_id == person.id is not None
        revision = db.session.scalars(
            sa.select(ResponseRevision).where(ResponseRevision.response_id == response.id)
        ).one()
        assert (revision.number, revision.answers, revision.staff_id) == (1, {}, staff.id)


def test_two_concurrent_writers_never_both_store_the_next_revision(app, world, monkeypatch):
    rid = str(uuid.uuid4())
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        revisions.retrying(
            lambda: sync.apply(
                person,
                sync.Submission(
                    id=rid, questionnaire="kartlegging", version=1, status="draft", answers={}
                ),
            )
        )
    # Both writers read revision 1, then both try to store revision 2: the loser of the race
    # must notice (optimistic lock), run again on the new state, and store revision 3.
    barrier = threading.Barrier(2, timeout=10)
    real_base_of = revisions._base_of
    calls = []

    def base_of_after_both_read(response, base, known=None):
        found = real_base_of(response, base, known)
        calls.append(base)
        if len(calls) <= 2:
            barrier.wait()
        return found

    monkeypatch.setattr(revisions, "_base_of", base_of_after_both_read)
    outcomes: dict[str, object] = {}

    def writer(name: str, answers: dict) -> None:
        with app.app_context():
            person = db.session.get(Participant, world.p1)
            submission = sync.Submission(
                id=rid,
                questionnaire="kartlegging",
                version=1,
                status="draft",
                answers=answers,
                base_revision=1,
            )
            try:
                outcomes[name] = revisions.retrying(lambda: sync.apply(person, submission))
            except Exception as error:  # noqa: BLE001 - reported below
                outcomes[name] = error
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=writer, args=("a", {"short_term_goal": "NAV"})),
        threading.Thread(target=writer, args=("b", {"anything_else": "hei"})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(isinstance(o, revisions.Receipt) for o in outcomes.values()), outcomes
    assert sorted(o.revision for o in outcomes.values()) == [2, 3]
    response = stored(app, rid)
    assert response.answers == {"short_term_goal": "NAV", "anything_else": "hei"}
    assert [r.number for r in revision_rows(app, rid)] == [1, 2, 3]
    assert response.conflicts == []


# ------------------------------------------------------------------ the merge rule


MERGE_CASES = json.loads((Path(__file__).parent / "shared" / "merge_cases.json").read_text())


@pytest.mark.parametrize("case", MERGE_CASES["cases"], ids=lambda c: c["name"])
def test_merge_rule(case):
    """The same cases run against the phone's merge (tests/js/merge.test.mjs)."""
    merged, clashes = merge_rules.merge(case["base"], case["theirs"], case["mine"])
    assert (merged, clashes) == (case["merged"], case["clashes"])


# ------------------------------------------------------------------ reopen needs staff


def test_only_staff_reopen_a_sent_response(app, world):
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        staff = db.session.get(StaffUser, world.c1)
        receipt = revisions.retrying(
            lambda: sync.apply(
                person,
                sync.Submission(
                    id=str(uuid.uuid4()),
                    questionnaire="kartlegging",
                    version=1,
                    status="submitted",
                    answers={"short_term_goal_kind": "work", "long_term_goal_kind": "work"},
                ),
            )
        )
        response = db.session.get(Response, receipt.id)
        with pytest.raises(revisions.Conflict):
            revisions.write(
                response,
                revisions.Author("phone", person),
                base=1,
                answers=response.answers,
                status="draft",
            )
        reviews.add_review(response, staff, "follow_up", "", "Se på målene")
        db.session.commit()
        assert (response.status, response.revision) == ("draft", 2)
        assert reviews.follow_up_message(response) == "Se på målene"
        with pytest.raises(reviews.ReviewError):
            reviews.add_review(response, staff, "closed", "")


def test_every_response_start_records_revision_one(app, world):
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        questionnaire = questionnaire_service.find_version("kartlegging", 1).questionnaire
        response = response_service.start(person, questionnaire)
        db.session.commit()
        assert [(r.number, r.source) for r in response.revisions] == [(1, "web")]


# ------------------------------------------------- a phone's new draft in one statement

#: "usual": the version is looked up first (a process that has not seen it); "at_once": the
#: version is pinned, and a new draft is written with its checks in one statement
#: (sync._start_at_once, issue 12). Every outcome must be the same either way.
WAYS = ["usual", "at_once"]


def apply_as_phone(app, monkeypatch, participant_id, submission, way, pin=None):
    """sync.apply in a request of its own, the version pinned or not; return the outcome
    (a receipt or the write error), whether the usual lookup ran, and the statements sent."""
    looked_up, sent = [], []
    real = sync._lookup_statement
    monkeypatch.setattr(sync, "_lookup_statement", lambda: looked_up.append(1) or real())
    with app.app_context():
        sync.pins.clear()
        if way == "at_once":  # as in a process that has stored a response to the version
            version = pin or questionnaire_service.find_version("kartlegging", 1)
            sync.pins.pin(version)
            if pin is None:
                assert version.definition is not None  # its definition kept
        db.session.commit()
        person = db.session.get(Participant, participant_id)
        note = lambda *args: sent.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            outcome = revisions.retrying(lambda: sync.apply(person, submission))
        except sync.WriteError as error:
            outcome = error
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
            db.session.remove()
    return outcome, bool(looked_up), sent


def new_draft(rid=None, answers=None, **extra) -> sync.Submission:
    return sync.Submission(
        id=rid or str(uuid.uuid4()), questionnaire="kartlegging", version=1, status="draft",
        answers={"mapped_before": "no"} if answers is None else answers, **extra,
    )  # fmt: skip


def written(app, rid) -> tuple[list, list, list]:
    """The response's row, its revisions and its audit events, as stored."""
    with app.app_context():
        found = (
            db.session.execute(sa.select(Response.__table__).where(Response.id == rid)).all(),
            db.session.execute(
                sa.select(ResponseRevision.__table__).where(ResponseRevision.response_id == rid)
            ).all(),
            db.session.execute(
                sa.select(AuditEvent.actor, AuditEvent.action, AuditEvent.municipality_id)
                .where(AuditEvent.target == f"response:{rid}")
            ).all(),
        )  # fmt: skip
        db.session.remove()
    return found


def audit_lines(caplog, rid) -> int:
    return sum(rid in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("way", WAYS)
def test_a_new_draft_from_a_phone_is_stored_alike_either_way(
    app, world, monkeypatch, caplog, database_url, way
):
    caplog.set_level("INFO")
    submission = new_draft(device="phone-a", sequence=3, text_languages={"/mapped_before": "en"})
    receipt, looked_up, sent = apply_as_phone(app, monkeypatch, world.p1, submission, way)
    assert looked_up is (way == "usual")
    if way == "at_once" and database_url.startswith("postgresql"):
        # One statement writes the response, its revision 1 and the audit event; the other
        # notes the participant's last sync.
        assert len(sent) == 2 and sent[1].startswith("UPDATE participant"), sent
    assert (receipt.revision, receipt.status, receipt.created) == (1, "draft", True)
    assert receipt.answers == {"mapped_before": "no"}
    (response,), (revision,), events = written(app, submission.id)
    assert (response.participant_id, response.status, response.revision) == (world.p1, "draft", 1)
    assert response.answers == {"mapped_before": "no"} and response.conflicts == []
    assert response.synced_at is not None and response.submitted_at is None
    assert (revision.number, revision.source, revision.device, revision.sequence) == (
        1, "phone", "phone-a", 3,
    )  # fmt: skip
    assert revision.fingerprint == sync.fingerprint(submission)
    assert revision.answers == {"mapped_before": "no"} and revision.base_number is None
    assert events == [(f"participant:{world.p1}", "response.start.phone", world.m1)]
    assert audit_lines(caplog, submission.id) == 1
    with app.app_context():
        assert db.session.get(Participant, world.p1).last_synced_at is not None


@pytest.mark.parametrize("way", WAYS)
def test_a_new_draft_sent_again_is_stored_once(app, world, monkeypatch, caplog, way):
    caplog.set_level("INFO")
    submission = new_draft(device="phone-a", sequence=1)
    first, _, _ = apply_as_phone(app, monkeypatch, world.p1, submission, way)
    again, looked_up, _ = apply_as_phone(app, monkeypatch, world.p1, submission, way)
    assert looked_up  # an id already stored is never written at once
    assert (again.revision, again.answers, again.created) == (1, first.answers, False)
    rows, revisions_, events = written(app, submission.id)
    assert (len(rows), len(revisions_), len(events)) == (1, 1, 1)
    assert audit_lines(caplog, submission.id) == 1


@pytest.mark.parametrize("way", WAYS)
def test_a_new_draft_that_may_not_be_stored_is_refused_alike_either_way(
    app, world, monkeypatch, caplog, way
):
    caplog.set_level("INFO")
    # Answers the questionnaire does not accept: the errors, nothing stored.
    invalid = new_draft(answers={"mapped_before": "maybe"})
    error, _, _ = apply_as_phone(app, monkeypatch, world.p1, invalid, way)
    assert isinstance(error, sync.Invalid) and error.errors
    assert written(app, invalid.id) == ([], [], [])
    # Another participant's response id: as if it did not exist, theirs unchanged.
    theirs = new_draft(answers={"mapped_before": "yes"})
    apply_as_phone(app, monkeypatch, world.p2, theirs, "usual")
    error, _, _ = apply_as_phone(app, monkeypatch, world.p1, new_draft(theirs.id), way)
    assert isinstance(error, sync.NotFound)
    (row,), revisions_, _ = written(app, theirs.id)
    assert (row.participant_id, row.answers, len(revisions_)) == (
        world.p2,
        {"mapped_before": "yes"},
        1,
    )
    # A questionnaire no longer offered: not found, nothing stored.
    with app.app_context():
        version = questionnaire_service.find_version("kartlegging", 1)
        pinned = (version.id, version.content_hash)
        version.questionnaire.retired_at = sa.func.now()
        db.session.commit()
    closed = new_draft()
    error, _, _ = apply_as_phone(app, monkeypatch, world.p1, closed, way)
    assert isinstance(error, sync.NotFound)
    assert written(app, closed.id) == ([], [], [])
    assert audit_lines(caplog, invalid.id) + audit_lines(caplog, closed.id) == 0
    assert sync.pins.get("kartlegging", 1) == pinned


def test_a_pinned_version_whose_content_changed_is_looked_up_again(app, world, monkeypatch):
    """A process's pin is a guess the statement checks: a database whose version 1 of the
    questionnaire holds other content (a reset, another test) is looked up as usual."""
    with app.app_context():
        version = questionnaire_service.find_version("kartlegging", 1)
        right = (version.id, version.content_hash)
        db.session.expunge(version)
    version.content_hash = "0" * 64
    submission = new_draft()
    receipt, looked_up, _ = apply_as_phone(
        app, monkeypatch, world.p1, submission, "at_once", version
    )
    assert looked_up and receipt.created and receipt.revision == 1
    assert len(written(app, submission.id)[1]) == 1
    assert sync.pins.get("kartlegging", 1) == right
    # Nothing was kept under the content that is no longer stored.
    assert not published_versions.holds(right[0], "0" * 64)


def test_minimal_document_has_no_conditions_for_the_model():
    document = model_document()
    assert "visible_if" not in str(document["ui"])


def start_model_draft(app, participant_id: int, answers: dict) -> str:
    """Store a new draft of the "model" questionnaire from the participant's phone; its id."""
    rid = str(uuid.uuid4())
    with app.app_context():
        person = db.session.get(Participant, participant_id)
        submission = sync.Submission(
            id=rid, questionnaire="model", version=1, status="draft", answers=dict(answers)
        )
        revisions.retrying(lambda: sync.apply(person, submission))
    return rid


def model_document() -> dict:
    document = minimal_document()
    document["slug"] = "model"
    document["ui"]["questions"] = {}
    return document


@pytest.mark.parametrize(
    ("payload", "pointers"),
    [
        (b"null", [""]),
        (b"[]", [""]),
        (b'"answers"', [""]),
        # RFC 6901: "/" in a name is "~1" and "~" is "~0"; marshmallow's "key" and "value"
        # (which part of a dictionary's entry is wrong) and "_schema" are no names in the body.
        (b'{"questionnaire": "kartlegging", "version": 1, "status": "draft", "answers": {},'
         b' "text_languages": {"/short_term_goal": "Arabic"}}',
         ["/text_languages/~1short_term_goal"]),
        (b'{"questionnaire": "kartlegging", "version": 1, "status": "draft", "answers": {},'
         b' "text_languages": {"/a~b": "Arabic"}}', ["/text_languages/~1a~0b"]),
        (b'{"questionnaire": "kartlegging", "version": 1, "status": "draft", "answers": {},'
         b' "text_languages": {"short_term_goal": "ar"}}', ["/text_languages/short_term_goal"]),
    ],
)  # fmt: skip
def test_a_refused_body_points_at_what_is_wrong(app, phone, payload, pointers):
    rid = str(uuid.uuid4())
    refused = phone.put(f"/api/v1/responses/{rid}", data=payload, content_type="application/json")
    assert refused.status_code == 422
    assert [e["pointer"] for e in refused.json["errors"]] == pointers
    assert all(e["detail"] for e in refused.json["errors"])
    item = phone.post("/api/v1/sync", json={"responses": [[]]})
    assert [e["pointer"] for e in item.json["errors"]] == ["/responses/0"]


def test_a_body_that_is_no_json_says_what_to_check(phone):
    refused = phone.put(f"/api/v1/responses/{uuid.uuid4()}", data=b'{"answers": ',
                        content_type="application/json")  # fmt: skip
    assert refused.status_code == 400
    assert refused.json["detail"] == "The body must be standard JSON. Nothing was saved."
