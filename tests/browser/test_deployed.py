"""The participant's phone through nginx as deployed: deploy/nginx.conf, HTTPS and HTTP/2.

The other browser tests talk plain HTTP to the development server. Here Chromium signs in
through the production setup (tests/cluster.py: gunicorn with the production settings behind
deploy/nginx.conf, a self-signed certificate that Chromium is told to trust by its key), so
what only HTTPS changes is covered: Secure cookies, CSRF's Referer check on forms (which the
Referrer-Policy "no-referrer" broke: every form answered 400), service workers on a secure
origin, HTTP/2. Needs Debian's nginx; without it the test is skipped, loudly (and fails in CI).
"""

from __future__ import annotations

import pytest

from .. import cluster
from ..conftest import PASSWORD
from .app_driver import wait_for_app
from .conftest import CHROMIUM_ARGS, PHONE, TIMEOUT_MS, chromium_path


@pytest.fixture
def deployed(app, world, tmp_path):
    cluster.require_nginx("the deployed-setup test")
    with cluster.running(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SECRET_KEY"], tmp_path,
        instances=1, workers=1,
    ) as running:  # fmt: skip
        yield running


@pytest.fixture
def phone(browser, deployed):
    """A fresh phone profile that trusts the cluster's certificate as it would a CA's."""
    pin = f"--ignore-certificate-errors-spki-list={cluster.spki_pin(deployed.cert)}"
    chromium = browser.browser_type.launch(
        executable_path=chromium_path(), args=[*CHROMIUM_ARGS, pin]
    )
    context = chromium.new_context(
        viewport=PHONE, locale="nb-NO", base_url=deployed.url, bypass_csp=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()
    chromium.close()


def test_a_participant_signs_in_changes_language_and_goes_offline_through_nginx(
    world, deployed, phone
):
    page = phone.new_page()
    page.goto(f"/join/{world.codes['p1']}")
    protocol = page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol")
    assert page.evaluate("location.protocol") == "https:" and protocol == "h2"
    with page.expect_navigation():
        page.click("main form button[type=submit]")  # a form: CSRF token and Referer
    wait_for_app(page)  # the service worker is installed and controls the page
    assert all(c["secure"] for c in phone.cookies())

    # Another form, from the app shell: the language switcher.
    page.select_option("#lang-select", "en")
    with page.expect_navigation():
        page.click("form.language button[type=submit]")
    wait_for_app(page)
    assert page.get_attribute("html", "lang") == "en"
    assert "My questionnaires" in page.inner_text("nav")

    # Offline, the service worker brings the app back.
    phone.set_offline(True)
    page.reload()
    page.wait_for_selector("#app .cards")
    phone.set_offline(False)

    answered = [(e.method, e.target.split("/")[1], e.status) for e in deployed.requests()]
    assert ("POST", "join", 302) in answered and ("POST", "language", 302) in answered
    # 499 is nginx noting that the browser closed the connection before the answer came: a
    # GET of the app's still on its way when the page navigated or the network was cut (the
    # app asks again later; seen once in a full run). It is no answer of the app's.
    errors = [e for e in answered if e[2] >= 400 and not (e[2] == 499 and e[0] == "GET")]
    assert not errors, answered
    # nginx's own log (deploy/nginx.conf's format) never holds the invite code.
    logged = deployed.site_log('"POST /join/[redacted] HTTP/2.0" 302')
    assert '"GET /join/[redacted] HTTP/2.0" 200' in logged
    assert '"POST /join/[redacted] HTTP/2.0" 302' in logged
    assert world.codes["p1"] not in logged


def test_a_counsellor_signs_in_reads_the_caseload_and_signs_out_through_nginx(
    world, deployed, phone
):
    page = phone.new_page()
    page.goto("/login")
    page.fill("#email", world.emails["c1"])
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.goto("/caseload")
    with page.expect_navigation():
        page.click(f'main a[href="/participants/{world.p1}"]')
    assert page.url.endswith(f"/participants/{world.p1}")
    with page.expect_navigation():
        page.click("form.staff-leave button[type=submit]")
    assert page.goto("/caseload").url.split("?")[0].endswith("/login")

    answered = [(e.method, e.target.split("?")[0], e.status) for e in deployed.requests()]
    assert ("POST", "/login", 302) in answered and ("POST", "/logout", 302) in answered
    assert not [entry for entry in answered if entry[2] >= 400], answered
