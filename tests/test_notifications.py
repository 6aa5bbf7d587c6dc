"""Notifications are written with their events, listed in the inbox, and pushed only to
devices that asked for it and are still signed in."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    NOTIFICATION_KINDS,
    Delivery,
    LoginSession,
    NextStep,
    Notification,
    Participant,
    PushSubscription,
    Questionnaire,
    Resource,
    Response,
    StaffUser,
)
from webapp.services import (
    builder,
    comments,
    notifications,
    plan,
    privacy,
    push_delivery,
    push_keys,
    reminders,
    reviews,
)
from webapp.services import questionnaires as questionnaire_service
from webapp.services import responses as response_service
from webapp.services.push_subscriptions import endpoint_allowed

from .conftest import csrf_token, mapping_sent
from .push_service import BrowserKeys
from .test_builder import small_draft, staff

ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc123"


def _subscription(endpoint: str = ENDPOINT) -> dict:
    return BrowserKeys().subscription(endpoint)


def _notifications(app, **where) -> list[Notification]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(Notification).filter_by(**where)))
        db.session.expunge_all()
        return found


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_submission_tells_the_counsellor(app, world):
    response_id = mapping_sent(app, world.p1)
    [entry] = _notifications(app)
    assert (entry.staff_id, entry.kind, entry.response_id) == (world.c1, "submission", response_id)


def test_follow_up_with_a_message_reaches_the_participants_inbox(app, world, as_actor):
    response_id = mapping_sent(app, world.p1)
    with app.app_context():
        response = db.session.get(Response, response_id)
        reviews.add_review(response, db.session.get(StaffUser, world.c1), "follow_up", "", "Se")
        db.session.commit()

    phone = as_actor(app, "p1")
    [entry] = phone.get("/api/v1/inbox").get_json()["entries"]
    assert entry["kind"] == "follow_up"
    assert entry["text"] == "Your counsellor asked you to look at your answers again."
    assert (entry["response"], entry["questionnaire"], entry["read_at"]) == (
        response_id,
        "kartlegging",
        None,
    )

    read = phone.post(f"/api/v1/inbox/{entry['id']}/read")
    assert read.status_code == 200 and read.get_json()["read_at"] is not None
    assert phone.get("/api/v1/inbox").get_json()["entries"][0]["read_at"] is not None
    # Nobody else reaches it.
    other = as_actor(app, "p2")
    assert other.post(f"/api/v1/inbox/{entry['id']}/read").status_code == 404
    assert other.get("/api/v1/inbox").get_json()["entries"] == []


def test_the_inbox_speaks_the_participants_language(app, world, as_actor):
    phone = as_actor(app, "p1")
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        person.language = "nb"
        notifications.notify(person, "questionnaire_offered")
        db.session.commit()
    texts = [e["text"] for e in phone.get("/api/v1/inbox").get_json()["entries"]]
    assert texts == ["Du har et nytt skjema å fylle ut."]


def test_a_questionnaire_offered_to_one_or_to_all_tells_those_who_get_it(app, world):
    with app.app_context():
        admin = staff(world, "admin1")
        draft = small_draft(admin)
        builder.publish(draft, admin, draft.revision)
        questionnaire = draft.questionnaire
        questionnaire_service.set_offer(admin, questionnaire, "assigned")
        db.session.commit()
        assert _count(app, Notification) == 0  # nobody is offered it yet
        questionnaire_service.assign(
            db.session.get(StaffUser, world.c1), db.session.get(Participant, world.p1),
            questionnaire,
        )  # fmt: skip
        db.session.commit()
        [first] = _notifications(app)
        assert (first.participant_id, first.kind) == (world.p1, "questionnaire_offered")

        questionnaire = db.session.get(Questionnaire, questionnaire.id)
        questionnaire_service.set_offer(staff(world, "admin1"), questionnaire, "all")
        db.session.commit()
    # p2 of the same municipality now has it too; p1 had it already; p3 lives elsewhere.
    assert sorted(n.participant_id for n in _notifications(app)) == [world.p1, world.p2]


def test_a_device_subscribes_and_unsubscribes(app, world, as_actor):
    phone = as_actor(app, "p1")
    assert phone.get("/api/v1/push/key").get_json()["public_key"].startswith("B")
    assert phone.post("/api/v1/push/subscriptions", json=_subscription()).status_code == 204
    with app.app_context():
        [stored] = db.session.scalars(sa.select(PushSubscription)).all()
        login = db.session.get(LoginSession, stored.login_session_id)
        assert (stored.participant_id, stored.municipality_id) == (world.p1, world.m1)
        assert login.participant_id == world.p1 and login.ended_at is None
    # Subscribing again replaces it: one per device.
    again = _subscription(ENDPOINT + "-new")
    assert phone.post("/api/v1/push/subscriptions", json=again).status_code == 204
    assert _count(app, PushSubscription) == 1
    assert phone.delete("/api/v1/push/subscriptions").status_code == 204
    assert _count(app, PushSubscription) == 0


def test_a_notification_gets_one_delivery_per_signed_in_device(app, world, as_actor):
    phone = as_actor(app, "p1")
    phone.post("/api/v1/push/subscriptions", json=_subscription())
    with app.app_context():
        notifications.notify(db.session.get(Participant, world.p1), "questionnaire_offered")
        notifications.notify(db.session.get(Participant, world.p2), "questionnaire_offered")
        db.session.commit()
    assert _count(app, Notification) == 2 and _count(app, Delivery) == 1


def test_a_revoked_device_loses_its_subscription(app, world, as_actor):
    phone = as_actor(app, "p1")
    phone.post("/api/v1/push/subscriptions", json=_subscription())
    world.new_code("p1")  # a new invite signs out every device of p1
    assert _count(app, PushSubscription) == 0


BAD_ENDPOINTS = [
    "http://fcm.googleapis.com/fcm/send/x",  # not https
    "https://evil.example/fcm.googleapis.com",  # not a push service
    "https://fcm.googleapis.com.evil.example/x",
    "https://user:pw@fcm.googleapis.com/x",
    "https://fcm.googleapis.com:8443/x",
    "https://127.0.0.1/x",
    "https://fcm.googleapis.com/" + "x" * 1100,
    "not a url",
]


@pytest.mark.parametrize("endpoint", BAD_ENDPOINTS)
def test_an_endpoint_that_is_not_a_push_service_is_refused(app, world, as_actor, endpoint):
    phone = as_actor(app, "p1")
    answer = phone.post("/api/v1/push/subscriptions", json=_subscription(endpoint))
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["pointer"] == "/endpoint"
    assert _count(app, PushSubscription) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("p256dh", "BBBB"), ("p256dh", "A" * 87), ("auth", "short"), ("auth", "!!!!")],
)
def test_keys_of_the_wrong_size_are_refused(app, world, as_actor, field, value):
    phone = as_actor(app, "p1")
    subscription = _subscription()
    subscription["keys"][field] = value
    answer = phone.post("/api/v1/push/subscriptions", json=subscription)
    assert answer.status_code == 422
    assert _count(app, PushSubscription) == 0


def test_the_test_origin_is_accepted_only_under_test_configuration():
    origin = "http://127.0.0.1:8123"
    endpoint = f"{origin}/push/p1"
    assert endpoint_allowed(endpoint, {"TESTING": True, "PUSH_TEST_ORIGIN": origin})
    assert not endpoint_allowed(endpoint, {"TESTING": False, "PUSH_TEST_ORIGIN": origin})
    assert not endpoint_allowed(endpoint, {"TESTING": True})


def test_staff_reach_no_participant_inbox_and_administrators_no_push_routes(app, world, as_actor):
    counsellor = as_actor(app, "c1")
    assert counsellor.get("/api/v1/inbox").status_code == 401  # theirs is /inbox
    admin = as_actor(app, "admin1")
    assert admin.get("/api/v1/push/key").status_code == 401
    assert admin.post("/api/v1/push/subscriptions", json=_subscription()).status_code == 401
    assert admin.delete("/api/v1/push/subscriptions").status_code == 401
    assert _count(app, PushSubscription) == 0


def test_a_counsellor_turns_pushes_on_in_their_browser_until_signing_out(app, world, as_actor):
    counsellor = as_actor(app, "c1")
    page = counsellor.get("/inbox").get_data(as_text=True)
    assert "Notifications in this browser" in page and 'data-server="off"' in page
    assert 'id="push-count">0<' in page
    assert counsellor.get("/api/v1/push/key").get_json()["public_key"].startswith("B")
    assert counsellor.post("/api/v1/push/subscriptions", json=_subscription()).status_code == 204
    with app.app_context():
        [stored] = db.session.scalars(sa.select(PushSubscription)).all()
        login = db.session.get(LoginSession, stored.login_session_id)
        assert (stored.staff_id, stored.participant_id) == (world.c1, None)
        assert stored.municipality_id == world.m1 and login.staff_id == world.c1
    page = counsellor.get("/inbox").get_data(as_text=True)
    assert 'data-server="on"' in page and 'id="push-count">1<' in page

    # A participant's submission reaches the counsellor's browser; not another counsellor's.
    mapping_sent(app, world.p1)
    with app.app_context():
        [delivery] = db.session.scalars(sa.select(Delivery)).all()
        assert delivery.notification.staff_id == world.c1

    # Turning off from the page, on again, then signing out ends it on the server.
    assert counsellor.delete("/api/v1/push/subscriptions").status_code == 204
    assert _count(app, PushSubscription) == 0
    counsellor.post("/api/v1/push/subscriptions", json=_subscription())
    assert _count(app, PushSubscription) == 1
    counsellor.post("/logout", data={"csrf_token": csrf_token(counsellor, "/inbox")})
    assert _count(app, PushSubscription) == 0
    assert counsellor.get("/api/v1/push/key").status_code == 401


def test_erasing_a_participant_erases_their_notifications_and_subscriptions(app, world, as_actor):
    phone = as_actor(app, "p1")
    phone.post("/api/v1/push/subscriptions", json=_subscription())
    mapping_sent(app, world.p1)  # a notification for the counsellor about p1's response
    with app.app_context():
        notifications.notify(db.session.get(Participant, world.p1), "questionnaire_offered")
        db.session.commit()
        assert db.session.get(Participant, world.p1) is not None
    assert (_count(app, Notification), _count(app, Delivery)) == (2, 1)
    assert [n["kind"] for n in phone.get("/api/v1/me/export").get_json()["notifications"]] == [
        "questionnaire_offered"
    ]
    with app.app_context():
        privacy.erase(db.session.get(Participant, world.p1), db.session.get(StaffUser, world.c1))
        db.session.commit()
    assert (_count(app, Notification), _count(app, Delivery), _count(app, PushSubscription)) == (
        0,
        0,
        0,
    )


def test_push_keys_are_made_once_into_the_instance_folder(app, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", None)
    runner = app.test_cli_runner()

    first = runner.invoke(args=["push", "keys"])
    again = runner.invoke(args=["push", "keys"])

    key_file = tmp_path / "vapid_private.pem"
    assert "made" in first.output and "kept" in again.output
    assert first.output.splitlines()[-1] == again.output.splitlines()[-1]  # the same key
    assert len(push_keys.application_server_key(push_keys.load(app.config, tmp_path))) == 87
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_the_worker_refuses_to_start_without_a_key(app, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", None)
    result = app.test_cli_runner().invoke(args=["push", "work", "--once"])
    assert result.exit_code != 0 and "flask push keys" in result.output


def test_the_counsellor_sees_which_devices_get_pushes(app, world, as_actor):
    phone = as_actor(app, "p1")
    counsellor = as_actor(app, "c1")

    def push_column() -> list[str]:
        html = counsellor.get(f"/participants/{world.p1}").get_data(as_text=True)
        assert "Push notifications" in html
        table = html.split("Signed-in devices")[2].split("</table>")[0]
        return [cell for cell in ("Yes", "No") if f"<td>{cell}</td>" in table]

    assert push_column() == ["No"]
    phone.post("/api/v1/push/subscriptions", json=_subscription())
    assert push_column() == ["Yes"]


def test_a_message_from_the_counsellor_reaches_the_inbox_a_note_does_not(app, world, as_actor):
    rid = _response_of(app, world, "kartlegging")
    counsellor = as_actor(app, "c1")
    page = f"/responses/{rid}"
    for kind, body in (("note", "Ring tolk"), ("message", "Se på side 3")):
        answer = counsellor.post(
            f"{page}/comments",
            data={"csrf_token": csrf_token(counsellor, page), "kind": kind, "body": body},
        )
        assert answer.status_code == 302
    [entry] = _notifications(app, participant_id=world.p1)
    assert (entry.kind, entry.response_id) == ("message", rid)
    [listed] = as_actor(app, "p1").get("/api/v1/inbox").get_json()["entries"]
    assert listed["text"] == "Your counsellor sent you a message."
    assert "Se på side 3" not in str(listed)  # the words stay in the app, after sign-in


def test_a_message_on_the_counsellors_own_questionnaire_is_refused_and_notifies_nobody(app, world):
    """The participant never sees those threads (only their own questionnaires'), so such a
    message is refused (test_comments.py has the page) rather than stored unread."""
    rid = _response_of(app, world, "muligheter", author="c1")
    with app.app_context():
        with pytest.raises(comments.CommentError) as refused:
            comments.add(db.session.get(Response, rid), staff(world, "c1"), "message", "Intern")
        assert refused.value.code == "unseen"
        db.session.commit()
    assert _notifications(app) == []


def test_a_message_and_its_notification_are_committed_together(app, world):
    rid = _response_of(app, world, "kartlegging")
    with app.app_context():
        comments.add(db.session.get(Response, rid), staff(world, "c1"), "message", "Hei")
        db.session.rollback()  # the message is not stored: neither is its notification
    assert _notifications(app) == []


def test_a_shared_resource_reaches_the_inbox(app, world, as_actor):
    rid = _response_of(app, world, "kartlegging")
    with app.app_context():
        guidance = db.session.scalar(
            sa.select(Resource.id).where(Resource.slug == "karriereveiledning-no")
        )
    counsellor = as_actor(app, "c1")
    page = f"/responses/{rid}"
    answer = counsellor.post(
        f"{page}/share",
        data={"csrf_token": csrf_token(counsellor, page), "resource_id": guidance, "note": ""},
    )
    assert answer.status_code == 302
    [entry] = _notifications(app, participant_id=world.p1)
    assert (entry.kind, entry.response_id, entry.questionnaire_id) == (
        "resource_shared",
        None,
        None,
    )
    texts = [e["text"] for e in as_actor(app, "p1").get("/api/v1/inbox").get_json()["entries"]]
    assert texts == ["Your counsellor shared something for you to read."]


def _response_of(app, world, slug: str, author: str | None = None) -> str:
    with app.app_context():
        questionnaire = db.session.scalar(sa.select(Questionnaire).filter_by(slug=slug))
        person = db.session.get(Participant, world.p1)
        extra = {"author": staff(world, author)} if author else {}
        response = response_service.start(person, questionnaire, **extra)
        db.session.commit()
        return response.id


@pytest.mark.parametrize("kind", NOTIFICATION_KINDS)
def test_every_kind_has_its_texts_and_its_push_settings(app, kind):
    """A kind added without them would fail when read or sent, not when written."""
    with app.test_request_context():
        assert notifications.text_for(kind) and notifications.label_for(kind)
    assert push_delivery.PUSH_KINDS[kind].ttl > 0


def test_the_counsellor_reads_a_submission_in_their_inbox(app, world, as_actor):
    response_id = mapping_sent(app, world.p1)
    [entry] = _notifications(app, staff_id=world.c1)
    counsellor = as_actor(app, "c1")
    assert "1 new" in counsellor.get("/caseload").get_data(as_text=True)
    page = counsellor.get("/inbox").get_data(as_text=True)
    assert "A participant sent in their answers." in page
    assert f'data-entry="{entry.public_id}"' in page

    # Another counsellor cannot open it, nor see it.
    other = as_actor(app, "c2")
    token = csrf_token(other, "/inbox")
    assert entry.public_id not in other.get("/inbox").get_data(as_text=True)
    assert other.post(f"/inbox/{entry.public_id}", data={"csrf_token": token}).status_code == 404

    opened = counsellor.post(
        f"/inbox/{entry.public_id}", data={"csrf_token": csrf_token(counsellor, "/inbox")}
    )
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/responses/{response_id}")
    [read] = _notifications(app, staff_id=world.c1)
    assert read.read_at is not None
    assert "1 new" not in counsellor.get("/caseload").get_data(as_text=True)
    assert as_actor(app, "p1").get("/inbox").status_code in (302, 403, 404)


def _step(app, world, due_on, shown=True, status="planned") -> int:
    with app.app_context():
        step = plan.add_step(
            staff(world, "c1"),
            db.session.get(Participant, world.p1),
            plan.StepInput("Mål", "Ring NAV", "participant", due_on, status, shown),
        )
        db.session.commit()
        return step.id


def _announce(app, when: datetime) -> int:
    with app.app_context():
        count = plan.notify_due_steps(when)
        db.session.commit()
        return count


OSLO = ZoneInfo("Europe/Oslo")


def test_a_next_step_due_is_announced_once_by_day_never_at_night(app, world, as_actor):
    morning = datetime(2026, 3, 10, 9, 0, tzinfo=OSLO)
    _step(app, world, date(2026, 3, 10))  # due today
    _step(app, world, date(2026, 3, 11))  # not yet
    _step(app, world, date(2026, 3, 10), shown=False)  # the participant does not see it
    _step(app, world, date(2026, 3, 9), status="done")  # done already
    _step(app, world, date(2026, 2, 1))  # long overdue: the caseload shows it, no news

    assert _announce(app, morning.replace(hour=7, minute=59)) == 0  # quiet hours
    assert _announce(app, morning) == 1
    assert _announce(app, morning.replace(hour=15)) == 0  # once
    assert _announce(app, morning.replace(day=11, hour=21)) == 0  # quiet again
    assert _announce(app, morning.replace(day=11)) == 1  # the next one, the next morning
    entries = as_actor(app, "p1").get("/api/v1/inbox").get_json()["entries"]
    assert [e["text"] for e in entries] == ["One of your next steps is due."] * 2


def test_a_step_given_a_new_due_date_is_announced_again(app, world):
    step_id = _step(app, world, date(2026, 3, 10))
    assert _announce(app, datetime(2026, 3, 10, 12, tzinfo=OSLO)) == 1
    with app.app_context():
        step = db.session.get(NextStep, step_id)
        plan.update_step(
            staff(world, "c1"),
            step,
            plan.StepInput("Mål", "Ring NAV", "participant", date(2026, 3, 12), "planned", True),
        )
        db.session.commit()
    assert _announce(app, datetime(2026, 3, 11, 12, tzinfo=OSLO)) == 0
    assert _announce(app, datetime(2026, 3, 12, 12, tzinfo=OSLO)) == 1
    assert [n.kind for n in _notifications(app)] == ["next_step_due", "next_step_due"]


def _draft(app, world, slug: str = "kartlegging", author: str | None = None) -> str:
    rid = _response_of(app, world, slug, author)
    with app.app_context():  # left untouched since the first of March
        db.session.get(Response, rid).updated_at = datetime(2026, 3, 1, 12, tzinfo=OSLO)
        db.session.commit()
    return rid


def _remind(app, when: datetime, days: int = 3) -> int:
    with app.app_context():
        count = reminders.remind_drafts(when, days)
        db.session.commit()
        return count


def test_a_draft_left_unfinished_is_reminded_at_most_weekly_never_at_night(app, world):
    rid = _draft(app, world)
    _draft(app, world, "muligheter", author="c1")  # the counsellor's own: no reminder
    day = datetime(2026, 3, 3, 12, tzinfo=OSLO)

    assert _remind(app, day) == 0  # two days untouched: not yet
    assert _remind(app, day.replace(day=4, hour=22)) == 0  # quiet hours
    assert _remind(app, day.replace(day=4)) == 1
    assert _remind(app, day.replace(day=10)) == 0  # six days after the reminder
    assert _remind(app, day.replace(day=11, hour=13)) == 1  # a week after it
    assert _remind(app, day.replace(day=11, hour=14), days=0) == 0  # reminders off
    found = _notifications(app, kind="draft_reminder")
    assert [(n.participant_id, n.response_id) for n in found] == [(world.p1, rid)] * 2


def test_a_draft_sent_in_is_not_reminded(app, world):
    _draft(app, world)
    with app.app_context():
        response = db.session.scalars(sa.select(Response)).one()
        response.status = "submitted"  # as if sent: only the status matters to the rule
        db.session.commit()
    assert _remind(app, datetime(2026, 3, 9, 12, tzinfo=OSLO)) == 0


def test_a_sync_conflict_tells_the_counsellor_once_until_read(app, world, as_actor):
    from .test_conflicts import _clash
    from .test_write_path import body, put

    phone = as_actor(app, "p1")
    rid = _clash(phone)
    [entry] = _notifications(app, staff_id=world.c1, kind="sync_conflict")
    assert entry.response_id == rid
    # Another clash on the same response while the first entry is unread: no second entry.
    clash = {"mapped_before": "yes", "previous_mapping_where": "Bydel Alna"}
    answer = put(phone, rid, body(clash, base=1, device="phone-cccccccc", sequence=2))
    assert answer.json["conflicts"] == ["previous_mapping_where"]
    assert len(_notifications(app, staff_id=world.c1, kind="sync_conflict")) == 1

    counsellor = as_actor(app, "c1")
    page = counsellor.get("/inbox").get_data(as_text=True)
    assert "Two changes to a participant&#39;s answers clashed" in page
    opened = counsellor.post(
        f"/inbox/{entry.public_id}", data={"csrf_token": csrf_token(counsellor, "/inbox")}
    )
    assert opened.headers["Location"].endswith(f"/responses/{rid}")
    # Read: the next clash is news again.
    later = {"mapped_before": "yes", "previous_mapping_where": "Bydel Bjerke"}
    put(phone, rid, body(later, base=1, device="phone-dddddddd", sequence=2))
    found = _notifications(app, staff_id=world.c1, kind="sync_conflict")
    assert [n.read_at is None for n in found].count(True) == 1 and len(found) == 2
    # The participant and other counsellors hear nothing of it.
    assert not _notifications(app, participant_id=world.p1, kind="sync_conflict")
    assert not _notifications(app, staff_id=world.c2)


def _reassign(app, world, as_actor, to: int):
    lead = as_actor(app, "lead1")
    page = f"/participants/{world.p1}"
    answer = lead.post(
        f"{page}/counsellor", data={"csrf_token": csrf_token(lead, page), "counsellor_id": to}
    )
    assert answer.status_code == 302


def test_a_new_counsellor_gets_the_inbox_entries_about_answers_still_waiting(app, world, as_actor):
    """After a lead gave the participant another counsellor, the old one's entry opened "Page
    not found" and the new one heard nothing of answers waiting for them."""
    waiting = mapping_sent(app, world.p1)  # unread by c1
    opened = mapping_sent(app, world.p1)  # read by c1, not reviewed yet
    done = mapping_sent(app, world.p1)  # read by c1 and reviewed
    old = as_actor(app, "c1")
    for rid in (opened, done):
        [entry] = _notifications(app, staff_id=world.c1, response_id=rid)
        old.post(f"/inbox/{entry.public_id}", data={"csrf_token": csrf_token(old, "/inbox")})
    with app.app_context():
        reviews.add_review(
            db.session.get(Response, done), db.session.get(StaffUser, world.c1), "completed", ""
        )
        db.session.commit()
    new = as_actor(app, "c2")
    assert new.post("/api/v1/push/subscriptions", json=_subscription()).status_code == 204
    assert "A participant sent in their answers." not in new.get("/inbox").get_data(as_text=True)

    _reassign(app, world, as_actor, world.c2)

    assert "A participant sent in their answers." not in old.get("/inbox").get_data(as_text=True)
    page = new.get("/inbox").get_data(as_text=True)
    assert page.count("A participant sent in their answers.") == 3
    assert "2 new" in new.get("/caseload").get_data(as_text=True)
    unread = {e.response_id for e in _notifications(app, staff_id=world.c2) if not e.read_at}
    assert unread == {waiting, opened}
    with app.app_context():
        pushed = db.session.scalars(sa.select(Delivery)).all()
        assert sorted(d.notification.response_id for d in pushed) == sorted([waiting, opened])
        assert {d.subscription.staff_id for d in pushed} == {world.c2}
    for entry in _notifications(app, staff_id=world.c2):
        answer = new.post(
            f"/inbox/{entry.public_id}", data={"csrf_token": csrf_token(new, "/inbox")}
        )
        assert answer.status_code == 302
        assert new.get(answer.headers["Location"]).status_code == 200


def test_pushes_not_yet_sent_to_the_old_counsellor_are_dropped(app, world, as_actor):
    old = as_actor(app, "c1")
    assert old.post("/api/v1/push/subscriptions", json=_subscription()).status_code == 204
    rid = mapping_sent(app, world.p1)
    with app.app_context():
        [pending] = db.session.scalars(sa.select(Delivery)).all()
        assert pending.subscription.staff_id == world.c1
    _reassign(app, world, as_actor, world.c2)
    assert _count(app, Delivery) == 0  # c2 turned on no pushes
    [entry] = _notifications(app, response_id=rid)
    assert (entry.staff_id, entry.read_at) == (world.c2, None)
