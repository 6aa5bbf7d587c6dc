"""Filling in together, seen from the phone: what the counsellor saved in the meeting is in
the participant's app after its next sync, as a draft they continue and send themselves."""

from __future__ import annotations

import pytest

from ..test_meeting import meeting_id, open_meeting, post_meeting_page
from .app_driver import open_app, stored, wait_until

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_answers_given_in_a_meeting_reach_the_app(app, world, context, as_actor):
    phone = open_app(context, world.codes["p1"])
    counsellor = as_actor(app, "c1")
    rid = meeting_id(open_meeting(counsellor, world.p1))
    assert post_meeting_page(counsellor, rid, 1, {"mapped_before": "no"}).status_code == 302

    phone.reload()  # the app opened again: it asks the server what is new
    phone.wait_for_selector(f'#app [data-response="{rid}"]')
    wait_until(
        lambda: (
            next((r for r in stored(phone) if r["id"] == rid), {}).get("answers")
            == {"mapped_before": "no"}
        ),
        20,
        "the meeting's answers on the phone",
    )
    phone.click(f'#app a[href="#/r/{rid}/1"]')
    phone.wait_for_selector("#mapped_before-1")
    assert phone.is_checked("#mapped_before-1")
