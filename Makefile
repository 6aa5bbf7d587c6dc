# Løype: `make run` serves the app with demo data as production does (gunicorn); `make dev`
# serves it with the reloader; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run dev database test lint install install-test release lock serve clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate requirements.lock pyproject.toml
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

install: $(VENV)/.installed

## release: what every app server machine needs beside the code (git keeps neither): the
## virtualenv, the compiled translations (without them every language is shown in English)
## and the builder's code editor (static/vendor, from npm); docs/deploy.md
release: install static/vendor/.copied
	$(BIN)/flask translate compile

install-test: install

## database: create or migrate the SQLite database, import the shipped questionnaires (when
## they changed), create the demo accounts (once) and print a fresh invite link
database: install static/vendor/.copied
	$(BIN)/flask translate compile
	$(BIN)/flask db upgrade
	$(BIN)/flask push keys
	$(BIN)/flask forms import forms/kartlegging.json forms/muligheter.json
	$(BIN)/flask resources import forms/resources.json
	$(BIN)/flask demo --port $(PORT)

## run: the database above, served as production serves it: gunicorn with gunicorn.conf.py
## (2 sync workers), never the development server, and one push worker beside it
## (webapp/launcher.py: Ctrl-C stops both). Plain http on 127.0.0.1, so the session cookie is
## not Secure here and only here.
run: database
	LOYPE_SECURE_COOKIES=0 $(BIN)/python -m webapp.launcher -- $(BIN)/gunicorn -c gunicorn.conf.py -b 127.0.0.1:$(PORT) wsgi:app

## dev: the same, served by Flask's development server, which reloads when the code changes
dev: database
	LOYPE_SECURE_COOKIES=0 $(BIN)/flask run --reload --host 127.0.0.1 --port $(PORT)

## node_modules: axe-core for the accessibility tests, exactly as package-lock.json pins it
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## static/vendor: the code editor of the builder's JSON view (CodeMirror, pinned in
## package-lock.json), copied as the ES modules it ships: no build step, an import map names them
VENDOR_MODULES := @codemirror/state:dist/index.js @codemirror/view:dist/index.js \
	@codemirror/commands:dist/index.js @codemirror/language:dist/index.js \
	@codemirror/lang-json:dist/index.js @codemirror/lint:dist/index.js \
	@codemirror/streamparser:dist/index.js @lezer/common:dist/index.js \
	@lezer/highlight:dist/index.js @lezer/lr:dist/index.js @lezer/json:dist/index.js \
	style-mod:src/style-mod.js w3c-keyname:index.js crelt:index.js \
	@marijn/find-cluster-break:src/index.js
static/vendor/.copied: node_modules/.installed
	rm -rf static/vendor
	for entry in $(VENDOR_MODULES); do \
	  pkg=$${entry%%:*}; file=$${entry#*:}; mkdir -p static/vendor/$$pkg; \
	  cp node_modules/$$pkg/$$file static/vendor/$$pkg/index.js; \
	  cp node_modules/$$pkg/LICENSE static/vendor/$$pkg/LICENSE; \
	done
	touch $@

## test: lint, then the whole suite (SQLite, plus PostgreSQL when TEST_DATABASE_URL is set), on
## one pytest-xdist worker per core (TEST_WORKERS=0 runs it in this one process)
TEST_WORKERS ?= auto
test: install node_modules/.installed static/vendor/.copied
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/flask translate compile
	$(BIN)/pytest -n $(TEST_WORKERS)

lint: install
	$(BIN)/ruff check .

## lock: refresh requirements.lock from pyproject.toml (needs uv)
lock:
	uv pip compile pyproject.toml --extra test -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) instance/*.sqlite3
