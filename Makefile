PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
# openapi-typescript and tsc for the TypeScript client check (tests/integration/test_generated_clients.py)
NODE_STAMP := clients/typescript/node_modules/.installed

.PHONY: help dev test lint bench client compose-check clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

dev: $(STAMP) ## run the service on embedded PostgreSQL and NATS
	$(BIN)/leadstore dev

$(NODE_STAMP): clients/typescript/package-lock.json
	cd clients/typescript && npm ci
	touch $(NODE_STAMP)

test: $(STAMP) $(NODE_STAMP) ## run the whole test suite (embedded servers unless LEADSTORE_TEST_* are set)
	$(BIN)/pytest -q

lint: $(BENCH_STAMP) ## ruff and mypy --strict (bench/ too, so with the bench extras)
	$(BIN)/ruff check src projections tests bench clients/generate.py
	$(BIN)/ruff format --check src projections tests bench clients/generate.py
	$(BIN)/mypy
	$(BIN)/mypy --strict clients/generate.py

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) ## run the benchmarks of bench/ (figures for the README)
	$(BIN)/python -m bench.run

client: $(STAMP) ## regenerate clients/openapi.json and the Python client clients/python (after changing any route)
	$(BIN)/python clients/generate.py

compose-check: ## validate compose.yaml with a docker compose client, when one is installed
	@if docker compose version >/dev/null 2>&1; then docker compose -f compose.yaml config -q && echo "compose.yaml is valid";\
	elif command -v docker-compose >/dev/null; then docker-compose -f compose.yaml config -q && echo "compose.yaml is valid";\
	else echo "no docker compose client here: structure checked by the test suite only"; fi

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) .leadstore clients/typescript/node_modules
