# Two entry points for a newcomer: `make demo` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system-deps demo lint test bench clean

$(BIN)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,zensical]'
	touch $@

setup: $(BIN)/.installed

# Debian's Chromium drives the browser tests; wrk loads the service in benchmarks; the PostgreSQL
# backend's tests and benchmark start a throwaway cluster with Debian's postgresql binaries.
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v wrk >/dev/null || \
			! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium wrk postgresql >/dev/null; \
	fi

demo: setup
	$(BIN)/greenlight demo

# Lint, format and type checks: quick, so they run first and stop `make test` before the long suite.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint system-deps
	$(BIN)/pytest -n 2

bench: setup system-deps
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) site instance .pytest_cache .mypy_cache .ruff_cache
