"""Closing an upstream stream that was never read releases the upstream connection.

A front door may open a stream and then fail before reading it (the client hung up while
the headers went out); every adapter's `UpstreamStream.aclose()` must still end the
upstream request, or the upstream keeps generating into a connection nobody reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from adapters.anthropic.adapter import AnthropicMessagesAdapter
from adapters.base import Target, UpstreamStream
from adapters.chat.adapter import ChatCompletionsAdapter
from adapters.codex.adapter import CodexPassthroughAdapter
from adapters.inbound.passthrough import AnthropicPassthrough, ChatPassthrough
from adapters.inbound.stream import AnthropicWriter, translated
from adapters.transport import AiohttpTransport, UpstreamClient
from examples.mockupstream import MockUpstream, Slow, Text

MODEL = "slow"
TEXT = " ".join(f"w{i}" for i in range(40))

Opener = Callable[[httpx.AsyncClient, MockUpstream], Awaitable[UpstreamStream[Any]]]


def target(kind: str, base_url: str) -> Target:
    return Target(slug=MODEL, kind=kind, model=MODEL, base_url=base_url, api_key="test-key")


RESPONSES_REQUEST = {"model": MODEL, "stream": True, "input": "count slowly"}
MESSAGES_REQUEST = {
    "model": MODEL,
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "count slowly"}],
}
CHAT_REQUEST = {"model": MODEL, "messages": [{"role": "user", "content": "count slowly"}]}


async def chat(client: httpx.AsyncClient, mock: MockUpstream) -> UpstreamStream[Any]:
    return await ChatCompletionsAdapter(client).stream(
        RESPONSES_REQUEST, target("chat", mock.base_url)
    )


async def anthropic(client: httpx.AsyncClient, mock: MockUpstream) -> UpstreamStream[Any]:
    return await AnthropicMessagesAdapter(client).stream(
        RESPONSES_REQUEST, target("anthropic", mock.anthropic_base_url)
    )


async def codex(client: httpx.AsyncClient, mock: MockUpstream) -> UpstreamStream[Any]:
    return await CodexPassthroughAdapter(client).stream(
        RESPONSES_REQUEST, target("codex", mock.codex_base_url)
    )


async def anthropic_passthrough(
    client: httpx.AsyncClient, mock: MockUpstream
) -> UpstreamStream[Any]:
    return await AnthropicPassthrough(client).stream(
        MESSAGES_REQUEST, target("anthropic", mock.anthropic_base_url)
    )


async def chat_passthrough(client: httpx.AsyncClient, mock: MockUpstream) -> UpstreamStream[Any]:
    return await ChatPassthrough(client).stream(CHAT_REQUEST, target("chat", mock.base_url))


async def translated_for_a_messages_client(
    client: httpx.AsyncClient, mock: MockUpstream
) -> UpstreamStream[Any]:
    return translated(await chat(client, mock), AnthropicWriter(MODEL))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    http = UpstreamClient(AiohttpTransport(limits=httpx.Limits(), trust_env=False))
    yield http
    await http.aclose()


async def wait_for(condition: Callable[[], bool]) -> bool:
    for _ in range(200):
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


@pytest.mark.parametrize(
    "opener",
    [
        chat,
        anthropic,
        codex,
        anthropic_passthrough,
        chat_passthrough,
        translated_for_a_messages_client,
    ],
)
async def test_closing_an_unread_stream_releases_the_upstream(
    mock_upstream: MockUpstream, client: httpx.AsyncClient, opener: Opener
) -> None:
    mock_upstream.script(MODEL, Slow(Text(TEXT), delay_per_event=0.05))
    stream = await opener(client, mock_upstream)
    assert await wait_for(lambda: mock_upstream.open_streams == 1)
    await stream.aclose()
    assert await wait_for(lambda: mock_upstream.open_streams == 0)
    assert mock_upstream.disconnects == 1
    assert mock_upstream.streams_completed == 0
