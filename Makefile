# OpenCMO: `make demo` and `make test` do all set-up on a fresh machine (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12+: the first of these that runs and is new enough (a pyenv shim may exist yet not run);
# otherwise the install step stops and says so. Override with `make PYTHON=/path/to/python3.12 ...`.
PY_CANDIDATES := python3.12 python3.13 python3.14 /root/.pyenv/versions/3.12.1/bin/python3 python3
PYTHON ?= $(shell for p in $(PY_CANDIDATES); do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { command -v "$$p"; break; }; \
	done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export OPENCMO_DATA_DIR ?= $(CURDIR)/var
PG_URL ?= postgres://postgres@127.0.0.1:5432/opencmo

.PHONY: help install demo serve test test-sqlite test-postgres test-browser lint check-deploy clean

help:
	@echo "make demo   install, migrate, load the demo company and serve http://127.0.0.1:8000"
	@echo "make test   install and run the whole test suite (SQLite, PostgreSQL, browser, lint)"

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ] || ! "$(PYTHON)" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		echo "OpenCMO needs Python 3.12 or newer: put python3.12 on PATH or run 'make PYTHON=/path/to/python3.12 ...'." >&2; \
		exit 1; fi
	"$(PYTHON)" -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	OPENCMO_DEBUG=1 $(BIN)/opencmo migrate --no-input
	OPENCMO_DEBUG=1 $(BIN)/opencmo demo
	@echo ""
	@echo "Serving OpenCMO at http://127.0.0.1:8000 (Ctrl-C to stop); log in with a demo login above."
	OPENCMO_DEBUG=1 $(BIN)/opencmo runserver 127.0.0.1:8000

serve: install
	OPENCMO_DEBUG=1 $(BIN)/opencmo runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff check opencmo tests benchmarks
	$(BIN)/ruff format --check opencmo tests benchmarks

test: install
	bash scripts/ensure-chromium
	bash scripts/ensure-postgres
	$(MAKE) lint
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite: install
	$(BIN)/pytest -p no:cacheprovider -n 2

# Unit and view tests again on the real PostgreSQL server (pytest-django makes a throwaway test database).
test-postgres: install
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -p no:cacheprovider -n 2 -m "not browser"

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
