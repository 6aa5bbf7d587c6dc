"""A long-text answer keeps the lines the participant typed, wherever it is read: an exploratory
run found "Første avsnitt.⏎⏎Andre avsnitt:⏎- punkt én⏎- punkt to" shown as one run-on line on
the counsellor's response page, side by side, History and the printed record, and on the
phone's own summary. A one-line answer gets no blank space around it, and a word longer than
the line still breaks (test_long_words.py)."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Questionnaire
from webapp.services import responses as response_service
from webapp.services import revisions

from .app_driver import open_app
from .conftest import PHONE
from .test_accessibility import ANSWERS, sign_in_staff
from .test_long_words import LONG

#: Shown as typed: the paragraphs, the blank line between them and the list.
TYPED = "Første avsnitt.\n\nAndre avsnitt:\n- punkt én\n- punkt to"
ONE_LINE = "Korte dager"  # health_adaptations, a long-text question answered on one line
BEFORE = "Bare én linje."


def _sent(app, world) -> str:
    """Revision 2 has a one-line answer, revision 3 the typed lines (and a long word)."""
    with app.app_context():
        questionnaire = db.session.scalar(
            sa.select(Questionnaire).where(Questionnaire.slug == "kartlegging")
        )
        p1 = db.session.get(Participant, world.p1)
        p1.language = "nb"  # the counsellor reads in English with bokmål beside
        response = response_service.start(p1, questionnaire)
        web = revisions.Author("web", p1)
        revisions.write(response, web, base=1, answers={**ANSWERS, "anything_else": BEFORE},
                        status="draft")  # fmt: skip
        answers = {**ANSWERS, "anything_else": TYPED, "prior_learning_area": f"Lenke:\n{LONG}"}
        revisions.write(response, web, base=2, answers=answers, status="draft")
        assert response_service.submit(response, p1) == []
        db.session.commit()
        return str(response.id)


# Each answer as it reads on the screen (innerText follows the CSS; without the note "written
# in …" beside it), and its height against its line height.
READ = """(root) => {
  const answers = {};
  for (const item of root.querySelectorAll(".answer")) {
    const dd = item.querySelector("dd");
    if (!dd || item.querySelector(".entries")) continue;
    const lines = [...dd.querySelectorAll(".line")];
    const box = lines.length === 1 ? lines[0] : dd;
    answers[item.querySelector("dt").innerText.trim()] = {
      text: lines.length ? lines.map((l) => l.innerText).join("\\n") : dd.innerText.trim(),
      height: box.getBoundingClientRect().height,
      line: parseFloat(getComputedStyle(box).lineHeight) };
  }
  return answers;
}"""

ANYTHING_ELSE = "Is there anything else you would like to tell your counsellor?"


def _check(page, root: str) -> None:
    answers = page.eval_on_selector(root, READ)
    [typed] = [a for a in answers.values() if a["text"].startswith("Første avsnitt.")]
    assert typed["text"] == TYPED  # not "Første avsnitt. Andre avsnitt: - punkt én - punkt to"
    [one] = [a for a in answers.values() if a["text"] == ONE_LINE]
    assert one["height"] < 1.5 * one["line"]  # one line, no blank space above or below it
    [linked] = [a for a in answers.values() if a["text"].startswith("Lenke:")]
    assert linked["text"].split("\n")[1].startswith(LONG[:40])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_line_breaks_show_as_typed_on_every_page_that_shows_answers(
    app, world, context, live_server
):
    response_id = _sent(app, world)

    phone = open_app(context, world.codes["p1"])
    phone.goto(f"/app/#/r/{response_id}/summary")
    phone.wait_for_selector("#app .answer")
    _check(phone, "#app")

    phone.goto(f"/r/{response_id}/summary")  # the same without JavaScript (from /me/)
    _check(phone, "main")

    staff = context.browser.new_context(viewport=PHONE, locale="en-GB", base_url=live_server)
    try:
        page = staff.new_page()
        sign_in_staff(page, world.emails["c1"])
        page.goto(f"/responses/{response_id}")
        _check(page, "main")
        page.goto(f"/responses/{response_id}?beside=1")  # two languages side by side
        _check(page, "main")
        page.goto(f"/participants/{world.p1}/print")
        page.emulate_media(media="print")
        _check(page, "main")
        page.emulate_media(media="screen")

        page.goto(f"/responses/{response_id}/history?first=2&second=3")
        row = page.locator("table.changes tr", has_text=ANYTHING_ELSE)
        before, after = row.locator("td").all_inner_texts()
        assert (before.strip(), after.strip()) == (BEFORE, TYPED)
    finally:
        staff.close()


def test_a_conflicts_two_answers_keep_their_lines(app, world, context, live_server, as_actor):
    """The two answers of a sync conflict, which the counsellor chooses between, ran together
    on one line as well."""
    import uuid

    from ..test_write_path import body, put

    phone = as_actor(app, "p1")
    rid = str(uuid.uuid4())
    assert put(phone, rid, body({"anything_else": BEFORE})).status_code in (200, 201)
    mine, theirs = "Første linje.\nAndre linje.", "Tredje linje.\n\nFjerde linje."
    put(phone, rid, body({"anything_else": mine}, base=1, device="phone-aaaaaaaa", sequence=2))
    clash = put(phone, rid, body({"anything_else": theirs}, base=1, device="phone-bbbbbbbb",
                                 sequence=2))  # fmt: skip
    assert clash.json["conflicts"] == ["anything_else"]
    staff = context.browser.new_context(viewport=PHONE, locale="en-GB", base_url=live_server)
    try:
        page = staff.new_page()
        sign_in_staff(page, world.emails["c1"])
        page.goto(f"/responses/{rid}")
        shown = page.locator("main .as-typed").all_inner_texts()
        assert sorted(shown) == sorted([mine, theirs]), shown  # as typed, blank line and all
    finally:
        staff.close()
