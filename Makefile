# Gains: the two commands of the README are `make run` and `make test`.
# Everything else here is what they are built from.

SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
VENV := .venv
UV_HOME := .tools/uv
UV := $(UV_HOME)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
# Compile bytecode at install time: every `gains` process (tests start many) then imports
# pandas and statsmodels from .pyc instead of compiling them again.
export UV_COMPILE_BYTECODE := 1
# Install exactly what uv.lock says (never re-resolve); --inexact so that `make run` after
# `make test` does not uninstall the test tools.
UV_SYNC := $(UV) sync --frozen --inexact

STATIC := gains/static
GOVUK := node_modules/govuk-frontend/dist/govuk
HOST ?= 127.0.0.1
PORT ?= 5000
CHROMIUM ?= /usr/lib/chromium/chromium

.PHONY: help run test fuzz install install-test assets browser screenshots db seed serve lint format check-migrations clean bench bench-quick calibrate

help:
	@echo "make run    install everything, migrate, seed demo data if empty, serve on http://$(HOST):$(PORT)"
	@echo "make test   install test dependencies and chromium, start a throw-away PostgreSQL, run every test on SQLite and PostgreSQL, ruff"
	@echo "make screenshots  save every page per role at 1280 and 375 px, and the browser journeys' last screens, in docs/screenshots/"
	@echo "make lint   ruff check and format check"
	@echo "make format ruff format and fix"
	@echo "make clean  remove the environment, node_modules, copied assets and the local database"
	@echo "make fuzz   the fuzz suite with many random examples (FUZZ_EXAMPLES=100; see docs/decisions/0006-fuzz-suite.md)"
	@echo "make bench  the benchmarks at full size (see docs/BENCHMARKS.md); make bench-quick: small sizes"
	@echo "make calibrate  the calibration suite, full run (2,000 replications; about 20-30 min on 2 idle cores; docs/STATISTICS.md \"Calibration\")"

# uv itself, installed once into its own small venv so nothing global is touched.
$(UV):
	@command -v python3 >/dev/null || { echo "Python 3.11 or newer is required (python3 not found)"; exit 1; }
	python3 -m venv $(UV_HOME)
	$(UV_HOME)/bin/pip install --quiet "uv==$(UV_VERSION)"

install: $(UV) assets
	$(UV_SYNC)

install-test: $(UV) assets
	$(UV_SYNC) --extra test

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required for the front-end packages (Debian: apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# GOV.UK Frontend's CSS asks for /assets/fonts and /assets/images: copy them beside it.
assets: node_modules/.package-lock.json
	mkdir -p $(STATIC)
	cp -R $(GOVUK)/assets/. $(STATIC)/
	cp $(GOVUK)/govuk-frontend.min.css $(GOVUK)/govuk-frontend.min.js $(STATIC)/
	cp node_modules/htmx.org/dist/htmx.min.js $(STATIC)/

# The browser tests drive Debian's chromium (Playwright's own browser download does not work
# on these machines). Installed here when missing and run as root; otherwise say which package.
# Outside CI the browser tests then skip with that reason; with CI=true they fail.
browser:
	@if [ -x "$(CHROMIUM)" ] || command -v chromium >/dev/null; then \
		: ; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests (apt-get install -y chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "The browser tests need Debian's chromium package: apt-get install chromium (as root)"; \
		[ "$${CI:-}" != "true" ]; \
	fi

screenshots: install-test browser
	$(VENV)/bin/pytest tests/browser --backends sqlite --screenshots -q

# A local secret for development, generated once and kept out of git (instance/ is ignored).
instance/secret_key:
	@mkdir -p instance
	@python3 -c "import secrets; print(secrets.token_hex(32))" > $@
	@echo "Generated a development secret key in $@ (set GAINS_SECRET_KEY in production)."

run: install instance/secret_key
	GAINS_SECRET_KEY=$${GAINS_SECRET_KEY:-$$(cat instance/secret_key)} $(VENV)/bin/gains db upgrade
	GAINS_SECRET_KEY=$${GAINS_SECRET_KEY:-$$(cat instance/secret_key)} $(VENV)/bin/gains seed-demo --if-empty
	GAINS_SECRET_KEY=$${GAINS_SECRET_KEY:-$$(cat instance/secret_key)} $(VENV)/bin/gains run --host $(HOST) --port $(PORT)

test: install-test browser
	$(VENV)/bin/python scripts/run_tests.py

# The fuzz suite bigger than CI runs it: random (not derandomised) examples, many of them,
# without the per-test timeout. Failing examples are printed; FUZZ_SHRINK=1 shrinks them.
FUZZ_EXAMPLES ?= 100
fuzz: install-test
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_RANDOM=1 $(VENV)/bin/pytest \
		tests/fuzz tests/api/test_schemathesis.py --timeout 0 -q

# Each benchmark starts its own throw-away databases and prints one JSON line last.
bench: install-test
	$(VENV)/bin/python -m bench.recompute --growth
	$(VENV)/bin/python -m bench.recompute --m-growth
	$(VENV)/bin/python -m bench.dashboards
	$(VENV)/bin/python -m bench.import_csv
	$(VENV)/bin/python -m bench.money_ranges

bench-quick: install-test
	$(VENV)/bin/python -m bench.recompute --quick
	$(VENV)/bin/python -m bench.dashboards --quick
	$(VENV)/bin/python -m bench.import_csv --quick
	$(VENV)/bin/python -m bench.money_ranges --quick

# Coverage, false positives and power of every interval the app shows, by simulation (issue 19).
# The tables are printed and written as markdown to $(CALIBRATION_MD); the JSON line is last.
CALIBRATION_MD ?= bench/results/calibration.md
CALIBRATION_JOBS ?= 2
calibrate: install
	mkdir -p $(dir $(CALIBRATION_MD))
	$(VENV)/bin/python -m bench.calibrate --jobs $(CALIBRATION_JOBS) --markdown $(CALIBRATION_MD)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .tools node_modules $(STATIC)/fonts $(STATIC)/images $(STATIC)/manifest.json \
		$(STATIC)/*.css $(STATIC)/*.js instance .pytest_cache .ruff_cache
