"""The starter file's rules, without a machine: what gets added, in which order, which
model classifies, and what an existing file keeps."""

from __future__ import annotations

from typing import Any

from router.settings import parse_settings
from router.settings.discovery import Discovery, Source, points_at_us
from router.settings.known import NEUTRAL_CARD, load_table
from router.settings.starter import build_plan

TABLE = load_table()


def key_source(*models: str, provider: str = "openai", env: str = "OPENAI_API_KEY") -> Source:
    entries = [{"model": m, "provider": provider, "api_key_env": env} for m in models]
    return Source(f"key in ${env}", "key", provider, entries)


def local_source(*models: str) -> Source:
    return Source("ollama", "local", "ollama", [{"model": m, "provider": "ollama"} for m in models])


def plan_for(*sources: Source, existing: dict[str, Any] | None = None) -> dict[str, Any]:
    return build_plan(existing, Discovery(sources=list(sources)), TABLE).data


def test_candidates_are_ordered_by_price_with_local_free_and_unknown_prices_last() -> None:
    kimi = key_source("kimi-k2.6", provider="generic-chat-completion-api", env="MOONSHOT_API_KEY")
    kimi.entries[0]["base_url"] = "https://api.moonshot.ai/v1"
    data = plan_for(key_source("gpt-5.5", "gpt-5.4-mini"), kimi, local_source("qwen3-coder:30b"))
    candidates = data["router"]["candidates"]
    assert [c["slug"] for c in candidates] == [
        "qwen3-coder-30b",
        "gpt-5-4-mini",
        "gpt-5-5",
        "kimi-k2-6",
    ]
    assert candidates[0]["cost"] == 0.0
    assert candidates[-1]["cost"] == candidates[-2]["cost"]  # unknown: with the priciest
    assert data["router"]["classifier"] == "gpt-5-4-mini"  # cheapest classifier-capable
    assert data["router"]["default"] == "gpt-5-5"  # cheapest strong one
    assert data["router"]["threshold"] == 0.7
    parse_settings(data)


def test_a_provider_key_behind_a_loopback_proxy_is_not_free() -> None:
    source = key_source("gpt-5.4-mini")
    source.entries[0]["base_url"] = "http://127.0.0.1:4000/v1"
    [candidate] = plan_for(source)["router"]["candidates"]
    assert candidate["cost"] > 0


def test_an_unknown_local_model_gets_the_neutral_card_no_price_and_no_images() -> None:
    plan = build_plan(None, Discovery(sources=[local_source("my-model:7b")]), TABLE)
    [entry] = plan.data["models"]
    assert entry["no_image_support"] is True and "price" not in entry
    assert plan.data["router"]["candidates"][0]["card"] == NEUTRAL_CARD
    assert any("my-model-7b" in note and "neutral card" in note for note in plan.notes)


def test_known_prices_come_with_their_source_and_date() -> None:
    [entry] = plan_for(key_source("claude-opus-4-7", provider="anthropic"))["models"]
    assert entry["price"] == {"input": 5.0, "cached_input": 0.5, "output": 25.0}
    assert "anthropic.com" in entry["price_source"] and TABLE.as_of in entry["price_source"]


def test_the_file_may_override_the_table() -> None:
    existing = {
        "models": [{"model": "house-model", "provider": "ollama"}],
        "known_models": {"gpt-5.4-mini": {"price": {"input": 9, "output": 9}, "card": "mine"}},
    }
    data = plan_for(key_source("gpt-5.4-mini"), existing=existing)
    added = data["models"][-1]
    assert added["price"] == {"input": 9, "output": 9}
    assert data["router"]["candidates"][-1]["card"] == "mine"


def test_the_same_model_under_another_slug_or_spelling_is_not_added_again() -> None:
    existing = {
        "customModels": [
            {"slug": "mini", "model": "gpt-5.4-mini", "provider": "openai", "apiKeyEnv": "K"},
            "qwen3-coder:30b",
        ]
    }
    plan = build_plan(
        existing,
        Discovery(sources=[key_source("gpt-5.4-mini"), local_source("qwen3-coder:30b")]),
        TABLE,
    )
    assert plan.added == []
    assert plan.data["customModels"] == existing["customModels"]
    assert "models" not in plan.data


def test_a_different_model_with_a_taken_slug_gets_the_source_tag() -> None:
    existing = {"models": [{"model": "gpt-5.4-mini", "provider": "openai"}]}
    plan = build_plan(existing, Discovery(sources=[local_source("gpt-5.4-mini")]), TABLE)
    assert plan.added == ["gpt-5-4-mini-ollama"]
    parse_settings(plan.data)


def test_a_base_url_at_our_own_port_is_recognised() -> None:
    assert points_at_us("http://127.0.0.1:8642")
    assert points_at_us("http://localhost:8642/v1")
    assert not points_at_us("http://127.0.0.1:11434")
    assert not points_at_us("https://api.anthropic.com")
