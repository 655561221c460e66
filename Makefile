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

.PHONY: setup browser redis demo demo-team test lint typecheck check bench-overhead bench bench-routellm bench-local soak clean

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

# Two instances sharing a real Redis behind a round-robin balancer, one Codex task.
demo-team: setup redis
	$(PY) examples/team_demo.py

# The picker's browser test drives a real headless Chromium. Debian's package is the one
# way to get a browser here (npm packages download theirs at install time, which fails
# offline); where apt-get cannot run as root, that one test is skipped with its reason.
browser:
	-@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends chromium >/dev/null; } || echo "chromium not installed: the picker's browser test will be skipped"

# The team-gateway tests run a real Redis: Debian's redis-server, installed the same way;
# where it cannot be, those tests are skipped with their reason.
redis:
	-@command -v redis-server >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends redis-server >/dev/null; } || echo "redis-server not installed: the team-gateway tests will be skipped"

test: setup browser redis
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check router adapters
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

check: lint test

bench-overhead: setup
	$(PY) -m benchmarks.overhead.run

# Offline task benchmark: simulated models of graded skill through the real Codex and
# proxy, judged by each task's tests (no keys). BENCH_ARGS adds options, e.g. --repeat 3.
BENCH_OUT := benchmarks/results/bench-sim.jsonl
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: setup $(BENCH_STAMP)
	rm -rf $(BENCH_OUT) $(basename $(BENCH_OUT)).codex
	$(PY) -m benchmarks.run --sim --routes codex-auto,cheap,mid,strong --exclude 'humaneval-*' \
		--jobs 2 --out $(BENCH_OUT) $(BENCH_ARGS)
	$(PY) -m benchmarks.report $(BENCH_OUT)

# The local scorer on RouteLLM's released outcome tables (GSM8K, MMLU), 5-fold
# cross-validated: writes benchmarks/results/routellm.json and routellm_scores.jsonl.
bench-routellm: $(STAMP)
	$(PY) -m benchmarks.routellm

# The local scorer's time per decision and added RSS with 10,000 outcome records.
bench-local: $(STAMP)
	$(PY) -m benchmarks.local_scorer

# Short soak (2,000 requests through Auto with injected faults); SOAK_ARGS=--long for 10,000.
soak: $(STAMP)
	$(PY) -m benchmarks.soak.run $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache .hypothesis
