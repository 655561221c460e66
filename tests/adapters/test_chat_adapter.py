"""`ChatCompletionsAdapter` against a real loopback upstream (aiohttp) over real sockets."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.base import Adapter, Target, Timeouts, UpstreamError
from adapters.chat.adapter import ChatCompletionsAdapter
from adapters.responses.objects import TERMINAL_EVENTS
from router.routing.upstreams import upstream_client

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

API_KEY = "sk-test-0123456789abcdef"
REQUEST: dict[str, Any] = {
    "model": "codex-auto",
    "input": [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    ],
    "tools": [{"type": "function", "name": "exec_command", "parameters": {"type": "object"}}],
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "stream": True,
}


class Upstream:
    """A chat-completions endpoint whose behaviour each test scripts."""

    def __init__(self) -> None:
        self.handler: Handler = self.not_scripted
        self.received: list[dict[str, Any]] = []
        self.disconnected = asyncio.Event()
        self.base_url = ""
        self.app = web.Application()
        self.app.router.add_post("/v1/chat/completions", self.dispatch)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        self.received.append(
            {"path": request.path, "headers": dict(request.headers), "body": await request.json()}
        )
        return await self.handler(request)

    async def not_scripted(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"error": {"message": "not scripted"}}, status=500)

    async def wait_for_disconnect(self, request: web.Request, limit: float = 5.0) -> None:
        """Hold the response open until the client goes away (bounded). aiohttp either
        cancels the handler when the peer disconnects or shows a closed transport."""
        try:
            for _ in range(int(limit / 0.02)):
                transport = request.transport
                if transport is None or transport.is_closing():
                    self.disconnected.set()
                    return
                await asyncio.sleep(0.02)
        except asyncio.CancelledError:
            self.disconnected.set()
            raise


def sse(*chunks: dict[str, Any] | str) -> bytes:
    lines = [c if isinstance(c, str) else json.dumps(c) for c in chunks]
    return b"".join(f"data: {line}\n\n".encode() for line in lines)


def delta(**fields: Any) -> dict[str, Any]:
    return {"id": "c", "choices": [{"index": 0, "delta": fields, "finish_reason": None}]}


def finish(reason: str) -> dict[str, Any]:
    return {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]}


USAGE = {"id": "c", "choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3}}


def streaming(*pieces: bytes, hold: bool = False, cut: bool = False) -> Callable[..., Any]:
    """A handler writing each piece as its own network write."""

    def make(upstream: Upstream) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"content-type": "text/event-stream"})
            await response.prepare(request)
            try:
                for piece in pieces:
                    await response.write(piece)
                    await asyncio.sleep(0.01)
                if hold:
                    await upstream.wait_for_disconnect(request)
            except asyncio.CancelledError:
                upstream.disconnected.set()
                raise
            if cut and request.transport is not None:
                request.transport.close()  # mid-body: no final chunk of the chunked encoding
            return response

        return handler

    return make


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    mock = Upstream()
    server = TestServer(mock.app, host="127.0.0.1", port=0)
    await server.start_server()
    mock.base_url = f"http://127.0.0.1:{server.port}/v1"
    yield mock
    await server.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # The client the proxy itself gives a loopback upstream (httpx on aiohttp).
    async with upstream_client("http://127.0.0.1") as http:
        yield http


def target_for(upstream: Upstream, **overrides: Any) -> Target:
    fields: dict[str, Any] = {
        "slug": "local-qwen",
        "kind": "chat",
        "model": "qwen3:8b",
        "base_url": upstream.base_url,
        "api_key": API_KEY,
        "extra_headers": {"x-extra": "1"},
        "timeouts": Timeouts(connect=2, first_byte=5, idle=5),
    }
    fields.update(overrides)
    return Target(**fields)


async def collect(
    adapter: ChatCompletionsAdapter, target: Target, request: dict[str, Any] = REQUEST
) -> list[list[dict[str, Any]]]:
    batches = []
    async for batch in await adapter.stream(request, target):
        batches.append(batch)
    return batches


def flat(batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [event for batch in batches for event in batch]


def assert_one_terminal_last(events: list[dict[str, Any]]) -> dict[str, Any]:
    terminals = [e for e in events if e["type"] in TERMINAL_EVENTS]
    assert terminals == [events[-1]]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    return events[-1]


def test_the_adapter_satisfies_the_protocol(client: httpx.AsyncClient) -> None:
    adapter: Adapter = ChatCompletionsAdapter(client)
    assert adapter.kind == "chat"


# -- streaming -----------------------------------------------------------------------------


async def test_streams_text_with_usage(upstream: Upstream, client: httpx.AsyncClient) -> None:
    upstream.handler = streaming(
        sse(delta(role="assistant", content="")),
        sse(delta(content="Hel")),
        sse(delta(content="lo")),
        sse(finish("stop")),
        sse(USAGE, "[DONE]"),
    )(upstream)
    batches = await collect(ChatCompletionsAdapter(client), target_for(upstream))
    events = flat(batches)
    assert [e["type"] for e in batches[0]] == ["response.created", "response.in_progress"]
    terminal = assert_one_terminal_last(events)
    assert terminal["type"] == "response.completed"
    assert terminal["response"]["model"] == "codex-auto"
    assert terminal["response"]["usage"]["input_tokens"] == 12
    assert terminal["response"]["usage"]["output_tokens"] == 3
    text = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert "".join(text) == "Hello"


async def test_sends_the_translated_request_with_auth_and_extra_headers(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    upstream.handler = streaming(sse(delta(content="x"), finish("stop"), "[DONE]"))(upstream)
    await collect(ChatCompletionsAdapter(client), target_for(upstream))
    (received,) = upstream.received
    assert received["path"] == "/v1/chat/completions"
    headers = {k.lower(): v for k, v in received["headers"].items()}
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert headers["accept"] == "text/event-stream"
    assert headers["content-type"] == "application/json"
    assert headers["x-extra"] == "1"
    body = received["body"]
    assert body["model"] == "qwen3:8b"
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    assert body["tools"][0]["function"]["name"] == "exec_command"


async def test_no_authorization_header_without_a_key(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    upstream.handler = streaming(sse(delta(content="x"), "[DONE]"))(upstream)
    await collect(ChatCompletionsAdapter(client), target_for(upstream, api_key=None))
    headers = {k.lower() for k in upstream.received[0]["headers"]}
    assert "authorization" not in headers


async def test_model_name_falls_back_to_the_target_slug(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    upstream.handler = streaming(sse(delta(content="x"), "[DONE]"))(upstream)
    request = {k: v for k, v in REQUEST.items() if k != "model"}
    events = flat(await collect(ChatCompletionsAdapter(client), target_for(upstream), request))
    assert events[-1]["response"]["model"] == "local-qwen"


async def test_streams_a_tool_call_split_across_reads(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    first = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "exec_command", "arguments": '{"cmd"'},
    }
    raw = sse(
        delta(tool_calls=[first]),
        delta(tool_calls=[{"index": 0, "function": {"arguments": ':"ls"}'}}]),
        finish("tool_calls"),
        "[DONE]",
    )
    # Split the bytes at awkward places: inside a line, inside "data:".
    upstream.handler = streaming(raw[:17], raw[17:90], raw[90:])(upstream)
    events = flat(await collect(ChatCompletionsAdapter(client), target_for(upstream)))
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert [(i["type"], i["call_id"], i["arguments"]) for i in done] == [
        ("function_call", "call_1", '{"cmd":"ls"}')
    ]
    assert assert_one_terminal_last(events)["type"] == "response.completed"


async def test_a_compressed_stream_is_decoded(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    async def gzipped(request: web.Request) -> web.StreamResponse:
        body = gzip.compress(sse(delta(content="zipped"), finish("stop"), "[DONE]"))
        headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
        return web.Response(body=body, headers=headers)

    upstream.handler = gzipped
    events = flat(await collect(ChatCompletionsAdapter(client), target_for(upstream)))
    assert events[-1]["type"] == "response.completed"
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == "zipped"


async def test_a_compressed_error_body_is_decoded(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    async def gzipped(request: web.Request) -> web.StreamResponse:
        body = gzip.compress(json.dumps({"error": {"message": "model is loading"}}).encode())
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
        return web.Response(body=body, status=503, headers=headers)

    upstream.handler = gzipped
    error = await upstream_error(upstream, client)
    assert "model is loading" in error.message


async def test_done_marker_ends_the_stream_even_if_the_upstream_keeps_it_open(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    upstream.handler = streaming(sse(delta(content="x"), "[DONE]"), hold=True)(upstream)
    target = target_for(upstream, timeouts=Timeouts(connect=2, first_byte=5, idle=0.3))
    events = flat(await collect(ChatCompletionsAdapter(client), target))
    assert events[-1]["type"] == "response.completed"


async def test_eof_after_finish_reason_without_done_completes(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    upstream.handler = streaming(sse(delta(content="x"), finish("stop")))(upstream)
    events = flat(await collect(ChatCompletionsAdapter(client), target_for(upstream)))
    assert events[-1]["type"] == "response.completed"


async def test_malformed_chunk_fails_the_response(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    upstream.handler = streaming(
        sse(delta(content="ok")), b"data: {not json\n\n", sse(delta(content="never"))
    )(upstream)
    events = flat(await collect(ChatCompletionsAdapter(client), target_for(upstream)))
    failed = assert_one_terminal_last(events)
    assert failed["type"] == "response.failed"
    assert failed["response"]["error"]["code"] == "server_error"
    assert "malformed" in failed["response"]["error"]["message"]
    assert "never" not in json.dumps(events)


async def test_stream_ending_without_finish_or_done_is_cut_off(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    upstream.handler = streaming(sse(delta(content="partial")))(upstream)
    events = flat(await collect(ChatCompletionsAdapter(client), target_for(upstream)))
    failed = assert_one_terminal_last(events)
    assert failed["type"] == "response.failed"
    assert failed["response"]["error"]["code"] == "server_error"
    assert "cut off" in failed["response"]["error"]["message"]


async def test_connection_dropped_mid_body_fails_with_a_retryable_code(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    upstream.handler = streaming(sse(delta(content="partial")), cut=True)(upstream)
    events = flat(await collect(ChatCompletionsAdapter(client), target_for(upstream)))
    failed = assert_one_terminal_last(events)
    assert failed["type"] == "response.failed"
    assert failed["response"]["error"]["code"] == "server_error"


async def test_error_chunk_mid_stream_fails(upstream: Upstream, client: httpx.AsyncClient) -> None:
    error = {"error": {"message": f"Rate limit reached for key {API_KEY}", "code": "rate_limit"}}
    upstream.handler = streaming(sse(delta(content="a"), error))(upstream)
    events = flat(await collect(ChatCompletionsAdapter(client), target_for(upstream)))
    failed = assert_one_terminal_last(events)["response"]["error"]
    assert failed["code"] == "rate_limit_exceeded"
    assert API_KEY not in failed["message"]


async def test_idle_timeout_fails_with_a_retryable_code(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    upstream.handler = streaming(sse(delta(content="thinking...")), hold=True)(upstream)
    target = target_for(upstream, timeouts=Timeouts(connect=2, first_byte=5, idle=0.3))
    events = flat(await collect(ChatCompletionsAdapter(client), target))
    failed = assert_one_terminal_last(events)
    assert failed["type"] == "response.failed"
    assert failed["response"]["error"]["code"] in ("server_error", "rate_limit_exceeded")
    assert "timed out" in failed["response"]["error"]["message"]
    # The abandoned upstream response was closed too.
    await asyncio.wait_for(upstream.disconnected.wait(), 5)


async def test_closing_the_iterator_early_closes_the_upstream_connection(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    upstream.handler = streaming(sse(delta(content="first")), hold=True)(upstream)
    events = await ChatCompletionsAdapter(client).stream(REQUEST, target_for(upstream))
    seen: list[dict[str, Any]] = []
    async for batch in events:
        seen.extend(batch)
        if any(e["type"] == "response.output_text.delta" for e in seen):
            break
    assert not upstream.disconnected.is_set()
    await events.aclose()  # type: ignore[attr-defined]
    await asyncio.wait_for(upstream.disconnected.wait(), 5)


async def test_closing_a_stream_that_was_never_iterated_closes_the_upstream(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    upstream.handler = streaming(sse(delta(content="first")), hold=True)(upstream)
    events = await ChatCompletionsAdapter(client).stream(REQUEST, target_for(upstream))
    await events.aclose()  # type: ignore[attr-defined]
    await asyncio.wait_for(upstream.disconnected.wait(), 5)


async def test_cancelling_the_consumer_closes_the_upstream_connection(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    upstream.handler = streaming(sse(delta(content="first")), hold=True)(upstream)
    got_text = asyncio.Event()

    async def consume() -> None:
        async for batch in await ChatCompletionsAdapter(client).stream(
            REQUEST, target_for(upstream)
        ):
            if any(e["type"] == "response.output_text.delta" for e in batch):
                got_text.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_text.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(upstream.disconnected.wait(), 5)


# -- errors before the first byte --------------------------------------------------------------


def replying(status: int, body: Any, headers: dict[str, str] | None = None) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response(body, status=status, headers=headers)

    return handler


async def upstream_error(upstream: Upstream, client: httpx.AsyncClient) -> UpstreamError:
    with pytest.raises(UpstreamError) as caught:
        await ChatCompletionsAdapter(client).stream(REQUEST, target_for(upstream))
    return caught.value


async def test_429_with_retry_after_keeps_it(upstream: Upstream, client: httpx.AsyncClient) -> None:
    upstream.handler = replying(
        429, {"error": {"message": "Rate limit reached", "type": "requests"}}, {"Retry-After": "7"}
    )
    error = await upstream_error(upstream, client)
    assert (error.status, error.code, error.retry_after) == (429, "rate_limit_exceeded", "7")
    assert error.fallback_ok


async def test_429_without_retry_after(upstream: Upstream, client: httpx.AsyncClient) -> None:
    upstream.handler = replying(429, {"error": {"message": "Rate limit reached"}})
    error = await upstream_error(upstream, client)
    assert (error.status, error.code, error.retry_after) == (429, "rate_limit_exceeded", None)


async def test_500_is_a_server_error_worth_a_fallback(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    upstream.handler = replying(500, {"error": {"message": "model crashed"}})
    error = await upstream_error(upstream, client)
    assert (error.status, error.code, error.fallback_ok) == (500, "server_error", True)
    assert "model crashed" in error.message


async def test_quota_body_is_insufficient_quota(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    body = {"error": {"message": "You exceeded your current quota", "type": "insufficient_quota"}}
    upstream.handler = replying(429, body)
    error = await upstream_error(upstream, client)
    assert error.code == "insufficient_quota"


async def test_context_length_body_is_context_length_exceeded(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    body = {
        "error": {
            "message": "This model's maximum context length is 8192 tokens. However, you requested 9000.",
            "code": "context_length_exceeded",
        }
    }
    upstream.handler = replying(400, body)
    error = await upstream_error(upstream, client)
    assert (error.status, error.code) == (400, "context_length_exceeded")


async def test_the_key_in_an_upstream_error_message_is_scrubbed(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    upstream.handler = replying(401, {"error": {"message": f"Incorrect API key: {API_KEY}"}})
    error = await upstream_error(upstream, client)
    assert error.status == 401
    for text in (error.message, str(error), repr(error), json.dumps(error.body())):
        assert API_KEY not in text


async def test_connection_refused_is_a_502_worth_a_fallback(client: httpx.AsyncClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = Target(
        slug="gone", kind="chat", model="m", base_url=f"http://127.0.0.1:{port}/v1", api_key=API_KEY
    )
    with pytest.raises(UpstreamError) as caught:
        await ChatCompletionsAdapter(client).stream(REQUEST, target)
    assert (caught.value.status, caught.value.code) == (502, "server_error")
    assert caught.value.fallback_ok
    assert API_KEY not in caught.value.message


# -- non-streaming ---------------------------------------------------------------------------


async def test_complete_returns_a_response_object(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    answer = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    }
    upstream.handler = replying(200, answer)
    response = await ChatCompletionsAdapter(client).complete(REQUEST, target_for(upstream))
    assert response["status"] == "completed"
    assert response["model"] == "codex-auto"
    assert response["output"][0]["content"][0]["text"] == "Hello"
    assert response["usage"]["total_tokens"] == 6
    body = upstream.received[0]["body"]
    assert body["stream"] is False and "stream_options" not in body
    headers = {k.lower(): v for k, v in upstream.received[0]["headers"].items()}
    assert headers["accept"] == "application/json"


async def test_complete_raises_for_an_error_status_and_a_non_json_body(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    adapter = ChatCompletionsAdapter(client)
    upstream.handler = replying(503, {"error": {"message": "overloaded"}})
    with pytest.raises(UpstreamError) as caught:
        await adapter.complete(REQUEST, target_for(upstream))
    assert (caught.value.status, caught.value.code) == (503, "server_error")

    async def not_json(request: web.Request) -> web.StreamResponse:
        return web.Response(text="<html>gateway</html>", content_type="text/html")

    upstream.handler = not_json
    with pytest.raises(UpstreamError) as caught:
        await adapter.complete(REQUEST, target_for(upstream))
    assert caught.value.code == "server_error"
