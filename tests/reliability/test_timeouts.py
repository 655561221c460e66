"""Per-model timeouts, for both translating adapters, as a client of the proxy sees them.

- Idle between events: the stream already started, so it ends with `response.failed`
  and a code Codex retries; never silence, never a stream without a terminal event.
- First byte and connect, before anything was sent: Auto hands the request to the next
  candidate; a concrete model answers with a typed HTTP error instead.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from adapters.responses.objects import RETRYABLE_FAILURE_CODES, TERMINAL_EVENTS
from examples.mockupstream import MockUpstream, Stall, Text, classifier_handler
from examples.mockupstream.listeners import Blackhole, SilentListener
from tests.proxy import ProxyFactory, RunningProxy, anthropic_model, chat_model

KINDS = {"chat": chat_model, "anthropic": anthropic_model}

SHORT = {"connect_timeout": 0.3, "first_byte_timeout": 0.5, "idle_timeout": 0.5}
CLIENT_DEADLINE = 20.0
"""Far above every timeout above: hitting it means the proxy went silent."""


def base_url(kind: str, url: str) -> str:
    # The Anthropic adapter adds `/v1/messages` itself; chat expects the `/v1` base.
    return url.removesuffix("/v1") if kind == "anthropic" else url


@pytest.fixture
async def silent() -> AsyncIterator[SilentListener]:
    async with SilentListener() as listener:
        yield listener


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    with Blackhole() as hole:
        yield hole


async def post(proxy: RunningProxy, model: str) -> tuple[httpx.Response, list[dict[str, Any]]]:
    """One streamed request as Codex sends it; the response and its decoded events."""
    body = {
        "model": model,
        "stream": True,
        "input": [{"type": "message", "role": "user", "content": "say hi"}],
    }
    headers = {"session-id": str(uuid.uuid4())}
    async with httpx.AsyncClient(trust_env=False, timeout=CLIENT_DEADLINE) as http:
        response = await http.post(f"{proxy.base_url}/responses", json=body, headers=headers)
    events = [
        json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")
    ]
    return response, events


def assert_well_formed(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Exactly one terminal event, last, with sequence numbers in order; returns it."""
    terminals = [e for e in events if e["type"] in TERMINAL_EVENTS]
    assert len(terminals) == 1 and events[-1] is terminals[0]
    numbers = [e["sequence_number"] for e in events]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    return events[-1]


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_an_idle_stream_ends_in_a_retryable_failure(
    kind: str, mock_upstream: MockUpstream, proxy_factory: ProxyFactory
) -> None:
    mock_upstream.script("m", Stall(Text("one two three four five"), after_events=3, seconds=30))
    url = base_url(kind, mock_upstream.base_url)
    proxy = await proxy_factory({"models": [KINDS[kind]("m", url, **SHORT)]})
    response, events = await post(proxy, "m")
    assert response.status_code == 200
    last = assert_well_formed(events)
    assert last["type"] == "response.failed"
    assert last["response"]["error"]["code"] in RETRYABLE_FAILURE_CODES
    assert "timed out" in last["response"]["error"]["message"]


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_a_model_that_never_answers_gets_a_typed_error_not_silence(
    kind: str, silent: SilentListener, proxy_factory: ProxyFactory
) -> None:
    url = base_url(kind, silent.base_url)
    proxy = await proxy_factory({"models": [KINDS[kind]("m", url, **SHORT)]})
    response, _ = await post(proxy, "m")
    assert response.status_code == 504
    error = response.json()["error"]
    assert error["code"] == "server_error"
    assert "first byte" in error["message"]


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_a_connect_timeout_gets_a_typed_error_not_silence(
    kind: str, blackhole: Blackhole, proxy_factory: ProxyFactory
) -> None:
    url = base_url(kind, blackhole.base_url)
    proxy = await proxy_factory({"models": [KINDS[kind]("m", url, **SHORT)]})
    response, _ = await post(proxy, "m")
    assert response.status_code == 504
    error = response.json()["error"]
    assert error["code"] == "server_error"
    assert "connect" in error["message"]


def auto_settings(first: dict[str, Any], mock: MockUpstream) -> dict[str, Any]:
    """Auto with `first` as the cheapest candidate the classifier is happy with, and a
    working model behind it."""
    mock.on("mock-classifier", classifier_handler)
    return {
        "models": [
            first,
            chat_model("backup", mock.base_url, **SHORT),
            chat_model("mock-classifier", mock.base_url),
        ],
        "router": {
            "classifier": "mock-classifier",
            "candidates": [
                {"slug": "first", "cost": 0.1, "card": "Cheap and fast. Simple edits."},
                {"slug": "backup", "cost": 5.0, "card": "Strong reasoning, hard problems."},
            ],
        },
    }


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("fault", ["first_byte", "connect"])
async def test_a_timeout_before_the_first_byte_falls_back_to_the_next_candidate(
    kind: str,
    fault: str,
    mock_upstream: MockUpstream,
    silent: SilentListener,
    blackhole: Blackhole,
    proxy_factory: ProxyFactory,
) -> None:
    dead = silent.base_url if fault == "first_byte" else blackhole.base_url
    first = KINDS[kind]("first", base_url(kind, dead), **SHORT)
    proxy = await proxy_factory(auto_settings(first, mock_upstream))
    response, events = await post(proxy, "codex-auto")
    assert response.status_code == 200
    assert response.headers["x-autorouter-model"] == "backup"
    assert response.headers["x-autorouter-reason"] == "fallback"
    assert assert_well_formed(events)["type"] == "response.completed"
    assert [r.model for r in mock_upstream.requests_for("backup")] == ["backup"]
    if fault == "first_byte":
        assert silent.accepted >= 1
        # The proxy hung up on the silent upstream instead of keeping the socket.
        for _ in range(100):
            if silent.open_connections == 0:
                break
            await asyncio.sleep(0.02)
        assert silent.open_connections == 0
