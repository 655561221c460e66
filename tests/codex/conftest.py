"""Fixtures for the Codex passthrough: an isolated CODEX_HOME and state dir, the mock
backend, and helpers to write logins."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from examples.mockupstream.codex_backend import MockCodexBackend

CODEX_VARIABLES = (
    "CODEX_ACCESS_TOKEN",
    "CODEX_PAT",
    "CODEX_ACCOUNT_ID",
    "CODEX_MODELS",
    "CODEX_BASE_URL",
    "CODEX_REFRESH_TOKEN_URL",
    "CODEX_WHOAMI_URL",
    "CODEX_AUTHAPI_BASE_URL",
)


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def codex_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CODEX_HOME and the state dir in tmp; none of the developer's Codex variables."""
    for name in CODEX_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "codex-home"
    home.mkdir()
    monkeypatch.setenv("CODEX_HOME", str(home))
    monkeypatch.setenv("AUTOROUTER_STATE_DIR", str(tmp_path / "state"))
    return home


@pytest.fixture
async def backend(
    codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[MockCodexBackend]:
    async with MockCodexBackend() as mock:
        monkeypatch.setenv("CODEX_BASE_URL", mock.base_url)
        monkeypatch.setenv("CODEX_REFRESH_TOKEN_URL", mock.token_url)
        monkeypatch.setenv("CODEX_AUTHAPI_BASE_URL", mock.authapi_base_url)
        yield mock


def write_login(
    home: Path,
    access: str,
    refresh: str | None = "rt-1",
    account_id: str | None = None,
    **extra: Any,
) -> Path:
    """A Codex auth.json with a ChatGPT login (and any other top-level fields)."""
    tokens: dict[str, Any] = {"access_token": access, "id_token": access}
    if refresh is not None:
        tokens["refresh_token"] = refresh
    if account_id is not None:
        tokens["account_id"] = account_id
    path = home / "auth.json"
    path.write_text(json.dumps({"tokens": tokens, **extra}))
    return path


def state_dir(home: Path) -> Path:
    return home.parent / "state"
