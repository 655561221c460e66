"""Thinking the endpoint sent unasked goes back to it: the real Codex CLI, the proxy, and an
Anthropic-compatible mock that thinks by default and refuses a tool loop without it.

DeepSeek's, Kimi's, MiniMax's and GLM's Anthropic endpoints (and Claude models that think
by default) send signed thinking blocks although the request asked for none, and some
refuse the next request of the tool loop when the assistant turn comes back without
them. The model here is configured without `thinking`, so no request asks for thinking.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.mockupstream import MockUpstream, Text, ToolCall
from examples.mockupstream.anthropic import THINKING_NOT_PASSED_BACK, enforce_thinking_replay
from examples.mockupstream.replies import Reply
from router.codex_setup.catalog import write_catalog
from router.settings import load_settings
from tests.e2e.codex import run_codex_exec
from tests.proxy import ProxyFactory, anthropic_model

pytestmark = pytest.mark.e2e

STEPS = [
    ("echo one > one.txt", ("I should create one.txt first.", "c2lnbmF0dXJlLW9uZQ==" * 6)),
    ("echo two > two.txt", ("Now two.txt.", "c2lnbmF0dXJlLXR3bw==" * 6)),
]


def agent(body: dict[str, Any]) -> Reply:
    """One shell call per step, each preceded by signed thinking, then the answer."""
    results = sum(
        1
        for message in body["messages"]
        if message["role"] == "user"
        and isinstance(message["content"], list)
        and any(block.get("type") == "tool_result" for block in message["content"])
    )
    if results < len(STEPS):
        command, thinking = STEPS[results]
        return ToolCall(
            "exec_command", {"cmd": command}, call_id=f"toolu_{results}", thinking=thinking
        )
    return Text("both files written")


async def test_codex_tool_loop_replays_unasked_thinking_to_an_endpoint_that_requires_it(
    codex_bin: Path, mock_upstream: MockUpstream, proxy_factory: ProxyFactory, tmp_path: Path
) -> None:
    mock_upstream.on("deepthink", enforce_thinking_replay(agent))
    proxy = await proxy_factory(
        {"models": [anthropic_model("deepthink", mock_upstream.anthropic_base_url)]}
    )
    catalog = write_catalog(load_settings(proxy.settings_path), tmp_path / "catalog.json")
    result = await run_codex_exec(
        codex_bin,
        proxy.base_url,
        "create one.txt and then two.txt",
        model="deepthink",
        workdir=tmp_path / "ws",
        codex_home=tmp_path / "home",
        catalog_path=catalog,
    )
    assert result.returncode == 0, result.describe()
    assert (tmp_path / "ws" / "one.txt").read_text().strip() == "one"
    assert (tmp_path / "ws" / "two.txt").read_text().strip() == "two"
    assert result.final_message == "both files written"

    requests = [r.body for r in mock_upstream.requests_for("deepthink")]
    assert len(requests) == len(STEPS) + 1
    assert all("thinking" not in body for body in requests)
    last = requests[-1]
    turns = [m for m in last["messages"] if m["role"] == "assistant"]
    assert len(turns) == len(STEPS)
    for turn, (_, (text, signature)) in zip(turns, STEPS, strict=True):
        thinking, tool_use = turn["content"][0], turn["content"][-1]
        assert thinking == {"type": "thinking", "thinking": text, "signature": signature}
        assert tool_use["type"] == "tool_use"

    # The mock really refuses the loop without the thinking: the same last request with
    # the blocks taken out gets the endpoint's 400.
    stripped = {
        **last,
        "messages": [
            {**m, "content": [b for b in m["content"] if b.get("type") != "thinking"]}
            if m["role"] == "assistant"
            else m
            for m in last["messages"]
        ],
    }
    async with httpx.AsyncClient(trust_env=False) as http:
        refused = await http.post(f"{mock_upstream.root_url}/v1/messages", json=stripped)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == THINKING_NOT_PASSED_BACK
