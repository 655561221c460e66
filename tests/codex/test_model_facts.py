"""ChatGPT slugs carry what the backend's model list reports (window, compaction limit,
reasoning levels, modalities), in the catalog and in their settings, instead of defaults."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from examples.mockupstream.codex_backend import MODEL_INFO, MockCodexBackend
from router.chatgpt.models import ModelFacts, parse_models
from router.chatgpt.service import CodexService
from router.codex_setup.catalog import build_catalog, provider_snippet, write_catalog
from router.settings import DEFAULT_CONTEXT_WINDOW, parse_settings
from tests.codex.conftest import state_dir, write_login

FIXTURES = Path(__file__).parent.parent / "fixtures" / "codex"
MINI = {
    "context_window": 128000,
    "input_modalities": ["text"],
    "supported_reasoning_levels": [
        {"effort": "low", "description": "quick"},
        {"effort": "medium", "description": "balanced"},
    ],
    "default_reasoning_level": "low",
}
SETTINGS = parse_settings(
    {
        "models": [
            {"model": "chat-a", "provider": "openai", "max_context_limit": 64000},
            {"slug": "gpt-5.5-codex", "model": "gpt-5.5-codex", "provider": "codex"},
        ],
        "router": {
            "classifier": "chat-a",
            "candidates": [{"slug": "chat-a", "cost": 1}, {"slug": "gpt-5.5-codex", "cost": 2}],
        },
    }
)


def test_facts_come_from_the_backend_s_model_info_entries() -> None:
    answer = {
        "models": [
            {**MODEL_INFO, "slug": "gpt-5.5-codex", "auto_compact_token_limit": 250000},
            {**MODEL_INFO, "slug": "gpt-5.4-mini", **MINI},
            {**MODEL_INFO, "slug": "hidden-one", "visibility": "hide"},
        ]
    }
    found = parse_models(answer)
    assert list(found) == ["gpt-5.5-codex", "gpt-5.4-mini"]
    codex = found["gpt-5.5-codex"]
    assert codex.context_window == 272000 and codex.auto_compact_token_limit == 250000
    assert codex.reasoning_levels is not None
    assert [effort for effort, _ in codex.reasoning_levels] == ["low", "medium", "high", "xhigh"]
    assert codex.default_reasoning_level == "medium"
    assert codex.input_modalities == ("text", "image")
    mini = found["gpt-5.4-mini"]
    assert mini.takes_images is False and mini.default_reasoning_level == "low"
    assert mini.settings() == {"max_context_limit": 128000, "no_image_support": True}


def test_codex_s_app_server_model_list_spelling_is_read_too() -> None:
    answer = json.loads((FIXTURES / "model_list_response.json").read_text())
    [(name, facts)] = parse_models(answer).items()
    assert name == "codex-auto"
    assert facts.reasoning_levels == (("low", "fast"), ("medium", "balanced"), ("high", "deep"))
    assert facts.default_reasoning_level == "medium"
    assert facts.input_modalities == ("text", "image")
    assert facts.context_window is None  # model/list does not say; the default stays


def test_values_codex_would_reject_are_left_out_field_by_field() -> None:
    facts = ModelFacts.from_entry(
        {
            "context_window": True,
            "auto_compact_token_limit": -5,
            "supported_reasoning_levels": [
                {"effort": "turbo", "description": "no such effort"},
                {"effort": "high"},
                "medium",
            ],
            "default_reasoning_level": "ultra",
            "input_modalities": ["audio", "image"],
        }
    )
    assert facts == ModelFacts(reasoning_levels=(("high", ""),))
    assert ModelFacts.from_entry({"context_window": "272000"}).context_window is None


async def discover(backend: MockCodexBackend, codex_home: Path) -> CodexService:
    token = backend.add_account(
        "acct-1",
        models=["gpt-5.5-codex", "gpt-5.4-mini"],
        model_info={"gpt-5.5-codex": {"auto_compact_token_limit": 250000}, "gpt-5.4-mini": MINI},
    )
    write_login(codex_home, token, "rt", "acct-1")
    service = CodexService(os.environ)
    await service.listed_models()
    return service


def entries() -> dict[str, dict[str, Any]]:
    return {entry["slug"]: entry for entry in build_catalog(SETTINGS)["models"]}


async def test_the_catalog_carries_what_the_model_list_reported(
    backend: MockCodexBackend, codex_home: Path
) -> None:
    await discover(backend, codex_home)
    # The CLI writes the catalog in another process, from the state dir's cache.
    catalog = entries()

    codex = catalog["codex/gpt-5.5-codex"]
    assert codex["context_window"] == 272000
    assert codex["auto_compact_token_limit"] == 250000
    assert [level["effort"] for level in codex["supported_reasoning_levels"]] == [
        "low",
        "medium",
        "high",
        "xhigh",
    ]
    assert codex["input_modalities"] == ["text", "image"]

    mini = catalog["codex/gpt-5.4-mini"]
    assert mini["context_window"] == 128000
    assert mini["auto_compact_token_limit"] == int(128000 * 0.9)
    assert mini["supported_reasoning_levels"] == MINI["supported_reasoning_levels"]
    assert mini["default_reasoning_level"] == "low"
    assert mini["input_modalities"] == ["text"]

    # A Codex model declared in the settings without a window gets the backend's; Auto's
    # window is its largest candidate's.
    assert catalog["gpt-5.5-codex"]["context_window"] == 272000
    assert catalog["codex-auto"]["context_window"] == 272000
    # Other models keep their own.
    assert catalog["chat-a"]["context_window"] == 64000
    assert catalog["chat-a"]["default_reasoning_level"] == "medium"


async def test_the_slug_s_settings_carry_the_window_and_image_support(
    backend: MockCodexBackend, codex_home: Path
) -> None:
    service = await discover(backend, codex_home)
    mini = service.model_config("codex/gpt-5.4-mini")
    assert mini is not None
    assert mini.context_window == 128000 and not mini.supports_images
    codex = service.model_config("codex/gpt-5.5-codex")
    assert codex is not None
    assert codex.context_window == 272000 and codex.supports_images


async def test_a_cache_from_before_facts_keeps_the_defaults(
    backend: MockCodexBackend, codex_home: Path
) -> None:
    write_login(codex_home, backend.add_account("acct-1"), "rt", "acct-1")
    cache = state_dir(codex_home) / "codex-models.json"
    cache.parent.mkdir(parents=True)
    cache.write_text(json.dumps({"models": ["gpt-5.5-codex"]}))
    entry = entries()["codex/gpt-5.5-codex"]
    assert entry["context_window"] == DEFAULT_CONTEXT_WINDOW
    assert entry["default_reasoning_level"] == "medium"


async def test_the_real_codex_cli_reads_those_entries(
    codex_bin: Path, backend: MockCodexBackend, codex_home: Path, tmp_path: Path
) -> None:
    await discover(backend, codex_home)
    catalog = write_catalog(SETTINGS, tmp_path / "catalog.json")
    home = tmp_path / "codex-cli-home"
    home.mkdir()
    (home / "config.toml").write_text(
        provider_snippet("http://127.0.0.1:8642", catalog, "codex-auto"), encoding="utf-8"
    )
    result = subprocess.run(
        [str(codex_bin), "debug", "models"],
        env={**os.environ, "CODEX_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    listed = {entry["slug"]: entry for entry in json.loads(result.stdout)["models"]}
    codex = listed["codex/gpt-5.5-codex"]
    assert codex["context_window"] == 272000
    assert codex["auto_compact_token_limit"] == 250000
    assert [level["effort"] for level in codex["supported_reasoning_levels"]][-1] == "xhigh"
    mini = listed["codex/gpt-5.4-mini"]
    assert mini["context_window"] == 128000 and mini["input_modalities"] == ["text"]
    assert mini["default_reasoning_level"] == "low"
