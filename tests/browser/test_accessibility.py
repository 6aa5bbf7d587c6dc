"""Every page passes axe-core's WCAG 2.1 A and AA rules in every language, on phone and desktop.

axe-core comes from npm (package.json pins it; ``make test`` runs ``npm ci``). Each test signs
one actor in, walks every shipped language, and checks each page at 360 CSS px and at 1280 CSS px
(the viewport is resized in place, so a page is rendered once for both). Problems are collected
and reported together, so a failure lists every page, language and width at once.

Besides axe: nothing scrolls sideways at 360 px, nor at 320 px on the participant's pages (WCAG
1.4.10 reflow); touch targets in the main content are at least 44 by 44 CSS px; error summaries
take the focus without JavaScript, and each field in error points at its message with
aria-describedby.

Why not ``java_script_enabled=False`` for the axe runs: such a Chromium context runs no timers
and no promise callbacks, not even those of an injected script, so axe never finishes. The
participant's server pages are instead served with ``Content-Security-Policy: script-src
'none'``: the browser refuses the page's own scripts (the redirect from /me/ to the app, the
read-aloud module), while axe, added through the DevTools protocol, is not bound by the page's
policy. The 320 px test and its error-summary focus checks do use a context with JavaScript off.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from webapp.config import LANGUAGES
from webapp.extensions import db
from webapp.models import Delivery, Participant, Questionnaire, Resource, Response, StaffUser
from webapp.models.types import utcnow
from webapp.questionnaires import validate_answers
from webapp.services import (
    comments,
    notifications,
    plan,
    reads,
    resource_editing,
    reviews,
    sessions,
    sharing,
)
from webapp.services import responses as response_service

from ..conftest import PASSWORD, ROOT
from .app_driver import press_join
from .conftest import TIMEOUT_MS

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
NARROW = {"width": 320, "height": 640}
RTL = {"ar", "fa", "fa_AF", "ps", "ckb"}
BAD_CODE = "NOPE-NOPE-NOPE"

# What a page looks like to a screen reader does not depend on the database behind it; walking
# every page in every language once per database would double the slowest module for nothing.
# So these tests run on SQLite only: the same "sqlite" key shares the session's SQLite app.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# Answers to forms/kartlegging.json that show every conditional question.
ANSWERS = {
    "mapped_before": "yes", "previous_mapping_where": "NAV Grünerløkka",
    "previous_mapping_when": "2024-03-01", "documents_available": ["diplomas", "other"],
    "documents_other": "Kursbevis", "short_term_goal_kind": "work", "short_term_goal": "Lære norsk",
    "long_term_goal_kind": "education", "long_term_goal": "Sykepleier",
    "desired_occupation": "Sykepleier", "desired_education": "Bachelor i sykepleie",
    "wants_career_guidance": True, "household": ["partner", "children"], "children_count": 2,
    "childcare_arranged": "yes", "care_responsibilities": False, "support_network": ["family"],
    "economy": "mostly", "health_affects": "some", "health_adaptations": "Korte dager",
    "immigration_pending": "family_reunification", "available_time": "full_time",
    "educations": [{"level": "bachelor", "field": "Nursing", "country": "SY", "years": 4,
                    "completed": True, "documentation": "partly"}],
    "has_work_experience": True, "jobs": [{"occupation": "Nurse", "country": "SY", "years": 6.5}],
    "skills": ["care", "health"], "interests": ["people"], "driving_licence": True,
    "driving_licence_country": "SY", "recognition_applied": "no", "recognition_wanted": "yes",
    "undocumented_competence": True, "prior_learning_area": "Eldreomsorg",
    "regulated_profession": "yes", "regulated_profession_name": "Sykepleier",
    "mother_tongue": "ar", "languages_spoken": [{"language": "en", "level": 3}],
    "norwegian_training": "now", "norwegian_level": "A2", "norwegian_test_taken": True,
    "norwegian_tests": ["norskproven"], "norwegian_test_date": "2025-06-01",
    "norwegian_confidence": 2, "norwegian_training_need": "yes", "devices": ["smartphone"],
    "digital_phone": 4, "digital_email": 3, "digital_bankid": 2, "digital_forms": 2,
    "digital_office": 1, "digital_training_need": "yes", "anything_else": "Takk",
}  # fmt: skip

AXE_JS = """(tags) => axe.run(document, {runOnly: {type: "tag", values: tags},
                                      resultTypes: ["violations"]})
  .then((result) => result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ") + " :: " + n.failureSummary)})))"""

# Controls in the main content smaller than 44 by 44 CSS px. A link inside running text (its
# parent holds other text) may stay the size of the text; a radio button or checkbox is
# measured together with its label, which takes the tap for it.
TARGETS_JS = """
() => {
  const shown = (e) => {
    const r = e.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && getComputedStyle(e).visibility !== "hidden";
  };
  const inText = (a) => [...a.parentElement.childNodes]
    .some((n) => n !== a && n.textContent.trim() && !n.contains?.(a));
  const small = [];
  for (const e of document.querySelectorAll(
      "main a[href], main button, main input, main select, main textarea")) {
    if (e.type === "hidden" || !shown(e) || (e.matches("a") && inText(e))) continue;
    let box = e.getBoundingClientRect();
    if (e.matches("input[type=radio], input[type=checkbox]")) {
      const label = e.labels && e.labels[0];
      if (!label) { small.push(`${e.outerHTML.slice(0, 80)} has no label`); continue; }
      const l = label.getBoundingClientRect();
      if (box.width < 24 || box.height < 24) small.push(`${e.id}: control under 24px`);
      box = {width: Math.max(box.right, l.right) - Math.min(box.left, l.left),
             height: Math.max(box.bottom, l.bottom) - Math.min(box.top, l.top)};
    }
    if (box.height < 43.5 || box.width < 43.5) {
      const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
      small.push(`${e.outerHTML.slice(0, 100)} is ${size}`);
    }
  }
  return small;
}
"""

# Elements that stick out of the viewport (to say what makes a page scroll sideways).
WIDE_JS = """(width) => [...document.querySelectorAll("body *")]
  .filter((e) => !e.closest(".skip, .visually-hidden"))
  .filter((e) => e.getBoundingClientRect().right > width + 1 || e.getBoundingClientRect().left < -1)
  .slice(0, 3).map((e) => e.outerHTML.slice(0, 120))"""

# The error summary has the focus, and every message is tied to its field.
ERRORS_JS = """
() => {
  const problems = [];
  const summary = document.getElementById("error-summary");
  if (!summary) return ["no error summary"];
  if (document.activeElement !== summary) {
    problems.push(`the focus is on ${document.activeElement.tagName}, not on the error summary`);
  }
  if (summary.tabIndex !== -1) problems.push("the error summary is not focusable");
  const describedBy = (e) => (e.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  for (const p of document.querySelectorAll("main p.error[id]")) {
    if (!document.querySelector(`[aria-describedby~="${CSS.escape(p.id)}"]`)) {
      problems.push(`nothing points at the message ${p.id}`);
    }
  }
  for (const e of document.querySelectorAll('main [aria-invalid="true"], main .has-error')) {
    const control = e.matches("div.has-error") ? e.querySelector("input, select, textarea") : e;
    if (!describedBy(control).some((id) => document.getElementById(id)?.matches(".error"))) {
      problems.push(`${control.id || e.id} is in error, with no aria-describedby to the message`);
    }
  }
  for (const a of summary.querySelectorAll("a[href^='#']")) {
    if (!document.getElementById(decodeURIComponent(a.hash.slice(1)))) {
      problems.push(`the summary links to a missing ${a.hash}`);
    }
  }
  return problems;
}
"""


LEAKS_JS = r"""
() => {
  const leak = /\bundefined\b|\[object \w+\]|\bNaN\b|object at 0x|built-in method|bound method/;
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("script, style")) continue;
    const match = leak.exec(node.data);
    if (match) found.push(`${match[0]} in "${node.data.trim().slice(0, 80)}"`);
  }
  for (const el of document.querySelectorAll("[aria-label], [title], [alt], [placeholder]")) {
    for (const name of ["aria-label", "title", "alt", "placeholder"]) {
      const match = leak.exec(el.getAttribute(name) || "");
      if (match) found.push(`${match[0]} in ${name}="${el.getAttribute(name).slice(0, 80)}"`);
    }
  }
  return found;
}
"""


class Audit:
    """What is wrong on the pages visited, collected to be reported all at once."""

    def __init__(self):
        self.problems: list[str] = []
        self.pages = 0

    def check(self, page, where: str, narrow: bool = False) -> None:
        """Check the page at phone width (axe, touch targets, reflow) and desktop width (axe);
        narrow: also at 320 CSS px (touch targets, reflow), as the participant's pages are."""
        page.set_viewport_size(PHONE)
        self.leaks(page, where)
        self.axe(page, f"{where} [360px]")
        self.targets(page, f"{where} [360px]")
        self.reflow(page, f"{where} [360px]", PHONE["width"])
        page.set_viewport_size(DESKTOP)
        self.axe(page, f"{where} [1280px]")
        if narrow:
            page.set_viewport_size(NARROW)
            self.targets(page, f"{where} [320px]")
            self.reflow(page, f"{where} [320px]", NARROW["width"])
        page.set_viewport_size(PHONE)

    def axe(self, page, where: str) -> None:
        """Run axe; a violation counts when a second run a moment later finds it too. A real
        one is there every time; on a loaded machine axe once measured a label's contrast
        against the "Next" button below it (1.14:1), the page seen while it still moved."""
        self.pages += 1
        found = page.evaluate(AXE_JS, TAGS)
        if found:
            page.wait_for_timeout(500)
            again = {(v["id"], node) for v in page.evaluate(AXE_JS, TAGS) for node in v["nodes"]}
            found = [
                {**v, "nodes": [n for n in v["nodes"] if (v["id"], n) in again]} for v in found
            ]
            found = [v for v in found if v["nodes"]]
        for violation in found:
            nodes = "\n      ".join(violation["nodes"][:6])
            self.problems.append(
                f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}\n"
                f"      {nodes}"
            )

    def leaks(self, page, where: str) -> None:
        """Code's words where a person's words belong, hidden text included (a bar shown
        later): what a template or a script printed instead of a text it did not find."""
        self.problems += [f"{where}: shows {leak}" for leak in page.evaluate(LEAKS_JS)]

    def targets(self, page, where: str) -> None:
        self.problems += [f"{where}: touch target {small}" for small in page.evaluate(TARGETS_JS)]

    def reflow(self, page, where: str, width: int) -> None:
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        if scroll > width:
            wide = page.evaluate(WIDE_JS, width)
            self.problems.append(f"{where}: scrolls sideways ({scroll}px > {width}px): {wide}")

    def errors(self, page, where: str) -> None:
        for _ in range(40):  # autofocus happens at the first rendering after load: wait for it
            problems = page.evaluate(ERRORS_JS)
            if not any("the focus is on" in p for p in problems):
                break
            page.wait_for_timeout(50)
        self.problems += [f"{where}: error summary: {p}" for p in problems]

    def status(self, response, where: str, expected: int) -> None:
        got = response.status if response else None
        if got != expected:
            self.problems.append(f"{where}: HTTP {got}, expected {expected}")

    def assert_clean(self) -> None:
        assert self.pages or not self.problems, "no page was checked"
        report = "\n".join(self.problems)
        assert not self.problems, f"{len(self.problems)} problems ({self.pages} checks):\n{report}"


@pytest.fixture(scope="module")
def axe_available():
    if not AXE.exists():
        message = "axe-core is needed for the accessibility tests: run `npm ci` (or `make test`)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


#: A phone's user agent as Chrome on Android sends it (shown as its device's name).
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


class Setup:
    """The world, and the responses the pages show."""

    def __init__(self, world, draft: str, sent: str, empty: str):
        self.world = world
        self.draft = draft  # p1's draft answering everything: every conditional question shown
        self.sent = sent  # p1's submitted response, reviewed by c1
        self.empty = empty  # p2's draft with nothing answered


@pytest.fixture
def setup(app, world, axe_available) -> Setup:
    with app.app_context():
        questionnaire = db.session.scalar(
            db.select(Questionnaire).where(Questionnaire.slug == "kartlegging")
        )
        cleaned, errors = validate_answers(questionnaire.latest.definition, ANSWERS)
        assert errors == [] and cleaned == ANSWERS  # nothing hidden, so nothing dropped
        p1 = db.session.get(Participant, world.p1)
        p1.language = "ar"  # the counsellor can show the questions in Arabic beside their own
        sent = response_service.start(p1, questionnaire)
        sent.answers = dict(ANSWERS)
        assert response_service.submit(sent, p1) == []
        c1 = db.session.get(StaffUser, world.c1)
        reviews.add_review(sent, c1, "follow_up", "Ring")
        # A sync conflict on it, as the write path records one: the page offers to settle it.
        sent.conflicts = [
            {"question": "previous_mapping_where", "kept": "NAV Grünerløkka",
             "kept_by": "phone", "other": "NAV Alna", "other_by": "phone",
             "revision": sent.revision, "at": sent.updated_at.isoformat()},
        ]  # fmt: skip
        notifications.notify(c1, "sync_conflict", response=sent)  # the counsellor's inbox
        # The thread (a note, a message the participant sees) and a read they see listed.
        comments.add(sent, c1, "note", "Bestill tolk")
        comments.add(sent, c1, "message", "Se på utdanningen din igjen, takk.")
        reads.record_response(c1, sent)
        # Two inbox entries (the list shows them as new; the inbox page lists them).
        followed = notifications.notify(p1, "follow_up", response=sent)
        notifications.notify(p1, "questionnaire_offered", questionnaire=questionnaire)
        # A push that failed for good, for the administrator's list.
        db.session.add(
            Delivery(
                notification=followed,
                state="failed",
                attempts=10,
                last_status=503,
                finished_at=utcnow(),
                last_error="gave up after 10 attempts: 503 Service Unavailable",
            )
        )
        p1.programme, p1.programme_start = "integration_act", date(2026, 1, 5)  # overdue
        # A phone p1 is signed in on, for the participant page's table of devices: wider than
        # a phone's screen, so it scrolls inside its frame and the page itself must not.
        sessions.start(p1, ANDROID_PHONE, timedelta(days=30))
        # A shared resource and the follow-up plan (one step overdue), and a resource of the
        # municipality for the administrator to change.
        guidance = db.session.scalar(
            db.select(Resource).where(Resource.slug == "karriereveiledning-no")
        )
        sharing.share(c1, p1, guidance.id, "Ring dem før neste møte.")
        plan.add_step(
            c1, p1,
            plan.StepInput("Søke videregående", "Søknad", "participant", date(2026, 2, 1),
                           "planned", True),
        )  # fmt: skip
        resource_editing.create(
            db.session.get(StaffUser, world.admin1),
            resource_editing.ResourceInput(
                "https://a.example/", {"nb": "Norskkurs"}, {"nb": "Kurs"},
                ["norwegian-training"], "municipality", "participant", True,
            ),
        )  # fmt: skip
        db.session.flush()
        draft = response_service.start(p1, questionnaire)
        draft.answers = dict(ANSWERS)
        empty = response_service.start(db.session.get(Participant, world.p2), questionnaire)
        db.session.commit()
        return Setup(world, draft.id, sent.id, empty.id)


def new_context(browser, live_server, *, scripts: bool = True, viewport=PHONE):
    """A fresh profile with axe in every page; scripts=False refuses the pages' own scripts."""
    ctx = browser.new_context(
        viewport=viewport, locale="en-GB", base_url=live_server,
        service_workers="allow" if scripts else "block",
    )  # fmt: skip
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.add_init_script(path=str(AXE))  # like add_script_tag(), but once for every page
    if not scripts:
        ctx.route("**/*", _forbid_scripts)
    return ctx


def _forbid_scripts(route) -> None:
    if route.request.resource_type != "document":
        route.fallback()
        return
    response = route.fetch(max_redirects=0)
    headers = {**response.headers, "content-security-policy": "script-src 'none'"}
    route.fulfill(response=response, headers=headers)


def choose_language(page, code: str) -> None:
    """Change the language with the switcher in the header, as a person would."""
    page.select_option("#lang-select", code)
    with page.expect_navigation():
        page.click("form.language button[type=submit]")
    html = page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]")
    assert html == [code.replace("_", "-"), "rtl" if code in RTL else "ltr"], (code, html)


def sign_in_staff(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/login" not in page.url


def submit(page, button: str = "main form button.primary"):
    """Press a button that sends a form, from the keyboard; return the response to it.

    Focus and Enter, as a keyboard user sends a form: a click goes to a point on the screen,
    and twice in many runs on a loaded machine a click on "Next" sent nothing (no request
    reached the server), as if the page had moved under it.
    """
    page.focus(button)
    try:
        with page.expect_navigation() as navigation:
            page.keyboard.press("Enter")
    except PlaywrightTimeoutError:
        focused = page.evaluate("document.activeElement && document.activeElement.outerHTML")
        raise AssertionError(f"{button} on {page.url} sent nothing; focused: {focused}") from None
    return navigation.value


NEXT = "main .actions button.primary"


def test_anonymous_pages(setup, browser, live_server):
    audit = Audit()
    ctx = new_context(browser, live_server)
    page = ctx.new_page()
    page.goto("/join")
    for lang in LANGUAGES:
        choose_language(page, lang)
        audit.status(page.goto("/join"), "/join", 200)
        audit.check(page, f"/join {lang}", narrow=True)
        page.fill("#code", "WRONG-CODE")
        audit.status(submit(page), "/join (wrong code)", 422)
        audit.errors(page, f"/join with an error {lang}")
        audit.check(page, f"/join with an error {lang}", narrow=True)
        audit.status(page.goto(f"/join/{BAD_CODE}"), "/join/<bad code>", 404)
        audit.errors(page, f"/join/<bad code> {lang}")
        audit.check(page, f"/join/<bad code> {lang}", narrow=True)
        code = setup.world.codes["p3"]  # the page with the button (opening it uses no code)
        audit.status(page.goto(f"/join/{code}"), "/join/<code>", 200)
        audit.check(page, f"/join/<code> {lang}", narrow=True)
        audit.status(page.goto("/login"), "/login", 200)
        audit.check(page, f"/login {lang}")
        page.fill("#email", f"nobody-{lang}@example.org")  # under the per-account limit
        page.fill("#password", "not the password")
        audit.status(submit(page), "/login (wrong password)", 422)
        audit.errors(page, f"/login with an error {lang}")
        audit.check(page, f"/login with an error {lang}")
        audit.status(page.goto("/offline"), "/offline", 200)
        audit.check(page, f"/offline {lang}", narrow=True)
        audit.status(page.goto("/no/such/page"), "404", 404)
        audit.check(page, f"404 {lang}", narrow=True)
    ctx.close()
    audit.assert_clean()


def test_participant_server_pages(setup, browser, live_server):
    """Home, every page of the questionnaire, pages with errors, the summaries (no scripts)."""
    audit = Audit()
    ctx = new_context(browser, live_server, scripts=False)
    page = ctx.new_page()
    press_join(page, setup.world.codes["p1"])
    for lang in LANGUAGES:
        choose_language(page, lang)
        audit.status(page.goto("/me/"), "/me/", 200)
        audit.check(page, f"/me/ {lang}", narrow=True)
        audit.status(page.goto("/leave"), "/leave", 200)
        audit.check(page, f"/leave {lang}", narrow=True)
        audit.status(page.goto("/offline"), "/offline (signed in)", 200)
        audit.check(page, f"/offline (signed in) {lang}", narrow=True)
        for number in range(1, 10):
            where = f"/r/<draft>/{number} {lang}"
            audit.status(page.goto(f"/r/{setup.draft}/{number}"), where, 200)
            audit.check(page, where, narrow=True)
        # A number that is not one: on a text field, and on a field inside a repeated group.
        for number, field in ((3, "#children_count"), (4, "#educations-0-years")):
            where = f"/r/<draft>/{number} after a failed next {lang}"
            page.goto(f"/r/{setup.draft}/{number}")
            page.fill(field, "abc")
            audit.status(submit(page, NEXT), where, 422)
            audit.errors(page, where)
            audit.check(page, where, narrow=True)
        audit.status(page.goto(f"/r/{setup.draft}/summary"), "summary", 200)
        audit.check(page, f"/r/<draft>/summary {lang}", narrow=True)
        audit.status(page.goto(f"/r/{setup.sent}/summary"), "sent summary", 200)
        audit.check(page, f"/r/<sent>/summary {lang}", narrow=True)
    ctx.close()

    # p2 has answered nothing: "next" past required questions, and "send" too early.
    ctx = new_context(browser, live_server, scripts=False)
    page = ctx.new_page()
    press_join(page, setup.world.codes["p2"])
    for lang in LANGUAGES:
        choose_language(page, lang)
        where = f"/r/<empty>/2 after a failed next {lang}"
        page.goto(f"/r/{setup.empty}/2")
        audit.status(submit(page, NEXT), where, 422)
        audit.errors(page, where)
        audit.check(page, where, narrow=True)
        where = f"/r/<empty>/summary after a failed send {lang}"
        page.goto(f"/r/{setup.empty}/summary")
        audit.status(submit(page), where, 422)
        audit.errors(page, where)
        audit.check(page, where, narrow=True)
    ctx.close()
    audit.assert_clean()


def test_participant_app(setup, browser, live_server):
    """The app lists the questionnaires and renders a page by itself (JavaScript on)."""
    audit = Audit()
    ctx = new_context(browser, live_server)
    page = ctx.new_page()
    press_join(page, setup.world.codes["p1"])
    page.wait_for_url("**/app/")
    for lang in LANGUAGES:
        choose_language(page, lang)
        page.wait_for_selector("#app .card a.button")  # the draft, brought from the server
        audit.check(page, f"/app/ {lang}", narrow=True)
        page.click("#app .card a.button")
        page.wait_for_selector("#fields [data-item]")
        audit.check(page, f"/app/#/r/<draft>/1 {lang}", narrow=True)
        page.goto("/app/#/pin")
        page.wait_for_selector("#new-pin")
        audit.check(page, f"/app/#/pin {lang}", narrow=True)
        page.goto("/app/")
    ctx.close()
    audit.assert_clean()


def test_participant_inbox(setup, browser, live_server):
    """The inbox and the switch for notifications, in a left-to-right and a right-to-left
    language, at phone width (and 320 px)."""
    audit = Audit()
    ctx = new_context(browser, live_server)
    page = ctx.new_page()
    press_join(page, setup.world.codes["p1"])
    page.wait_for_url("**/app/")
    for lang in ("nb", "ar"):
        choose_language(page, lang)
        page.wait_for_selector("#app .inbox-link .badge")
        audit.check(page, f"/app/ with new entries {lang}", narrow=True)
        page.goto("/app/#/inbox")
        page.wait_for_selector("#app [data-entry]")
        page.wait_for_selector("#push-state")
        audit.check(page, f"/app/#/inbox {lang}", narrow=True)
        # Where a message's entry leads: the response's summary, with the counsellor's messages.
        page.goto(f"/app/#/r/{setup.sent}/summary")
        page.wait_for_selector("#app section.messages")
        audit.check(page, f"/app/#/r/<sent>/summary with messages {lang}", narrow=True)
        page.goto("/app/")
    ctx.close()
    audit.assert_clean()


def test_shared_phone_screens(setup, browser, live_server, faults):
    """The PIN, the sign-out choice and the signed-out app, in every language."""
    audit = Audit()
    ctx = new_context(browser, live_server)
    page = ctx.new_page()
    for number, lang in enumerate(LANGUAGES):
        press_join(page, setup.world.new_code("p3"))
        page.wait_for_url("**/app/")
        choose_language(page, lang)
        page.wait_for_selector("#app .cards")
        page.goto("/app/#/pin")
        page.wait_for_selector("#new-pin")
        page.fill("#new-pin", "2468")
        page.fill("#new-pin-again", "2468")
        page.click("form.pin button[type=submit]")
        page.wait_for_selector("#remove-pin")
        audit.check(page, f"/app/#/pin with a PIN {lang}", narrow=True)
        page.goto("/app/")
        page.wait_for_selector("#pin")
        audit.check(page, f"/app/ asking for the PIN {lang}", narrow=True)
        page.fill("#pin", "2468")
        page.click("form.pin button[type=submit]")
        page.wait_for_selector("#app .cards")
        faults.blocked = True  # what is typed now cannot be sent
        page.click("#app .card .primary")
        page.wait_for_selector("#fields")
        page.check(f"#mapped_before-{number % 2}")
        page.wait_for_timeout(600)
        page.goto("/app/#/sign-out")
        page.wait_for_selector("#leave-keep")
        audit.check(page, f"/app/#/sign-out with unsent answers {lang}", narrow=True)
        faults.blocked = False
        page.click("#leave-keep")
        page.wait_for_url("**/join")
        ctx.set_offline(True)
        page.goto("/app/")  # the kept app shell, nobody signed in
        page.wait_for_selector("#app a[href='/join']")
        audit.check(page, f"/app/ signed out {lang}", narrow=True)
        ctx.set_offline(False)
    ctx.close()
    audit.assert_clean()


def test_counsellor_inbox_and_notifications_switch(setup, browser, live_server):
    """The counsellor's inbox with its switch for notifications in this browser, in a
    left-to-right and a right-to-left language, at phone width (and 320 px)."""
    audit = Audit()
    ctx = new_context(browser, live_server)
    page = ctx.new_page()
    sign_in_staff(page, setup.world.emails["c1"])
    for lang in ("nb", "ar"):
        choose_language(page, lang)
        audit.status(page.goto("/inbox"), "/inbox", 200)
        page.wait_for_selector("main [data-entry]")
        page.wait_for_selector("#push-toggle", state="visible")  # the module ran
        audit.check(page, f"/inbox with the switch {lang}", narrow=True)
    ctx.close()
    audit.assert_clean()


def test_counsellor_pages(setup, browser, live_server):
    audit = Audit()
    ctx = new_context(browser, live_server)
    page = ctx.new_page()
    sign_in_staff(page, setup.world.emails["c1"])
    for lang in LANGUAGES:
        choose_language(page, lang)
        audit.status(page.goto("/caseload"), "/caseload", 200)
        audit.check(page, f"/caseload {lang}")
        audit.status(page.goto("/inbox"), "/inbox", 200)
        audit.check(page, f"/inbox {lang}")
        audit.status(page.goto("/participants/new"), "/participants/new", 200)
        audit.check(page, f"/participants/new {lang}")
        audit.status(submit(page), "/participants/new (no name)", 422)
        audit.errors(page, f"/participants/new with an error {lang}")
        audit.check(page, f"/participants/new with an error {lang}")
        page.fill("#display_name", f"Deltaker {lang}")
        audit.status(submit(page), "invite", 200)
        audit.check(page, f"invite {lang}")
        where = f"/participants/<p1> {lang}"
        audit.status(page.goto(f"/participants/{setup.world.p1}"), where, 200)
        audit.check(page, where)
        # The counsellor's own questionnaire about the participant (started, then resumed).
        where = f"/r/<counsellor's form>/1 {lang}"
        audit.status(submit(page, "main .actions-list button"), where, 200)
        audit.check(page, where)
        # Filling in the participant's questionnaire together, their language (Arabic) beside.
        where = f"/r/<draft>/meeting/1 {lang}"
        page.goto(f"/participants/{setup.world.p1}")
        audit.status(submit(page, "#together-heading ~ ul button"), where, 200)
        audit.check(page, where)
        where = f"/r/<draft>/meeting/3 after a failed next {lang}"
        page.goto(f"/r/{setup.draft}/meeting/3")
        page.fill("#children_count", "abc")
        audit.status(submit(page, NEXT), where, 422)
        audit.errors(page, where)
        audit.check(page, where)
        where = f"/responses/<sent> {lang}"
        audit.status(page.goto(f"/responses/{setup.sent}"), where, 200)
        audit.check(page, where)
        # Settling the conflict from a page that is out of date: refused with a message.
        where = f"/responses/<sent> with a refused resolution {lang}"
        page.evaluate("() => { document.querySelector('form.resolve-form [name=revision]')"
                      ".value = '1'; }")  # fmt: skip
        page.check("form.resolve-form input[value=other]")
        audit.status(submit(page, "form.resolve-form button"), where, 409)
        audit.check(page, where)
        if lang != "ar":  # with the questions in the participant's language (Arabic) beside
            where = f"/responses/<sent>?beside=1 {lang}"
            audit.status(page.goto(f"/responses/{setup.sent}?beside=1"), where, 200)
            audit.check(page, where)
        # The workspace: a filtered caseload, a refused comment, editing one's own comment,
        # the history and a diff.
        where = f"/caseload?state=follow_up {lang}"
        audit.status(page.goto("/caseload?state=follow_up&sort=start"), where, 200)
        audit.check(page, where)
        where = f"/responses/<sent> with a refused comment {lang}"
        page.goto(f"/responses/{setup.sent}")
        page.fill("#body", "   ")
        audit.status(submit(page, "form[action$='/comments'] button"), where, 422)
        audit.errors(page, where)
        audit.check(page, where)
        where = f"/responses/<sent>/comments/<own> {lang}"
        page.fill("#body", f"Notat {lang}")
        submit(page, "form[action$='/comments'] button")
        page.click("#comments ~ ol .comment:last-child .link-line a")
        page.wait_for_selector("main textarea#body")
        audit.check(page, where)
        where = f"/responses/<sent> with a refused share {lang}"
        page.goto(f"/responses/{setup.sent}")
        page.fill(".share-form textarea", "x" * 501)
        audit.status(submit(page, ".share-form button"), where, 422)
        audit.check(page, where)
        where = f"/participants/<p1> with a refused step {lang}"
        page.goto(f"/participants/{setup.world.p1}")
        page.fill("#goal", "")  # (a date input holds only dates: a bad one is refused unsent)
        audit.status(submit(page, "form[action$='/steps'] button"), where, 422)
        audit.errors(page, where)
        audit.check(page, where)
        where = f"/participants/<p1>/steps/<step> {lang}"
        page.goto(f"/participants/{setup.world.p1}")
        with page.expect_navigation():
            page.click("#plan-heading ~ ol .link-line a")
        audit.check(page, where)
        where = f"/responses/<sent>/history {lang}"
        audit.status(page.goto(f"/responses/{setup.sent}/history?first=1&second=3"), where, 200)
        audit.check(page, where)
    ctx.close()
    audit.assert_clean()


def test_lead_pages(setup, browser, live_server):
    """The lead's caseload (the whole municipality) and a participant page with the
    reassigning form, also after a refused choice; an empty response read by the lead."""
    audit = Audit()
    ctx = new_context(browser, live_server)
    page = ctx.new_page()
    sign_in_staff(page, setup.world.emails["lead1"])
    for lang in LANGUAGES:
        choose_language(page, lang)
        audit.status(page.goto("/caseload"), "/caseload (lead)", 200)
        audit.check(page, f"/caseload (lead) {lang}")
        where = f"/participants/<p1> (lead) {lang}"
        audit.status(page.goto(f"/participants/{setup.world.p1}"), where, 200)
        audit.check(page, where)
        # p2's empty draft (c2's participant): skipped questions shown, unanswered unfolded.
        where = f"/responses/<empty>?hidden=1 (lead) {lang}"
        audit.status(page.goto(f"/responses/{setup.empty}?hidden=1"), where, 200)
        page.click("details.unanswered-list summary")
        audit.check(page, where)
        where = f"/participants/<p1> with a refused programme {lang}"
        page.goto(f"/participants/{setup.world.p1}")
        page.evaluate(
            """() => { const s = document.querySelector('#programme');
                       s.add(new Option('?', 'bogus')); s.value = 'bogus'; }"""
        )
        audit.status(submit(page, "form[action$='/programme'] button"), where, 422)
        audit.errors(page, where)
        audit.check(page, where)
    ctx.close()
    audit.assert_clean()


def test_export_pages(setup, browser, live_server):
    """The printable record of a participant, the export form, and the same form after a
    filter that matches nothing and after a period that ends before it starts (the file itself
    is not a page)."""
    audit = Audit()
    ctx = new_context(browser, live_server)
    page = ctx.new_page()
    sign_in_staff(page, setup.world.emails["lead1"])
    for lang in LANGUAGES:
        choose_language(page, lang)
        where = f"/participants/<p1>/print {lang}"
        audit.status(page.goto(f"/participants/{setup.world.p1}/print"), where, 200)
        audit.check(page, where)
        audit.status(page.goto("/exports"), "/exports", 200)
        audit.check(page, f"/exports {lang}")
        where = f"/exports/responses matching nothing {lang}"
        page.select_option("#language", "ti")
        audit.status(submit(page), where, 422)
        audit.check(page, where)
        where = f"/exports/responses with a bad period {lang}"
        page.goto("/exports")
        page.fill("#saved_from", "2026-11-05")
        page.fill("#saved_to", "2026-11-01")
        audit.status(submit(page), where, 422)
        audit.check(page, where)
    ctx.close()
    audit.assert_clean()


def test_progress_pages(setup, browser, live_server):
    """Two of p1's mappings compared (the one in follow-up and a newer one), the unchanged
    answers unfolded; then a refused pair (the same response twice) with its message."""
    with setup.world.app.app_context():
        first = db.session.get(Response, setup.sent)
        later = {"norwegian_level": "B2", "digital_phone": 5, "short_term_goal_kind": "education"}
        db.session.add(
            Response(
                id=str(uuid.uuid4()), participant_id=first.participant_id,
                version_id=first.version_id, status="submitted",
                answers={**first.answers, **later}, submitted_at=utcnow(),
            )
        )  # fmt: skip
        db.session.commit()
    audit = Audit()
    ctx = new_context(browser, live_server)
    page = ctx.new_page()
    sign_in_staff(page, setup.world.emails["c1"])
    for lang in LANGUAGES:
        choose_language(page, lang)
        where = f"/participants/<p1>/progress {lang}"
        audit.status(page.goto(f"/participants/{setup.world.p1}/progress"), where, 200)
        assert page.locator("#key-heading").count() == 1, where
        for summary in page.locator("details.unchanged summary").all():
            summary.click()
        audit.check(page, where)
        where = f"/participants/<p1>/progress with a refused pair {lang}"
        url = f"/participants/{setup.world.p1}/progress?first={setup.sent}&second={setup.sent}"
        audit.status(page.goto(url), where, 422)
        audit.check(page, where)
    ctx.close()
    audit.assert_clean()


def test_overview_pages(setup, browser, live_server):
    """The municipality's overview (server-drawn SVG charts), for the lead and the
    administrator."""
    audit = Audit()
    for who in ("lead1", "admin1"):
        ctx = new_context(browser, live_server)
        page = ctx.new_page()
        sign_in_staff(page, setup.world.emails[who])
        for lang in LANGUAGES:
            choose_language(page, lang)
            where = f"/overview ({who}) {lang}"
            audit.status(page.goto("/overview"), where, 200)
            audit.check(page, where)
        ctx.close()
    audit.assert_clean()


def test_admin_pages(setup, browser, live_server):
    audit = Audit()
    ctx = new_context(browser, live_server)
    page = ctx.new_page()
    sign_in_staff(page, setup.world.emails["admin1"])
    for lang in LANGUAGES:
        choose_language(page, lang)
        audit.status(page.goto("/admin/questionnaires"), "/admin/questionnaires", 200)
        audit.check(page, f"/admin/questionnaires {lang}")
        # The check-and-publish upload (the one form without an action of its own).
        audit.status(
            submit(page, "main form:not([action]) button.primary"),
            "/admin/questionnaires (no file)",
            422,
        )
        audit.errors(page, f"/admin/questionnaires with an error {lang}")
        audit.check(page, f"/admin/questionnaires with an error {lang}")
        for path in (
            "/admin/resources", "/admin/translations", "/admin/audio", "/admin/staff",
            "/admin/deliveries", "/account/two-step", "/account/password", "/admin/resources/new",
        ):  # fmt: skip
            audit.status(page.goto(path), path, 200)
            audit.check(page, f"{path} {lang}")
        # Adding a colleague with an address in use; a password link, and its page.
        where = f"/admin/staff with errors {lang}"
        page.goto("/admin/staff")
        page.fill("#email", setup.world.emails["c1"])
        audit.status(submit(page, "main form[action$='/admin/staff'] button.primary"), where, 422)
        audit.errors(page, where)
        audit.check(page, where)
        where = f"/admin/staff/<c1>/password-link {lang}"
        audit.status(submit(page, f"form[action$='/{setup.world.c1}/password-link'] button"),
                     where, 200)  # fmt: skip
        audit.check(page, where)
        link = page.locator("main dd.link a").get_attribute("href")
        audit.status(page.goto(link), "/account/set-password/<token>", 200)
        audit.check(page, f"/account/set-password/<token> {lang}")
        page.goto("/admin/resources/new")
        where = f"/admin/resources/new with errors {lang}"
        page.fill("#url", "javascript:alert(1)")
        audit.status(submit(page, "main form button"), where, 422)
        audit.errors(page, where)
        audit.check(page, where)
        page.goto("/admin/resources")
        where = f"/admin/resources/<own> {lang}"
        with page.expect_navigation():
            page.click("main .resources .link-line a")
        audit.check(page, where)
    ctx.close()
    audit.assert_clean()


def test_builder_pages(setup, browser, live_server):
    """The builder (outline, settings of each kind of element, preview, problems), the publish
    page and the comparison of versions, in every language."""
    audit = Audit()
    ctx = new_context(browser, live_server)
    page = ctx.new_page()
    sign_in_staff(page, setup.world.emails["admin1"])
    page.goto("/admin/questionnaires")
    with page.expect_navigation():
        page.click("form[action$='/kartlegging/copy'] button")
    builder = page.url
    for lang in LANGUAGES:
        choose_language(page, lang)
        audit.status(page.goto(builder), "builder", 200)
        page.wait_for_selector("#outline button")
        audit.check(page, f"builder, questionnaire settings {lang}")
        for selector in ("#ol-s-background", "#ol-q-mapped_before", "#ol-q-educations"):
            page.click(selector)
            page.wait_for_selector("#act-up")
            audit.check(page, f"builder {selector} {lang}")
        page.click("#json-open")
        page.wait_for_selector(".cm-content")
        audit.check(page, f"builder, JSON view {lang}")
        audit.status(page.goto(builder + "/publish"), "publish", 200)
        audit.check(page, f"publish {lang}")
        audit.status(page.goto(builder + "/bank?q=driving"), "bank", 200)
        audit.check(page, f"question bank {lang}")
        translations = builder + "/translations/ar?section=background"
        audit.status(page.goto(translations), "translations", 200)
        audit.check(page, f"translations {lang}")
    ctx.close()
    audit.assert_clean()


def test_without_javascript_error_summaries_take_the_focus(setup, browser, live_server):
    """With JavaScript off, a page with errors opens on its summary (autofocus), and the
    participant's pages still fit 320 CSS px."""
    audit = Audit()
    ctx = browser.new_context(viewport=NARROW, base_url=live_server, java_script_enabled=False)
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    press_join(page, setup.world.codes["p2"])
    for lang in LANGUAGES:
        choose_language(page, lang)
        page.goto("/me/")  # the server page: nothing sends the browser on to the app
        audit.reflow(page, f"/me/ {lang}", NARROW["width"])
        page.goto(f"/r/{setup.empty}/2")
        submit(page, NEXT)
        audit.errors(page, f"/r/<empty>/2 after a failed next {lang}")
        audit.reflow(page, f"/r/<empty>/2 after a failed next {lang}", NARROW["width"])
        page.goto(f"/r/{setup.empty}/summary")
        submit(page)
        audit.errors(page, f"/r/<empty>/summary after a failed send {lang}")
    page.goto(f"/join/{BAD_CODE}")  # an invite that does not work signs the phone out
    audit.errors(page, "/join/<bad code>")
    ctx.close()
    audit.pages += 1  # no axe here: focus and reflow are the point
    audit.assert_clean()


def test_language_switcher_names_each_language_in_itself(setup, browser, live_server):
    ctx = new_context(browser, live_server)
    page = ctx.new_page()
    page.goto("/join")
    options = page.eval_on_selector_all(
        "#lang-select option", "(os) => os.map((o) => [o.value, o.lang, o.dir, o.text.trim()])"
    )
    ctx.close()
    assert [code for code, *_ in options] == LANGUAGES
    names = {}
    for code, lang, direction, name in options:
        assert lang == code.replace("_", "-") and direction == ("rtl" if code in RTL else "ltr")
        names[code] = name
    assert names["nb"] == "Norsk bokmål" and names["uk"] == "Українська"
    assert all(re.search(r"[\u0600-\u06ff]", names[code]) for code in RTL)  # Arabic script
    assert re.search(r"[\u1200-\u137f]", names["ti"])  # Ge'ez script


def test_the_checks_can_fail(setup, browser, live_server):
    """The harness itself: a spoiled page is reported by axe and by the touch-target check."""
    audit = Audit()
    ctx = new_context(browser, live_server)
    page = ctx.new_page()
    page.goto("/join")
    page.evaluate(
        """() => {
          document.querySelector("label[for=code]").remove();
          // Styles set through the CSSOM: the site's CSP refuses style="" attributes.
          const main = document.querySelector("main");
          const faint = document.createElement("p");
          faint.textContent = "faint";
          faint.style.color = "#bbb";
          const tiny = document.createElement("p");
          tiny.innerHTML = '<a href="/x">tiny</a>';
          const wide = document.createElement("p");
          wide.textContent = "wide";
          wide.style.inlineSize = "2000px";
          const leaked = document.createElement("p");
          leaked.hidden = true;  // shown later, as the app's update bar is
          leaked.textContent = "<built-in method update of dict object at 0x7f6e7a590f40>";
          main.append(faint, tiny, wide, leaked);
        }"""
    )
    audit.check(page, "/join spoiled")
    ctx.close()
    found = "\n".join(audit.problems)
    for expected in ("label", "color-contrast", "touch target <a", "scrolls sideways",
                     "shows built-in method"):  # fmt: skip
        assert expected in found, (expected, found)
