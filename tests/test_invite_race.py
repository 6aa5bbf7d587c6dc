"""Browsers that send the same invite code at the same moment: one is signed in.

The code used to be checked with a SELECT and spent with a separate write, so every request
that passed the check before the first one committed was signed in (one code, several
devices), and the others could fail with a 500 instead of the answer for a used link.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import LoginSession, ThrottleCounter
from webapp.services import accounts, throttle

from .conftest import csrf_token, english_client, join

USED = "This link does not work any more"
BROWSERS = 4


def _at_once(requests) -> list:
    """Run each request in its own thread; return their responses in order."""
    responses = [None] * len(requests)

    def run(index, request):
        responses[index] = request()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return responses


def _live_sessions(app, participant_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count(LoginSession.id)).where(
                LoginSession.participant_id == participant_id, LoginSession.ended_at.is_(None)
            )
        )


def test_one_code_sent_by_several_browsers_at_once_signs_in_one(app, world, monkeypatch):
    code = world.codes["p1"]
    browsers = [english_client(app) for _ in range(BROWSERS)]
    tokens = [csrf_token(browser, f"/join/{code}") for browser in browsers]
    barrier = threading.Barrier(BROWSERS, timeout=10)
    spend = accounts.use_invite

    def use_invite_when_all_checked(*args):
        barrier.wait()  # every request found the code valid before any spends it
        return spend(*args)

    monkeypatch.setattr(accounts, "use_invite", use_invite_when_all_checked)
    responses = _at_once(
        [
            lambda b=browser, t=token: b.post(f"/join/{code}", data={"csrf_token": t})
            for browser, token in zip(browsers, tokens, strict=True)
        ]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] + [404] * (BROWSERS - 1), statuses
    for response in responses:
        if response.status_code == 404:
            assert USED in response.get_data(as_text=True)
    assert [b.get("/api/v1/me").status_code for b in browsers].count(200) == 1
    assert _live_sessions(app, world.p1) == 1


def test_a_code_spent_while_the_button_was_pressed_gets_the_used_link_answer(
    app, world, monkeypatch
):
    """The link page's check passes, then another browser signs in before this one spends the
    code: the answer for a used link, not a 500 (the view returned None)."""
    code = world.codes["p1"]
    slow, fast = english_client(app), english_client(app)
    slow_token = csrf_token(slow, f"/join/{code}")
    fast_token = csrf_token(fast, f"/join/{code}")
    check = accounts.participant_for_code
    first = [True]

    def other_browser_joins_after_the_first_check(*args):
        found = check(*args)
        if first[0]:
            first[0] = False
            (signed_in,) = _at_once(
                [lambda: fast.post(f"/join/{code}", data={"csrf_token": fast_token})]
            )
            assert signed_in.status_code == 302
        return found

    monkeypatch.setattr(accounts, "participant_for_code", other_browser_joins_after_the_first_check)
    response = slow.post(f"/join/{code}", data={"csrf_token": slow_token})
    assert response.status_code == 404
    assert USED in response.get_data(as_text=True)
    assert slow.get("/api/v1/me").status_code == 401
    assert fast.get("/api/v1/me").status_code == 200
    assert _live_sessions(app, world.p1) == 1


def test_wrong_codes_sent_at_the_same_moment_all_count(app, world, monkeypatch):
    """Two wrong attempts at once: both get the used-link answer and both count (the counter's
    INSERT failed with a 500 for one of them, and a read-add-write counted one)."""
    join(english_client(app), world.codes["p1"])
    browsers = [english_client(app) for _ in range(2)]
    barrier = threading.Barrier(2, timeout=10)
    counter = throttle._counter

    def counter_when_both_looked(*args):
        found = counter(*args)
        barrier.wait()  # both requests found no counter before either adds it
        return found

    monkeypatch.setattr(throttle, "_counter", counter_when_both_looked)
    code = world.codes["p1"]
    responses = _at_once([lambda b=browser: b.get(f"/join/{code}") for browser in browsers])
    assert [r.status_code for r in responses] == [404, 404]
    assert all(USED in r.get_data(as_text=True) for r in responses)
    with app.app_context():
        assert db.session.scalars(sa.select(ThrottleCounter.failures)).all() == [2]
