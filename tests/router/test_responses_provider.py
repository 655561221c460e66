"""`"provider": "responses"`: its settings, and its models served through the running proxy to\nthe openai SDK, Auto and an Anthropic client."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI, InternalServerError

from examples.mockupstream import HttpError, MockUpstream, Text, ToolCall, classifier_handler
from router.routing.upstreams import Upstreams
from router.settings import parse_settings
from tests.proxy import ProxyFactory, RunningProxy, chat_model


async def test_a_responses_model_defaults_to_the_openai_api_and_is_served_by_its_adapter() -> None:
    settings = parse_settings(
        {
            "models": [
                {"model": "gpt-5.5", "provider": "responses", "api_key_env": "OPENAI_API_KEY"},
                {"model": "qwen3", "provider": "openai-responses", "base_url": "http://127.0.0.1:8000/v1"},
                {"model": "gpt-5.4-mini", "provider": "openai"},
            ]
        }
    )  # fmt: skip
    native, local, chat = settings.models
    assert (native.kind, native.base_url) == ("responses", "https://api.openai.com/v1")
    assert (local.kind, local.base_url) == ("responses", "http://127.0.0.1:8000/v1")
    assert chat.kind == "chat"
    upstreams = Upstreams()
    adapter = upstreams.adapter_for(native.target({"OPENAI_API_KEY": "sk-x"}))
    assert type(adapter).__name__ == "ResponsesAdapter" and adapter.kind == "responses"
    await upstreams.aclose()


# -- through the running proxy ---------------------------------------------------------


def native(slug: str, base_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "model": f"{slug}-upstream",
        "provider": "responses",
        "base_url": base_url,
        "api_key": "sk-test-key-not-secret",
        **extra,
    }


@pytest.fixture
async def proxy(mock_upstream: MockUpstream, proxy_factory: ProxyFactory) -> RunningProxy:
    mock_upstream.on("judge-upstream", classifier_handler)
    return await proxy_factory(
        {
            "models": [
                native("fast", mock_upstream.base_url, price={"input": 1, "output": 4}),
                chat_model("steady", mock_upstream.base_url),
                native("judge", mock_upstream.base_url),
            ],
            "router": {
                "classifier": "judge",
                "default": "steady",
                "candidates": [
                    {"slug": "fast", "cost": 0.1, "card": "Cheap and fast. Simple edits."},
                    {"slug": "steady", "cost": 1.0, "card": "Strong reasoning, hard problems."},
                ],
            },
        }
    )


def sdk(proxy: RunningProxy) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=proxy.base_url, api_key="x", max_retries=0)


async def test_the_openai_sdk_reads_the_relayed_stream_as_typed_events(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script(
        "fast-upstream",
        ToolCall("exec_command", {"cmd": "ls"}, call_id="call_9", reasoning="look first"),
    )
    kinds: list[str] = []
    async with sdk(proxy) as client:
        stream = await client.responses.create(model="fast", input="list files", stream=True)
        async for event in stream:
            kinds.append(event.type)
            if event.type == "response.completed":
                completed = event.response
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert [item.type for item in completed.output] == ["reasoning", "function_call"]
    assert completed.usage is not None and completed.usage.input_tokens > 0
    [record] = proxy.routing_records("request")
    assert record["slug"] == "fast" and record["cost_usd"] > 0


async def test_the_openai_sdk_gets_a_whole_response(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("fast-upstream", Text("whole answer"))
    async with sdk(proxy) as client:
        response = await client.responses.create(model="fast", input="hi")
    assert response.output_text == "whole answer" and response.model == "fast"


async def test_an_upstream_500_reaches_the_sdk_as_the_same_error(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("fast-upstream", HttpError(500, {"error": {"message": "boom"}}))
    async with sdk(proxy) as client:
        with pytest.raises(InternalServerError):
            await client.responses.create(model="fast", input="hi", stream=True)


async def test_auto_falls_back_when_the_responses_candidate_is_rate_limited(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("fast-upstream", HttpError(429, {"error": {"message": "busy"}}))
    mock_upstream.script("steady", Text("served by the fallback"))
    body = {"model": "codex-auto", "stream": True, "input": "say hi"}
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        response = await http.post(f"{proxy.base_url}/responses", json=body)
    assert response.status_code == 200
    assert response.headers["x-autorouter-model"] == "steady"
    assert response.headers["x-autorouter-reason"] == "fallback"
    [judged] = mock_upstream.requests_for("judge-upstream")
    assert judged.path == "/v1/responses"


async def test_a_claude_code_style_client_can_use_a_responses_model(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("fast-upstream", Text("hello from responses"))
    body = {"model": "fast", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        response = await http.post(f"{proxy.origin}/v1/messages", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["content"][0]["text"] == "hello from responses"
