"""What is typed just before the participant leaves the app is kept on the phone.

The app stores each change as it is made (saving.js); it used to wait 300 ms for the typing to
pause, and what was typed in those 300 ms was lost when the page went (a reload, a closed tab,
a link or an address typed), because a browser leaving a page abandons the asynchronous work
(encrypting, IndexedDB) it has not finished. Online and offline alike.
"""

from __future__ import annotations

import pytest

from .app_driver import open_app, start_mapping, stored, wait_until

# The page is the same whatever the database behind it.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

TYPED = "Typed just before leaving"


def leave(context, page, how: str):
    """Leave the app the way named, and open it again; return the page it is open in."""
    if how == "reload":
        page.reload()
        return page
    if how == "close":  # closed at once: pagehide only, no beforeunload (as when killed)
        page.close()
        after = context.new_page()
        after.goto("/app/")
        return after
    if how == "address":  # another address typed in the same tab, then back
        page.goto("/offline")
    else:  # a link out of the app (the brand in the header)
        with page.expect_navigation():
            page.click("header.site a.brand")
    page.goto("/app/")
    return page


@pytest.mark.parametrize("online", [True, False], ids=["online", "offline"])
@pytest.mark.parametrize("how", ["reload", "close", "address", "link"])
def test_what_was_typed_just_before_leaving_is_kept(world, context, how, online):
    page = open_app(context, world.codes["p1"])
    rid = start_mapping(page)
    page.check("#mapped_before-0")  # shows the question typed into below
    page.wait_for_selector("#previous_mapping_where")
    wait_until(lambda: any(r["answers"].get("mapped_before") == "yes" for r in stored(page)),
               message="the first answer stored")  # fmt: skip
    context.set_offline(not online)
    page.fill("#previous_mapping_where", TYPED)
    page.wait_for_timeout(100)  # well within the 300 ms the app used to wait
    after = leave(context, page, how)
    after.wait_for_selector("#app .cards, #fields")
    answers = next(r["answers"] for r in stored(after) if r["id"] == rid)
    assert answers.get("previous_mapping_where") == TYPED, answers
    assert answers.get("mapped_before") == "yes", answers
    context.set_offline(False)


def test_typing_fast_stores_every_change_in_order(world, context):
    """Each change is stored at once, one store after another: the last text typed is the one
    kept, never an older one written after it, and the page can go at any moment."""
    page = open_app(context, world.codes["p1"])
    rid = start_mapping(page)
    page.check("#mapped_before-0")
    field = page.locator("#previous_mapping_where")
    field.press_sequentially("NAV Grorud", delay=5)
    page.reload()
    page.wait_for_selector("#fields")
    answers = next(r["answers"] for r in stored(page) if r["id"] == rid)
    assert answers.get("previous_mapping_where") == "NAV Grorud", answers
    assert page.input_value("#previous_mapping_where") == "NAV Grorud"
