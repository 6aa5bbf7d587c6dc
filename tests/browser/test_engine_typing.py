"""Typing on a page of the app: the engine reads only the field that changed (issue 12), and
the answers stored, the conditions and the group entries come out as a full read makes them."""

from __future__ import annotations

from .app_driver import open_app

# Store what the page has typed now (the app's own save, without its 300 ms wait) and return
# the response's answers as the phone keeps them.
SAVED = """async (id) => {
  const main = document.querySelector('script[type=module][src*="js/app/main.js"]').src;
  const saving = await import(main.replace("main.js", "saving.js"));
  const records = await import(main.replace("main.js", "records.js"));
  await saving.saveNow();
  return (await records.response(id)).answers;
}"""


def start_on_page(context, world, number: int):
    page = open_app(context, world.codes["p1"])
    page.click("#app .card button.primary")
    page.wait_for_selector("#fields")
    rid = page.url.split("#/r/")[1].split("/")[0]
    page.goto(f"/app/#/r/{rid}/{number}")
    return page, rid


def hidden(page, item: str) -> bool:
    return page.locator(f'#fields > [data-item="{item}"]').is_hidden()


def test_a_chain_of_conditions_follows_each_input_and_hidden_answers_are_not_kept(world, context):
    # The languages page: the test date shows when tests are named, which show when one was taken.
    page, rid = start_on_page(context, world, 7)
    page.wait_for_selector("#norwegian_test_taken-0")
    assert hidden(page, "norwegian_tests") and hidden(page, "norwegian_test_date")
    page.check("#norwegian_test_taken-0")  # yes
    page.wait_for_selector("#norwegian_tests-0", state="visible")
    assert hidden(page, "norwegian_test_date")
    page.check("#norwegian_tests-0")
    page.wait_for_selector("#norwegian_test_date", state="visible")
    page.fill("#norwegian_test_date", "2024-05-01")
    answers = page.evaluate(SAVED, rid)
    assert answers["norwegian_test_taken"] is True
    assert answers["norwegian_tests"] == ["norskproven"]
    assert answers["norwegian_test_date"] == "2024-05-01"

    page.check("#norwegian_test_taken-1")  # no: the tests hide, and with them the date
    page.wait_for_selector("#norwegian_tests-0", state="hidden")
    assert hidden(page, "norwegian_test_date")
    answers = page.evaluate(SAVED, rid)
    assert answers["norwegian_test_taken"] is False
    assert "norwegian_tests" not in answers and "norwegian_test_date" not in answers

    page.check("#norwegian_test_taken-0")  # yes again: what is still on the page comes back
    page.wait_for_selector("#norwegian_test_date", state="visible")
    answers = page.evaluate(SAVED, rid)
    assert answers["norwegian_tests"] == ["norskproven"]
    assert answers["norwegian_test_date"] == "2024-05-01"


def test_a_keystroke_reads_only_its_own_field_and_group_entries_keep_their_place(world, context):
    page, rid = start_on_page(context, world, 4)  # education and work: two groups
    page.wait_for_selector("#educations-0-field")
    page.locator("#educations-0-field").press_sequentially("Nursing")
    assert hidden(page, "jobs")
    page.check("#has_work_experience-0")
    page.wait_for_selector("#jobs-0-occupation", state="visible")
    page.locator("#jobs-0-occupation").press_sequentially("Nurse")

    # A value that changes without an input event is not read by a keystroke in another field:
    # the engine reads only the field the input happened in (a whole-page read would take it).
    page.evaluate("document.querySelector('#educations-0-field').value = 'Not typed'")
    page.locator("#jobs-0-occupation").press("s")
    answers = page.evaluate(SAVED, rid)
    assert answers["educations"] == [{"field": "Nursing"}]
    assert answers["jobs"] == [{"occupation": "Nurses"}]
    assert answers["has_work_experience"] is True

    # Adding and removing entries keeps what is typed in the others (the page is read again).
    page.fill("#educations-0-field", "Nursing")
    page.click('button[value="add:educations"]')
    page.locator("#educations-1-field").press_sequentially("Public health")
    page.select_option("#educations-1-country", "SY")
    assert page.evaluate(SAVED, rid)["educations"] == [
        {"field": "Nursing"},
        {"field": "Public health", "country": "SY"},
    ]
    page.click('button[value="remove:educations:0"]')
    page.wait_for_selector("#educations-1-field", state="detached")
    assert page.input_value("#educations-0-field") == "Public health"
    page.locator("#educations-0-field").press("End")  # the removal put the focus here
    page.locator("#educations-0-field").press_sequentially(", MPH")
    assert page.evaluate(SAVED, rid)["educations"] == [
        {"field": "Public health, MPH", "country": "SY"}
    ]

    page.check("#has_work_experience-1")  # no: the jobs hide and their answer goes
    page.wait_for_selector("#jobs-0-occupation", state="hidden")
    answers = page.evaluate(SAVED, rid)
    assert answers["has_work_experience"] is False and "jobs" not in answers


# For each control in a question the app may skip drawing (content-visibility: auto), how far
# its focus ring may reach before that question's clip cuts it, on every side.
FOCUS_ROOM = """() => {
  const rows = [];
  const controls = document.querySelectorAll("#fields input, #fields select, #fields textarea");
  for (const control of controls) {
    if (!control.checkVisibility()) continue;  // a hidden question
    control.focus();  // on the screen, and so drawn, as when someone tabs to it
    const r = control.getBoundingClientRect();
    let field = control.closest(".field");
    for (; field; field = field.parentElement.closest(".field")) {
      const style = getComputedStyle(field);
      if (style.contentVisibility !== "auto") continue;
      const box = field.getBoundingClientRect();
      const px = (name) => parseFloat(style[name]) || 0;
      // Its padding box, widened by overflow-clip-margin except for a fieldset (Chromium clips
      // a fieldset's contents at its padding box whatever the margin).
      const widen = field.tagName === "FIELDSET" ? 0 : px("overflowClipMargin");
      const room = Math.min(
        r.left - (box.left + px("borderLeftWidth") - widen),
        box.right - px("borderRightWidth") + widen - r.right,
        r.top - (box.top + px("borderTopWidth") - widen),
        box.bottom - px("borderBottomWidth") + widen - r.bottom,
      );
      const fieldset = field.tagName === "FIELDSET";
      rows.push({ id: control.id, type: control.type, fieldset, room });
    }
  }
  return rows;
}"""


def test_questions_the_app_may_skip_drawing_leave_room_for_the_focus_ring(world, context):
    """Long pages skip drawing the questions far from the screen (content-visibility, issue
    12), which clips what a question paints to its box: the focus ring (3 px outline 2 px
    off the control, and a 5 px dark ring) must still show whole, for radios and checkboxes
    in a choice list (a fieldset) and for text fields alike (WCAG 2.4.7)."""
    page, _rid = start_on_page(context, world, 7)  # radios, checkboxes, a date field
    page.wait_for_selector("#norwegian_test_taken-0")
    page.check("#norwegian_test_taken-0")
    page.wait_for_selector("#norwegian_tests-0", state="visible")
    page.check("#norwegian_tests-0")
    page.wait_for_selector("#norwegian_test_date", state="visible")
    rows = page.evaluate(FOCUS_ROOM)
    kinds = {(row["type"], row["fieldset"]) for row in rows}
    assert ("radio", True) in kinds and ("checkbox", True) in kinds, rows  # it is in effect
    assert any(not row["fieldset"] for row in rows), rows
    short = [row for row in rows if row["room"] < 5]
    assert not short, short
