# Waypoint — the project's commands. `make demo` runs it; `make test` proves it.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_CONCURRENCY ?= 2

# The test suite runs against real services on loopback; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/waypoint
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: install demo serve worker beat test lint format bench drills lock messages vendor

install: $(BIN)/.installed

$(BIN)/.installed: requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile --require-hashes \
		-r requirements-dev.lock
	@touch $@

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@$(MAKE) --no-print-directory serve

# The pages' CSS and scripts are served from the collected copy (hashed names): collect them
# before every start, so a fresh checkout or a new release never serves a page without them.
serve: install
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Waypoint on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	$(BIN)/gunicorn config.wsgi --bind $(HOST):$(PORT) --workers $(WEB_CONCURRENCY) \
		--access-logfile - --error-logfile -

worker: install
	$(BIN)/celery -A config worker --loglevel INFO

beat: install
	$(BIN)/celery -A config beat --loglevel INFO

test: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/python scripts/ensure_services.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # the apps' direction and no import cycles (pyproject.toml)
	$(BIN)/python manage.py makemigrations --check --dry-run --verbosity 1

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Benchmarks against the PostgreSQL on loopback (BENCH_DATABASE_URL; a fresh database is made).
# Each prints its table and keeps its figures in var/bench/results.json (docs/performance.md).
bench: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/python scripts/ensure_services.py --bench
	$(BIN)/python tests/benchmarks/bench_ingest.py
	$(BIN)/python tests/benchmarks/bench_recompute.py
	$(BIN)/python tests/benchmarks/bench_reads.py

# Reliability drills (docs/reliability.md): real faults, on a PostgreSQL cluster and a Redis the
# drills start themselves, and real gunicorn and Celery processes. The quick ones run in `make
# test` too (tests/api/test_drill_*.py).
DRILLS := tests/drills tests/api/test_drill_malformed.py tests/api/test_drill_concurrent_writers.py
drills: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/python scripts/ensure_services.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/pytest -p no:cacheprovider -o python_files='drill_*.py test_drill_*.py' -s $(DRILLS)

# Regenerate the lock files from pyproject.toml (needs uv: `pip install uv`).
lock:
	uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
		--output-file requirements.lock --quiet
	uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes \
		--output-file requirements-dev.lock --quiet

# Refresh the vendored front-end files (Chart.js, htmx; axe-core for the tests) from npm, at the
# versions pinned in the script. The files are committed: serving and testing need no npm.
vendor:
	scripts/vendor_js.sh

# Extract and compile translations (needs GNU gettext); the compiled .mo files are committed
# so that a machine without gettext still serves Japanese.
messages: install
	$(BIN)/python manage.py makemessages --locale ja --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/python manage.py compilemessages --locale ja --ignore '.venv/*'
