"""The bare Flask app that ``bench/server.py`` measures Løype against.

Three routes and nothing else: ``GET /page`` renders a compiled Jinja template of a given size
(the size of Løype's app shell), ``POST /insert`` parses a JSON body and inserts it as one row
into a table of the same database Løype uses, in its own transaction, and ``GET
/signed-in-page`` renders the same page for whoever a cookie names: the token's SHA-256 looked
up in a table of sessions in that database, one indexed row (what any page that knows who asks
must do at least; answered 401 for an unknown token). Configured by environment variables:
``BARE_DATABASE_URL`` and ``BARE_PAGE_BYTES``.
"""

from __future__ import annotations

import hashlib
import json
import os

import sqlalchemy as sa
from flask import Flask, jsonify, render_template, request
from jinja2 import DictLoader

TEMPLATE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main>{% for line in lines %}<p>{{ line }}</p>{% endfor %}</main></body></html>"""

metadata = sa.MetaData()
bench_insert = sa.Table(
    "bench_insert",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
)
bench_session = sa.Table(
    "bench_session",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("person", sa.Text, nullable=False),
)
#: The cookie ``bench=`` that /signed-in-page knows.
TOKEN = "bench-token-of-a-signed-in-person"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_app() -> Flask:
    """Return the bare app, with its table created."""
    app = Flask(__name__)
    url = os.environ["BARE_DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    # No check of a pooled connection before use: Løype checks one only after it sat idle
    # (LOYPE_DATABASE_PING_AFTER_IDLE), never under this bench's steady load.
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    with engine.begin() as connection:
        if connection.scalar(sa.select(sa.func.count()).select_from(bench_session)) == 0:
            connection.execute(bench_session.insert().values(token_hash=_hash(TOKEN), person="p1"))
    engine.dispose()  # no connection crosses gunicorn's fork (as gunicorn.conf.py does for Løype)
    size = int(os.environ.get("BARE_PAGE_BYTES", 2048))
    # Lines of 60 characters, so the page is about as long as the page it stands in for.
    lines = ["x" * 60] * max(1, size // 68)
    # Through Flask's own render_template, which compiles the template once and caches it.
    app.jinja_loader = DictLoader({"page.html": TEMPLATE})

    @app.get("/page")
    def page():
        return render_template("page.html", lang="nb", title="Bare", lines=lines)

    find = sa.select(bench_session.c.person).where(
        bench_session.c.token_hash == sa.bindparam("token_hash")
    )

    @app.get("/signed-in-page")
    def signed_in_page():
        token_hash = _hash(request.cookies.get("bench", ""))
        with engine.connect() as connection:  # a transaction, rolled back when returned
            person = connection.scalar(find, {"token_hash": token_hash})
        if person is None:
            return "Who are you?", 401
        return render_template("page.html", lang="nb", title=person, lines=lines)

    @app.post("/insert")
    def insert():
        body = request.get_json()
        with engine.begin() as connection:
            new_id = connection.execute(
                bench_insert.insert().values(body=json.dumps(body)).returning(bench_insert.c.id)
            ).scalar_one()
        return jsonify({"id": new_id}), 201

    return app


app = create_app() if "BARE_DATABASE_URL" in os.environ else None
