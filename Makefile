# Clickpath: `make up` brings the whole stack up, `make test` runs every test against real services.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-packages compat-deps web-sdk test-web-sdk up down status test lint bench-warehouse bench-ingest bench-sdk bench-models stress-capture clean

install: $(STAMP)

# Idempotent: the virtualenv is rebuilt only when pyproject.toml (or the Python SDK's) changes.
$(STAMP): pyproject.toml sdks/python/pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -e sdks/python
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

# The web SDK (sdks/web): its npm devDependencies from the lockfile (playwright-core drives Debian's chromium,
# no browser download), then the ESM and script-tag bundles, rebuilt when a source changes.
WEB_SDK := sdks/web
WEB_SDK_DEPS := $(WEB_SDK)/node_modules/.installed
WEB_SDK_BUILT := $(WEB_SDK)/dist/.built

$(WEB_SDK_DEPS): $(WEB_SDK)/package.json $(WEB_SDK)/package-lock.json
	cd $(WEB_SDK) && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB_SDK_BUILT): $(WEB_SDK_DEPS) $(wildcard $(WEB_SDK)/src/*.ts) $(WEB_SDK)/scripts/build.mjs $(WEB_SDK)/tsconfig.json
	cd $(WEB_SDK) && npm run --silent build
	@touch $@

web-sdk: $(WEB_SDK_BUILT)

# Type check, vitest unit tests, and the size limit of the script-tag bundle (fails over 3 KB gzipped).
test-web-sdk: web-sdk
	cd $(WEB_SDK) && npm run --silent typecheck && npm test --silent && npm run --silent size

up: install system-packages
	$(BIN)/clickpath up

down:
	@if [ -x $(BIN)/clickpath ]; then $(BIN)/clickpath down; else echo "nothing to stop"; fi

status: install
	$(BIN)/clickpath status

# The tests start their own stack (own ports, own home), so a running `make up` is never touched.
test: install system-packages compat-deps test-web-sdk
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench-warehouse: install
	$(BIN)/python -m tests.benchmarks.warehouse_bench

bench-ingest: install
	$(BIN)/python -m tests.benchmarks.ingest_bench

bench-sdk: install web-sdk compat-deps
	$(BIN)/python -m tests.benchmarks.sdk_bench

bench-models: install
	$(BIN)/python -m tests.benchmarks.models_bench

# Locust against the stack `make up` runs, bounded; report and chart under .clickpath/reports/ (docs/RUNBOOKS.md).
stress-capture: install
	$(BIN)/python -m tests.stress.run capture $(STRESS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
