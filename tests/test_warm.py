"""A new app server worker starts warm: gunicorn's master compiles the templates and loads the
languages before it forks the workers (webapp/warm.py, ``when_ready`` in gunicorn.conf.py).

Each check runs in a process of its own, as a new worker is: in this one, other tests have
long since compiled and loaded everything.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import types

import requests

from .cluster import _app_env, _wait_for, free_port
from .conftest import ROOT

# A fresh process plays a new worker: the app as wsgi.py makes it, warmed or not, then its
# first pages, the sign-in pages in every interface language, with what they had to compile,
# read from Babel's locale data and load as catalogs.
FIRST_PAGES = """
import json, sys
import babel.localedata, babel.support, jinja2
import sqlalchemy as sa
from flask_migrate import upgrade
from webapp import create_app
from webapp.extensions import db
from webapp.warm import warm

app = create_app({"TESTING": True, "SECRET_KEY": "warm-test", "SERVER_NAME": "loype.test",
                  "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
with app.app_context():
    upgrade(directory=sys.argv[3])
    engine = db.engine
checkouts = []
sa.event.listen(engine, "checkout", lambda *args: checkouts.append(1))
warmed = warm(app) if sys.argv[2] == "warm" else None
seen = {"compiled": [], "locale_data": [], "catalogs": [], "warming_checkouts": len(checkouts)}

real_compile = jinja2.Environment.compile
def compile(self, source, name=None, *args, **kwargs):
    seen["compiled"].append(name)
    return real_compile(self, source, name, *args, **kwargs)
jinja2.Environment.compile = compile

real_load = babel.localedata.load
def load(name, merge_inherited=True):
    if name not in babel.localedata._cache:
        seen["locale_data"].append(str(name))
    return real_load(name, merge_inherited)
babel.localedata.load = load

real_catalog = babel.support.Translations.load.__func__
def catalog(cls, dirname=None, locales=None, domain=None):
    seen["catalogs"].append(str(locales))
    return real_catalog(cls, dirname, locales, domain)
babel.support.Translations.load = classmethod(catalog)

client = app.test_client()
for lang in app.config["LANGUAGES"]:
    for path in ("/login", "/join"):
        response = client.get(path, headers={"Accept-Language": lang.replace("_", "-")})
        assert response.status_code == 200, (path, lang, response.status_code)
print(json.dumps({"warmed": warmed, **seen}))
"""


def _first_pages(tmp_path, how: str) -> dict:
    database = f"sqlite:///{tmp_path / f'{how}.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-c", FIRST_PAGES, database, how, str(ROOT / "migrations")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_warmed_worker_compiles_and_loads_nothing_for_its_first_pages(tmp_path):
    cold = _first_pages(tmp_path, "cold")
    # What a worker did on its first pages before: the check below can fail.
    assert "auth/login.html" in cold["compiled"] and "base.html" in cold["compiled"]
    assert cold["locale_data"] and len(cold["catalogs"]) >= 11

    warmed = _first_pages(tmp_path, "warm")
    assert warmed["warmed"]["languages"] == 11
    assert warmed["warmed"]["templates"] >= 40
    assert warmed["compiled"] == []
    assert warmed["locale_data"] == []
    assert warmed["catalogs"] == []
    # The master reads no database: a connection opened there would be shared by every
    # worker forked from it, and a fresh deployment starts before its migrations have run.
    assert warmed["warming_checkouts"] == 0


def test_gunicorn_warms_the_app_before_it_forks_a_worker(tmp_path):
    env = _app_env(f"sqlite:///{tmp_path / 'run.sqlite3'}", "warm-test", workers=1)
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as handle:
        server = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-c", "gunicorn.conf.py",
             "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=handle,
        )  # fmt: skip
        try:
            _wait_for(f"http://127.0.0.1:{port}/healthz", server)
            with requests.Session() as browser:
                browser.trust_env = False
                page = browser.get(f"http://127.0.0.1:{port}/login", timeout=10)
            assert page.status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=30)
    lines = log.read_text("utf-8").splitlines()
    warmed = next(i for i, line in enumerate(lines) if "Warmed: " in line and " languages" in line)
    booted = next(i for i, line in enumerate(lines) if "Booting worker" in line)
    assert warmed < booted, "\n".join(lines)


def test_a_failed_warm_up_is_logged_and_the_server_starts_all_the_same(monkeypatch):
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    logged = []

    class Log:  # formats as logging does (one dict: named fields)
        def info(self, message, *args):
            logged.append(("info", message % (args[0] if len(args) == 1 else args)))

        def exception(self, message, *args):
            logged.append(("exception", message % args))

        def warning(self, message, *args):
            logged.append(("warning", message % args))

    class Server:
        log = Log()

    def broken(app):
        raise RuntimeError("a template that does not compile")

    monkeypatch.setitem(sys.modules, "wsgi", types.SimpleNamespace(app=object()))
    monkeypatch.setattr("webapp.services.key_check.check_at_start", lambda app: [])
    monkeypatch.setattr("webapp.warm.uncompiled_languages", lambda app: [])
    monkeypatch.setattr("webapp.warm.warm", broken)
    settings["when_ready"](Server())  # does not raise: gunicorn goes on to fork its workers
    assert logged == [
        ("warning", "Keys not checked: the database is not migrated yet"),
        ("exception", "Warming the app failed; the workers start cold"),
    ]

    monkeypatch.setattr("webapp.warm.warm", lambda app: {"templates": 42, "languages": 11})
    settings["when_ready"](Server())
    assert logged[-1] == ("info", "Warmed: 42 templates, 11 languages")


def test_languages_without_compiled_translations_are_named_in_the_log(monkeypatch, tmp_path):
    """git keeps no compiled catalogs (messages.mo): a server installed without `make release`
    showed every language in English, and its log said "Warmed: 11 languages"."""
    from webapp import create_app
    from webapp.warm import uncompiled_languages

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert uncompiled_languages(app) == []  # this checkout is compiled (make test does it)
    (tmp_path / "nb" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "nb" / "LC_MESSAGES" / "messages.mo").write_bytes(
        (ROOT / "translations" / "nb" / "LC_MESSAGES" / "messages.mo").read_bytes()
    )
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(tmp_path)
    missing = uncompiled_languages(app)
    assert "nb" not in missing and {"ar", "ti", "en"} <= set(missing)

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    logged = []

    class Log:
        def error(self, message, *args):
            logged.append(("error", message % args))

        def warning(self, message, *args):
            logged.append(("warning", message % args))

        def info(self, message, *args):
            logged.append(("info", message % (args[0] if len(args) == 1 else args)))

    class Server:
        log = Log()

    monkeypatch.setitem(sys.modules, "wsgi", types.SimpleNamespace(app=app))
    monkeypatch.setattr("webapp.services.key_check.check_at_start", lambda app: [])
    monkeypatch.setattr("webapp.warm.warm", lambda app: {"templates": 42, "languages": 11})
    settings["when_ready"](Server())
    assert logged[0] == ("warning", "Keys not checked: the database is not migrated yet")
    assert logged[1][0] == "error" and "ar, ti" in logged[1][1] and "make release" in logged[1][1]
    assert logged[-1] == ("info", "Warmed: 42 templates, 11 languages")
