"""The proxy as a client sees it: the openai SDK over loopback, a scripted chat upstream."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI

from examples.mockupstream import (
    CutStream,
    HttpError,
    Malformed,
    MockUpstream,
    Slow,
    Stall,
    Text,
    ToolCall,
    ToolCalls,
    Usage,
)
from router import __version__
from tests.proxy import ProxyFactory, RunningProxy, chat_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "codex"
PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n"


def codex_tools() -> list[dict[str, Any]]:
    line = (FIXTURES / "exec_turn1_first_request.jsonl").read_text().splitlines()[0]
    return json.loads(line)["body"]["tools"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def proxy(mock_upstream: MockUpstream, proxy_factory: ProxyFactory) -> RunningProxy:
    return await proxy_factory(
        {
            "models": [
                chat_model("chat-a", mock_upstream.base_url, price={"input": 1.0, "output": 2.0}),
                chat_model("refused", f"http://127.0.0.1:{free_port()}/v1"),
            ]
        }
    )


def client(proxy: RunningProxy) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=proxy.base_url, api_key="unused", max_retries=0)


async def test_sdk_stream_parses_text_reasoning_function_and_custom_tool_calls(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script(
        "chat-a",
        ToolCalls(
            [
                ToolCall("exec_command", {"cmd": "ls"}, call_id="call_exec"),
                ToolCall("apply_patch", {"input": PATCH}, call_id="call_patch"),
            ],
            text="Let me look.",
            reasoning="First list the files.",
            usage=Usage(input_tokens=120, cached_tokens=20, output_tokens=30, reasoning_tokens=5),
        ),
    )
    stream = await client(proxy).responses.create(
        model="chat-a",
        input="list files",
        tools=codex_tools(),
        stream=True,  # type: ignore[arg-type]
    )
    events = [event async for event in stream]
    types = [event.type for event in events]
    assert types[0] == "response.created"
    assert types[-1] == "response.completed"
    done = [event.item for event in events if event.type == "response.output_item.done"]
    kinds = [item.type for item in done]
    assert kinds == ["reasoning", "message", "function_call", "custom_tool_call"]
    function_call, custom_call = done[2], done[3]
    assert function_call.call_id == "call_exec"
    assert json.loads(function_call.arguments) == {"cmd": "ls"}
    assert custom_call.call_id == "call_patch"
    assert custom_call.input == PATCH
    usage = events[-1].response.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens) == (120, 30)
    assert usage.input_tokens_details.cached_tokens == 20
    assert usage.output_tokens_details.reasoning_tokens == 5


async def test_sdk_stream_helper_returns_final_response_with_usage(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("chat-a", Text("Hello there, friend."))
    async with client(proxy).responses.stream(model="chat-a", input="say hello") as stream:
        deltas = [
            event.delta async for event in stream if event.type == "response.output_text.delta"
        ]
        final = await stream.get_final_response()
    assert "".join(deltas) == "Hello there, friend."
    assert final.id
    assert final.usage is not None and final.usage.output_tokens > 0


async def test_non_streaming_request_gets_a_response_object(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("chat-a", Text("plain answer"))
    response = await client(proxy).responses.create(model="chat-a", input="hi")
    assert response.output_text == "plain answer"


async def test_every_request_gets_one_log_record_with_usage_and_cost(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("chat-a", Text("x", usage=Usage(input_tokens=1000, output_tokens=500)))
    await client(proxy).responses.create(model="chat-a", input="hi")
    [record] = proxy.routing_records("request")
    assert record["slug"] == "chat-a"
    assert record["input_tokens"] == 1000 and record["output_tokens"] == 500
    assert record["cost_usd"] == pytest.approx(1000 * 1.0 / 1e6 + 500 * 2.0 / 1e6)
    assert "test-key-not-secret" not in proxy.routing_log.read_text()


async def post(proxy: RunningProxy, body: Any, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False) as http:
        return await http.post(f"{proxy.base_url}/responses", json=body, **kwargs)


async def sse_events(response: httpx.Response) -> list[dict[str, Any]]:
    return [
        json.loads(line[len("data: ") :])
        for line in response.text.splitlines()
        if line.startswith("data: ")
    ]


async def test_upstream_429_keeps_retry_after(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script(
        "chat-a",
        HttpError(
            429,
            {"error": {"message": "slow down", "type": "rate_limit_error"}},
            {"Retry-After": "7"},
        ),
    )
    response = await post(proxy, {"model": "chat-a", "input": "hi", "stream": True})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"


async def test_upstream_429_without_retry_after_has_none(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("chat-a", HttpError(429, {"error": {"message": "slow down"}}))
    response = await post(proxy, {"model": "chat-a", "input": "hi", "stream": True})
    assert response.status_code == 429
    assert "retry-after" not in response.headers


async def test_upstream_quota_error_becomes_insufficient_quota(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script(
        "chat-a",
        HttpError(
            429,
            {"error": {"message": "You exceeded your current quota", "type": "insufficient_quota"}},
        ),
    )
    response = await post(proxy, {"model": "chat-a", "input": "hi", "stream": True})
    assert response.json()["error"]["code"] == "insufficient_quota"


async def test_upstream_500_keeps_status_and_message(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script(
        "chat-a", HttpError(500, {"error": {"message": "boom test-key-not-secret"}})
    )
    response = await post(proxy, {"model": "chat-a", "input": "hi", "stream": True})
    assert response.status_code == 500
    assert "boom" in response.json()["error"]["message"]
    assert "test-key-not-secret" not in response.text


async def test_connection_refused_is_a_clear_502(proxy: RunningProxy) -> None:
    response = await post(proxy, {"model": "refused", "input": "hi", "stream": True})
    assert response.status_code == 502
    assert "could not reach" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "fault",
    [
        CutStream(Text("one two three four five"), after_events=3),
        Malformed(Text("one two three four five"), after_events=3),
    ],
    ids=["cut", "malformed"],
)
async def test_broken_stream_ends_in_response_failed(
    proxy: RunningProxy, mock_upstream: MockUpstream, fault: Any
) -> None:
    mock_upstream.script("chat-a", fault)
    response = await post(proxy, {"model": "chat-a", "input": "hi", "stream": True})
    events = await sse_events(response)
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"]["code"] == "server_error"
    assert (
        sum(
            e["type"].startswith("response.")
            and e["type"] in {"response.completed", "response.failed", "response.incomplete"}
            for e in events
        )
        == 1
    )


async def test_client_disconnect_cancels_the_upstream_request(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("chat-a", Slow(Text("word " * 200, chunks=200), delay_per_event=0.02))
    async with httpx.AsyncClient(trust_env=False) as http:
        request = http.build_request(
            "POST",
            f"{proxy.base_url}/responses",
            json={"model": "chat-a", "input": "hi", "stream": True},
        )
        response = await http.send(request, stream=True)
        async for _ in response.aiter_bytes():
            break
        await response.aclose()
    for _ in range(100):
        if mock_upstream.disconnects:
            break
        await asyncio.sleep(0.05)
    assert mock_upstream.disconnects == 1
    assert mock_upstream.streams_completed == 0
    [record] = proxy.routing_records("request")
    assert record["status"] == "client_disconnected"


async def test_idle_upstream_times_out_with_a_retryable_failure(
    mock_upstream: MockUpstream,
    proxy_factory: ProxyFactory,
) -> None:
    proxy = await proxy_factory(
        {"models": [chat_model("stally", mock_upstream.base_url, idle_timeout=0.3)]}
    )
    mock_upstream.script("stally", Stall(Text("a b c d"), after_events=2, seconds=3))
    response = await post(proxy, {"model": "stally", "input": "hi", "stream": True})
    events = await sse_events(response)
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"]["code"] == "server_error"


async def test_unknown_slug_is_404_listing_known_slugs(proxy: RunningProxy) -> None:
    response = await post(proxy, {"model": "nope", "input": "hi", "stream": True})
    assert response.status_code == 404
    message = response.json()["error"]["message"]
    assert "nope" in message and "chat-a" in message


async def test_non_json_body_is_400(proxy: RunningProxy) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        response = await http.post(f"{proxy.base_url}/responses", content=b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


async def test_missing_input_is_400(proxy: RunningProxy) -> None:
    response = await post(proxy, {"model": "chat-a"})
    assert response.status_code == 400
    assert "input" in response.json()["error"]["message"]


async def test_foreign_host_header_is_403_before_anything_runs(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    response = await post(
        proxy, {"model": "chat-a", "input": "hi"}, headers={"Host": "evil.example.com"}
    )
    assert response.status_code == 403
    assert mock_upstream.requests == []


async def test_body_over_the_limit_is_413(
    mock_upstream: MockUpstream, proxy_factory: ProxyFactory
) -> None:
    proxy = await proxy_factory(
        {
            "models": [chat_model("chat-a", mock_upstream.base_url)],
            "server": {"max_body_bytes": 1000},
        }
    )
    response = await post(proxy, {"model": "chat-a", "input": "x" * 5000})
    assert response.status_code == 413


async def test_models_and_health(proxy: RunningProxy) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        models = (await http.get(f"{proxy.base_url}/models")).json()
        health = await http.get(f"{proxy.origin}/health")
    assert [m["id"] for m in models["data"]] == ["chat-a", "refused"]
    assert health.status_code == 200
    # The CLI tells its own daemon from another program on the port by these.
    assert health.json()["service"] == "codex-autorouter"
    assert health.json()["version"] == __version__
    assert health.json()["pid"] == os.getpid()
    assert "test-key-not-secret" not in json.dumps(models)


async def test_settings_edits_apply_without_restart_and_bad_edits_keep_the_last_good(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    proxy.write_settings({"models": [chat_model("renamed", mock_upstream.base_url)]})
    await asyncio.sleep(0.6)
    mock_upstream.script("renamed", Text("hi"))
    assert (await post(proxy, {"model": "renamed", "input": "hi"})).status_code == 200
    proxy.settings_path.write_text("{ broken")
    await asyncio.sleep(0.6)
    mock_upstream.script("renamed", Text("still here"))
    response = await post(proxy, {"model": "renamed", "input": "hi"})
    assert response.status_code == 200
    assert proxy.store.last_error is not None


async def test_compact_endpoint_returns_a_window_usable_as_next_input(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("chat-a", Text("SUMMARY: did things"))
    body = {
        "model": "chat-a",
        "input": [
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "build it"}],
            },
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "ok"}],
            },
        ],
        "instructions": "be brief",
    }
    async with httpx.AsyncClient(trust_env=False) as http:
        response = await http.post(f"{proxy.base_url}/responses/compact", json=body)
    assert response.status_code == 200
    output = response.json()["output"]
    assert output[0]["content"][0]["text"] == "build it"
    assert "SUMMARY: did things" in output[-1]["content"][0]["text"]
    mock_upstream.script("chat-a", Text("continuing"))
    follow_up = await post(proxy, {"model": "chat-a", "input": output})
    assert follow_up.status_code == 200


async def test_requests_to_a_concrete_model_are_logged_with_their_task(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("chat-a", Text("x"))
    headers = {"session-id": "sess-1", "x-codex-turn-metadata": '{"turn_id": "turn-1"}'}
    await post(proxy, {"model": "chat-a", "input": "hi"}, headers=headers)
    [record] = proxy.routing_records("request")
    assert "sess-1" in record["task"]
