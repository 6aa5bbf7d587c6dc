"""Static files as a phone gets them: minified, compressed, cached forever, revalidated cheaply."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import brotli
import pytest

from webapp.assets import release

from .conftest import join


def served(client, path: str, **headers):
    with client.application.app_context():
        url = release().url(path)
    return client.get(url, headers=headers)


def test_javascript_and_css_are_served_minified(app, client):
    for path, comment in (("js/app/main.js", "/**"), ("css/app.css", "/*")):
        written = (Path(app.static_folder) / path).read_bytes()
        body = served(client, path, **{"Accept-Encoding": "identity"}).get_data()
        assert comment.encode() in written and comment.encode() not in body
        assert len(body) < 0.8 * len(written)


def test_small_files_are_compressed_too_when_that_is_shorter(app, client):
    """A first visit loads a few scripts and icons of a few hundred bytes: each goes
    compressed when that saves more than the header saying so, and as it is otherwise."""
    with app.app_context():
        assets = release().assets
    small = [p for p, a in assets.items() if p.endswith((".js", ".css", ".svg")) and
             len(a.body) < 512 and not p.startswith("vendor/")]  # fmt: skip
    assert {"js/leave.js", "icons/icon.svg"} <= set(small)
    for path in small:
        body = assets[path].body
        response = served(client, path, **{"Accept-Encoding": "br"})
        sent = response.get_data()
        if response.headers.get("Content-Encoding") == "br":
            assert brotli.decompress(sent) == body
            assert len(sent) + len("Content-Encoding: br\r\n") < len(body), path
        else:
            assert sent == body
            assert len(brotli.compress(body, quality=11)) + 24 >= len(body), path
    leave = served(client, "js/leave.js", **{"Accept-Encoding": "br"})
    assert leave.headers["Content-Encoding"] == "br"


@pytest.mark.skipif(shutil.which("node") is None, reason="node checks the syntax")
def test_every_minified_module_still_parses(app, client, tmp_path):
    with app.app_context():
        assets = release().assets
    modules = [p for p in assets if p.endswith(".js") and not p.startswith("vendor/")]
    assert len(modules) > 30
    for path in modules:
        target = tmp_path / (path.replace("/", "_") + ".mjs")
        target.write_bytes(assets[path].body)
    problems = []
    for module in sorted(tmp_path.iterdir()):
        done = subprocess.run(["node", "--check", str(module)], capture_output=True, text=True)
        if done.returncode:
            problems.append(f"{module.name}: {done.stderr.strip()[:300]}")
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the JavaScript tests")
def test_the_javascript_tests_pass_on_the_minified_modules(app, tmp_path):
    """A minifier can change what code does, not only how it looks (one tried here moved a
    declaration below its first use): the engine and merge tests (tests/js) run again on the
    files as a phone gets them, beside copies of the shared cases they read."""
    with app.app_context():
        assets = release().assets
    here = Path(__file__).parent
    for path, asset in assets.items():
        if path.startswith("js/"):
            target = tmp_path / "static" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(asset.body)
    assert (tmp_path / "static/js/engine/validate.js").read_bytes() != (
        Path(app.static_folder) / "js/engine/validate.js"
    ).read_bytes()
    shutil.copytree(here / "js", tmp_path / "tests/js")
    shutil.copytree(here / "shared", tmp_path / "tests/shared")
    done = subprocess.run(
        ["node", "--test", "tests/js"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]
    assert "# fail 0" in done.stdout and "# pass 0" not in done.stdout


def test_a_revalidation_gets_a_304_without_the_body(client):
    first = served(client, "js/app/records.js", **{"Accept-Encoding": "br"})
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "br"
    assert "immutable" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = served(client, "js/app/records.js", **{"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    plain = served(client, "js/app/records.js", **{"Accept-Encoding": "identity"})
    assert plain.headers["ETag"] != etag  # another encoding is another representation
    changed = served(client, "js/app/db.js", **{"Accept-Encoding": "br", "If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_data()


def test_a_signed_in_phone_gets_the_files_without_its_session_cookie(client, world):
    """A file is the same for everyone: no re-signed session cookie on it, and no
    ``Vary: Cookie``, which made the browser's cache miss it once the cookie had changed, and
    the phone download it again (tests/browser/test_first_visit.py)."""
    join(client, world.codes["p1"])
    assert client.get("/me/").headers.get("Set-Cookie")  # pages still refresh the session
    for path in ("js/leave.js", "css/app.css"):
        response = served(client, path, **{"Accept-Encoding": "br"})
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert "cookie" not in response.headers.get("Vary", "").lower()


def test_the_service_worker_update_check_is_a_304_while_the_release_is_the_same(client):
    first = client.get("/sw.js", headers={"Accept-Encoding": "br"})
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
    again = client.get("/sw.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get("/sw.js", headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_the_app_s_modules_come_in_one_bundle_as_served_one_by_one(app, client):
    """The service worker installs the app's modules from one download (issue 12); each is
    byte for byte the module served at its own URL, and none is one the browser already has
    when the worker installs (the worker's own, /me/'s), which would cross the network twice."""
    from webapp.assets import APP_BUNDLE, LOADED_BEFORE_INSTALL, module_graph

    response = served(client, APP_BUNDLE, **{"Accept-Encoding": "br"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "br"
    assert "immutable" in response.headers["Cache-Control"]
    bundle = json.loads(brotli.decompress(response.get_data()))
    assert {"js/app/main.js", "js/app/pages/editor.js", "js/engine/render.js"} <= set(bundle)
    for path, text in bundle.items():
        alone = served(client, path, **{"Accept-Encoding": "identity"}).get_data(as_text=True)
        assert text == alone, path
    with app.app_context():
        assets = release().assets
        before = set().union(
            *(module_graph(assets, entry, dynamic=False) for entry in LOADED_BEFORE_INSTALL)
        )
        whole_app = module_graph(assets, "js/app/main.js")
    assert {"js/app/sync.js", "js/install.js", "js/sign-out-form.js"} <= before
    assert not before & set(bundle)
    # /me/'s leave.js imports the session module only on signing out: by the time the worker
    # installs it has not been fetched, so it comes in the bundle, not as a download of its own.
    assert "js/app/session.js" in bundle
    assert whole_app <= before | set(bundle)  # every module of the app, one way or the other
    worker = client.get("/sw.js").get_data(as_text=True)
    assert release_url_of(app, APP_BUNDLE) in worker


def release_url_of(app, path: str) -> str:
    with app.app_context():
        return release().url(path)


def test_the_module_graph_follows_every_form_of_import():
    from webapp.assets import _asset, module_graph

    sources = {
        "js/a.js": 'import{x as y,z}from"./b.js";import*as c from"../js/c.js";import"./d.js";',
        "js/b.js": 'export*from"./sub/e.js";const f=()=>import("./f.js");',
        "js/c.js": "export const c = 1; // import('./nowhere.js') is not in the release",
        "js/d.js": "",
        "js/sub/e.js": 'export { g } from "../g.js";',
        "js/f.js": "",
        "js/g.js": "",
        "js/unused.js": "",
    }
    assets = {path: _asset(path, text.encode()) for path, text in sources.items()}
    assert module_graph(assets, "js/a.js") == set(sources) - {"js/unused.js"}
    # What loading a.js fetches: not f.js, which b.js imports only when its function runs.
    static = set(sources) - {"js/unused.js", "js/f.js"}
    assert module_graph(assets, "js/a.js", dynamic=False) == static


def test_the_worker_keeps_what_a_participant_uses_and_nothing_only_staff_load(app, client):
    """The worker's precache is a phone's first visit: the app's modules and stylesheets, not
    the builder, the workspace's scripts, the code editor or the printed record's stylesheet
    (counsellor/print.html), which no participant page loads."""
    worker = client.get("/sw.js").get_data(as_text=True)
    for kept in ("js/app/main.js", "js/engine/render.js", "css/app.css", "css/pictograms.css"):
        assert release_url_of(app, kept) in worker, kept
    from webapp.pwa.views import STAFF_ONLY

    with app.app_context():
        staff_only = [p for p in release().assets if p.startswith(STAFF_ONLY)]
    assert "css/print.css" in staff_only and any(p.startswith("vendor/") for p in staff_only)
    for path in staff_only:
        assert release_url_of(app, path) not in worker, path
