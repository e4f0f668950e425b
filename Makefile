# The README's two commands: `make demo` and `make test`. Each creates .venv, installs what it
# needs into it (the demo: the runtime; the tests: also pytest, gensim, pandas, pyspark and ruff), runs.
# `make lint` (ruff check + format check) and `make fast` (the tests not marked slow) share the test venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export OPENBLAS_NUM_THREADS := 1

.PHONY: demo test fast lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,spark]'
	touch $@

demo: $(VENV)/.runtime
	$(BIN)/item2vec demo

test: $(VENV)/.test
	$(BIN)/python -m pytest -q

fast: $(VENV)/.test
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.test
	$(BIN)/python pipelines/bench_engine.py

clean:
	rm -rf $(VENV) build *.egg-info
