# perfrules — every target installs what it needs into .venv first.
# PYTHON picks the interpreter (3.11, 3.12 or 3.13); VENV the folder, so one checkout can hold several.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# durable-rules 2.0.28 (source only) calls PyEval_CallObject, which Python 3.13 removed from the C API; its
# build ignores CFLAGS but honours CC, so the macro maps the call to its successor (a no-op before 3.13).
DURABLE_CC := $(or $(CC),gcc) -DPyEval_CallObject=PyObject_CallObject
LINTED := engine storage tests bench tools

.PHONY: demo test lint architecture bench bench-large migration clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c "import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else 1)" || { echo "perfrules needs Python 3.11, 3.12 or 3.13 (set PYTHON=…)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	CC="$(DURABLE_CC)" $(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -c "import durable.engine" || { echo "durable-rules installed but does not import (see README, Requirements)"; exit 1; }
	@touch $(STAMP)

## demo: build the demo company in SQLite (demo.db) and run the main job on it
demo: $(STAMP)
	$(BIN)/perfrules demo

## test: lint (ruff, formatting, layer contracts) and the whole test suite (PostgreSQL too when PERFRULES_TEST_DATABASE_URL is set),
## one pytest worker per core (TEST_WORKERS=0 runs it in one process)
TEST_WORKERS ?= auto
test: lint
	$(BIN)/pytest -n $(TEST_WORKERS)

## lint: ruff check, ruff format --check and the import-layer contracts of docs/architecture.md
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/lint-imports
	$(BIN)/python tools/architecture.py --check

## architecture: rewrite docs/architecture.md's layers and owners from pyproject.toml's import contracts
architecture: $(STAMP)
	$(BIN)/python tools/architecture.py --write

## bench: every benchmark of bench/ (prints its figures)
bench: $(STAMP)
	for b in bench/*.py; do [ $$b = bench/large.py ] || $(BIN)/python $$b || exit 1; done

## bench-large: the large company (1M SKUs, 24 months, ~50M movements) on SQLite and PostgreSQL (about 2 hours;
## LARGE_DIR holds its 8 GB of files and the SQLite database: 60 GB free there during its first load; PostgreSQL,
## from PERFRULES_BENCH_DATABASE_URL, needs about 40 GB with its write-ahead log; docs/operations.md, The large company)
LARGE_DIR ?= /tmp/perfrules-bench-large
bench-large: $(STAMP)
	$(BIN)/python bench/large.py --size large --workdir $(LARGE_DIR)

## migration: write the next numbered migration from the models (NAME='what changed'; review it)
migration: $(STAMP)
	$(BIN)/python -m perfrules.storage.migrations.regenerate "$(NAME)"

clean:
	rm -rf $(VENV) .venv-* demo.db demo.db-* outbox .pytest_cache
