# `make serve` and `make test` do all the set-up on a fresh clone (see README).
# Set-up steps leave stamp files, so running them again is quick until their inputs change.

PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
DASH := dashboard_extension
NODE_STAMP := $(DASH)/node_modules/.installed
DASH_INDEX := saleor_bexio_app/static/dashboard/index.html
DASH_SOURCES := $(shell find $(DASH)/src -type f 2>/dev/null) $(DASH)/index.html \
	$(DASH)/vite.config.ts $(DASH)/tsconfig.json
NPM := npm --prefix $(DASH) --no-audit --no-fund
# Vite lists every font file it emits; warnings and errors are enough in a test log.
BUILD := $(NPM) run build -- --logLevel warn
SERVE_ARGS ?=

.PHONY: install dashboard serve sandbox test lint clean

install: $(VENV_STAMP) $(NODE_STAMP)

$(VENV_PY):
	$(PYTHON) -m venv $(VENV)

$(VENV_STAMP): pyproject.toml | $(VENV_PY)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

$(NODE_STAMP): $(DASH)/package.json $(DASH)/package-lock.json
	cd $(DASH) && npm ci --no-audit --no-fund
	touch $@

# Always rebuilds (about a second): what `make test` runs.
dashboard: $(NODE_STAMP)
	$(BUILD)
	@echo "dashboard built into $(dir $(DASH_INDEX))"

# Builds only when the build is missing or older than its sources: what `make serve` runs.
$(DASH_INDEX): $(NODE_STAMP) $(DASH)/package-lock.json $(DASH_SOURCES)
	$(BUILD)

serve: install $(DASH_INDEX)
	$(VENV)/bin/saleor-bexio serve $(SERVE_ARGS)

# The app against a Saleor double and a bexio emulator, embedded as the Saleor dashboard does.
sandbox: install $(DASH_INDEX)
	$(VENV)/bin/saleor-bexio sandbox $(SERVE_ARGS)

# The suite starts its own private PostgreSQL cluster unless TEST_POSTGRES_URL is set.
test: install dashboard
	$(NPM) run -s test
	$(VENV_PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(NPM) run typecheck

clean:
	rm -rf saleor_bexio_app/static/dashboard $(DASH)/node_modules

# Benchmarks (docs/benchmarks.md). Options through BENCH_ARGS, e.g. BENCH_ARGS="--orders 2000".
BENCH_ARGS ?=
.PHONY: bench-ingest bench-bexio-calls bench-backfill bench-footprint
bench-ingest bench-bexio-calls bench-backfill bench-footprint: $(VENV_STAMP)
	$(VENV_PY) -m bench.$(subst -,_,$(patsubst bench-%,%,$@)) $(BENCH_ARGS)

# The larger reliability runs of docs/reliability.md (the suite runs smaller ones).
.PHONY: chaos fuzz-thorough
chaos: $(VENV_STAMP)
	$(VENV_PY) -m tests.reliability.chaos --orders 300 $(CHAOS_ARGS)

fuzz-thorough: $(VENV_STAMP)
	HYPOTHESIS_PROFILE=thorough $(VENV_PY) -m pytest -q tests/fuzz
