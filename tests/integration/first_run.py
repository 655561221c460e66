"""A fresh machine for first-run tests: a throwaway HOME and environment, and a mock
upstream in its own thread (the CLI under test blocks the calling thread while it probes
local servers, so the mock cannot share its event loop)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from examples.mockupstream import MockUpstream
from router.settings.known import load_table

SCRUBBED = (
    "AUTOROUTER_SETTINGS",
    "AUTOROUTER_ROUTING_LOG",
    "XDG_CONFIG_HOME",
    "XDG_STATE_HOME",
    "OLLAMA_HOST",
    "CODEX_ACCESS_TOKEN",
    "CODEX_PAT",
    "CODEX_MODELS",
    "CODEX_SHIM_HOME",
    "PI_CODING_AGENT_DIR",
)


def table_variables() -> list[str]:
    """Every key and base-URL variable `init` looks at."""
    names: list[str] = []
    for provider in load_table().providers:
        names.extend(provider.key_env)
        if provider.base_url_env:
            names.append(provider.base_url_env)
    return names


def fresh_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME, CODEX_HOME and the state dir under `tmp_path`, no provider variable set and
    no local server probed; returns the HOME."""
    home = tmp_path / "home"
    (home / ".codex").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CODEX_HOME", str(home / ".codex"))
    monkeypatch.setenv("AUTOROUTER_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AUTOROUTER_LOCAL_SERVERS", "none")
    # Asking a ChatGPT login's models must never reach the real backend.
    monkeypatch.setenv("CODEX_BASE_URL", "http://127.0.0.1:9/backend-api/codex")
    for name in (*SCRUBBED, *table_variables()):
        monkeypatch.delenv(name, raising=False)
    return home


def settings_file(home: Path) -> Path:
    return home / ".config" / "codex-autorouter" / "settings.json"


@contextmanager
def threaded_mock(*models: str) -> Iterator[MockUpstream]:
    """A started `MockUpstream` listing `models`, served from its own thread."""
    mock = MockUpstream()
    for model in models:
        mock.script(model)
    with threaded(mock):
        yield mock


@contextmanager
def threaded(mock: Any) -> Iterator[None]:
    """Run a mock server (anything with async `start` and `stop`) in its own thread."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(mock.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield
    finally:
        asyncio.run_coroutine_threadsafe(mock.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
