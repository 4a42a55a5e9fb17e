# Clickpath: `make up` brings the whole stack up, `make test` runs every test against real services.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-packages compat-deps up down status test lint bench-warehouse bench-ingest stress-capture clean

install: $(STAMP)

# Idempotent: the virtualenv is rebuilt only when pyproject.toml changes.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# PostgreSQL, Redis, a JDK and Maven from Debian, when missing.
system-packages:
	@infra/system-packages.sh

# The JavaScript SDKs the compatibility tests drive (tests/compat), reinstalled when the lockfile changes.
# playwright-core drives Debian's chromium: no browser is ever downloaded.
COMPAT_STAMP := tests/compat/node_modules/.installed
compat-deps: $(COMPAT_STAMP)

$(COMPAT_STAMP): tests/compat/package.json tests/compat/package-lock.json
	cd tests/compat && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	@touch $@

up: install system-packages
	$(BIN)/clickpath up

down:
	@if [ -x $(BIN)/clickpath ]; then $(BIN)/clickpath down; else echo "nothing to stop"; fi

status: install
	$(BIN)/clickpath status

# The tests start their own stack (own ports, own home), so a running `make up` is never touched.
test: install system-packages compat-deps
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench-warehouse: install
	$(BIN)/python -m tests.benchmarks.warehouse_bench

bench-ingest: install
	$(BIN)/python -m tests.benchmarks.ingest_bench

# Locust against the stack `make up` runs, bounded; report and chart under .clickpath/reports/ (docs/RUNBOOKS.md).
stress-capture: install
	$(BIN)/python -m tests.stress.run capture $(STRESS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
