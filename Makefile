# tiern: the two quick-start commands are `make app` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: app test test-all test-fast test-neo4j install sysdeps graphdb clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install tiern with its test dependencies

app: install  ## launch the Streamlit app on the bundled dataset
	$(BIN)/python -m app_support.serve --server.headless true --server.port $(PORT) \
	    --browser.gatherUsageStats false

sysdeps:  ## system packages for browser tests and reports (Chromium, poppler, pango, fonts)
	scripts/install-sysdeps

graphdb:  ## build the local Bolt graph server used by the integration tests (cached)
	@if [ -x scripts/graphdb ]; then scripts/graphdb build; fi

JOBS ?= 2

test: install sysdeps graphdb  ## the whole suite (unit, integration, browser) but the slow tier, on JOBS workers
	$(BIN)/pytest -n $(JOBS) --dist loadfile -m "not slow"

test-all: install sysdeps graphdb  ## everything, the slow property tiers included
	$(BIN)/pytest -n $(JOBS) --dist loadfile

test-fast: install  ## the suite without slow, browser and integration tiers
	$(BIN)/pytest -m "not slow and not browser and not integration"

test-neo4j: install  ## the integration tests against a real Neo4j: NEO4J_URI=... make test-neo4j
	@test -n "$$NEO4J_URI" || { echo "set NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD) to a scratch Neo4j 5 database" >&2; exit 2; }
	TIERN_TEST_NEO4J=1 $(BIN)/pytest tests/integration

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
