# qcode: two commands for a fresh machine. `make demo` builds the demo project and opens the dashboard;
# `make test` runs the linters, the type checker and the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: demo demo-build test lint typecheck pytest bench clean

$(BIN)/qcode: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/qcode

demo: demo-build
	$(BIN)/qcode app --project demo/project --port $(PORT)

demo-build: $(BIN)/qcode
	$(BIN)/python -m coding.demo demo

test: lint typecheck pytest

lint: $(BIN)/qcode
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/qcode
	$(BIN)/mypy

pytest: $(BIN)/qcode
	$(BIN)/pytest -q -rs

bench: $(BIN)/qcode
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/app_speed.py

clean:
	rm -rf demo .pytest_cache .mypy_cache .ruff_cache
