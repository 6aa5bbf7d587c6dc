"""Every inbox entry that is counted as new can be reached and opened, however many came in;
opening a response elsewhere reads its entries; and a draft is reminded only to a participant
still in the programme, with one reminder waiting at most."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Notification, Participant, Response, StaffUser
from webapp.models.types import utcnow
from webapp.services import notifications

from .conftest import csrf_token, mapping_sent
from .test_caseload import _statements
from .test_notifications import OSLO, _draft, _notifications, _remind

MORE = notifications.INBOX_SIZE + 18


def _entries(app, recipient, count: int, response_id: str | None = None) -> list[str]:
    """Give ``recipient`` (a participant's or staff member's id and its model) ``count``
    entries, a minute apart, the oldest first; return their public ids, oldest first."""
    model, person_id = recipient
    with app.app_context():
        person = db.session.get(model, person_id)
        response = db.session.get(Response, response_id) if response_id else None
        kind = "submission" if model is StaffUser else "message"
        start = utcnow() - timedelta(days=30)
        made = []
        for n in range(count):
            entry = notifications.notify(person, kind, response)
            entry.created_at = start + timedelta(minutes=n)
            made.append(entry.public_id)
        db.session.commit()
        return made


def _new_on_caseload(client) -> str | None:
    """The number of new entries the link above the caseload shows, or None."""
    html = client.get("/caseload").get_data(as_text=True)
    link = re.search(r'<p class="link-line inbox-link">(.*?)</p>', html, re.S).group(1)
    found = re.search(r'class="badge">([^<]*)<', link)
    return found.group(1) if found else None


def _listed(html: str) -> list[str]:
    return re.findall(r'data-entry="([A-Za-z0-9_-]+)"', html)


def _unread_listed(html: str) -> list[str]:
    unread = r'class="card inbox-entry unread" id="entry-[^"]+" data-entry="([^"]+)"'
    return re.findall(unread, html)


def test_every_new_entry_of_the_counsellor_can_be_opened_until_none_is_new(app, world, as_actor):
    response_id = mapping_sent(app, world.p1)  # the entry the write path made: the newest
    ids = _entries(app, (StaffUser, world.c1), MORE, response_id)
    counsellor = as_actor(app, "c1")
    assert _new_on_caseload(counsellor) == f"{MORE + 1} new"

    page = counsellor.get("/inbox").get_data(as_text=True)
    listed = _unread_listed(page)
    assert len(listed) == MORE + 1 and set(ids) <= set(listed)  # the oldest too
    token = csrf_token(counsellor, "/inbox")
    for public_id in listed:
        opened = counsellor.post(f"/inbox/{public_id}", data={"csrf_token": token})
        assert opened.headers["Location"].endswith(f"/responses/{response_id}")
    assert _new_on_caseload(counsellor) is None

    # Read, only the newest are kept on the page.
    page = counsellor.get("/inbox").get_data(as_text=True)
    assert _unread_listed(page) == []
    assert len(_listed(page)) == notifications.INBOX_SIZE
    assert ids[0] not in _listed(page)


def test_new_entries_come_before_those_read_and_a_push_finds_an_old_new_one(app, world, as_actor):
    response_id = mapping_sent(app, world.p1)
    ids = _entries(app, (StaffUser, world.c1), MORE, response_id)
    with app.app_context():  # all but the oldest read
        db.session.execute(
            sa.update(Notification)
            .where(Notification.public_id.in_(ids[1:]))
            .values(read_at=utcnow())
        )
        db.session.commit()
    counsellor = as_actor(app, "c1")
    assert _new_on_caseload(counsellor) == "2 new"
    page = counsellor.get(f"/inbox?entry={ids[0]}").get_data(as_text=True)
    listed = _listed(page)
    assert len(listed) == 2 + notifications.INBOX_SIZE
    assert _unread_listed(page) == listed[:2] and listed[1] == ids[0]  # newest first
    assert listed[2:] == ids[:0:-1][: notifications.INBOX_SIZE]  # the newest read ones
    assert f'id="entry-{ids[0]}"' in page  # where the push's link goes


def test_an_entry_asked_for_is_listed_however_old_it_is(app, world):
    ids = _entries(app, (StaffUser, world.c1), MORE)
    with app.app_context():
        db.session.execute(sa.update(Notification).values(read_at=utcnow()))
        db.session.commit()
        counsellor = db.session.get(StaffUser, world.c1)
        assert ids[0] not in [n.public_id for n in notifications.inbox(counsellor)]
        shown = [n.public_id for n in notifications.inbox(counsellor, entry=ids[0])]
        assert len(shown) == notifications.INBOX_SIZE + 1 and shown[-1] == ids[0]
        # Only the person's own.
        other = db.session.get(StaffUser, world.c2)
        assert notifications.inbox(other, entry=ids[0]) == []
        assert notifications.inbox(other, entry="x" * 40) == []


def test_the_phone_gets_every_new_entry(app, world, as_actor):
    ids = _entries(app, (Participant, world.p1), MORE)
    with app.app_context():
        db.session.execute(
            sa.update(Notification)
            .where(Notification.public_id == ids[-1])
            .values(read_at=utcnow())
        )
        db.session.commit()
    phone = as_actor(app, "p1")
    entries = phone.get("/api/v1/inbox").get_json()["entries"]
    assert len(entries) == MORE
    assert {e["id"] for e in entries if e["read_at"] is None} == set(ids[:-1])


def test_the_inbox_with_many_entries_sends_as_many_statements_as_with_few(app, world, as_actor):
    response_id = mapping_sent(app, world.p1)
    _entries(app, (StaffUser, world.c1), 3, response_id)
    counsellor = as_actor(app, "c1")
    few, page = _statements(app, counsellor, "/inbox")
    assert len(_listed(page)) == 4
    ids = _entries(app, (StaffUser, world.c1), MORE + 30, response_id)
    with app.app_context():  # some read, more than the page keeps of them
        db.session.execute(
            sa.update(Notification)
            .where(Notification.public_id.in_(ids[: notifications.INBOX_SIZE + 10]))
            .values(read_at=utcnow())
        )
        db.session.commit()
    many, page = _statements(app, counsellor, "/inbox")
    assert len(_unread_listed(page)) == MORE + 30 + 4 - notifications.INBOX_SIZE - 10
    assert len(_listed(page)) == len(_unread_listed(page)) + notifications.INBOX_SIZE
    assert many == few, f"{few} statements for 4 entries, {many} for {len(_listed(page))}"


def test_opening_a_response_from_the_caseload_reads_its_entries(app, world, as_actor):
    first = mapping_sent(app, world.p1)
    second = mapping_sent(app, world.p1)
    counsellor = as_actor(app, "c1")
    assert _new_on_caseload(counsellor) == "2 new"
    assert counsellor.get(f"/responses/{first}").status_code == 200
    assert _new_on_caseload(counsellor) == "1 new"
    [unread] = _notifications(app, staff_id=world.c1, read_at=None)
    assert unread.response_id == second  # the other response's entry is still new
    assert counsellor.get(f"/responses/{second}/history").status_code == 200
    assert _new_on_caseload(counsellor) is None
    # A lead reading the response reads none of the counsellor's entries.
    third = mapping_sent(app, world.p1)
    assert as_actor(app, "lead1").get(f"/responses/{third}").status_code == 200
    assert _new_on_caseload(counsellor) == "1 new"


def test_a_participant_who_left_the_programme_is_not_reminded(app, world, as_actor):
    _draft(app, world)
    counsellor = as_actor(app, "c1")
    page = f"/participants/{world.p1}"
    left = counsellor.post(f"{page}/left", data={"csrf_token": csrf_token(counsellor, page)})
    assert left.status_code == 302
    with app.app_context():
        assert db.session.get(Participant, world.p1).left_programme_at is not None
    day = datetime(2026, 3, 4, 12, tzinfo=OSLO)
    for week in range(5):
        assert _remind(app, day + timedelta(weeks=week)) == 0
    assert _notifications(app, kind="draft_reminder") == []


def test_a_draft_waits_with_one_new_reminder_at_most(app, world, as_actor):
    rid = _draft(app, world)
    day = datetime(2026, 3, 4, 12, tzinfo=OSLO)
    for week in range(4):
        assert _remind(app, day + timedelta(weeks=week)) == 1
    entries = as_actor(app, "p1").get("/api/v1/inbox").get_json()["entries"]
    assert [e["response"] for e in entries] == [rid] * 4
    assert [e["read_at"] is None for e in entries] == [True, False, False, False]


def test_a_push_opens_its_entry_even_when_read_and_old(app, world, as_actor):
    """/inbox?entry=<id> (where a push's click goes) lists that entry, read and older than the
    newest read ones the page keeps."""
    ids = _entries(app, (StaffUser, world.c1), MORE)
    with app.app_context():
        db.session.execute(sa.update(Notification).values(read_at=utcnow()))
        db.session.commit()
    counsellor = as_actor(app, "c1")
    assert ids[0] not in _listed(counsellor.get("/inbox").get_data(as_text=True))
    page = counsellor.get(f"/inbox?entry={ids[0]}").get_data(as_text=True)
    assert f'id="entry-{ids[0]}"' in page and _listed(page)[-1] == ids[0]
    # Someone else's id, or none that could be one, changes nothing.
    other = counsellor.get("/inbox?entry=" + "x" * 40).get_data(as_text=True)
    assert len(_listed(other)) == notifications.INBOX_SIZE
