"""Graceful shutdown of Anthropic Messages and chat-completions streams.

A stream still running when the grace period ends gets its own dialect's error (an
Anthropic `event: error`; a chat error chunk, then `[DONE]`), never a second status line,
and the routing log records it as ended by the shutdown. Each dialect is tried against an
upstream of its own kind (passed through) and of the other kind (translated).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.mockupstream import MockUpstream, Slow, Text
from tests.proxy import anthropic_model, chat_model
from tests.reliability.test_shutdown import TEXT, free_port, wait_healthy


@asynccontextmanager
async def serving(tmp_path: Path, base_url: str) -> AsyncIterator[tuple[Any, int, Path]]:
    settings = tmp_path / "settings.json"
    settings.write_text(
        json.dumps(
            {
                "models": [
                    chat_model("slow-chat", base_url),
                    anthropic_model("slow-claude", base_url),
                ]
            }
        )
    )
    port = free_port()
    routing_log = tmp_path / "routing.jsonl"
    env = {
        **os.environ,
        "AUTOROUTER_STATE_DIR": str(tmp_path / "state"),
        "AUTOROUTER_ROUTING_LOG": str(routing_log),
    }
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "router", "serve", "--settings", str(settings)),
        *("--port", str(port), "--shutdown-grace", "1"),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_healthy(port)
        yield process, port, routing_log
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def read_lines(response: httpx.Response, started: asyncio.Event) -> list[str]:
    lines = []
    async for line in response.aiter_lines():
        lines.append(line)
        if line.startswith("data: "):
            started.set()
    return lines


async def stream_across_sigterm(
    process: Any, port: int, path: str, body: dict[str, Any]
) -> tuple[int, list[str]]:
    started = asyncio.Event()
    async with (
        httpx.AsyncClient(trust_env=False, timeout=60) as http,
        http.stream("POST", f"http://127.0.0.1:{port}{path}", json=body) as response,
    ):
        reader = asyncio.ensure_future(read_lines(response, started))
        await asyncio.wait_for(started.wait(), 10)
        process.send_signal(signal.SIGTERM)
        lines = await asyncio.wait_for(reader, 30)
    return response.status_code, lines


def data_of(lines: list[str]) -> list[str]:
    return [line[6:] for line in lines if line.startswith("data: ")]


def messages_body(model: str) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": 100,
        "stream": True,
        "messages": [{"role": "user", "content": "count slowly"}],
    }


def chat_body(model: str) -> dict[str, Any]:
    return {"model": model, "stream": True, "messages": [{"role": "user", "content": "count"}]}


def logged_status(routing_log: Path) -> list[str]:
    return [json.loads(line)["status"] for line in routing_log.read_text().splitlines() if line]


@pytest.mark.parametrize("model", ["slow-claude", "slow-chat"])
async def test_a_messages_stream_cut_by_shutdown_ends_with_an_anthropic_error(
    tmp_path: Path, mock_upstream: MockUpstream, model: str
) -> None:
    mock_upstream.script(model, Slow(Text(TEXT), delay_per_event=1.0))
    async with serving(tmp_path, mock_upstream.base_url) as (process, port, routing_log):
        status, lines = await stream_across_sigterm(
            process, port, "/v1/messages", messages_body(model)
        )
        assert await asyncio.wait_for(process.wait(), 20) == 0
    assert status == 200
    events = [line[7:] for line in lines if line.startswith("event: ")]
    assert events[0] == "message_start"
    assert events[-1] == "error"
    assert "message_stop" not in events
    last = json.loads(data_of(lines)[-1])
    assert last["type"] == "error"
    assert last["error"]["message"] == "proxy shutting down"
    assert not any(line.startswith("HTTP/") for line in lines)
    assert logged_status(routing_log) == ["shutdown"]


@pytest.mark.parametrize("model", ["slow-chat", "slow-claude"])
async def test_a_chat_stream_cut_by_shutdown_ends_with_an_error_chunk_then_done(
    tmp_path: Path, mock_upstream: MockUpstream, model: str
) -> None:
    mock_upstream.script(model, Slow(Text(TEXT), delay_per_event=1.0))
    async with serving(tmp_path, mock_upstream.base_url) as (process, port, routing_log):
        status, lines = await stream_across_sigterm(
            process, port, "/v1/chat/completions", chat_body(model)
        )
        assert await asyncio.wait_for(process.wait(), 20) == 0
    assert status == 200
    data = data_of(lines)
    assert data[-1] == "[DONE]"
    error = json.loads(data[-2])
    assert error["error"]["message"] == "proxy shutting down"
    assert error["error"]["code"] == "server_error"
    assert data.count("[DONE]") == 1
    assert not any(line.startswith("HTTP/") for line in lines)
    assert logged_status(routing_log) == ["shutdown"]
