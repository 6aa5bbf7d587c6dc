"""A phone's first visit: every file of the app crosses the network once (issue 12)."""

from __future__ import annotations

from collections import Counter

from webapp.assets import APP_BUNDLE, app_bundle, release

from .app_driver import open_app


def downloaded_twice(app, context, faults, code: str) -> dict[str, int]:
    """Join, open the questionnaire; return the files that crossed the network more than once
    (on their own or in the release's bundle of the app's modules)."""
    page = open_app(context, code)
    page.click("#app .card button.primary")  # the questionnaire: the editor's modules
    page.wait_for_selector("#fields")
    page.wait_for_timeout(500)
    assets = Counter(
        path.split("/", 3)[3]
        for method, path in faults.served
        if method == "GET" and path.startswith("/assets/")
    )
    assert assets.pop(APP_BUNDLE) == 1  # the app's modules, in one download
    with app.app_context():
        assets.update(app_bundle(release().assets).keys())
    assert assets["js/app/main.js"] == 1 and assets["js/engine/render.js"] == 1
    pages = Counter(path for method, path in faults.served if method == "GET")
    assert pages["/app/"] == 1  # the shell comes through the worker, which keeps it
    return {path: n for path, n in assets.items() if n > 1}


def test_the_app_s_files_cross_the_network_once(app, world, context, faults):
    assert not downloaded_twice(app, context, faults, world.codes["p1"])


def test_a_slow_phone_downloads_them_once_too(app, world, context, faults):
    """/me/'s scripts arrive over more than a second, as on a busy phone or network.

    The flaky case: the session cookie, re-signed on every response with the second in it,
    came with every file, and ``Vary: Cookie`` made the browser keep each file only for the
    cookie it was fetched with; the installing service worker, asking a second later with the
    newer cookie, missed them in the HTTP cache and downloaded them again.
    """
    faults.slow["/js/install.js"] = 1.2
    assert not downloaded_twice(app, context, faults, world.codes["p1"])


def test_without_the_bundle_the_worker_installs_the_modules_one_by_one(app, world, context, faults):
    """The bundle is a shortcut, never a dependency: when the server cannot give it, the
    worker fetches each module on its own, once, and the app still opens offline."""
    faults.refused.add("/" + APP_BUNDLE)
    page = open_app(context, world.codes["p1"])
    assets = Counter(
        path.split("/", 3)[3]
        for method, path in faults.served
        if method == "GET" and path.startswith("/assets/")
    )
    assert assets[APP_BUNDLE] == 1
    with app.app_context():
        bundled = list(app_bundle(release().assets))
    assert {path: assets[path] for path in bundled} == dict.fromkeys(bundled, 1)
    context.set_offline(True)
    page.reload()
    page.click("#app .card button.primary")  # the questionnaire: the editor's modules
    page.wait_for_selector("#fields")
