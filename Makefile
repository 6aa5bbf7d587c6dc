# Løype: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test lint install install-test lock serve clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate requirements.lock pyproject.toml
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

install: $(VENV)/.installed

install-test: install

## run: create the SQLite database, import the shipped questionnaires, create demo accounts, serve
## (plain http on 127.0.0.1, so the session cookie is not Secure here and only here)
run: install
	$(BIN)/flask translate compile
	$(BIN)/flask db upgrade
	$(BIN)/flask forms import forms/kartlegging.json forms/muligheter.json
	$(BIN)/flask resources import forms/resources.json
	$(BIN)/flask demo --port $(PORT)
	LOYPE_SECURE_COOKIES=0 $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## node_modules: axe-core for the accessibility tests, exactly as package-lock.json pins it
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## test: lint, then the whole suite (SQLite, plus PostgreSQL when TEST_DATABASE_URL is set)
test: install node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/flask translate compile
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

## lock: refresh requirements.lock from pyproject.toml (needs uv)
lock:
	uv pip compile pyproject.toml --extra test -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) instance/*.sqlite3
