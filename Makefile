# Two commands are the contract: `make run` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export TIERDESK_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint format test-sqlite test-postgres bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tierdesk migrate
	$(BIN)/tierdesk demo setup
	$(BIN)/tierdesk serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Tests run on SQLite always and again on PostgreSQL when TIERDESK_TEST_POSTGRES is set
# (a libpq URL; the tests create and drop their own database through it).
test: lint test-sqlite test-postgres

test-sqlite: $(STAMP)
	TIERDESK_DATA_DIR=$(CURDIR)/var/test DATABASE_URL= $(BIN)/pytest -m "not postgres" -p no:cacheprovider

test-postgres: $(STAMP)
	@if [ -n "$$TIERDESK_TEST_POSTGRES" ]; then \
	  TIERDESK_DATA_DIR=$(CURDIR)/var/test DATABASE_URL="$$TIERDESK_TEST_POSTGRES" \
	    $(BIN)/pytest -p no:cacheprovider; \
	elif [ "$$TIERDESK_REQUIRE_ALL" = "1" ]; then \
	  echo "TIERDESK_REQUIRE_ALL=1 but TIERDESK_TEST_POSTGRES is not set"; exit 1; \
	else \
	  echo "TIERDESK_TEST_POSTGRES not set: PostgreSQL run skipped"; \
	fi

bench: $(STAMP)
	$(BIN)/tierdesk bench run $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
