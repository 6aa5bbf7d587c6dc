"""Do once, before the app servers' workers start, what each of them would do on its first
requests.

gunicorn loads the app in its master process and forks the workers from it
(``preload_app`` in gunicorn.conf.py), and it replaces each worker after about 10,000 requests
(``max_requests``). A new worker started cold: its first page compiled the templates it used,
read Babel's locale data for the eleven languages of the language menu and the page's direction,
read the page language's catalog and configured the ORM's mappers. On the reference machine the
first sign-in page of a worker took about 150 ms instead of 2, its first caseload 37 ms instead
of 5 (issue 12): a request that happened to be a worker's first waited that long, after every
deploy and every worker replacement. Done here in the master, the work is shared by every
worker it forks, copy-on-write. Nothing here reads the database: no connection a worker could
inherit, and it works even before the migrations have run (the master's one database read, the
key check in gunicorn.conf.py, closes its connection before the fork).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import force_locale, get_translations
from sqlalchemy.orm import configure_mappers

from . import i18n
from .questionnaires import names

#: The templates under webapp/templates: pages, and the service worker's script (sw.js).
TEMPLATE_SUFFIXES = (".html", ".js")


def warm(app: Flask) -> dict[str, int]:
    """Compile every template, load every interface language's catalog and locale data, and
    configure the mappers; return how many of each, for the log."""
    configure_mappers()
    environment = app.jinja_env
    templates = [name for name in environment.list_templates() if name.endswith(TEMPLATE_SUFFIXES)]
    for name in templates:
        environment.get_template(name)
    languages = list(app.config["LANGUAGES"])
    i18n.choices(languages)  # the language menu: each name in its own language, each direction
    with app.test_request_context():
        for lang in languages:
            names.text_direction(lang)
            with force_locale(lang):
                get_translations()
    return {"templates": len(templates), "languages": len(languages)}


def uncompiled_languages(app: Flask) -> list[str]:
    """The interface languages whose catalog is not compiled (``messages.mo``, which git does
    not keep: ``make release`` or ``flask translate compile`` makes it). Flask-Babel shows such
    a language in English, without a word in any log, to every person who chose it."""
    folder = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    return [
        lang
        for lang in app.config["LANGUAGES"]
        if not (folder / lang / "LC_MESSAGES" / "messages.mo").is_file()
    ]
