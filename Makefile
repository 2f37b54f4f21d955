# qcode: two commands for a fresh machine. `make demo` builds the demo project and opens the dashboard;
# `make test` runs the linters, the type checker and the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: demo demo-build test lint typecheck pytest bench dist clean

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
	$(BIN)/python bench/pipeline.py --as-a-user
	$(BIN)/python bench/app_speed.py

# The sdist and the wheel (the wheel built from the sdist), into dist/.
dist: $(BIN)/qcode
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf demo dist build .pytest_cache .mypy_cache .ruff_cache
