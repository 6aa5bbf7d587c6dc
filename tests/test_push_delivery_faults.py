"""Pushes when things go wrong: a subscription deleted while a push waits for it, two workers
meeting one dead subscription, two subscriptions of one sign-in at once, a push service that
is slow or down, and a database connection lost under the worker.

Against the push-service stand-in (tests/push_service.py: real VAPID, encryption and HTTP).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from webapp import create_app
from webapp.extensions import db
from webapp.models import Delivery, Participant, PushSubscription, StaffUser
from webapp.models.notification import PushServiceBackoff
from webapp.models.types import utcnow
from webapp.services import notifications, push_delivery, push_keys

from .conftest import ROOT, copy_session, csrf_token, english_client, join, login_staff
from .push_service import BrowserKeys, PushService
from .test_push_worker import _notify as notify
from .test_push_worker import _subscribe

#: The revision before push subscription ids were kept from coming back.
BEFORE = "f4a6b8c0d2e4"
#: The revision that kept them (the migration test's own, not whatever comes after it).
AFTER = "b3e5f7a9c1d2"


def _start(app, service_class=PushService) -> PushService:
    with app.app_context():
        public = push_keys.application_server_key(push_keys.load(app.config, app.instance_path))
    return service_class(public, app.config["VAPID_SUBJECT"]).start()


@pytest.fixture
def push_service(app, monkeypatch):
    service = _start(app)
    monkeypatch.setitem(app.config, "PUSH_TEST_ORIGIN", service.origin)
    yield service
    service.stop()


def _notify(app, participant_id, count=1) -> list[str]:
    return notify(app, participant_id, count, kind="message")


def _work(app, limit=100) -> int:
    with app.app_context():
        key = push_keys.load(app.config, app.instance_path)
        return push_delivery.send_due(key, app.config, limit=limit)


def _deliveries(app) -> list[tuple[str, int | None, int]]:
    """(state, subscription_id, attempts) of each delivery, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Delivery.state, Delivery.subscription_id, Delivery.attempts).order_by(
                Delivery.id
            )
        ).all()
        return [tuple(row) for row in rows]


def _subscriptions(app) -> list[tuple[int, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(PushSubscription.id, PushSubscription.participant_id).order_by(
                PushSubscription.id
            )
        ).all()
        return [tuple(row) for row in rows]


def _leave(phone) -> None:
    assert phone.post("/leave", data={"csrf_token": csrf_token(phone, "/me/")}).status_code == 302


# A push waiting for a deleted subscription ----------------------------------------------------


def test_a_push_waiting_when_its_person_signs_out_never_reaches_the_next_subscriber(
    app, world, as_actor, push_service
):
    """On SQLite the signed-out person's subscription id went to the next one made, and the
    waiting push with it: p1's message (in p1's language) on p3's phone, in another
    municipality."""
    first = _subscribe(app, as_actor, push_service, "p1")
    [waiting] = _notify(app, world.p1)
    [(_, first_subscription, _)] = _deliveries(app)
    _leave(first)
    assert _deliveries(app)[0][:2] == ("gone", None)

    _subscribe(app, as_actor, push_service, "p3")
    [(second_subscription, owner)] = _subscriptions(app)
    assert owner == world.p3
    assert second_subscription > first_subscription  # an id is never given again
    _work(app)

    assert [push.payload["id"] for push in push_service.received] == []
    assert waiting not in str(push_service.received)
    [(state, subscription_id, attempts)] = _deliveries(app)
    assert (state, subscription_id, attempts) == ("gone", None, 0)
    [mine] = _notify(app, world.p3)  # and p3's own pushes reach p3
    _work(app)
    assert [(p.path, p.payload["id"]) for p in push_service.received] == [("/push/p3", mine)]


def test_a_push_waiting_when_the_push_service_said_gone_never_reaches_the_next_subscriber(
    app, world, as_actor, push_service
):
    _subscribe(app, as_actor, push_service, "p1")
    push_service.answers["/push/p1"] = [(410, {})]
    _first, second = _notify(app, world.p1, count=2)
    assert _work(app, limit=1) == 1  # the first meets 410: the subscription is deleted
    assert [d[:2] for d in _deliveries(app)] == [("gone", None), ("gone", None)]

    _subscribe(app, as_actor, push_service, "p3")
    _work(app)

    assert push_service.received == []
    assert second not in str(push_service.received)
    assert [d[0] for d in _deliveries(app)] == ["gone", "gone"]


def test_turning_pushes_off_ends_the_pushes_waiting_for_that_phone(
    app, world, as_actor, push_service
):
    phone = _subscribe(app, as_actor, push_service, "p1")
    _notify(app, world.p1)
    token = csrf_token(phone, "/me/")
    assert phone.delete("/api/v1/push/subscriptions", headers={"X-CSRFToken": token}).status_code
    assert _subscriptions(app) == []
    assert _deliveries(app) == [("gone", None, 0)]


def test_a_delivery_naming_someone_elses_subscription_is_never_sent_to_it(
    app, world, as_actor, push_service
):
    """What an old SQLite database may hold (an id given again before this was fixed): the
    worker sends only to a device of the notification's own recipient."""
    _subscribe(app, as_actor, push_service, "p3")
    [(other, _owner)] = _subscriptions(app)
    [lost] = _notify(app, world.p1)  # p1 has no subscription: no delivery
    with app.app_context():
        notification_id = db.session.scalar(sa.text("SELECT id FROM notification"))
        db.session.add(Delivery(notification_id=notification_id, subscription_id=other))
        db.session.commit()

    _work(app)

    assert push_service.received == []
    assert _deliveries(app) == [("gone", None, 0)]
    assert _subscriptions(app) == [(other, world.p3)]  # p3's own stays


# Two workers, one dead subscription (PostgreSQL) ----------------------------------------------


def test_two_workers_meeting_one_gone_subscription_both_finish(app, world, as_actor, push_service):
    """Each held its delivery and deleted the subscription, whose foreign key then needed the
    other's delivery: a deadlock, and `flask push work` exited."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite runs one worker")
    _subscribe(app, as_actor, push_service, "p1")
    push_service.answers["/push/p1"] = [(410, {}), (410, {})]
    push_service.delay = 0.5  # both are waiting for the answer at once
    _notify(app, world.p1, count=2)
    errors: list[str] = []
    together = threading.Barrier(2)

    def work():
        try:
            with app.app_context():
                key = push_keys.load(app.config, app.instance_path)
                together.wait()
                push_delivery.send_due(key, app.config, limit=1)
        except Exception as error:  # noqa: BLE001 (what the worker would die of)
            errors.append(repr(error)[:300])

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    assert [(d[0], d[1], d[2]) for d in _deliveries(app)] == [("gone", None, 1)] * 2
    assert _subscriptions(app) == []


class KillsTheWorkersConnection(PushService):
    """A stand-in that, while the worker waits for its first answer, has the database end the
    worker's connection (as a restart or a network fault would)."""

    database_url = ""

    def _check(self, path, headers, body):
        if not getattr(self, "killed", False):
            self.killed = True
            engine = sa.create_engine(self.database_url)
            with engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND state = 'idle in transaction'"
                    )
                )
            engine.dispose()
        return super()._check(path, headers, body)


def test_the_worker_goes_on_after_its_database_connection_is_lost(
    app, world, as_actor, monkeypatch
):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL: a connection of its own to lose")
    service = _start(app, KillsTheWorkersConnection)
    service.database_url = url
    monkeypatch.setitem(app.config, "PUSH_TEST_ORIGIN", service.origin)
    try:
        _subscribe(app, as_actor, service, "p1")
        first, second = _notify(app, world.p1, count=2)

        result = app.test_cli_runner().invoke(args=["push", "work", "--once"])

        assert result.exit_code == 0, result.output
        assert "2 deliveries tried" in result.output
        # The first was sent but not recorded: it waits to be sent again (a duplicate at most).
        assert [d[0] for d in _deliveries(app)] == ["pending", "sent"]
        with app.app_context():
            db.session.execute(sa.update(Delivery).values(next_attempt_at=utcnow()))
            db.session.commit()
        _work(app)
        assert [d[0] for d in _deliveries(app)] == ["sent", "sent"]
        assert [p.payload["id"] for p in service.received] == [first, second, first]
    finally:
        service.stop()


# Two subscriptions of one sign-in at once -----------------------------------------------------


def _post_at_once(tabs, subscriptions) -> list[int]:
    """Post each tab's subscription at the same moment; return the answers' statuses."""
    statuses: list[int] = []
    together = threading.Barrier(len(tabs))

    def post(tab, subscription):
        together.wait()
        statuses.append(tab.post("/api/v1/push/subscriptions", json=subscription).status_code)

    posts = [
        threading.Thread(target=post, args=pair) for pair in zip(tabs, subscriptions, strict=True)
    ]
    for thread in posts:
        thread.start()
    for thread in posts:
        thread.join()
    return statuses


def test_two_subscriptions_of_one_sign_in_at_once_are_both_taken(app, world, monkeypatch):
    """The service worker's pushsubscriptionchange and the app's hand-over post at once: both
    deleted the sign-in's old one (if any) and inserted, and the loser got 500."""
    origin = "http://127.0.0.1:9"
    monkeypatch.setitem(app.config, "PUSH_TEST_ORIGIN", origin)
    statuses: list[int] = []
    for round_ in range(10):
        # A new sign-in (the one before ends, with its subscription), in two tabs.
        first, second = english_client(app), english_client(app)
        assert join(first, world.new_code("p1")).status_code == 302
        copy_session(first, second)
        for again in ("new", "replaced"):  # none yet, then one to replace
            subscriptions = [
                BrowserKeys().subscription(f"{origin}/push/r{round_}{again}{tab}")
                for tab in range(2)
            ]
            statuses += _post_at_once([first, second], subscriptions)
            with app.app_context():
                endpoints = db.session.scalars(sa.select(PushSubscription.endpoint)).all()
            assert len(endpoints) == 1 and endpoints[0] in {s["endpoint"] for s in subscriptions}

    assert statuses == [204] * 40


# One phone, two sign-ins at once ---------------------------------------------------------------


def test_one_phone_turned_on_by_two_sign_ins_at_once_goes_to_one_of_them(
    app, world, as_actor, push_service
):
    """Two people on a shared phone (or one counsellor's two sign-ins) turn pushes on at the
    same moment with the browser's one endpoint: both inserted it, and the loser got 500 (on
    PostgreSQL; or a lost update when one was replacing the other's). The endpoint ends with
    exactly one of them, and a push waiting for the other never reaches it."""
    other_counsellor_tab = english_client(app)
    assert login_staff(other_counsellor_tab, world.emails["c1"]).status_code == 302
    pairs = [
        ((as_actor(app, "p1"), world.p1), (as_actor(app, "p2"), world.p2)),
        ((as_actor(app, "c1"), world.c1), (other_counsellor_tab, world.c1)),
    ]
    statuses: list[int] = []
    for round_ in range(12):
        (first, first_id), (second, second_id) = pairs[round_ % 2]
        name = f"shared{round_}"
        _endpoint, subscription = push_service.new_browser(name)
        waiting = []
        if round_ % 4 < 2:  # the phone was the first one's already, with a push waiting
            assert first.post("/api/v1/push/subscriptions", json=subscription).status_code == 204
            waiting = _notify_anyone(app, first_id, staff=round_ % 2 == 1)
        statuses += _post_at_once([first, second], [subscription, subscription])

        with app.app_context():
            owners = db.session.execute(
                sa.select(PushSubscription.endpoint, PushSubscription.login_session_id)
            ).all()
        [(endpoint, owner_session)] = owners
        assert endpoint == subscription["endpoint"]
        states = [_state(first), _state(second)]
        assert sorted(s is None for s in states) == [False, True]  # one sign-in has it
        first_kept = states[0] is not None
        _work(app)
        received = [p.payload["id"] for p in push_service.received if p.path == f"/push/{name}"]
        if waiting and received != waiting:
            # Never to the other sign-in: the push ended when the other took the phone (if
            # the first took it back a moment later, that push stays ended).
            assert received == [] and _deliveries(app)[-1][0] == "gone"
        assert first_kept or received == []
        _leave_push(first if first_kept else second)
    assert push_service.rejected == []
    assert statuses == [204] * 24


def _state(tab) -> str | None:
    answer = tab.get("/api/v1/push/subscriptions")
    assert answer.status_code == 200
    return answer.get_json()["endpoint_sha256"]


def _notify_anyone(app, person_id, staff: bool) -> list[str]:
    with app.app_context():
        person = db.session.get(StaffUser if staff else Participant, person_id)
        made = notifications.notify(person, "message")
        db.session.commit()
        return [made.public_id]


def _leave_push(tab) -> None:
    """Turn pushes off on this sign-in, so the next round starts with none."""
    assert tab.delete("/api/v1/push/subscriptions").status_code == 204


def test_a_replaced_subscription_keeps_the_pushes_waiting_for_that_phone(
    app, world, as_actor, push_service
):
    """The push service replaced the browser's subscription: the same sign-in posts the new
    one, and what was waiting goes to it."""
    phone = _subscribe(app, as_actor, push_service, "p1", browser="before")
    [waiting] = _notify(app, world.p1)
    _endpoint, fresh = push_service.new_browser("after")
    assert phone.post("/api/v1/push/subscriptions", json=fresh).status_code == 204

    _work(app)

    assert [(p.path, p.payload["id"]) for p in push_service.received] == [("/push/after", waiting)]


# A slow or unreachable push service ----------------------------------------------------------


class Slow(PushService):
    """A push service that answers later than the worker waits."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked = 0

    def _check(self, path, headers, body):
        with self.lock:
            self.asked += 1
        time.sleep(2)
        return super()._check(path, headers, body)


def test_a_slow_push_service_holds_up_nobody_elses_pushes(app, world, as_actor, monkeypatch):
    monkeypatch.setattr(push_delivery, "TIMEOUT_SECONDS", 0.5)
    slow, fast = _start(app, Slow), _start(app)
    monkeypatch.setitem(app.config, "PUSH_TEST_ORIGIN", [slow.origin, fast.origin])
    try:
        _subscribe(app, as_actor, slow, "p1")
        _subscribe(app, as_actor, fast, "p2")
        _notify(app, world.p1, count=3)
        [quick] = _notify(app, world.p2)

        assert _work(app) == 2

        # One try of the slow service, then the others' pushes; its other two wait for the
        # next pass (the one tried, for its backoff).
        assert slow.asked == 1
        assert [p.payload["id"] for p in fast.received] == [quick]
        assert [d[0::2] for d in _deliveries(app)] == [
            ("pending", 1), ("pending", 0), ("pending", 0), ("sent", 1)
        ]  # fmt: skip
        assert _work(app) == 0  # the next pass waits it out (as any worker would)
        assert slow.asked == 1
        _time_passes(app)
        assert _work(app) == 1  # then tries it once more, and waits again
        assert slow.asked == 2
        assert [d[0::2] for d in _deliveries(app)] == [
            ("pending", 2), ("pending", 0), ("pending", 0), ("sent", 1)
        ]  # fmt: skip
    finally:
        slow.stop()
        fast.stop()


def test_an_unreachable_push_service_holds_up_nobody_elses_pushes(
    app, world, as_actor, push_service, monkeypatch
):
    down = PushService("", "")  # a port that answers nothing once closed
    down_origin = down.origin
    down.server.server_close()
    monkeypatch.setitem(app.config, "PUSH_TEST_ORIGIN", [down_origin, push_service.origin])
    phone = as_actor(app, "p1")
    gone = BrowserKeys().subscription(f"{down_origin}/push/p1")
    assert phone.post("/api/v1/push/subscriptions", json=gone).status_code == 204
    _subscribe(app, as_actor, push_service, "p2")
    _notify(app, world.p1, count=3)
    [quick] = _notify(app, world.p2)

    assert _work(app) == 2

    assert [p.payload["id"] for p in push_service.received] == [quick]
    assert [d[2] for d in _deliveries(app)] == [1, 0, 0, 1]


def _backoffs(app) -> list[tuple[str, int, float]]:
    """(origin, failures in a row, seconds until it is tried again) of each push service
    waited out."""
    with app.app_context():
        rows = db.session.execute(sa.select(PushServiceBackoff)).scalars().all()
        now = utcnow()
        return [(b.origin, b.failures, (b.retry_at - now).total_seconds()) for b in rows]


def _time_passes(app) -> None:
    """As if every wait were over: push services waited out, and deliveries waiting to be sent
    again."""
    with app.app_context():
        now = utcnow()
        db.session.execute(sa.update(PushServiceBackoff).values(retry_at=now))
        db.session.execute(
            sa.update(Delivery).where(Delivery.state == "pending").values(next_attempt_at=now)
        )
        db.session.commit()


def test_a_push_service_that_is_down_is_waited_out_longer_each_time_then_sent_to(
    app, world, as_actor, push_service
):
    """A push service that was down cost a connect timeout in every pass of every worker,
    and each of its deliveries an attempt. Each pass here is a worker of its own (nothing is
    kept between passes but the database)."""
    _subscribe(app, as_actor, push_service, "p1")
    push_service.down = True
    waiting = _notify(app, world.p1, count=3)
    connections = []
    for _ in range(3):
        _work(app)
        connections.append(push_service.connections)

    assert connections == [1, 1, 1]  # one try, then it is waited out
    assert [d[0::2] for d in _deliveries(app)] == [("pending", 1), ("pending", 0), ("pending", 0)]
    [(origin, failures, left)] = _backoffs(app)
    assert (origin, failures) == (push_service.origin, 1) and 25 < left <= 30

    waits = []
    for _ in range(7):  # each wait over, still down: one try each time, the next wait longer
        _time_passes(app)
        _work(app)
        _work(app)
        waits.append(round(_backoffs(app)[0][2] / 10) * 10)
    assert push_service.connections == 8
    assert waits == [60, 120, 240, 480, 900, 900, 900]  # doubling, at most 15 minutes
    assert sorted(d[2] for d in _deliveries(app)) == [0, 0, 8]  # only the one tried, each time
    assert push_service.received == []

    push_service.down = False
    _time_passes(app)
    assert _work(app) == 3

    assert [p.payload["id"] for p in push_service.received] == waiting
    assert [d[0] for d in _deliveries(app)] == ["sent"] * 3
    assert _backoffs(app) == []  # it answered: forgotten
    assert push_service.connections == 8 + 3


def test_two_workers_try_a_push_service_whose_wait_is_over_once(app, world, as_actor, push_service):
    """Each worker tried it when its wait was over: one connect timeout each, and the wait
    doubled once per worker."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite runs one worker")
    _subscribe(app, as_actor, push_service, "p1")
    push_service.down, push_service.delay = True, 0.5  # both workers at it at once
    _notify(app, world.p1, count=4)
    _work(app)
    assert push_service.connections == 1
    _time_passes(app)
    together = threading.Barrier(2)
    counts: list[int] = []

    def work():
        together.wait()
        counts.append(_work(app))

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert push_service.connections == 2
    assert sorted(counts) == [0, 1]
    [(_origin, failures, left)] = _backoffs(app)
    assert failures == 2 and 55 < left <= 60


def test_a_delivery_is_tried_once_in_a_pass_even_if_due_again_before_it_ends(
    app, world, as_actor, push_service, monkeypatch
):
    monkeypatch.setattr(push_delivery, "FIRST_DELAY", timedelta(0))  # due again at once
    _subscribe(app, as_actor, push_service, "p1")
    push_service.answers["/push/p1"] = [(500, {})] * 3
    _notify(app, world.p1)

    assert _work(app) == 1

    assert _deliveries(app)[0][0::2] == ("pending", 1)
    assert push_service.received == []


# The migration ---------------------------------------------------------------------------------


@pytest.fixture
def fresh_database(database_url, tmp_path):
    """The URL of an empty database of the same kind as the suite's, for migrations."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    server = sa.engine.make_url(database_url)
    name = f"{server.database}_push"
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _add(connection, table: str, values: dict) -> int:
    columns, marks = ", ".join(values), ", ".join(f":{k}" for k in values)
    return connection.execute(
        sa.text(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id"), values
    ).scalar_one()


def _rows(connection, table: str) -> list[tuple]:
    return [tuple(r) for r in connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]


def _schema(connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
    return set(connection.exec_driver_sql(query).scalars())


@contextmanager
def _references_unchecked(connection):
    """Write in one transaction what an old SQLite database may hold, rows naming rows deleted
    long ago (its foreign keys were off), whether or not the app turns them on now."""
    if connection.dialect.name != "sqlite":
        with connection.begin():
            yield
        return
    was = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # only outside a transaction
    connection.commit()
    try:
        with connection.begin():
            yield
    finally:
        connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if was else 'OFF'}")
        connection.commit()


def test_the_migration_keeps_subscriptions_and_lets_go_of_lost_ones(fresh_database):
    """A database from before: a subscription, and deliveries naming one deleted long ago
    (SQLite never set them NULL). Every subscription stays; what names a lost one lets go of
    it; a new subscription's id is above any a delivery ever named."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": fresh_database,
                      "PASSWORD_HASH_PROFILE": "CHEAPEST"})  # fmt: skip
    directory = str(ROOT / "migrations")
    now = "2026-01-01 00:00:00"
    with app.app_context():
        upgrade(directory=directory, revision=BEFORE)
        with db.engine.connect() as connection, _references_unchecked(connection):
            town = _add(connection, "municipality", {"name": "Kommune", "created_at": now})
            staff = _add(connection, "staff_user", {
                "municipality_id": town, "email": "s@a.no", "name": "S", "role": "counsellor",
                "password_hash": "x", "language": "nb", "active": True, "created_at": now,
            })  # fmt: skip
            people = [
                _add(
                    connection,
                    "participant",
                    {
                        "municipality_id": town,
                        "counsellor_id": staff,
                        "display_name": name,
                        "language": "nb",
                        "created_at": now,
                    },
                )  # fmt: skip
                for name in ("A", "B")
            ]
            logins = [
                _add(
                    connection,
                    "login_session",
                    {
                        "token_hash": f"{n:064d}",
                        "participant_id": person,
                        "device": "",
                        "created_at": now,
                        "last_seen_at": now,
                        "expires_at": "2099-01-01 00:00:00",
                    },
                )  # fmt: skip
                for n, person in enumerate(people)
            ]
            kept = _add(connection, "push_subscription", {
                "login_session_id": logins[1], "participant_id": people[1],
                "municipality_id": town, "endpoint": "https://fcm.googleapis.com/x",
                "p256dh": "k", "auth": "a", "created_at": now,
            })  # fmt: skip
            notes = [
                _add(
                    connection,
                    "notification",
                    {
                        "public_id": f"n{n}",
                        "participant_id": person,
                        "kind": "message",
                        "created_at": now,
                    },
                )  # fmt: skip
                for n, person in enumerate(people)
            ]
            lost = kept + 7  # deleted long ago; on SQLite no delivery let go of it

            def delivery(note, subscription, state):
                return _add(connection, "delivery", {
                    "notification_id": note, "subscription_id": subscription, "state": state,
                    "attempts": 0, "next_attempt_at": now, "created_at": now,
                })  # fmt: skip

            sqlite = connection.dialect.name == "sqlite"
            if sqlite:  # PostgreSQL's foreign key never let these be
                delivery(notes[0], lost, "pending")
                delivery(notes[0], lost, "sent")
                delivery(notes[0], kept, "pending")  # B's subscription, A's notification
            delivery(notes[1], kept, "pending")
            subscriptions = _rows(connection, "push_subscription")
            schema = _schema(connection)
        upgrade(directory=directory, revision=AFTER)
        with db.engine.begin() as connection:
            assert _rows(connection, "push_subscription") == subscriptions
            assert _schema(connection) == schema
            found = connection.execute(
                sa.text("SELECT state, subscription_id FROM delivery ORDER BY id")
            ).all()
            expected = [("pending", kept)]
            if sqlite:
                expected = [("gone", None), ("sent", None), ("gone", None), *expected]
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                keys = connection.exec_driver_sql(
                    "PRAGMA foreign_key_list('push_subscription')"
                ).all()
                assert {(k[2], k[3], k[6]) for k in keys} == {
                    ("login_session", "login_session_id", "CASCADE"),
                    ("participant", "participant_id", "CASCADE"),
                    ("staff_user", "staff_id", "CASCADE"),
                    ("municipality", "municipality_id", "NO ACTION"),
                }
            assert [tuple(row) for row in found] == expected
            connection.execute(sa.text("DELETE FROM push_subscription"))
            again = _add(connection, "push_subscription", {
                "login_session_id": logins[0], "participant_id": people[0],
                "municipality_id": town, "endpoint": "https://fcm.googleapis.com/y",
                "p256dh": "k", "auth": "a", "created_at": now,
            })  # fmt: skip
            assert again > (lost if sqlite else kept)
            subscriptions = _rows(connection, "push_subscription")
        downgrade(directory=directory, revision=BEFORE)
        upgrade(directory=directory, revision=AFTER)
        with db.engine.begin() as connection:
            assert _rows(connection, "push_subscription") == subscriptions
            assert _schema(connection) == schema
        db.engine.dispose()
