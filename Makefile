# Everything a developer or CI needs: `make demo` runs the main job offline, `make test` runs
# every check. Both install what they need (virtualenv, pinned Python and npm tools) by themselves.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
SPEC := openapi/nano-banana-pro.yaml
GENERATOR_DIR := openapi/generator
GENERATED_PKG := generated/nano_banana_pro_api
FACADE := facade/nano_banana_pro
#: What `make generate` writes besides generated/: the spec's facts and the blocking half.
FACADE_GENERATED := $(FACADE)/_spec.py $(FACADE)/_sync
export REDOCLY_TELEMETRY := off
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true
# Playwright drives the system's Chromium: it never downloads a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
#: The gallery's browser test uses this Chromium (Debian's package), skipped when it is missing.
CHROMIUM := /usr/bin/chromium

.PHONY: help install generate check-generated lint-spec lint typecheck docs test demo

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed chromium ## Create .venv with the project (editable) and the pinned tools

.PHONY: chromium
chromium: ## Install Chromium for the browser test (apt-get, as root), if missing and allowed
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
		echo "Chromium not installed (it needs root and apt-get): the browser test will be skipped"; \
	elif ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }; then \
		echo "apt-get could not install Chromium: the browser test will be skipped"; \
	fi

generate: $(VENV)/.installed ## Regenerate generated/, the spec's facts and the blocking half of the facade
	PATH="$(BIN):$$PATH" $(BIN)/openapi-python-client generate \
		--path $(SPEC) \
		--config $(GENERATOR_DIR)/config.yaml \
		--custom-template-path $(GENERATOR_DIR)/templates \
		--meta none --overwrite --fail-on-warning \
		--output-path $(GENERATED_PKG)
	$(BIN)/python scripts/spec_facts.py $(SPEC) $(FACADE)/_spec.py
	$(BIN)/python scripts/unasync.py
	$(BIN)/ruff check --quiet --fix-only --select I,F401,RUF022 $(FACADE_GENERATED)
	$(BIN)/ruff format --quiet $(FACADE_GENERATED)

check-generated: generate ## Fail when generated code differs from what its sources generate
	@changes="$$(git status --porcelain -- generated/ $(FACADE_GENERATED))"; \
	if [ -n "$$changes" ]; then \
		echo "Generated code does not match its source ($(SPEC), $(FACADE)/_async/)."; \
		echo "Run 'make generate' and commit the result."; \
		echo "$$changes"; \
		git --no-pager diff --stat -- generated/ $(FACADE_GENERATED); \
		git --no-pager diff -- generated/ $(FACADE_GENERATED) | head -200; \
		exit 1; \
	fi; \
	echo "generated/, $(FACADE)/_spec.py and $(FACADE)/_sync/ match their sources."

lint-spec: install ## Validate the spec (openapi-spec-validator and Redocly, examples included)
	$(BIN)/openapi-spec-validator $(SPEC)
	node_modules/.bin/redocly lint --config redocly.yaml --format=stylish $(SPEC)

lint: $(VENV)/.installed ## ruff on the facade and the tests
	$(BIN)/ruff check facade tests scripts benchmarks docs
	$(BIN)/ruff format --check facade tests scripts benchmarks docs

typecheck: $(VENV)/.installed ## mypy --strict on both packages
	$(BIN)/mypy

docs: $(VENV)/.installed ## Build the docs site into site/ (mkdocs --strict: a warning fails)
	$(BIN)/mkdocs build --strict --quiet

test: install check-generated lint-spec lint typecheck docs ## Every check, then the test suite
	$(BIN)/pytest

BASE ?= main
.PHONY: spec-diff
spec-diff: $(VENV)/.installed ## Breaking changes of the spec since git ref BASE (default main)
	$(BIN)/python scripts/spec_diff.py --ref $(BASE) $(SPEC)

demo: $(VENV)/.installed ## Generate an image offline (fake server + CLI) and check the PNG
	@bash scripts/demo.sh "$(BIN)"

.PHONY: bench
bench: $(VENV)/.installed ## Run the benchmarks (~5-10 min) and rewrite benchmarks/README.md
	$(BIN)/python benchmarks/run_all.py
