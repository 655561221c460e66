"""`POST /v1/chat/completions` as the openai SDK sees it, against both upstream kinds."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from examples.mockupstream import CutStream, MockUpstream, Text, ToolCall, ToolCalls
from tests.inbound.conftest import CLAUDE_UPSTREAM_NAME
from tests.proxy import RunningProxy

WRITE_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "write_file",
        "description": "Write a file.",
        "parameters": {
            "type": "object",
            "properties": {"path": {"type": "string"}, "text": {"type": "string"}},
        },
    },
}
HELLO: Any = [{"role": "user", "content": "Say hello."}]


def sdk(proxy: RunningProxy) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=proxy.base_url, api_key="anything", max_retries=0)


# -- to an Anthropic upstream (translated) -------------------------------------------------


async def test_tool_calls_from_an_anthropic_model_stream_as_chat_chunks(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script(
        CLAUDE_UPSTREAM_NAME,
        ToolCalls(
            [
                ToolCall("write_file", {"path": "a.txt", "text": "A"}, call_id="toolu_a"),
                ToolCall("write_file", {"path": "b.txt", "text": "B"}, call_id="toolu_b"),
            ],
            text="Two files.",
            thinking=("Both at once.", "sig"),
        ),
    )
    stream = await sdk(proxy).chat.completions.create(
        model="claude",
        messages=HELLO,
        tools=[WRITE_TOOL],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]

    deltas = [c.choices[0].delta for c in chunks if c.choices]
    assert "".join(d.content or "" for d in deltas) == "Two files."
    reasoning = "".join((d.model_extra or {}).get("reasoning_content") or "" for d in deltas)
    assert reasoning == "Both at once."
    calls: dict[int, dict[str, str]] = {}
    for delta in deltas:
        for call in delta.tool_calls or ():
            entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
            entry["id"] += call.id or ""
            entry["name"] += (call.function.name if call.function else None) or ""
            entry["arguments"] += (call.function.arguments if call.function else None) or ""
    assert [calls[i]["id"] for i in sorted(calls)] == ["toolu_a", "toolu_b"]
    assert [json.loads(calls[i]["arguments"])["path"] for i in sorted(calls)] == ["a.txt", "b.txt"]
    assert {c["name"] for c in calls.values()} == {"write_file"}
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes == ["tool_calls"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert {c.model for c in chunks} == {"claude"}


async def test_the_anthropic_upstream_gets_the_chat_request_translated(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    messages: Any = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Write a.txt"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "write_file", "arguments": '{"path": "a.txt"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "written"},
    ]
    await sdk(proxy).chat.completions.create(
        model="claude",
        messages=messages,
        tools=[WRITE_TOOL],
        tool_choice="required",
        stop=["END"],
        max_tokens=500,
    )

    [sent] = mock_upstream.requests_for(CLAUDE_UPSTREAM_NAME)
    body = sent.body
    assert body["system"][0]["text"] == "Be brief."
    assert body["max_tokens"] == 500
    assert body["stop_sequences"] == ["END"]
    assert body["tool_choice"]["type"] == "any"
    assert body["tools"][0]["name"] == "write_file"
    assert body["messages"][1]["content"][0]["type"] == "tool_use"
    result = body["messages"][2]["content"][0]
    assert (result["type"], result["tool_use_id"]) == ("tool_result", "call_1")


async def test_a_non_streamed_completion_from_an_anthropic_model(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script(
        CLAUDE_UPSTREAM_NAME, ToolCall("write_file", {"path": "x"}, call_id="toolu_x")
    )
    completion = await sdk(proxy).chat.completions.create(
        model="claude", messages=HELLO, tools=[WRITE_TOOL]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.id == "toolu_x" and json.loads(call.function.arguments) == {"path": "x"}  # type: ignore[union-attr]
    assert completion.model == "claude"
    assert completion.usage is not None and completion.usage.prompt_tokens > 0


async def test_an_anthropic_stream_cut_mid_way_raises_in_the_sdk(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script(
        CLAUDE_UPSTREAM_NAME, CutStream(Text("one two three four"), after_events=4)
    )
    stream = await sdk(proxy).chat.completions.create(model="claude", messages=HELLO, stream=True)
    with pytest.raises(openai.APIError):
        async for _ in stream:
            pass
    assert proxy.routing_records("request")[-1]["status"] == "failed"


# -- to a chat upstream (passed through) ---------------------------------------------------


async def test_a_chat_upstream_gets_the_request_as_sent_with_its_model_name(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("cheap", Text("Hi there."))
    stream = await sdk(proxy).chat.completions.create(
        model="cheap",
        messages=HELLO,
        stream=True,
        temperature=0.3,
        logit_bias={"50256": -100},
    )
    chunks = [chunk async for chunk in stream]

    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hi there."
    # The client did not ask for usage: it is requested for the log but not passed on.
    assert all(c.usage is None for c in chunks)
    [sent] = mock_upstream.requests_for("cheap")
    assert sent.body["logit_bias"] == {"50256": -100} and sent.body["temperature"] == 0.3
    assert sent.body["stream_options"] == {"include_usage": True}
    assert proxy.routing_records("request")[-1]["output_tokens"] > 0


async def test_a_non_streamed_chat_completion_is_passed_through(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("strong", Text("Plain answer."))
    completion = await sdk(proxy).chat.completions.create(model="strong", messages=HELLO)
    assert completion.choices[0].message.content == "Plain answer."
    assert completion.model == "strong"


async def test_auto_routes_a_chat_client_and_reports_the_choice(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("strong", Text("Designed."))
    hard = [
        {
            "role": "user",
            "content": "Redesign the architecture to fix a race condition in the concurrency layer",
        }
    ]
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        response = await http.post(
            f"{proxy.base_url}/chat/completions",
            json={"model": "codex-auto", "messages": hard, "stream": True},
        )
    assert response.headers["x-autorouter-model"] == "strong"
    assert response.headers["x-autorouter-reason"] == "scored"
    assert response.text.rstrip().endswith("data: [DONE]")
    [route] = proxy.routing_records("route")
    assert route["chosen"] == "strong" and route["task"].startswith("fp:-:")


async def test_chat_errors_keep_openai_s_shape(proxy: RunningProxy) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        await sdk(proxy).chat.completions.create(model="nope", messages=HELLO)
    assert caught.value.code == "model_not_found"
