"""Graceful shutdown of a real `python -m router serve` process.

On SIGTERM the proxy stops accepting connections at once, lets streams in flight finish
within the grace period, and ends the ones still running after it with a
`response.failed` that Codex retries (against the restarted proxy).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.mockupstream import MockUpstream, Slow, Text
from tests.proxy import chat_model

TEXT = " ".join(f"w{i}" for i in range(20))
"""Twenty text deltas, so a `Slow` reply takes twenty pauses."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(
    tmp_path: Path, base_url: str, grace: float
) -> AsyncIterator[tuple[asyncio.subprocess.Process, int]]:
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"models": [chat_model("slow", base_url)]}))
    port = free_port()
    env = {**os.environ, "AUTOROUTER_STATE_DIR": str(tmp_path / "state")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "router",
        "serve",
        "--settings",
        str(settings),
        "--port",
        str(port),
        "--shutdown-grace",
        str(grace),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_healthy(port)
        yield process, port
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def wait_healthy(port: int) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        for _ in range(300):
            try:
                if (await http.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("the proxy never became healthy")


def body() -> dict[str, Any]:
    return {"model": "slow", "stream": True, "input": "count slowly"}


async def read_stream(response: httpx.Response, first_event: asyncio.Event) -> list[dict[str, Any]]:
    events = []
    async for line in response.aiter_lines():
        if line.startswith("data: "):
            events.append(json.loads(line[6:]))
            first_event.set()
    return events


def connection_refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except (ConnectionRefusedError, ConnectionResetError):
        # A connect racing the listener's close can be reset instead of refused.
        return True


async def stream_across_sigterm(
    process: asyncio.subprocess.Process, port: int
) -> tuple[list[dict[str, Any]], bool]:
    """Open a stream, send SIGTERM once it has started, and read it to its end.

    Returns the events and whether a new connection was refused while the stream was
    still being served."""
    first_event = asyncio.Event()
    async with (
        httpx.AsyncClient(trust_env=False, timeout=60) as http,
        http.stream("POST", f"http://127.0.0.1:{port}/v1/responses", json=body()) as response,
    ):
        assert response.status_code == 200
        reader = asyncio.ensure_future(read_stream(response, first_event))
        await asyncio.wait_for(first_event.wait(), 10)
        process.send_signal(signal.SIGTERM)
        refused = False
        for _ in range(100):
            refused = await asyncio.to_thread(connection_refused, port)
            if refused or reader.done():
                break
            await asyncio.sleep(0.02)
        refused_while_streaming = refused and not reader.done()
        events = await asyncio.wait_for(reader, 60)
    return events, refused_while_streaming


async def test_a_stream_within_the_grace_period_completes_and_new_connections_are_refused(
    tmp_path: Path, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("slow", Slow(Text(TEXT), delay_per_event=0.1))
    async with serving(tmp_path, mock_upstream.base_url, grace=30) as (process, port):
        events, refused_while_streaming = await stream_across_sigterm(process, port)
        assert refused_while_streaming
        assert events[-1]["type"] == "response.completed"
        text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
        assert text == TEXT
        assert await asyncio.wait_for(process.wait(), 20) == 0


async def test_a_stream_longer_than_the_grace_period_ends_with_a_retryable_failure(
    tmp_path: Path, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("slow", Slow(Text(TEXT), delay_per_event=1.0))
    async with serving(tmp_path, mock_upstream.base_url, grace=1) as (process, port):
        events, refused_while_streaming = await stream_across_sigterm(process, port)
        assert refused_while_streaming
        last = events[-1]
        assert last["type"] == "response.failed"
        assert last["response"]["error"] == {
            "code": "server_error",
            "message": "proxy shutting down",
        }
        assert [e["type"] for e in events].count("response.failed") == 1
        numbers = [e["sequence_number"] for e in events]
        assert numbers == list(range(len(events)))
        assert await asyncio.wait_for(process.wait(), 20) == 0
    # The proxy closed its upstream request when it ended the stream.
    for _ in range(100):
        if mock_upstream.open_streams == 0:
            break
        await asyncio.sleep(0.05)
    assert mock_upstream.open_streams == 0


async def test_daemon_stop_ends_a_long_stream_the_same_way(
    tmp_path: Path, mock_upstream: MockUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    from router.cli import daemon

    monkeypatch.setenv("AUTOROUTER_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "state").mkdir()
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"models": [chat_model("slow", mock_upstream.base_url)]}))
    port = free_port()
    options = daemon.ServeOptions(settings_path=settings, host="127.0.0.1", port=port)
    mock_upstream.script("slow", Slow(Text(TEXT), delay_per_event=1.0))
    await asyncio.to_thread(daemon.start, dataclasses.replace(options, shutdown_grace=1))
    first_event = asyncio.Event()
    try:
        async with (
            httpx.AsyncClient(trust_env=False, timeout=60) as http,
            http.stream("POST", f"http://127.0.0.1:{port}/v1/responses", json=body()) as response,
        ):
            reader = asyncio.ensure_future(read_stream(response, first_event))
            await asyncio.wait_for(first_event.wait(), 10)
            stopped = await asyncio.to_thread(daemon.stop)
            events = await asyncio.wait_for(reader, 10)
    finally:
        await asyncio.to_thread(daemon.stop)
    assert stopped
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"]["message"] == "proxy shutting down"
