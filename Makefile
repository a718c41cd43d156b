# Solidground: `make demo` to see it, `make test` to check it. Everything installs into .venv.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SG := $(VENV)/bin/solidground
PG_URL ?= $(or $(SOLIDGROUND_TEST_POSTGRES_URL),postgresql://127.0.0.1:5432/test)

# Django 6.1 needs Python 3.12+; prefer the newest Python >= 3.12 on the machine (pyenv's too),
# and fall back to 3.11, on which the same code runs with Django 5.2 LTS
# (docs/decisions/0002-python-and-django-versions.md). Override with `make PYTHON=...`.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 $(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3) python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then echo $$p; break; fi; done)

.PHONY: help install demo serve analyze portfolio test test-sqlite test-postgres lint typecheck format bench messages vendor clean

help:
	@echo "make demo    install into .venv, build the demo provider, analyse it and show the portfolio"
	@echo "make serve   start the web app on http://127.0.0.1:8000/"
	@echo "make test    lint, type checks and the whole test suite (SQLite, and PostgreSQL if reachable)"
	@echo "make bench   print the benchmark figures"

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "No Python 3.11 or newer found; install one and run make again."; exit 1; }
	@echo "Installing into $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

demo: install
	$(SG) demo $(ARGS)

serve: install
	$(SG) serve $(ARGS)

analyze: install
	$(SG) analyze

portfolio: install
	$(SG) portfolio $(ARGS)

lint: install
	$(VENV)/bin/ruff check src tests bench tools
	$(VENV)/bin/ruff format --check src tests bench tools
	SOLIDGROUND_DATA_DIR=$$(mktemp -d) $(SG) makemigrations --check --dry-run > /dev/null || { echo "Model changes without a migration: run solidground makemigrations."; exit 1; }

typecheck: install
	$(VENV)/bin/mypy

# The SQLite run: SOLIDGROUND_TEST_POSTGRES (set by CI) belongs to the PostgreSQL run only.
test-sqlite: install
	env -u SOLIDGROUND_TEST_POSTGRES -u SOLIDGROUND_DATABASE_URL $(PY) -m pytest -q

# The PostgreSQL run repeats every database test (marked django_db) against a real server.
# In CI, SOLIDGROUND_TEST_POSTGRES=required turns "not reachable" into a failure, never a skip.
test-postgres: install
	@if $(PY) -c "import psycopg, sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "PostgreSQL run against $(PG_URL)"; \
		SOLIDGROUND_DATABASE_URL=$(PG_URL) SOLIDGROUND_TEST_POSTGRES=required $(PY) -m pytest -q -m django_db; \
	elif [ "$$SOLIDGROUND_TEST_POSTGRES" = "required" ]; then \
		echo "PostgreSQL is required (SOLIDGROUND_TEST_POSTGRES=required) but $(PG_URL) is not reachable."; exit 1; \
	else \
		echo "PostgreSQL not reachable at $(PG_URL): ran the suite on SQLite only."; \
	fi

test: lint typecheck test-sqlite test-postgres

format: install
	$(VENV)/bin/ruff format src tests bench tools
	$(VENV)/bin/ruff check --fix src tests bench tools

# PostgreSQL figures too when the test server is reachable (SOLIDGROUND_BENCH_POSTGRES_URL).
bench: install
	@if $(PY) -c "import psycopg; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		export SOLIDGROUND_BENCH_POSTGRES_URL=$${SOLIDGROUND_BENCH_POSTGRES_URL:-$(PG_URL)}; fi; \
	$(PY) bench/run.py $(ARGS)

messages: install
	cd src/solidground && ../../$(SG) makemessages -l de --no-obsolete && ../../$(SG) compilemessages

# Re-download the pinned front-end JavaScript from the npm registry (tools/vendor_assets.py,
# docs/decisions/0005-vendored-front-end-assets.md). Standard library only; needs no Node.
vendor:
	$(PY) tools/vendor_assets.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
