"""The overhead benchmark's lean upstream and load generator (benchmarks/overhead)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.overhead import load, run, upstream
from examples.mockupstream import MockUpstream

IGNORED = {"id", "created"}
"""Fields the mock draws afresh for every answer."""


async def _serve(event_delay: float = 0.0) -> tuple[asyncio.Server, str]:
    server = await upstream.serve(0, event_delay)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


@pytest.fixture
async def lean() -> AsyncIterator[str]:
    server, url = await _serve()
    async with server:
        yield url


@pytest.fixture
def direct_request(tmp_path: Path) -> tuple[bytes, dict[str, str]]:
    """The chat request the benchmark sends straight to the upstream."""
    settings = tmp_path / "settings.json"
    run.write_settings(settings, "http://127.0.0.1:1", "http://127.0.0.1:2")
    direct, _ = run.endpoints(settings, 9, run.FAST)
    return direct.body, direct.headers


def _direct(
    url: str, body: bytes, headers: dict[str, str], path: str = "/v1/chat/completions"
) -> load.Endpoint:
    return load.Endpoint("direct", url + path, body, headers, run.DIRECT_FIRST_TEXT, run.DIRECT_END)


def _events(raw: bytes) -> list[Any]:
    events: list[Any] = []
    for block in raw.decode().split("\n\n"):
        if not block:
            continue
        assert block.startswith("data: "), block
        data = block.removeprefix("data: ")
        if data == "[DONE]":
            events.append(data)
            continue
        event = json.loads(data)
        events.append({k: v for k, v in event.items() if k not in IGNORED})
    return events


async def _post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{url}/v1/chat/completions", content=body, headers=headers)


async def test_lean_upstream_sends_the_mocks_events(
    lean: str, direct_request: tuple[bytes, dict[str, str]]
) -> None:
    body, headers = direct_request
    async with MockUpstream() as mock:
        mock.on("*", lambda _: upstream.REPLY)
        expected = await _post(mock.root_url, body, headers)
    got = await _post(lean, body, headers)
    assert got.status_code == expected.status_code == 200
    assert got.headers["content-type"] == expected.headers["content-type"]
    assert got.headers["transfer-encoding"] == "chunked"
    events = _events(got.content)
    assert events == _events(expected.content)
    assert len(events) == upstream.TEXT_DELTAS + 8
    assert events[-2]["usage"]["prompt_tokens"] == len(body) // 4
    assert events[1]["model"] == run.FAST
    assert _fresh_fields_masked(got.content) == _fresh_fields_masked(expected.content)


def _fresh_fields_masked(raw: bytes) -> bytes:
    raw = re.sub(rb'"id": "chatcmpl-[0-9a-f]+"', b'"id": "?"', raw)
    return re.sub(rb'"created": [0-9]+', b'"created": 0', raw)


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> bytes:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n"), head
    return await reader.readuntil(b"\r\n0\r\n\r\n")


async def test_two_requests_on_one_connection(
    lean: str, direct_request: tuple[bytes, dict[str, str]]
) -> None:
    body, headers = direct_request
    endpoint = _direct(lean, body, headers)
    reader, writer = await asyncio.open_connection(*endpoint.address)
    try:
        for _ in range(2):
            answer = await _exchange(reader, writer, endpoint.request)
            assert answer.endswith(b"data: [DONE]\n\n\r\n0\r\n\r\n")
    finally:
        writer.close()


async def test_paced_answer_waits_before_every_event(
    direct_request: tuple[bytes, dict[str, str]],
) -> None:
    delay = 0.002
    server, url = await _serve(delay)
    async with server:
        started = time.perf_counter()
        response = await _post(url, *direct_request)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert len(_events(response.content)) == upstream.TEXT_DELTAS + 8
    assert elapsed >= upstream.TEXT_DELTAS * delay


async def test_other_path_is_404_and_keeps_the_connection(lean: str) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", _port(lean))
    try:
        writer.write(b"POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 404 ")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        assert json.loads(await reader.readexactly(length))["error"]
        request = (
            b'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 15\r\n\r\n{"model": "m"}\n'
        )
        assert (await _exchange(reader, writer, request)).endswith(b"\r\n0\r\n\r\n")
    finally:
        writer.close()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"garbage\r\n\r\n",
        b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
    ],
    ids=["request line", "content length", "no model"],
)
async def test_malformed_request_is_400_and_closes(lean: str, request_bytes: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", _port(lean))
    try:
        writer.write(request_bytes)
        answer = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close\r\n" in answer


# -- the load generator ---------------------------------------------------------------------


async def test_load_generator_reads_the_lean_upstream(
    lean: str, direct_request: tuple[bytes, dict[str, str]]
) -> None:
    endpoint = _direct(lean, *direct_request)
    async with load.new_session(4) as session:
        batch = await load.run_batch(session, endpoint, concurrency=4, count=12, time_limit=5)
        status, body = await load.fetch(session, endpoint)
        # Four workers, four kept-alive connections, reused across all twelve streams.
        assert sum(len(c) for c in session.idle.values()) == 4
    assert batch.errors == 0 and len(batch.ok) == 12
    for result in batch.results:
        assert result.first_text is not None and 0 < result.first_text <= result.total
    assert status == 200 and len(_events(body)) == upstream.TEXT_DELTAS + 8


async def test_non_200_is_an_error_result(
    lean: str, direct_request: tuple[bytes, dict[str, str]]
) -> None:
    endpoint = _direct(lean, *direct_request, path="/v1/elsewhere")
    async with load.new_session(1) as session:
        results = [await load.stream_once(session, endpoint) for _ in range(2)]
    assert [(r.ok, r.error) for r in results] == [(False, "HTTP 404")] * 2


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _stream_with(handler: Handler) -> load.StreamResult:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await handler(reader, writer)
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    endpoint = _direct(f"http://127.0.0.1:{port}", b"", {})
    async with server, load.new_session(1) as session:
        return await load.stream_once(session, endpoint)


_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


async def test_server_closing_mid_body_is_an_error_result() -> None:
    async def cut(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(_HEAD + upstream.as_chunk(b'data: {"content": "hi"}\n\n') + b"40\r\nda")
        await writer.drain()

    result = await _stream_with(cut)
    assert not result.ok
    assert result.error is not None and "closed the connection mid-body" in result.error


async def test_body_without_end_marker_is_an_error_result() -> None:
    async def unfinished(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(_HEAD + upstream.as_chunk(b'data: {"content": "hi"}\n\n') + b"0\r\n\r\n")
        await writer.drain()

    result = await _stream_with(unfinished)
    assert (result.ok, result.error) == (False, "stream ended without its end marker")
    assert result.first_text is not None


async def test_stalled_stream_times_out_as_an_error_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(load, "STREAM_TIMEOUT", 0.2)

    async def stall(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(_HEAD)
        await asyncio.sleep(1)

    result = await _stream_with(stall)
    assert (result.ok, result.error) == (False, "TimeoutError")
