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
# ... on the lowest Python requires-python allows, when this machine has it (CI does).
LOWEST_PYTHON_VERSION := $(shell sed -n 's/^requires-python = ">=\([0-9.]*\)"/\1/p' pyproject.toml)
ifndef LOWEST_PYTHON
LOWEST_PYTHON := $(firstword $(foreach candidate,$(shell command -v python$(LOWEST_PYTHON_VERSION)) \
  $(wildcard $(HOME)/.pyenv/versions/$(LOWEST_PYTHON_VERSION).*/bin/python$(LOWEST_PYTHON_VERSION)), \
  $(if $(shell $(candidate) --version 2>/dev/null),$(candidate))) $(PYTHON))
endif
LOWEST_VENV ?= .cache/venv-copier-$(LOWEST_COPIER)-$(notdir $(LOWEST_PYTHON))
# The azurerm provider schema the IaC schema check reads: the jsii assembly inside the cdktf
# provider wheel (generated from azurerm 4.55.0). Only the file is read, so no dependencies.
AZURERM_SCHEMA_VENV ?= .cache/azurerm-schema-venv
AZURERM_SCHEMA_VERSION := 14.23.1
AZURERM_SCHEMA_STAMP := $(AZURERM_SCHEMA_VENV)/.installed-$(AZURERM_SCHEMA_VERSION)
FAST_TIER := -m "not slow and not matrix and not venv"
# Whole modules per worker, in the order tests/scheduling.py sorts them (longest first).
XDIST = -n $(JOBS) --dist loadscope --no-loadscope-reorder

.DEFAULT_GOAL := help
.PHONY: help install azurerm-schema demo test check durations check-lowest-copier lint format copier-yml locks examples matrix bench-matrix bench-local-loop

help: ## list the tasks
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# uv is bootstrapped from PyPI into .venv with pip, then installs everything else (and builds the
# generated projects' venvs, see src/mlops_scaffold/venvs.py): a fresh machine needs only Python.
# Everything is compiled to bytecode at install (uv does not by default): under PYTHONDONTWRITEBYTECODE,
# as on CI machines, every copier and checkov process would otherwise recompile what it imports.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> installing uv, then mlops-scaffold with its test tools into $(VENV)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv>=0.5'
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'
	$(BIN)/python -m compileall -q src
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## create .venv and install mlops-scaffold with its test tools

demo: install ## render the default project into build/demo and run its local loop, with a summary
	$(BIN)/python -m mlops_scaffold.demo

$(CHECKOV): | $(STAMP)
	@echo "==> installing checkov $(CHECKOV_VERSION) into $(CHECKOV_VENV)"
	@test -x $(CHECKOV_VENV)/bin/python || $(BIN)/uv venv --quiet --python $(PYTHON) $(CHECKOV_VENV)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(CHECKOV_VENV)/bin/python checkov==$(CHECKOV_VERSION)

$(AZURERM_SCHEMA_STAMP): | $(STAMP)
	@echo "==> installing the azurerm provider schema (cdktf-cdktf-provider-azurerm $(AZURERM_SCHEMA_VERSION))"
	@test -x $(AZURERM_SCHEMA_VENV)/bin/python || $(BIN)/uv venv --quiet --python $(PYTHON) $(AZURERM_SCHEMA_VENV)
	$(BIN)/uv pip install --quiet --python $(AZURERM_SCHEMA_VENV)/bin/python --no-deps \
	  cdktf-cdktf-provider-azurerm==$(AZURERM_SCHEMA_VERSION)
	@rm -f $(AZURERM_SCHEMA_VENV)/.installed-* && touch $@

azurerm-schema: $(AZURERM_SCHEMA_STAMP) ## install the azurerm provider schema the IaC schema check reads

# The checks' external tools, for the tests.
TOOLS_ENV = CHECKOV_BIN=$(abspath $(CHECKOV)) MLOPS_SCAFFOLD_AZURERM_VENV=$(abspath $(AZURERM_SCHEMA_VENV))

test: install $(CHECKOV) $(AZURERM_SCHEMA_STAMP) ## the whole test suite (render and run tiers), in parallel
	$(TOOLS_ENV) $(BIN)/python -m pytest $(XDIST)

check: install $(CHECKOV) $(AZURERM_SCHEMA_STAMP) ## the fast tier: unit tests, pairwise renderings and their checks, no project venv
	$(TOOLS_ENV) $(BIN)/python -m pytest $(XDIST) $(FAST_TIER)

durations: install $(CHECKOV) $(AZURERM_SCHEMA_STAMP) ## run make test and record each test's seconds in tests/test_durations.json (it orders the modules)
	$(TOOLS_ENV) $(BIN)/python -m pytest $(XDIST) --record-durations=tests/test_durations.json

check-lowest-copier: ## the fast tier on the lowest supported copier and Python, in its own venv (.cache/venv-copier-*)
	@echo "==> copier $(LOWEST_COPIER) on $(LOWEST_PYTHON) ($$($(LOWEST_PYTHON) --version))"
	$(MAKE) install VENV=$(LOWEST_VENV) PYTHON=$(LOWEST_PYTHON)
	$(LOWEST_VENV)/bin/uv pip install --quiet --compile-bytecode --python $(LOWEST_VENV)/bin/python 'copier==$(LOWEST_COPIER)'
	$(MAKE) check VENV=$(LOWEST_VENV)

lint: install ## ruff lint and format check of our own code
	$(BIN)/ruff check src tests hooks
	$(BIN)/ruff format --check src tests hooks

format: install ## apply ruff formatting and safe fixes
	$(BIN)/ruff check --fix src tests hooks
	$(BIN)/ruff format src tests hooks

copier-yml: install ## regenerate copier.yml from the options model
	$(BIN)/python -m mlops_scaffold.copier_yml > copier.yml

# After changing the generated projects' dependencies (template/pyproject.toml.jinja): then `make examples`.
locks: install ## re-lock the generated projects' dependencies: jinja/locks/<set>/ (uv.lock, requirements.txt)
	$(BIN)/python -m mlops_scaffold.locks

examples: install ## re-render examples/diabetes_regression from the working tree
	$(BIN)/python -m mlops_scaffold.examples

matrix: install $(CHECKOV) $(AZURERM_SCHEMA_STAMP) ## render, check and run every valid combination (MATRIX_ARGS="--shard 1/4": one part)
	$(TOOLS_ENV) $(BIN)/mlops-scaffold matrix --run $(MATRIX_ARGS)

bench-matrix: install $(CHECKOV) $(AZURERM_SCHEMA_STAMP) ## time the render and run tiers over every combination (cold caches)
	rm -rf build/bench-cache build/bench-run-cache
	$(TOOLS_ENV) $(BIN)/mlops-scaffold matrix --run --cache-dir build/bench-cache \
	  --run-cache-dir build/bench-run-cache --report build/bench-matrix.json

bench-local-loop: install ## seconds from copier copy to a passing smoke test (median of 3)
	$(BIN)/python scripts/bench_local_loop.py
