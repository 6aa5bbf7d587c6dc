"""Every interface text the phone app reads (``S.name`` in static/js/app) is one the server
sends it (webapp/pwa/views.py ``client_strings``): a missing one shows as "undefined"."""

from __future__ import annotations

import re

from webapp.pwa.views import client_strings

from .conftest import ROOT

APP = ROOT / "static" / "js" / "app"


def test_every_text_the_app_reads_is_sent(app):
    used = {
        name
        for path in APP.rglob("*.js")
        for name in re.findall(r"\bS\.([A-Za-z_]+)", path.read_text(encoding="utf-8"))
    }
    with app.test_request_context("/app/"):
        sent = client_strings()
    assert {"steps_heading", "shared_heading", "shared_by", "new_tab"} <= used
    assert used - set(sent) == set()
    assert set(sent["step_status"]) == {"planned", "in_progress", "done", "cancelled"}
