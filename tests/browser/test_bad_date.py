"""A date the phone's date field cannot read (31 February) is refused with a message, never
taken as no answer: an exploratory run typed 02/31/2020 in Arabic, pressed Next, and the page
moved on silently; the summary and the counsellor then showed the question as not answered."""

from __future__ import annotations

from .app_driver import next_page, open_app, start_mapping, stored, wait_until


def test_an_impossible_date_is_refused_and_the_page_stays(app, world, context):
    page = open_app(context, world.codes["p1"])
    start_mapping(page)
    page.check("#mapped_before-0")
    page.fill("#previous_mapping_where", "NAV Oslo")
    when = page.locator("#previous_mapping_when")
    # Typed as a person types into the browser's own date field. Its order of day and month
    # follows the browser's language (headless Chromium: month first), so both are tried.
    for digits in ("02312020", "31022020"):
        when.focus()  # its first part
        page.keyboard.type(digits)
        if when.evaluate("(e) => e.validity.badInput && e.value === ''"):
            break  # what the engine gets: an empty value, and the browser's "bad input"
        when.fill("")
    else:
        raise AssertionError("the date field took 31 February")
    next_page(page)

    summary = page.wait_for_selector("#app .error-summary")
    assert "Please give a real date, for example 2024-03-31." in page.inner_text("#app form")
    link = summary.query_selector("a")
    assert link.get_attribute("href") == "#previous_mapping_when"
    assert page.is_visible("#previous_mapping_where")  # still page 1
    assert "/1" in page.url.split("#/r/")[1]

    # A real date then goes through, and is what the phone keeps.
    when.fill("2020-02-29")
    next_page(page)
    page.wait_for_selector("#short_term_goal_kind-0")
    wait_until(
        lambda: [r["answers"].get("previous_mapping_when") for r in stored(page)] == ["2020-02-29"],
        message="the draft holds the real date",
    )
