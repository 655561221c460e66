"""Fixtures for the Codex integration tests: an isolated CODEX_HOME and state directory,
and a small settings file with Auto and two models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from router.settings import Settings, load_settings

CANARY = "sk-canary-7f3a9c1e5b2d4f6a8c0e"
"""A planted key that must never show up anywhere we write or print."""


def settings_data(base_url: str = "http://127.0.0.1:9/v1") -> dict[str, Any]:
    return {
        "models": [
            {
                "slug": "cheap",
                "model": "cheap-model",
                "display_name": "Cheap model",
                "provider": "generic-chat-completion-api",
                "base_url": base_url,
                "api_key": CANARY,
            },
            {
                "slug": "strong",
                "model": "strong-model",
                "display_name": "Strong model",
                "provider": "generic-chat-completion-api",
                "base_url": base_url,
                "api_key_env": "AUTOROUTER_TEST_UNSET_KEY",
            },
        ],
        "router": {
            "slug": "codex-auto",
            "classifier": "cheap",
            "candidates": [
                {"slug": "cheap", "cost": 1, "supports_images": True},
                {"slug": "strong", "cost": 5, "supports_images": True},
            ],
        },
    }


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CODEX_HOME, the state dir and the settings path all under `tmp_path`."""
    home = tmp_path / "codex-home"
    home.mkdir()
    monkeypatch.setenv("CODEX_HOME", str(home))
    monkeypatch.setenv("AUTOROUTER_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AUTOROUTER_SETTINGS", str(tmp_path / "settings.json"))
    monkeypatch.delenv("AUTOROUTER_TEST_UNSET_KEY", raising=False)
    (tmp_path / "settings.json").write_text(json.dumps(settings_data()))
    return tmp_path


@pytest.fixture
def settings(isolated: Path) -> Settings:
    return load_settings(isolated / "settings.json")
