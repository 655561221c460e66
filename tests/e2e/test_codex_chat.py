"""The real Codex CLI through the proxy, against a scripted chat-completions upstream."""

from __future__ import annotations

from pathlib import Path

import pytest

from examples.mockupstream import MockUpstream, Text, ToolCall, ToolCalls
from router.codex_setup.catalog import write_catalog
from router.settings import load_settings
from tests.e2e.codex import CodexRun, run_codex_exec
from tests.proxy import ProxyFactory, RunningProxy, chat_model

pytestmark = pytest.mark.e2e


@pytest.fixture
async def proxy(mock_upstream: MockUpstream, proxy_factory: ProxyFactory) -> RunningProxy:
    return await proxy_factory({"models": [chat_model("chat-a", mock_upstream.base_url)]})


async def run(codex_bin: Path, proxy: RunningProxy, tmp_path: Path, prompt: str) -> CodexRun:
    catalog = write_catalog(load_settings(proxy.settings_path), tmp_path / "catalog.json")
    return await run_codex_exec(
        codex_bin,
        proxy.base_url,
        prompt,
        model="chat-a",
        workdir=tmp_path / "ws",
        codex_home=tmp_path / "home",
        catalog_path=catalog,
    )


def tool_messages(mock: MockUpstream, model: str, index: int) -> list[dict]:
    messages = mock.requests_for(model)[index].body["messages"]
    return [m for m in messages if m["role"] == "tool"]


async def test_codex_runs_an_exec_command_call_from_a_chat_model(
    codex_bin: Path, proxy: RunningProxy, mock_upstream: MockUpstream, tmp_path: Path
) -> None:
    mock_upstream.script(
        "chat-a",
        ToolCall("exec_command", {"cmd": "echo hello > out.txt"}, call_id="call_one"),
        Text("done"),
    )
    result = await run(codex_bin, proxy, tmp_path, "create out.txt")
    assert result.returncode == 0, result.describe()
    assert (tmp_path / "ws" / "out.txt").read_text().strip() == "hello"
    [tool] = tool_messages(mock_upstream, "chat-a", 1)
    assert tool["tool_call_id"] == "call_one"
    assert "exited with code 0" in tool["content"]
    assert result.final_message == "done"


async def test_codex_applies_a_patch_from_a_chat_model(
    codex_bin: Path, proxy: RunningProxy, mock_upstream: MockUpstream, tmp_path: Path
) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "greet.txt").write_text("hello\n")
    patch = "*** Begin Patch\n*** Update File: greet.txt\n@@\n-hello\n+goodbye\n*** End Patch\n"
    mock_upstream.script(
        "chat-a", ToolCall("apply_patch", {"input": patch}, call_id="call_patch"), Text("patched")
    )
    result = await run(codex_bin, proxy, tmp_path, "change the greeting")
    assert result.returncode == 0, result.describe()
    assert (tmp_path / "ws" / "greet.txt").read_text() == "goodbye\n"
    [tool] = tool_messages(mock_upstream, "chat-a", 1)
    assert tool["tool_call_id"] == "call_patch"
    assert "Success" in tool["content"]
    call = mock_upstream.requests_for("chat-a")[1].body["messages"][-2]["tool_calls"][0]
    assert call["function"]["name"] == "apply_patch"


async def test_codex_runs_two_parallel_calls_from_one_reply(
    codex_bin: Path, proxy: RunningProxy, mock_upstream: MockUpstream, tmp_path: Path
) -> None:
    mock_upstream.script(
        "chat-a",
        ToolCalls(
            [
                ToolCall("exec_command", {"cmd": "echo a > a.txt"}, call_id="call_a"),
                ToolCall("exec_command", {"cmd": "echo b > b.txt"}, call_id="call_b"),
            ]
        ),
        Text("both done"),
    )
    result = await run(codex_bin, proxy, tmp_path, "make two files")
    assert result.returncode == 0, result.describe()
    assert (tmp_path / "ws" / "a.txt").exists() and (tmp_path / "ws" / "b.txt").exists()
    tools = tool_messages(mock_upstream, "chat-a", 1)
    assert sorted(t["tool_call_id"] for t in tools) == ["call_a", "call_b"]
