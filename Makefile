# The README's two commands: `make demo` and `make test`. Each creates .venv, installs what it
# needs into it (the demo: the runtime; the tests: also pytest, gensim, pandas and pyspark), runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export OPENBLAS_NUM_THREADS := 1

.PHONY: demo test bench clean

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

bench: $(VENV)/.test
	$(BIN)/python pipelines/bench_engine.py

clean:
	rm -rf $(VENV) build *.egg-info
