"""The real Codex CLI in a tool loop against a DeepSeek-shaped upstream.

The mock enforces DeepSeek's thinking-mode rule (400 when a tool-call turn comes back
without its `reasoning_content`) and the strict-provider rules, and reasons in every
answer; the loop is exec, output, second exec, output, final answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from examples.mockupstream import MockUpstream, Text, ToolCall, classifier_handler
from examples.mockupstream.chat_rules import DEEPSEEK, STRICT
from router.codex_setup.catalog import write_catalog
from router.settings import load_settings
from tests.e2e.codex import CodexRun, run_codex_exec
from tests.proxy import ProxyFactory, RunningProxy, chat_model

pytestmark = pytest.mark.e2e

MODEL = "deepseek-v4-flash"
STEPS = 2


def agent(body: dict[str, Any]) -> Any:
    """Two shell calls, then the final answer."""
    messages = body.get("messages") or []
    done = sum(1 for m in messages if m["role"] == "tool")
    if done < STEPS:
        return ToolCall("exec_command", {"cmd": f"echo step{done} >> log.txt"})
    return Text("both steps done")


async def run(codex_bin: Path, proxy: RunningProxy, tmp_path: Path, model: str) -> CodexRun:
    catalog = write_catalog(load_settings(proxy.settings_path), tmp_path / "catalog.json")
    return await run_codex_exec(
        codex_bin,
        proxy.base_url,
        "print hello with two echo commands",
        model=model,
        workdir=tmp_path / "ws",
        codex_home=tmp_path / "home",
        catalog_path=catalog,
        timeout=90,
    )


def assert_reasoning_was_replayed(mock: MockUpstream) -> None:
    requests = mock.requests_for(MODEL)
    assert len(requests) == STEPS + 1
    for number, request in enumerate(requests):
        turns = [m for m in request.body["messages"] if m.get("tool_calls")]
        assert len(turns) == number
        replayed = [turn["reasoning_content"] for turn in turns]
        # Exactly what the mock reasoned on each earlier request, not a stand-in.
        assert all(text.startswith("Thinking about request ") for text in replayed)
        assert len(set(replayed)) == len(replayed)


@pytest.fixture
def deepseek(mock_upstream: MockUpstream) -> MockUpstream:
    mock_upstream.enforce(MODEL, DEEPSEEK, STRICT)
    mock_upstream.on(MODEL, agent)
    return mock_upstream


async def test_codex_runs_a_tool_loop_on_a_deepseek_thinking_model(
    codex_bin: Path, deepseek: MockUpstream, proxy_factory: ProxyFactory, tmp_path: Path
) -> None:
    proxy = await proxy_factory({"models": [chat_model(MODEL, deepseek.base_url)]})
    result = await run(codex_bin, proxy, tmp_path, MODEL)
    assert result.returncode == 0, result.describe()
    assert (tmp_path / "ws" / "log.txt").read_text().split() == ["step0", "step1"]
    assert len(result.command_executions) == STEPS
    assert result.final_message == "both steps done"
    assert_reasoning_was_replayed(deepseek)


async def test_without_the_replay_the_deepseek_mock_refuses_the_second_request(
    codex_bin: Path, deepseek: MockUpstream, proxy_factory: ProxyFactory, tmp_path: Path
) -> None:
    """The regression the mock exists to catch: the reasoning dropped, as before."""
    model = chat_model(MODEL, deepseek.base_url, replay_reasoning=False)
    proxy = await proxy_factory({"models": [model]})
    result = await run(codex_bin, proxy, tmp_path, MODEL)
    assert result.returncode != 0
    assert any("reasoning_content" in error for error in result.errors), result.describe()
    assert (tmp_path / "ws" / "log.txt").read_text().split() == ["step0"]


async def test_the_same_loop_through_auto_with_a_deepseek_candidate(
    codex_bin: Path, deepseek: MockUpstream, proxy_factory: ProxyFactory, tmp_path: Path
) -> None:
    deepseek.on("mock-classifier", classifier_handler)
    deepseek.on("strong-b", agent)
    proxy = await proxy_factory(
        {
            "models": [
                chat_model(MODEL, deepseek.base_url),
                chat_model("strong-b", deepseek.base_url),
                chat_model("mock-classifier", deepseek.base_url),
            ],
            "router": {
                "classifier": "mock-classifier",
                "default": "strong-b",
                "candidates": [
                    {"slug": MODEL, "cost": 0.3, "card": "Cheap and fast. Simple edits."},
                    {"slug": "strong-b", "cost": 3.0, "card": "Strong reasoning for hard work."},
                ],
            },
        }
    )
    result = await run(codex_bin, proxy, tmp_path, "codex-auto")
    assert result.returncode == 0, result.describe()
    assert (tmp_path / "ws" / "log.txt").read_text().split() == ["step0", "step1"]
    assert [r.model for r in deepseek.requests if r.model != "mock-classifier"] == [MODEL] * 3
    assert_reasoning_was_replayed(deepseek)
