"""The real Codex CLI through the proxy, against a scripted Anthropic Messages upstream."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from examples.mockupstream import MockUpstream, Text, ToolCall, Usage
from router.codex_setup.catalog import write_catalog
from router.settings import load_settings
from tests.e2e.codex import CodexRun, run_codex_exec
from tests.proxy import ProxyFactory, RunningProxy, anthropic_model

pytestmark = pytest.mark.e2e

SIGNATURE = "EqQBCkgIARABGAIiQL2sig+/=" * 4


@pytest.fixture
async def proxy(mock_upstream: MockUpstream, proxy_factory: ProxyFactory) -> RunningProxy:
    return await proxy_factory(
        {"models": [anthropic_model("claude", mock_upstream.anthropic_base_url, thinking=True)]}
    )


async def run(
    codex_bin: Path, proxy: RunningProxy, tmp_path: Path, prompt: str, **kwargs: Any
) -> CodexRun:
    catalog = write_catalog(load_settings(proxy.settings_path), tmp_path / "catalog.json")
    return await run_codex_exec(
        codex_bin,
        proxy.base_url,
        prompt,
        model="claude",
        workdir=tmp_path / "ws",
        codex_home=tmp_path / "home",
        catalog_path=catalog,
        **kwargs,
    )


def blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message["content"]
    return content if isinstance(content, list) else [{"type": "text", "text": content}]


async def test_codex_runs_a_tool_call_from_claude_and_replays_its_thinking_byte_identical(
    codex_bin: Path, proxy: RunningProxy, mock_upstream: MockUpstream, tmp_path: Path
) -> None:
    thinking = ("The user wants a file. I will run echo.", SIGNATURE)
    mock_upstream.script(
        "claude",
        ToolCall(
            "exec_command", {"cmd": "echo hi > out.txt"}, call_id="toolu_1", thinking=thinking
        ),
        Text("done"),
    )
    result = await run(codex_bin, proxy, tmp_path, "create out.txt")
    assert result.returncode == 0, result.describe()
    assert (tmp_path / "ws" / "out.txt").read_text().strip() == "hi"
    second = mock_upstream.requests_for("claude")[1].body
    assistant = [m for m in second["messages"] if m["role"] == "assistant"][-1]
    first_block, tool_use = blocks(assistant)[0], blocks(assistant)[-1]
    assert first_block == {"type": "thinking", "thinking": thinking[0], "signature": SIGNATURE}
    assert tool_use["type"] == "tool_use" and tool_use["id"] == "toolu_1"
    result_block = blocks(second["messages"][-1])[0]
    assert result_block["type"] == "tool_result" and result_block["tool_use_id"] == "toolu_1"


async def test_codex_applies_a_patch_from_claude(
    codex_bin: Path, proxy: RunningProxy, mock_upstream: MockUpstream, tmp_path: Path
) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "notes.txt").write_text("draft\n")
    patch = "*** Begin Patch\n*** Update File: notes.txt\n@@\n-draft\n+final\n*** End Patch\n"
    mock_upstream.script("claude", ToolCall("apply_patch", {"input": patch}), Text("patched"))
    result = await run(codex_bin, proxy, tmp_path, "finalise the notes")
    assert result.returncode == 0, result.describe()
    assert (tmp_path / "ws" / "notes.txt").read_text() == "final\n"


def tiny_png(path: Path) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff\x00\x00" * 2)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
    return path


async def test_an_image_from_codex_exec_reaches_claude_as_an_image_block(
    codex_bin: Path, proxy: RunningProxy, mock_upstream: MockUpstream, tmp_path: Path
) -> None:
    image = tiny_png(tmp_path / "red.png")
    mock_upstream.script("claude", Text("a red square"))
    result = await run(codex_bin, proxy, tmp_path, "what colour is this?", images=[image])
    assert result.returncode == 0, result.describe()
    [request] = mock_upstream.requests_for("claude")
    image_blocks = [
        block
        for message in request.body["messages"]
        if message["role"] == "user"
        for block in blocks(message)
        if block["type"] == "image"
    ]
    [block] = image_blocks
    assert block["source"]["type"] == "base64"
    assert block["source"]["media_type"] == "image/png"
    assert base64.b64decode(block["source"]["data"]) == image.read_bytes()


async def test_a_long_session_reads_its_prefix_from_cache_and_codex_sees_cached_tokens(
    codex_bin: Path, proxy: RunningProxy, mock_upstream: MockUpstream, tmp_path: Path
) -> None:
    mock_upstream.script(
        "claude",
        ToolCall(
            "exec_command",
            {"cmd": "echo one"},
            usage=Usage(input_tokens=9000, cached_tokens=0, cache_creation_tokens=8000),
        ),
        Text("done", usage=Usage(input_tokens=9500, cached_tokens=8000, output_tokens=5)),
    )
    result = await run(codex_bin, proxy, tmp_path, "run one command")
    assert result.returncode == 0, result.describe()
    second = mock_upstream.requests_for("claude")[1].body
    marked = json.dumps(second).count('"cache_control"')
    assert 2 <= marked <= 4
    assert "cache_control" in json.dumps(second["system"][-1])
    assert "cache_control" in json.dumps(second["tools"][-1])
    assert "cache_control" in json.dumps(blocks(second["messages"][-1])[-1])
    usage = [e for e in result.events if e.get("type") == "turn.completed"][-1]["usage"]
    assert usage["cached_input_tokens"] == 8000
    [_, last] = proxy.routing_records("request")
    assert last["cached_tokens"] == 8000 and last["input_tokens"] == 9500
