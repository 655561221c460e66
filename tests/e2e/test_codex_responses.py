"""The real Codex CLI through the proxy to a native Responses upstream (`provider:
"responses"`), directly and through Auto with a Responses candidate and classifier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from examples.mockupstream import MockUpstream, Text, ToolCall, Usage, classifier_handler
from router.codex_setup.catalog import write_catalog
from router.settings import load_settings
from tests.e2e.codex import CodexRun, run_codex_exec
from tests.proxy import ProxyFactory, RunningProxy, chat_model

pytestmark = pytest.mark.e2e


def responses_model(slug: str, base_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "model": f"{slug}-upstream",
        "provider": "responses",
        "base_url": base_url,
        "api_key": "sk-test-key-not-secret",
        **extra,
    }


async def run(
    codex_bin: Path, proxy: RunningProxy, tmp_path: Path, prompt: str, model: str
) -> CodexRun:
    catalog = write_catalog(load_settings(proxy.settings_path), tmp_path / "catalog.json")
    return await run_codex_exec(
        codex_bin,
        proxy.base_url,
        prompt,
        model=model,
        workdir=tmp_path / "ws",
        codex_home=tmp_path / "home",
        catalog_path=catalog,
    )


async def test_codex_runs_a_tool_loop_on_a_native_responses_model(
    codex_bin: Path, mock_upstream: MockUpstream, proxy_factory: ProxyFactory, tmp_path: Path
) -> None:
    proxy = await proxy_factory({"models": [responses_model("native", mock_upstream.base_url)]})
    mock_upstream.script(
        "native-upstream",
        ToolCall(
            "exec_command",
            {"cmd": "echo hi > out.txt"},
            call_id="call_native_1",
            reasoning="I will write the file.",
        ),
        Text("wrote out.txt", usage=Usage(input_tokens=900, cached_tokens=600, output_tokens=7)),
    )
    result = await run(codex_bin, proxy, tmp_path, "create out.txt", "native")
    assert result.returncode == 0, result.describe()
    assert (tmp_path / "ws" / "out.txt").read_text().strip() == "hi"
    assert result.final_message == "wrote out.txt"
    first, second = mock_upstream.requests_for("native-upstream")
    assert first.path == "/v1/responses" and first.body["model"] == "native-upstream"
    assert "client_metadata" not in first.body
    # Codex kept the sealed reasoning and sent it back; the upstream gets its own blob.
    [reasoning] = [i for i in second.body["input"] if i.get("type") == "reasoning"]
    assert reasoning["encrypted_content"].startswith("mock-encrypted-")
    [output] = [i for i in second.body["input"] if i.get("type") == "function_call_output"]
    assert output["call_id"] == "call_native_1"
    usage = [e for e in result.events if e.get("type") == "turn.completed"][-1]["usage"]
    assert usage["cached_input_tokens"] == 600
    last = proxy.routing_records("request")[-1]
    assert last["slug"] == "native" and last["input_tokens"] == 900


async def test_auto_scores_with_a_responses_classifier_and_picks_a_responses_candidate(
    codex_bin: Path, mock_upstream: MockUpstream, proxy_factory: ProxyFactory, tmp_path: Path
) -> None:
    mock_upstream.on("judge-upstream", classifier_handler)
    mock_upstream.script(
        "frontier-upstream",
        ToolCall("exec_command", {"cmd": "echo designed > plan.txt"}, call_id="call_f1"),
        Text("planned"),
    )
    proxy = await proxy_factory(
        {
            "models": [
                chat_model("cheap", mock_upstream.base_url, no_image_support=True),
                responses_model("frontier", mock_upstream.base_url),
                responses_model("judge", mock_upstream.base_url),
            ],
            "router": {
                "classifier": "judge",
                "default": "cheap",
                "candidates": [
                    {"slug": "cheap", "cost": 0.2, "card": "Cheap and fast. Simple edits."},
                    {"slug": "frontier", "cost": 5.0, "card": "Frontier, strong reasoning, hard problems."},
                ],
            },
        }
    )  # fmt: skip
    prompt = "design the architecture of a distributed job queue and write the plan"
    result = await run(codex_bin, proxy, tmp_path, prompt, "codex-auto")
    assert result.returncode == 0, result.describe()
    assert (tmp_path / "ws" / "plan.txt").read_text().strip() == "designed"
    [judged] = mock_upstream.requests_for("judge-upstream")
    assert judged.path == "/v1/responses" and judged.body["stream"] is False
    assert len(mock_upstream.requests_for("frontier-upstream")) == 2
    assert not mock_upstream.requests_for("cheap")
    routes = proxy.routing_records("route")
    assert routes[0]["chosen"] == "frontier" and routes[0]["reason"] == "scored"
