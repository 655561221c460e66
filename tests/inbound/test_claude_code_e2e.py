"""The real Claude Code CLI through the proxy: its tool call runs, the result comes back.

The mock upstream plays the model: its first answer is a `Write` tool call, which Claude
Code executes; the next request carries the tool result, and the mock's final text ends
the run. Nothing leaves the machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from examples.mockupstream import MockUpstream, Reply, Text, ToolCall
from tests.inbound.claude_code import CLAUDE_BIN, run_claude
from tests.inbound.conftest import CLAUDE_UPSTREAM_NAME
from tests.proxy import RunningProxy

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CLAUDE_BIN.exists(),
        reason=f"Claude Code not installed at {CLAUDE_BIN}: run `make setup`",
    ),
]

FINAL = "All done: hello.txt is written."
CONTENT = "hello from the mock model\n"


def write_then_finish(target: Path) -> Any:
    """A model that writes `target` with its first answer and reports after the result."""

    def agent(body: dict[str, Any]) -> Reply:
        messages = body.get("messages") or []
        last = messages[-1] if messages else {}
        content = last.get("content")
        tool_result = last.get("role") == "tool" or (
            isinstance(content, list)
            and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)
        )
        if tool_result:
            return Text(FINAL)
        return ToolCall("Write", {"file_path": str(target), "content": CONTENT})

    return agent


async def test_claude_code_runs_a_tool_through_auto_on_a_chat_model(
    proxy: RunningProxy, mock_upstream: MockUpstream, tmp_path: Path
) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    target = workdir / "hello.txt"
    agent = write_then_finish(target)
    mock_upstream.on("cheap", agent)
    mock_upstream.on("strong", agent)

    run = await run_claude(
        "Create hello.txt with a greeting.",
        base_url=proxy.origin,
        model="codex-auto",
        workdir=workdir,
        home=tmp_path / "home",
    )

    assert run.returncode == 0, run.describe()
    assert FINAL in run.stdout
    assert target.read_text() == CONTENT
    # One classifier call for the whole task; both round trips on the model it chose.
    assert len(mock_upstream.requests_for("mock-classifier")) == 1
    first_route, again = proxy.routing_records("route")
    assert (first_route["reason"], again["reason"]) == ("scored", "cache_hit")
    assert again["chosen"] == first_route["chosen"] and again["task"] == first_route["task"]
    served = mock_upstream.requests_for(first_route["chosen"])
    assert len(served) == 2
    *_, call_message, tool_message = served[1].body["messages"]
    assert tool_message["role"] == "tool"
    assert tool_message["tool_call_id"] == call_message["tool_calls"][0]["id"]
    requests = [r for r in proxy.routing_records("request") if r["requested"] == "codex-auto"]
    assert len(requests) == 2
    assert {r["slug"] for r in requests} == {first_route["chosen"]}
    assert {r["task"] for r in requests} == {first_route["task"]}
    # The task is Claude Code's session (not "-") plus the conversation's fingerprint.
    assert first_route["task"].startswith("fp:") and not first_route["task"].startswith("fp:-:")
    assert all(r["status"] == "completed" and r["output_tokens"] > 0 for r in requests)
    # The upstream was offered Claude Code's tools as chat functions.
    offered = {tool["function"]["name"] for tool in served[0].body["tools"]}
    assert {"Write", "Bash", "Read"} <= offered


async def test_claude_code_through_an_anthropic_upstream_is_passed_through(
    proxy: RunningProxy, mock_upstream: MockUpstream, tmp_path: Path
) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    target = workdir / "hello.txt"
    mock_upstream.on(CLAUDE_UPSTREAM_NAME, write_then_finish(target))

    run = await run_claude(
        "Create hello.txt with a greeting.",
        base_url=proxy.origin,
        model="claude",
        workdir=workdir,
        home=tmp_path / "home",
    )

    assert run.returncode == 0, run.describe()
    assert FINAL in run.stdout
    assert target.read_text() == CONTENT
    first, second = mock_upstream.requests_for(CLAUDE_UPSTREAM_NAME)
    # Claude Code's own body, with our model name and its betas forwarded.
    assert first.path == "/v1/messages"
    assert "claude-code" in first.headers["anthropic-beta"]
    assert first.headers["x-api-key"] == "test-key-not-secret"
    assert first.body["metadata"]["user_id"]
    [result] = [b for b in second.body["messages"][-1]["content"] if b["type"] == "tool_result"]
    assert result["tool_use_id"]
