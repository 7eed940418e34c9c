# perfrules — every target installs what it needs into .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench migration clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c "import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] < (3, 13) else 1)" || { echo "perfrules needs Python 3.11 or 3.12 (set PYTHON=…)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	@touch $(STAMP)

## demo: build the demo company in SQLite (demo.db) and run the main job on it
demo: $(STAMP)
	$(BIN)/perfrules demo

## test: the whole test suite (PostgreSQL too when PERFRULES_TEST_DATABASE_URL is set)
test: $(STAMP)
	$(BIN)/ruff check engine storage tests bench
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check engine storage tests bench
	$(BIN)/ruff format --check engine storage tests bench

## bench: every benchmark of bench/ (prints its figures)
bench: $(STAMP)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

## migration: regenerate the initial migration from the models (pre-release only)
migration: $(STAMP)
	$(BIN)/python -m storage.migrations.regenerate

clean:
	rm -rf $(VENV) demo.db demo.db-* outbox .pytest_cache
