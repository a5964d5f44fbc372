# Two commands do all the set-up on a fresh machine:
#   make demo   installs adaptgen and runs the main job end to end on the sandbox CRM
#   make test   installs adaptgen, its dev tools and the Node tools, then runs the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-dev bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	npm ci --no-audit --no-fund --loglevel=error

demo: install
	$(BIN)/python scripts/demo.py

test: install-dev
	$(BIN)/python -m pytest

bench: install-dev
	bench/run

lint: install-dev
	$(BIN)/ruff check adaptgen tests bench scripts
	$(BIN)/ruff format --check adaptgen tests bench scripts

clean:
	rm -rf $(VENV) node_modules .pytest_cache
