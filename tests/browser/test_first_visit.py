"""A phone's first visit: every file of the app crosses the network once (issue 12)."""

from __future__ import annotations

from collections import Counter

from .app_driver import open_app


def test_the_app_s_files_cross_the_network_once(world, context, faults):
    page = open_app(context, world.codes["p1"])
    page.click("#app .card button.primary")  # the questionnaire: the editor's modules
    page.wait_for_selector("#fields")
    page.wait_for_timeout(500)
    assets = Counter(
        path.split("/", 3)[3]
        for method, path in faults.served
        if method == "GET" and path.startswith("/assets/")
    )
    twice = {path: n for path, n in assets.items() if n > 1}
    assert not twice, f"downloaded more than once on the first visit: {twice}"
    assert assets["js/app/main.js"] == 1 and assets["js/engine/render.js"] == 1
    pages = Counter(path for method, path in faults.served if method == "GET")
    assert pages["/app/"] == 1  # the shell comes through the worker, which keeps it
