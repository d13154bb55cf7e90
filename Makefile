# The README's commands. Each sets up what it needs: a virtual environment in .venv,
# the dependencies from pyproject.toml, the database schema.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_ENV := DEBUG=true
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test e2e bench load messages lint format migrations-check check clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: migrate, seed the demo data, serve on http://127.0.0.1:8000 (SQLite by default)
## beside a task worker for background generations; Ctrl-C stops both (Procfile.dev)
run: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput --database jobs
	$(DEV_ENV) $(BIN)/python manage.py seed_demo
	$(DEV_ENV) HOST=$(HOST) PORT=$(PORT) PYTHON=$(BIN)/python $(BIN)/honcho -f Procfile.dev start

## make test: every test, browser tests included (on PostgreSQL when DATABASE_URL is set)
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

## make e2e: the real-browser tests only
e2e: install
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

## make bench: the benchmark (full size, SQLite; BENCH_DATABASE_URL=postgres://… for PostgreSQL)
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## make load: 20 users against gunicorn on PostgreSQL for LOAD_SECONDS (loopback only)
LOAD_SECONDS ?= 180
load: install
	$(BIN)/python bench/load.py --seconds $(LOAD_SECONDS)

## make messages: extract messages, fill in the Norwegian from locale/translate_nb.py, compile
messages: install
	$(DEV_ENV) $(BIN)/python manage.py makemessages -l nb --no-obsolete --ignore=.venv --ignore=tests --ignore=bench --ignore=docs --ignore=locale
	$(BIN)/python locale/translate_nb.py
	$(DEV_ENV) $(BIN)/python manage.py compilemessages --ignore=.venv

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

check: lint migrations-check test

clean:
	rm -rf $(VENV) db.sqlite3 db-jobs.sqlite3* staticfiles .pytest_cache .ruff_cache bench/*.sqlite3* bench/results
