# Two commands for a fresh machine: `make run` (install and serve) and `make test`
# (install and run the whole suite: lint, types, tests). Both create .venv themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
MMODA_ARGS ?=

.PHONY: run test lint typecheck pytest bench bench-register bench-executor bench-resolve java clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.run

# The OWL reasoner (HermiT, run by owlready2) needs a Java runtime.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing a Java runtime for the OWL reasoner"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless; }

run: $(VENV)/.run java
	$(BIN)/mmoda serve $(MMODA_ARGS)

lint: $(VENV)/.test
	$(BIN)/ruff check .

# The repository root is the `mmoda` package; mypy sees it through a link named after it.
typecheck: $(VENV)/.test
	@mkdir -p .typecheck && ln -sfn .. .typecheck/mmoda
	MYPYPATH=.typecheck $(BIN)/mypy -p mmoda.api -p mmoda.kg -p mmoda.ontology -p mmoda.shapes \
	  -p mmoda.resolvers -p mmoda.executors -p mmoda.workflows -p mmoda.runs \
	  -p mmoda.dispatcher -m mmoda.client

pytest: $(VENV)/.test java
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(VENV)/.test java
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python benchmarks/sparql_endpoint.py

bench-register: $(VENV)/.test java
	$(BIN)/python benchmarks/register.py

bench-executor: $(VENV)/.test
	$(BIN)/python benchmarks/executor_local.py

bench-resolve: $(VENV)/.test java
	$(BIN)/python benchmarks/resolve.py

clean:
	rm -rf $(VENV) .typecheck .pytest_cache .mypy_cache .ruff_cache build *.egg-info
