# Clickpath: `make up` brings the whole stack up, `make test` runs every test against real services.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-packages up down status test lint bench-warehouse clean

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

up: install system-packages
	$(BIN)/clickpath up

down:
	@if [ -x $(BIN)/clickpath ]; then $(BIN)/clickpath down; else echo "nothing to stop"; fi

status: install
	$(BIN)/clickpath status

# The tests start their own stack (own ports, own home), so a running `make up` is never touched.
test: install system-packages
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench-warehouse: install
	$(BIN)/python -m tests.benchmarks.warehouse_bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
