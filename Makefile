# mlops-scaffold: every task has a target here; `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
JOBS ?= auto
# checkov pins many packages of its own, so it lives in its own venv.
CHECKOV_VENV ?= .cache/checkov-venv
CHECKOV := $(CHECKOV_VENV)/bin/checkov
CHECKOV_VERSION := 3.3.30
# The lowest copier pyproject.toml allows: `make check-lowest-copier` tests it (CI runs it).
LOWEST_COPIER := $(shell sed -n 's/^ *"copier>=\([0-9.]*\),.*/\1/p' pyproject.toml)
LOWEST_VENV ?= .cache/venv-copier-$(LOWEST_COPIER)
FAST_TIER := -m "not slow and not matrix and not venv"

.DEFAULT_GOAL := help
.PHONY: help install demo test check check-lowest-copier lint format copier-yml examples matrix bench-matrix bench-local-loop

help: ## list the tasks
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## create .venv and install mlops-scaffold with its test tools

demo: install ## render the default project into build/demo and run its local loop, with a summary
	$(BIN)/python -m mlops_scaffold.demo

$(CHECKOV):
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)

test: install $(CHECKOV) ## the whole test suite (render and run tiers), in parallel
	CHECKOV_BIN=$(abspath $(CHECKOV)) $(BIN)/python -m pytest -n $(JOBS) --dist loadscope

check: install $(CHECKOV) ## the fast tier: unit tests, pairwise renderings and their checks, no project venv (< 3 min)
	CHECKOV_BIN=$(abspath $(CHECKOV)) $(BIN)/python -m pytest -n $(JOBS) --dist loadscope $(FAST_TIER)

check-lowest-copier: ## the fast tier on the lowest supported copier, in its own venv (.cache/venv-copier-*)
	$(MAKE) install VENV=$(LOWEST_VENV)
	$(LOWEST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check 'copier==$(LOWEST_COPIER)'
	$(MAKE) check VENV=$(LOWEST_VENV)

lint: install ## ruff lint and format check of our own code
	$(BIN)/ruff check src tests hooks
	$(BIN)/ruff format --check src tests hooks

format: install ## apply ruff formatting and safe fixes
	$(BIN)/ruff check --fix src tests hooks
	$(BIN)/ruff format src tests hooks

copier-yml: install ## regenerate copier.yml from the options model
	$(BIN)/python -m mlops_scaffold.copier_yml > copier.yml

examples: install ## re-render examples/diabetes_regression from the working tree
	$(BIN)/python -m mlops_scaffold.examples

matrix: install ## render, check and run every valid combination (MATRIX_ARGS="--shard 1/4": one part)
	$(BIN)/mlops-scaffold matrix --run $(MATRIX_ARGS)

bench-matrix: install $(CHECKOV) ## time the render and run tiers over every combination (cold caches)
	rm -rf build/bench-cache build/bench-run-cache
	CHECKOV_BIN=$(abspath $(CHECKOV)) $(BIN)/mlops-scaffold matrix --run --cache-dir build/bench-cache \
	  --run-cache-dir build/bench-run-cache --report build/bench-matrix.json

bench-local-loop: install ## seconds from copier copy to a passing smoke test (median of 3)
	$(BIN)/python scripts/bench_local_loop.py
