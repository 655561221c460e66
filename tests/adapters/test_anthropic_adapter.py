"""AnthropicMessagesAdapter against a loopback Anthropic server started by each test."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.anthropic.adapter import (
    ANTHROPIC_VERSION,
    AnthropicMessagesAdapter,
    messages_url,
    request_headers,
)
from adapters.base import Target, UpstreamError
from adapters.responses.objects import TERMINAL_EVENTS
from adapters.thinking import decode_blocks, origin_of
from adapters.transport import UpstreamClient
from examples.mockupstream import MockUpstream
from examples.mockupstream.replies import Text, ToolCall, ToolCalls
from router.routing.upstreams import upstream_client

KEY = "sk-ant-api03-secretsecretsecret"
TOOLS = [
    {"type": "function", "name": "exec_command", "parameters": {"type": "object"}},
    {"type": "custom", "name": "apply_patch", "format": {"type": "grammar", "definition": "g"}},
]
REQUEST: dict[str, Any] = {
    "model": "codex-auto",
    "input": [{"role": "user", "content": [{"type": "input_text", "text": "list files"}]}],
    "tools": TOOLS,
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "reasoning": {"effort": "low", "summary": "auto"},
    "stream": True,
}


def frame(data: dict[str, Any]) -> bytes:
    return f"event: {data['type']}\ndata: {json.dumps(data)}\n\n".encode()


def sse(*events: dict[str, Any]) -> bytes:
    return b"".join(frame(e) for e in events)


MESSAGE_START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": "claude-sonnet-4-5",
        "stop_reason": None,
        "usage": {
            "input_tokens": 12,
            "cache_read_input_tokens": 4000,
            "cache_creation_input_tokens": 300,
            "output_tokens": 1,
        },
    },
}
TEXT_AND_TOOL = sse(
    MESSAGE_START,
    {"type": "ping"},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let me "}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "look."}},
    {"type": "content_block_stop", "index": 0},
    {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "tool_use", "id": "toolu_1", "name": "exec_command", "input": {}},
    },
    {
        "type": "content_block_delta",
        "index": 1,
        "delta": {"type": "input_json_delta", "partial_json": '{"cmd":'},
    },
    {
        "type": "content_block_delta",
        "index": 1,
        "delta": {"type": "input_json_delta", "partial_json": ' "ls"}'},
    },
    {"type": "content_block_stop", "index": 1},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 33}},
    {"type": "message_stop"},
)
SIGNATURE = "EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV"
THINKING = sse(
    MESSAGE_START,
    {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "thinking", "thinking": ""},
    },
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "thinking_delta", "thinking": "The user wants files."},
    },
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "signature_delta", "signature": SIGNATURE},
    },
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Sure."}},
    {"type": "content_block_stop", "index": 1},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}},
    {"type": "message_stop"},
)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunk_size: int | None = None
    """Write the body in pieces this big (splitting lines and UTF-8 anywhere)."""
    reset: bool = False
    """Drop the connection after the body instead of ending it cleanly."""


@dataclass
class Upstream:
    server: TestServer
    replies: list[Reply] = field(default_factory=list)
    received: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)

    def target(self, *, base: str = "/v1", **fields: Any) -> Target:
        return Target(
            slug="claude",
            kind="anthropic",
            model="claude-sonnet-4-5",
            base_url=str(self.server.make_url(base)),
            api_key=KEY,
            supports_thinking=True,
            **fields,
        )


def anthropic_error(kind: str, message: str) -> bytes:
    return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()


STATE = web.AppKey("state", Upstream)


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async def handle(request: web.Request) -> web.StreamResponse:
        state = request.app[STATE]
        headers = {name.lower(): value for name, value in request.headers.items()}
        state.received.append((request.path, headers, await request.json()))
        reply = state.replies.pop(0)
        if reply.status != 200 or not reply.body.startswith(b"event:"):
            return web.Response(
                status=reply.status,
                body=reply.body,
                headers={"content-type": "application/json", **reply.headers},
            )
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        size = reply.chunk_size or len(reply.body)
        for start in range(0, len(reply.body), size):
            await response.write(reply.body[start : start + size])
        if reply.reset:
            assert request.transport is not None
            request.transport.close()
            return response
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    server = TestServer(app, host="127.0.0.1")
    state = Upstream(server)
    app[STATE] = state
    await server.start_server()
    try:
        yield state
    finally:
        await server.close()


@pytest.fixture
async def adapter() -> AsyncIterator[AnthropicMessagesAdapter]:
    # The client the proxy itself gives a loopback upstream (httpx on aiohttp).
    async with upstream_client("http://127.0.0.1") as client:
        yield AnthropicMessagesAdapter(client)


async def collect(adapter: AnthropicMessagesAdapter, target: Target) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async for batch in await adapter.stream(REQUEST, target):
        assert batch, "no empty batches"
        events.extend(batch)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert sum(e["type"] in TERMINAL_EVENTS for e in events) == 1
    assert events[-1]["type"] in TERMINAL_EVENTS
    return events


def done_items(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["item"] for e in events if e["type"] == "response.output_item.done"]


# -- URL and headers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://api.anthropic.com/v1", "https://api.anthropic.com/v1/messages"),
        ("https://api.anthropic.com/v1/", "https://api.anthropic.com/v1/messages"),
        ("https://api.anthropic.com", "https://api.anthropic.com/v1/messages"),
        ("https://api.deepseek.com/anthropic", "https://api.deepseek.com/anthropic/v1/messages"),
        (
            "https://open.bigmodel.cn/api/anthropic/v1/messages",
            "https://open.bigmodel.cn/api/anthropic/v1/messages",
        ),
    ],
)
def test_messages_url(base: str, url: str) -> None:
    assert messages_url(base) == url


def test_headers_carry_the_key_and_version_and_extra_headers_win() -> None:
    target = Target(
        slug="k",
        kind="anthropic",
        model="m",
        base_url="http://x",
        api_key=KEY,
        extra_headers={"Anthropic-Version": "2099-01-01", "anthropic-beta": "x"},
    )
    headers = request_headers(target, stream=True)
    assert headers["x-api-key"] == KEY
    assert headers["accept"] == "text/event-stream"
    assert headers["Anthropic-Version"] == "2099-01-01"
    assert "anthropic-version" not in headers
    assert headers["anthropic-beta"] == "x"
    keyless = Target(slug="k", kind="anthropic", model="m", base_url="http://x")
    assert "x-api-key" not in request_headers(keyless, stream=False)
    assert request_headers(keyless, stream=False)["anthropic-version"] == ANTHROPIC_VERSION
    assert KEY not in repr(target)


# -- streaming --------------------------------------------------------------------------------


async def test_streams_text_and_a_tool_call(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    upstream.replies.append(Reply(body=TEXT_AND_TOOL, chunk_size=7))
    events = await collect(adapter, upstream.target())

    path, headers, body = upstream.received[0]
    assert path == "/v1/messages"
    assert headers["x-api-key"] == KEY
    assert headers["anthropic-version"] == ANTHROPIC_VERSION
    assert headers["accept"] == "text/event-stream"
    assert body["model"] == "claude-sonnet-4-5"
    assert body["stream"] is True
    assert [t["name"] for t in body["tools"]] == ["exec_command", "apply_patch"]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 4096}

    message, call = done_items(events)
    assert message["content"][0]["text"] == "Let me look."
    assert call["type"] == "function_call"
    assert call["call_id"] == "toolu_1"
    assert json.loads(call["arguments"]) == {"cmd": "ls"}
    assert events[-1]["type"] == "response.completed"
    assert events[-1]["response"]["model"] == "codex-auto"


async def test_usage_reports_cache_reads_as_cached_tokens(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    upstream.replies.append(Reply(body=TEXT_AND_TOOL))
    usage = (await collect(adapter, upstream.target()))[-1]["response"]["usage"]
    assert usage["input_tokens"] == 12 + 4000 + 300
    assert usage["input_tokens_details"]["cached_tokens"] == 4000
    assert usage["output_tokens"] == 33


async def test_thinking_arrives_as_reasoning_with_its_signed_block(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    upstream.replies.append(Reply(body=THINKING, chunk_size=5))
    target = upstream.target()
    events = await collect(adapter, target)
    reasoning, message = done_items(events)
    assert reasoning["type"] == "reasoning"
    assert reasoning["summary"][0]["text"] == "The user wants files."
    assert decode_blocks(reasoning["encrypted_content"], origin_of(target.base_url)) == [
        {"type": "thinking", "thinking": "The user wants files.", "signature": SIGNATURE}
    ]
    assert message["content"][0]["text"] == "Sure."

    # The next request replays the block unchanged.
    upstream.replies.append(Reply(body=THINKING))
    follow_up = {
        **REQUEST,
        "input": [*REQUEST["input"], reasoning, message, {"role": "user", "content": "more"}],
    }
    async for _ in await adapter.stream(follow_up, target):
        pass
    replayed = upstream.received[1][2]["messages"][1]["content"][0]
    assert replayed == {
        "type": "thinking",
        "thinking": "The user wants files.",
        "signature": SIGNATURE,
    }


async def test_error_event_mid_stream_fails_the_response(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    body = TEXT_AND_TOOL.split(b"event: content_block_stop")[0] + frame(
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    )
    upstream.replies.append(Reply(body=body))
    events = await collect(adapter, upstream.target())
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"]["code"] == "server_error"
    assert "Overloaded" in events[-1]["response"]["error"]["message"]
    assert done_items(events) == []


async def test_a_stream_that_ends_without_message_stop_fails(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    upstream.replies.append(Reply(body=TEXT_AND_TOOL.split(b"event: message_delta")[0]))
    events = await collect(adapter, upstream.target())
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"]["code"] == "server_error"
    assert "cut off" in events[-1]["response"]["error"]["message"]


async def test_a_dropped_connection_fails_the_response(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    cut = TEXT_AND_TOOL[: TEXT_AND_TOOL.index(b"input_json_delta")]
    upstream.replies.append(Reply(body=cut, reset=True))
    events = await collect(adapter, upstream.target())
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"]["code"] == "server_error"
    assert not any(i["type"] == "function_call" for i in done_items(events))


async def test_data_that_is_not_json_fails_the_response(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    upstream.replies.append(
        Reply(body=frame(MESSAGE_START) + b"event: content_block_start\ndata: {oops\n\n")
    )
    events = await collect(adapter, upstream.target())
    assert events[-1]["type"] == "response.failed"
    assert "not JSON" in events[-1]["response"]["error"]["message"]


# -- errors before the first byte ---------------------------------------------------------


async def test_overloaded_529_is_a_retryable_server_error(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    upstream.replies.append(
        Reply(status=529, body=anthropic_error("overloaded_error", "Overloaded"))
    )
    with pytest.raises(UpstreamError) as caught:
        await adapter.stream(REQUEST, upstream.target())
    assert (caught.value.status, caught.value.code) == (529, "server_error")
    assert caught.value.fallback_ok


async def test_rate_limit_429_keeps_retry_after(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    upstream.replies.append(
        Reply(
            status=429,
            body=anthropic_error(
                "rate_limit_error",
                f"Number of request tokens has exceeded your per-minute rate limit for key {KEY}",
            ),
            headers={"retry-after": "17"},
        )
    )
    with pytest.raises(UpstreamError) as caught:
        await adapter.stream(REQUEST, upstream.target())
    error = caught.value
    assert (error.status, error.code, error.retry_after) == (429, "rate_limit_exceeded", "17")
    assert KEY not in error.message and KEY not in str(error.body())


async def test_prompt_too_long_is_context_length_exceeded(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    message = "prompt is too long: 215000 tokens > 200000 maximum"
    upstream.replies.append(
        Reply(status=400, body=anthropic_error("invalid_request_error", message))
    )
    with pytest.raises(UpstreamError) as caught:
        await adapter.stream(REQUEST, upstream.target())
    assert (caught.value.status, caught.value.code) == (400, "context_length_exceeded")
    assert not caught.value.fallback_ok


async def test_other_invalid_requests_are_400(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    upstream.replies.append(
        Reply(status=400, body=anthropic_error("invalid_request_error", "messages.1: bad block"))
    )
    with pytest.raises(UpstreamError) as caught:
        await adapter.stream(REQUEST, upstream.target())
    assert (caught.value.status, caught.value.code) == (400, "invalid_request_error")
    assert "messages.1: bad block" in caught.value.message


async def test_empty_credit_balance_is_insufficient_quota(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    message = "Your credit balance is too low to access the Anthropic API."
    upstream.replies.append(
        Reply(status=400, body=anthropic_error("invalid_request_error", message))
    )
    with pytest.raises(UpstreamError) as caught:
        await adapter.stream(REQUEST, upstream.target())
    assert caught.value.code == "insufficient_quota"


# -- non-streaming ------------------------------------------------------------------------


async def test_complete_translates_a_message(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    answer = {
        "id": "msg_2",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [
            {"type": "thinking", "thinking": "plan", "signature": SIGNATURE},
            {"type": "text", "text": '{"score": 0.9}'},
        ],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 100, "cache_read_input_tokens": 50, "output_tokens": 7},
    }
    upstream.replies.append(Reply(body=json.dumps(answer).encode()))
    response = await adapter.complete({**REQUEST, "stream": False}, upstream.target())

    _, headers, body = upstream.received[0]
    assert "stream" not in body
    assert headers["accept"] == "application/json"
    assert response["status"] == "completed"
    assert response["model"] == "codex-auto"
    assert [i["type"] for i in response["output"]] == ["reasoning", "message"]
    assert response["output"][1]["content"][0]["text"] == '{"score": 0.9}'
    assert response["usage"]["input_tokens"] == 150
    assert response["usage"]["input_tokens_details"]["cached_tokens"] == 50


async def test_complete_raises_for_http_errors(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    upstream.replies.append(
        Reply(status=529, body=anthropic_error("overloaded_error", "Overloaded"))
    )
    with pytest.raises(UpstreamError) as caught:
        await adapter.complete(REQUEST, upstream.target())
    assert caught.value.code == "server_error"


async def test_model_defaults_to_the_target_slug(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    upstream.replies.append(Reply(body=THINKING))
    request = {key: value for key, value in REQUEST.items() if key != "model"}
    batches = [batch async for batch in await adapter.stream(request, upstream.target())]
    assert batches[-1][-1]["response"]["model"] == "claude"


# -- connection handling ------------------------------------------------------------------


class _TrackedStream(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


async def test_closing_the_iterator_early_releases_the_connection() -> None:
    stream = _TrackedStream([TEXT_AND_TOOL[:200], TEXT_AND_TOOL[200:]])

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)

    async with UpstreamClient(httpx.MockTransport(respond)) as client:
        target = Target(
            slug="c", kind="anthropic", model="claude-sonnet-4-5", base_url="http://mock/v1"
        )
        events = await AnthropicMessagesAdapter(client).stream(REQUEST, target)
        assert isinstance(events, AsyncIterator)
        first = await anext(events)
        assert first[0]["type"] == "response.created"
        await events.aclose()  # type: ignore[attr-defined]
    assert stream.closed


# -- the project's shared mock upstream -----------------------------------------------------


async def test_tool_round_trip_with_the_shared_mock_upstream(
    mock_upstream: MockUpstream, adapter: AnthropicMessagesAdapter
) -> None:
    patch = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n"
    mock_upstream.script(
        "claude-mock",
        ToolCalls(
            [ToolCall("exec_command", {"cmd": "ls"}), ToolCall("apply_patch", {"input": patch})],
            reasoning="plan the change",
        ),
        Text("done"),
    )
    target = Target(
        slug="claude-mock",
        kind="anthropic",
        model="claude-mock",
        base_url=f"{mock_upstream.root_url}/v1",
        supports_thinking=True,
    )
    request = {**REQUEST, "input": "change it"}
    first = [e async for batch in await adapter.stream(request, target) for e in batch]
    reasoning, shell, edit = done_items(first)
    assert (shell["type"], edit["type"], edit["input"]) == (
        "function_call",
        "custom_tool_call",
        patch,
    )

    history = [
        {"role": "user", "content": "change it"},
        reasoning,
        shell,
        edit,
        {"type": "function_call_output", "call_id": shell["call_id"], "output": "a.txt"},
        {"type": "custom_tool_call_output", "call_id": edit["call_id"], "output": "Success."},
    ]
    second = [
        e
        async for batch in await adapter.stream({**request, "input": history}, target)
        for e in batch
    ]
    assert done_items(second)[0]["content"][0]["text"] == "done"
    sent = mock_upstream.requests_for("claude-mock")[-1].body
    assert [b["type"] for b in sent["messages"][1]["content"]] == [
        "thinking",
        "tool_use",
        "tool_use",
    ]
    assert [b["type"] for b in sent["messages"][2]["content"]] == ["tool_result", "tool_result"]
    assert sent["thinking"]["type"] == "enabled"


async def test_complete_raises_for_an_error_inside_a_200_answer(
    upstream: Upstream, adapter: AnthropicMessagesAdapter
) -> None:
    upstream.replies.append(Reply(body=anthropic_error("rate_limit_error", "slow down")))
    with pytest.raises(UpstreamError) as caught:
        await adapter.complete(REQUEST, upstream.target())
    assert (caught.value.status, caught.value.code) == (429, "rate_limit_exceeded")
    assert "slow down" in caught.value.message
