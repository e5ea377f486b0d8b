# Pilotgate: `make run` serves the demo portfolio, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# The port `make run` serves on: `make run PORT=8001`, or PORT in the environment.
PORT ?= 8000

.PHONY: run test security audit bench lint migrate-check clean

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Pilotgate needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $(VENV)/.base-installed $@

# The scheduler runs beside the web server: stall detection daily, the stall alerts on
# Mondays. Without REDIS_URL it runs each job itself, in-process; with REDIS_URL it
# queues them for a worker (`.venv/bin/celery -A portfolio worker`).
run: $(VENV)/.base-installed
	$(MANAGE) migrate --verbosity 0
	$(MANAGE) seed_demo --if-empty
	DJANGO_DEBUG=1 $(VENV)/bin/celery -A portfolio beat --loglevel warning \
		--schedule $(VENV)/celerybeat-schedule & beat=$$!; \
	trap 'kill $$beat 2>/dev/null' EXIT INT TERM; \
	DJANGO_DEBUG=1 $(MANAGE) runserver 127.0.0.1:$(PORT)

test: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(MANAGE) makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The hardening checks: throttling, headers, CSV, dates, imports, snoozes, slow clients
# and a hung Redis (tests marked `security`), and Django's deployment check with
# production settings, which must print nothing.
security: $(VENV)/.dev-installed
	$(VENV)/bin/pytest -m security -q $(PYTEST_ARGS)
	env -u DATABASE_URL DJANGO_DEBUG=0 DJANGO_ALLOWED_HOSTS=pilotgate.example.com \
		DJANGO_SECRET_KEY=deployment-check-only-$$(printf '%050d' 0) \
		$(MANAGE) check --deploy --fail-level WARNING

# Known vulnerabilities in the locked dependencies (needs PyPI's JSON API; --strict
# fails on any package it could not check).
audit: $(VENV)/.dev-installed
	$(VENV)/bin/pip-audit --strict --no-deps --disable-pip -r requirements/base.txt

bench: $(VENV)/.dev-installed
	$(VENV)/bin/pytest tests/perf -m bench -s $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
