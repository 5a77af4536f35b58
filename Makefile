# planwatch: the same commands locally and in CI.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup kafka run test test-fast lint bench servers clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) ## create .venv with the planwatch command
	@echo "ready: $(BIN)/planwatch"

kafka: setup ## fetch Apache Kafka's jars (deploy/kafka/pom.xml) once, with Maven
	@$(BIN)/python -m planwatch.stack.broker

run: setup kafka ## run the whole pipeline on the embedded default (DEMO=1 loads demo data)
	$(BIN)/planwatch run $(if $(DEMO),--demo,)

servers: ## install the Debian servers the integration tests use (root only; skipped otherwise)
	@bash scripts/install-test-servers.sh

test: setup servers kafka ## set up and run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

test-fast: setup ## unit tests only
	$(BIN)/pytest tests/unit -q

lint: setup ## ruff, mypy and the import contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup kafka ## benchmarks against the embedded default; writes bench/results.json
	$(BIN)/python -m bench

clean: ## remove the virtual environment and local state
	rm -rf $(VENV) .planwatch .pytest_cache
