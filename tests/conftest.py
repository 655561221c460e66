"""Shared fixtures: the mock upstreams, the real Codex CLI, and (below) the proxy."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

from examples.mockupstream import MockUpstream

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def mock_upstream() -> AsyncIterator[MockUpstream]:
    """A started mock of every upstream API on an ephemeral loopback port."""
    async with MockUpstream() as mock:
        yield mock


@pytest.fixture
def codex_bin() -> Path:
    """The pinned Codex CLI; `make test` installs it, so e2e tests run in CI."""
    path = REPO_ROOT / ".tools/node_modules/.bin/codex"
    if not path.exists():
        pytest.skip(f"Codex CLI not installed at {path}: run `make test`, which installs it")
    return path


# ---------------------------------------------------------------------------------------
# The proxy fixture (owned by the lead; see tests/proxy.py). Add it below this line.
# ---------------------------------------------------------------------------------------

from tests.proxy import proxy_factory  # noqa: E402, F401  (re-exported as a fixture)

# In CI every run draws the same examples, so a submission's result does not depend on
# luck; locally each run explores new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
