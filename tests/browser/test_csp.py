"""Zero Content-Security-Policy violations over the participant, counsellor and admin journeys.

The pages run under the site's real policy (no ``bypass_csp``). Violations are caught two
ways: the ``securitypolicyviolation`` event, reported through a binding from a script the
browser injects before the page's own (not bound by the page's policy), and any console
message about the policy (for the service worker and the app, which report there). The
console must not hold an error about the Permissions-Policy header either (a feature the
browser does not know is reported on every page).
"""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Questionnaire, Response
from webapp.services import notifications
from webapp.services import responses as response_service

from .app_driver import fill_kartlegging, join_in_browser, wait_until
from .conftest import PHONE, TIMEOUT_MS

LISTEN = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__reportCsp(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} `
                     + `at ${e.sourceFile}:${e.lineNumber} on ${location.pathname}`);
});
"""


#: What the browser's console names when a page breaks one of the site's policies, or when
#: the browser cannot read a policy header the site sends.
POLICY_NAMES = ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy")


class Violations(list):
    def watch(self, context):
        context.expose_binding("__reportCsp", lambda _source, text: self.append(text))
        context.add_init_script(LISTEN)
        context.on("page", self._console)
        context.on("serviceworker", lambda worker: None)
        return context

    def _console(self, page):
        def record(message):
            text = message.text
            # The policy headers' own errors too ("Error with Permissions-Policy header: ...").
            if any(name in text for name in POLICY_NAMES):
                self.append(f"console on {page.url}: {text}")

        page.on("console", record)


def _context(browser, live_server, violations):
    ctx = browser.new_context(viewport=PHONE, locale="en-GB", base_url=live_server)
    ctx.set_default_timeout(TIMEOUT_MS)
    return violations.watch(ctx)


def _sign_in_staff(page, email):
    from ..conftest import PASSWORD

    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def test_participant_journey_has_no_csp_violations(app, world, browser, live_server):
    violations = Violations()
    ctx = _context(browser, live_server, violations)
    page = join_in_browser(ctx, world.codes["p1"])
    page.wait_for_url("**/app/**")
    wait_until(lambda: page.evaluate("!!navigator.serviceWorker.controller"), message="worker")
    page.wait_for_selector("#app .cards")
    page.click("#app .card button.primary")
    fill_kartlegging(page)
    page.click("#send")
    page.wait_for_selector("#app .cards")
    # The server pages (what a phone without the app sees): a page to fill, the summary.
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        sent = db.session.scalar(sa.select(Response).filter_by(participant_id=person.id))
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        draft = response_service.start(person, kartlegging)
        db.session.commit()
        sent_id, draft_id = sent.id, draft.id
    page.goto(f"/r/{sent_id}/summary")
    page.goto(f"/r/{draft_id}/1")
    page.wait_for_load_state("load")
    page.goto("/me/")
    page.wait_for_url("**/app/**")  # the module script sends the browser on to the app
    page.wait_for_selector("#app .cards")
    # The inbox: an entry opened, and the switch for notifications (the key is fetched; the
    # headless browser has no push service, so subscribing ends in the app's notice).
    with app.app_context():
        notifications.notify(db.session.get(Participant, world.p1), "questionnaire_offered")
        db.session.commit()
    ctx.grant_permissions(["notifications"], origin=live_server)
    page.goto("/app/#/inbox")
    page.click("#app [data-entry] a")
    page.wait_for_url("**/app/#/")
    page.goto("/app/#/inbox")
    page.click("#push-toggle")
    page.wait_for_selector("#push-settings [role=alert]")
    # A shared phone: a PIN, the app opened with it, then signing out through the app.
    page.goto("/app/#/pin")
    page.fill("#new-pin", "1357")
    page.fill("#new-pin-again", "1357")
    page.click("form.pin button[type=submit]")
    page.wait_for_selector("#remove-pin")
    page.goto("/app/")
    page.fill("#pin", "1357")
    page.click("form.pin button[type=submit]")
    page.wait_for_selector("#app .cards")
    page.click("form.leave button")
    page.wait_for_url("**/join")
    page.goto("/offline")
    page.goto("/join")
    page.select_option("#lang-select", "ar")
    with page.expect_navigation():
        page.click("form.language button[type=submit]")
    page.wait_for_timeout(300)
    ctx.close()
    assert violations == []


def test_counsellor_and_admin_journeys_have_no_csp_violations(app, world, browser, live_server):
    violations = Violations()
    ctx = _context(browser, live_server, violations)
    page = ctx.new_page()
    _sign_in_staff(page, world.emails["c1"])
    page.goto("/caseload")
    page.goto("/inbox")
    page.wait_for_selector("#push-toggle", state="visible")  # its module ran (js/staff/)
    page.goto("/participants/new")
    page.fill("#display_name", "Deltaker Ny")
    with page.expect_navigation():
        page.click("main form button.primary")
    page.wait_for_selector("svg.segno")  # the invite with its QR code
    page.goto(f"/participants/{world.p1}")
    with page.expect_navigation():
        page.click("main .actions-list button")  # the counsellor's own questionnaire
    page.wait_for_selector("main form")
    # Filling in the participant's questionnaire together, then its response page and history.
    page.goto(f"/participants/{world.p1}")
    with page.expect_navigation():
        page.click("#together-heading ~ ul button")
    page.wait_for_selector("main form.questionnaire")
    rid = page.url.split("/r/")[1].split("/")[0]
    page.goto(f"/responses/{rid}")
    page.goto(f"/responses/{rid}/history")
    page.goto(f"/participants/{world.p1}/progress")  # (one response: nothing to compare yet)
    page.goto(f"/participants/{world.p1}/print")  # the printable record, its print stylesheet
    page.goto("/exports")
    page.goto("/exports/responses?state=completed")  # the form again, with its message
    ctx.close()

    ctx = _context(browser, live_server, violations)
    page = ctx.new_page()
    _sign_in_staff(page, world.emails["admin1"])
    for path in ("/admin/questionnaires", "/admin/resources", "/admin/translations",
                 "/admin/audio", "/overview",
                 "/admin/deliveries"):  # fmt: skip
        page.goto(path)
    # The builder: its import map and the code editor's styles are allowed by a nonce only.
    page.goto("/admin/questionnaires")
    with page.expect_navigation():
        page.click("form[action$='/kartlegging/copy'] button")
    page.wait_for_selector("#outline")
    page.click("#json-open")
    page.wait_for_selector(".cm-editor")
    page.wait_for_timeout(300)
    ctx.close()
    assert violations == []


def test_a_violation_would_be_seen(app, world, browser, live_server):
    """The recorder is not blind: an inline script on one of our pages is reported."""
    violations = Violations()
    ctx = _context(browser, live_server, violations)
    page = ctx.new_page()
    page.goto("/join")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = '1';"
        " document.body.append(s); }"
    )
    wait_until(lambda: violations, message="a reported violation")
    ctx.close()
    assert any("script-src" in v for v in violations)
