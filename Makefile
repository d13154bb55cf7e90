# The README's commands. Each sets up what it needs: a virtual environment in .venv,
# the dependencies at the versions of requirements.lock, the database schema.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_ENV := DEBUG=true
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install lock lock-check run test e2e bench load messages lint format migrations-check check clean

# requirements.lock pins every dependency, the dev tools included, for any platform and
# Python >= 3.11 (written by `make lock` from pyproject.toml); the project itself is then
# installed without resolving anything again.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# axe-core for the browser tests' accessibility checks, at the version of
# package-lock.json; skipped where npm is missing (those tests then skip, except in CI).
NPM := $(shell command -v npm 2>/dev/null)
NODE_STAMP := node_modules/.installed

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

install: $(STAMP) $(if $(NPM),$(NODE_STAMP))

LOCK_COMPILE = pip compile pyproject.toml --extra demo --extra dev --universal --python-version 3.11 \
	--quiet --custom-compile-command "make lock"

## make lock: after a change to the dependencies in pyproject.toml, pin them again
## (versions already in requirements.lock are kept where they still fit)
lock: install
	$(BIN)/uv $(LOCK_COMPILE) -o requirements.lock
	$(MAKE) install

## make lock-check: fails when requirements.lock does not match pyproject.toml
lock-check: install
	cp requirements.lock $(VENV)/requirements.lock.check
	$(BIN)/uv $(LOCK_COMPILE) -o $(VENV)/requirements.lock.check
	diff -u requirements.lock $(VENV)/requirements.lock.check

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

## make load: LOAD_USERS Locust users against gunicorn (LOAD_WORKERS workers) and
## LOAD_TASK_WORKERS task workers on PostgreSQL for LOAD_SECONDS, loopback only; all
## started and stopped here (bench/locustfile.py); fails on any error or a count mismatch
LOAD_SECONDS ?= 120
LOAD_USERS ?= 30
LOAD_WORKERS ?= 4
LOAD_TASK_WORKERS ?= 2
load: install
	$(BIN)/locust -f bench/locustfile.py --headless --only-summary \
		-u $(LOAD_USERS) -r $(LOAD_USERS) --run-time $(LOAD_SECONDS)s --stop-timeout 60 \
		--gunicorn-workers $(LOAD_WORKERS) --task-workers $(LOAD_TASK_WORKERS)

## make messages: extract new messages into locale/nb/LC_MESSAGES/django.po (where the
## Norwegian is written), then compile it
messages: install
	$(DEV_ENV) $(BIN)/python manage.py makemessages -l nb --no-obsolete --ignore=.venv --ignore=tests --ignore=bench --ignore=docs --ignore=locale
	$(DEV_ENV) $(BIN)/python manage.py compilemessages --ignore=.venv

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

check: lint lock-check migrations-check test

clean:
	rm -rf $(VENV) node_modules db.sqlite3 db-jobs.sqlite3* staticfiles .pytest_cache .ruff_cache .mypy_cache .coverage htmlcov bench/*.sqlite3* bench/results
