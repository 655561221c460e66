"""The Codex catalog and config snippets: complete entries, Auto first, no keys, and
accepted by the real Codex CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from router.codex_setup.catalog import (
    build_catalog,
    codex_overrides,
    provider_snippet,
    write_catalog,
)
from router.settings import Settings, load_settings, parse_settings

FIXTURES = Path(__file__).parent.parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
CANARY = "sk-CANARY-51d0e7-never-print-me"

# What Codex 0.169.0 rejects an entry without (codex-protocol.md, section 1).
REQUIRED_FIELDS = {
    "slug": str,
    "display_name": str,
    "supported_reasoning_levels": list,
    "shell_type": str,
    "visibility": str,
    "supported_in_api": bool,
    "priority": int,
    "support_verbosity": bool,
    "truncation_policy": dict,
    "experimental_supported_tools": list,
    "base_instructions": str,
}


def settings_with(candidates: list[dict[str, Any]], **router: Any) -> Settings:
    return parse_settings(
        {
            "models": [
                {"model": "small", "provider": "openai", "max_context_limit": 32000},
                {"model": "text-only", "provider": "anthropic", "noImageSupport": True},
                {"model": "big", "provider": "openai", "max_context_limit": 400000},
            ],
            "router": {"classifier": "small", "candidates": candidates, **router},
        }
    )


def secret_settings() -> Settings:
    return parse_settings(
        {
            "models": [
                {
                    "model": "m",
                    "provider": "openai",
                    "api_key": CANARY,
                    "api_keys": [CANARY],
                    "extra_headers": {"Authorization": f"Bearer {CANARY}"},
                },
                {"model": "n", "provider": "openai", "api_key_env": "N_KEY"},
            ],
            "router": {"classifier": "m", "candidates": [{"slug": "m", "cost": 1}]},
        }
    )


def entries(settings: Settings) -> dict[str, dict[str, Any]]:
    return {entry["slug"]: entry for entry in build_catalog(settings)["models"]}


class TestEntries:
    def test_every_entry_has_every_field_codex_requires(self) -> None:
        catalog = build_catalog(load_settings(FIXTURES / "settings" / "models-snake.json"))
        assert len(catalog["models"]) == 6
        for entry in catalog["models"]:
            for field, kind in REQUIRED_FIELDS.items():
                assert isinstance(entry[field], kind), (entry["slug"], field)
            assert entry["visibility"] == "list"
            assert entry["truncation_policy"] == {"mode": "tokens", "limit": 10000}
            assert entry["apply_patch_tool_type"] == "freeform"
            assert entry["default_reasoning_level"] == "medium"
            assert [level["effort"] for level in entry["supported_reasoning_levels"]] == [
                "low",
                "medium",
                "high",
            ]
            assert all(level["description"] for level in entry["supported_reasoning_levels"])
            assert "apply_patch" in entry["base_instructions"]
            assert "exec_command" in entry["base_instructions"]

    def test_auto_first_then_models_in_order_with_ascending_priority(self) -> None:
        catalog = build_catalog(load_settings(FIXTURES / "settings" / "models-snake.json"))
        slugs = [entry["slug"] for entry in catalog["models"]]
        assert slugs[0] == "codex-auto"
        assert catalog["models"][0]["display_name"] == "Auto (smart routing)"
        assert slugs[1:] == [
            "gpt-5-5",
            "claude-opus-4-7-20251109",
            "deepseek-v4-pro",
            "ocgo-glm-5-1",
            "llama3-2",
        ]
        priorities = [entry["priority"] for entry in catalog["models"]]
        assert priorities == sorted(set(priorities))

    def test_model_window_modalities_and_compaction_limit(self) -> None:
        by_slug = entries(settings_with([{"slug": "small", "cost": 1}]))
        assert by_slug["small"]["context_window"] == 32000
        assert by_slug["small"]["auto_compact_token_limit"] == 28800
        assert by_slug["small"]["input_modalities"] == ["text", "image"]
        assert by_slug["text-only"]["context_window"] == 128000
        assert by_slug["text-only"]["input_modalities"] == ["text"]
        assert by_slug["small"]["display_name"] == "small"

    def test_auto_takes_the_largest_candidate_window(self) -> None:
        auto = entries(settings_with([{"slug": "small", "cost": 1}, {"slug": "big", "cost": 9}]))
        assert auto["codex-auto"]["context_window"] == 400000

    def test_auto_is_image_capable_iff_a_candidate_is(self) -> None:
        text_only = entries(settings_with([{"slug": "text-only", "cost": 1}]))
        assert text_only["codex-auto"]["input_modalities"] == ["text"]
        mixed = entries(
            settings_with([{"slug": "text-only", "cost": 1}, {"slug": "big", "cost": 2}])
        )
        assert mixed["codex-auto"]["input_modalities"] == ["text", "image"]
        declared = entries(settings_with([{"slug": "small", "cost": 1, "supports_images": False}]))
        assert declared["codex-auto"]["input_modalities"] == ["text"]

    def test_auto_display_name_from_router(self) -> None:
        auto = entries(settings_with([{"slug": "small", "cost": 1}], display_name="Pick for me"))
        assert auto["codex-auto"]["display_name"] == "Pick for me"

    def test_no_auto_entry_when_router_disabled(self) -> None:
        catalog = build_catalog(settings_with([], enabled=False))
        assert [entry["slug"] for entry in catalog["models"]] == ["small", "text-only", "big"]


class TestWriteCatalog:
    def test_writes_json_atomically_and_replaces(self, tmp_path: Path) -> None:
        path = tmp_path / "state" / "catalog.json"
        settings = settings_with([{"slug": "small", "cost": 1}])
        assert write_catalog(settings, path) == path
        path.write_text("old", encoding="utf-8")
        write_catalog(settings, path)
        assert json.loads(path.read_text(encoding="utf-8")) == build_catalog(settings)
        assert [p.name for p in path.parent.iterdir()] == ["catalog.json"]


class TestCodexConfig:
    def test_provider_snippet(self, tmp_path: Path) -> None:
        text = provider_snippet("http://127.0.0.1:8642", tmp_path / "catalog.json", "codex-auto")
        config = tomllib.loads(text)
        assert config["model"] == "codex-auto"
        assert config["model_provider"] == "autorouter"
        assert config["model_catalog_json"] == str(tmp_path / "catalog.json")
        assert config["model_providers"]["autorouter"] == {
            "name": "codex-autorouter",
            "base_url": "http://127.0.0.1:8642/v1",
            "wire_api": "responses",
            "requires_openai_auth": False,
            "stream_idle_timeout_ms": 300000,
        }

    def test_snippet_keeps_an_existing_v1_and_another_provider_id(self, tmp_path: Path) -> None:
        text = provider_snippet("http://h:1/v1/", tmp_path / "c.json", "x", provider_id="mine")
        config = tomllib.loads(text)
        assert config["model_provider"] == "mine"
        assert config["model_providers"]["mine"]["base_url"] == "http://h:1/v1"

    def test_overrides_are_toml_values(self) -> None:
        path = Path('/odd dir/with "quotes" and \\ slash/catalog.json')
        argv = codex_overrides("http://127.0.0.1:9000", path, "codex-auto")
        assert argv[0::2] == ["-c"] * 4
        parsed: dict[str, Any] = {}
        for override in argv[1::2]:
            key, _, value = override.partition("=")
            parsed[key] = tomllib.loads(f"v = {value}")["v"]
        assert parsed == {
            "model_provider": "autorouter",
            "model_catalog_json": str(path),
            "model_providers.autorouter": {
                "name": "codex-autorouter",
                "base_url": "http://127.0.0.1:9000/v1",
                "wire_api": "responses",
            },
            "model": "codex-auto",
        }

    def test_overrides_without_a_model(self, tmp_path: Path) -> None:
        argv = codex_overrides("http://h:1", tmp_path / "c.json", None)
        assert not any(arg.startswith("model=") for arg in argv)

    def test_provider_id_must_be_a_bare_key(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="provider id"):
            provider_snippet("http://h:1", tmp_path / "c.json", "m", provider_id="a.b")


def test_no_key_in_catalog_snippet_or_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("N_KEY", CANARY)
    settings = secret_settings()
    path = write_catalog(settings, tmp_path / "catalog.json")
    texts = [
        path.read_text(encoding="utf-8"),
        json.dumps(build_catalog(settings)),
        provider_snippet("http://127.0.0.1:1", path, "codex-auto"),
        " ".join(codex_overrides("http://127.0.0.1:1", path, "codex-auto")),
    ]
    for text in texts:
        assert CANARY not in text


def codex_binary() -> Path | None:
    bundled = REPO / ".tools" / "node_modules" / ".bin" / "codex"
    if bundled.exists():
        return bundled
    found = shutil.which("codex")
    return Path(found) if found else None


def run_debug_models(codex_home: Path, *extra: str) -> dict[str, Any]:
    binary = codex_binary()
    if binary is None:
        pytest.skip("the Codex CLI is not installed (.tools/node_modules/.bin/codex or PATH)")
    result = subprocess.run(
        [str(binary), "debug", "models", *extra],
        env={**os.environ, "CODEX_HOME": str(codex_home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "failed to parse" not in result.stderr
    decoded: dict[str, Any] = json.loads(result.stdout)
    return decoded


class TestRealCodex:
    def test_codex_reads_our_catalog_through_config_toml(self, tmp_path: Path) -> None:
        settings = load_settings(FIXTURES / "settings" / "models-snake.json")
        catalog = write_catalog(settings, tmp_path / "state" / "catalog.json")
        home = tmp_path / "codex-home"
        home.mkdir()
        snippet = provider_snippet("http://127.0.0.1:8642", catalog, "codex-auto")
        (home / "config.toml").write_text(snippet, encoding="utf-8")

        listed = run_debug_models(home)

        assert [entry["slug"] for entry in listed["models"]] == settings.slugs()
        by_slug = {entry["slug"]: entry for entry in listed["models"]}
        assert by_slug["codex-auto"]["display_name"] == "Auto (smart routing)"
        assert by_slug["codex-auto"]["input_modalities"] == ["text", "image"]
        assert by_slug["deepseek-v4-pro"]["input_modalities"] == ["text"]
        assert by_slug["gpt-5-5"]["context_window"] == 400000

    def test_codex_reads_our_catalog_through_overrides(self, tmp_path: Path) -> None:
        settings = load_settings(FIXTURES / "settings" / "models-camel-legacy.json")
        catalog = write_catalog(settings, tmp_path / "catalog dir" / "catalog.json")
        home = tmp_path / "empty-home"
        home.mkdir()

        listed = run_debug_models(
            home, *codex_overrides("http://127.0.0.1:8642", catalog, "kimi-k2-6")
        )

        assert [entry["slug"] for entry in listed["models"]] == ["kimi-k2-6"]
