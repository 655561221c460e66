# Every target does its own set-up: a virtual environment with the package, and the
# pinned Codex and Claude Code CLIs from npm in .tools/ (both git-ignored).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CODEX_VERSION := 0.169.0
CODEX := .tools/node_modules/.bin/codex
CLAUDE_CODE_VERSION := 2.1.330
CLAUDE_CODE := .tools/node_modules/.bin/claude

.PHONY: setup demo test lint typecheck check bench-overhead clean

setup: $(STAMP) $(CODEX) $(CLAUDE_CODE)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(CODEX):
	npm install --prefix .tools --no-audit --no-fund --loglevel=error @openai/codex@$(CODEX_VERSION)

$(CLAUDE_CODE):
	npm install --prefix .tools --no-audit --no-fund --loglevel=error @anthropic-ai/claude-code@$(CLAUDE_CODE_VERSION)

demo: setup
	$(PY) examples/auto_router_demo.py

test: setup
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check router adapters
	$(VENV)/bin/mypy

check: lint test

bench-overhead: setup
	$(PY) -m benchmarks.overhead.run

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache .hypothesis
