# Clickpath: `make up` brings the whole stack up, `make test` runs every test against real services.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-packages compat-deps web-sdk test-web-sdk dashboard test-dashboard example-site up down status test lint bench-warehouse bench-ingest bench-sdk bench-models bench-queries bench-scale-out stress-capture stress-query clean

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

# The React dashboard (dashboard/): npm ci from its lockfile when it changes, `vite build` into dashboard/dist
# (what `up` serves on port 3000) when a source changes.
DASHBOARD := dashboard
DASHBOARD_DEPS := $(DASHBOARD)/node_modules/.installed
DASHBOARD_BUILT := $(DASHBOARD)/dist/.built
DASHBOARD_SOURCES := $(shell find $(DASHBOARD)/src -type f 2>/dev/null) $(DASHBOARD)/index.html \
	$(DASHBOARD)/vite.config.ts $(DASHBOARD)/tsconfig.json

$(DASHBOARD_DEPS): $(DASHBOARD)/package.json $(DASHBOARD)/package-lock.json
	cd $(DASHBOARD) && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(DASHBOARD_BUILT): $(DASHBOARD_DEPS) $(DASHBOARD_SOURCES)
	cd $(DASHBOARD) && npm run --silent build -- --logLevel warn
	@touch $@

dashboard: $(DASHBOARD_BUILT)

# Its OpenAPI types match schemas/openapi/api.json, it type-checks, and its vitest unit tests pass.
test-dashboard: dashboard
	cd $(DASHBOARD) && npm run --silent generate:check && npm run --silent typecheck && npm test --silent

# The example shop (examples/shop) loads the web SDK's script-tag bundle from its own js/: copied there from
# sdks/web/dist (git-ignored), again whenever the SDK is rebuilt.
EXAMPLE_SDK := examples/shop/js/clickpath.iife.js

$(EXAMPLE_SDK): $(WEB_SDK_BUILT)
	cp $(WEB_SDK)/dist/clickpath.iife.js $@

example-site: $(EXAMPLE_SDK)

up: install system-packages dashboard example-site
	$(BIN)/clickpath up

down:
	@if [ -x $(BIN)/clickpath ]; then $(BIN)/clickpath down; else echo "nothing to stop"; fi

status: install
	$(BIN)/clickpath status

# The tests start their own stack (own ports, own home), so a running `make up` is never touched.
test: install system-packages compat-deps test-web-sdk test-dashboard example-site
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The benchmarks that start a stack of their own need what it serves built (the dashboard).
bench-warehouse: install
	$(BIN)/python -m tests.benchmarks.warehouse_bench

bench-ingest: install system-packages dashboard
	$(BIN)/python -m tests.benchmarks.ingest_bench

bench-sdk: install web-sdk compat-deps dashboard
	$(BIN)/python -m tests.benchmarks.sdk_bench

bench-models: install dashboard
	$(BIN)/python -m tests.benchmarks.models_bench

bench-queries: install dashboard
	$(BIN)/python -m tests.benchmarks.query_bench

bench-scale-out: install dashboard
	$(BIN)/python -m tests.benchmarks.scale_out_bench

# Locust against the stack `make up` runs, bounded; report and chart under .clickpath/reports/ (docs/RUNBOOKS.md).
stress-capture: install
	$(BIN)/python -m tests.stress.run capture $(STRESS)

stress-query: install
	$(BIN)/python -m tests.stress.run query $(STRESS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
