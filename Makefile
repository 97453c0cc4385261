# Two commands for a fresh machine: `make run` (install and serve) and `make test`
# (install and run the whole suite: lint, types, tests). Both create .venv themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
MMODA_ARGS ?=

.PHONY: run test lint typecheck pytest rigs rigs-down bench bench-register bench-executor bench-resolve bench-oda-api java clean

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

test: lint typecheck rigs pytest

# The real clusters the executor tests run against (deploy/rigs: single-node Slurm with
# slurmrestd, a Kubernetes 1.20 apiserver with a process-backed kubelet). They need root on
# Debian; elsewhere the tests that need them skip (outside CI) and this says why.
rigs: $(VENV)/.test
	@if [ "$$(id -u)" = 0 ] && [ -r /etc/debian_version ]; then \
	  bash deploy/rigs/slurm-up.sh && \
	  K8S_PYTHON=$(abspath $(BIN))/python bash deploy/rigs/k8s-up.sh; \
	else echo "rigs: not root on Debian; the Slurm and Kubernetes tests will skip"; fi

rigs-down:
	-bash deploy/rigs/slurm-down.sh
	-bash deploy/rigs/k8s-down.sh

bench: $(VENV)/.test java
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python benchmarks/sparql_endpoint.py

bench-register: $(VENV)/.test java
	$(BIN)/python benchmarks/register.py

bench-executor: $(VENV)/.test
	$(BIN)/python benchmarks/executor_local.py

bench-resolve: $(VENV)/.test java
	$(BIN)/python benchmarks/resolve.py

bench-oda-api: $(VENV)/.test java
	$(BIN)/python benchmarks/oda_api.py

clean:
	rm -rf $(VENV) .typecheck .pytest_cache .mypy_cache .ruff_cache build *.egg-info
