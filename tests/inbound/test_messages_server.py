"""`POST /v1/messages` as the anthropic SDK sees it, against chat and Anthropic upstreams."""

from __future__ import annotations

import json
import uuid
from typing import Any

import anthropic
import httpx
import pytest

from examples.mockupstream import CutStream, HttpError, MockUpstream, Text, ToolCall, ToolCalls
from tests.inbound.conftest import CLAUDE_UPSTREAM_NAME
from tests.proxy import RunningProxy

WRITE_TOOL = {
    "name": "Write",
    "description": "Write a file.",
    "input_schema": {
        "type": "object",
        "properties": {"file_path": {"type": "string"}, "content": {"type": "string"}},
        "required": ["file_path", "content"],
    },
}
HELLO = [{"role": "user", "content": "Say hello."}]


def sdk(proxy: RunningProxy) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=proxy.origin, api_key="anything", max_retries=0)


async def collect(stream: Any) -> list[Any]:
    return [event async for event in stream]


# -- to a chat upstream (translated) --------------------------------------------------------


async def test_text_and_thinking_from_a_chat_model_stream_as_anthropic_events(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("cheap", Text("Hello there!", reasoning="The user wants a greeting."))
    stream = await sdk(proxy).messages.create(
        model="cheap", max_tokens=256, messages=HELLO, stream=True
    )
    events = await collect(stream)

    kinds = [e.type for e in events]
    assert (kinds[0], kinds[-2:]) == ("message_start", ["message_delta", "message_stop"])
    starts = [e.content_block.type for e in events if e.type == "content_block_start"]
    assert starts == ["thinking", "text"]
    stops = [i for i, e in enumerate(events) if e.type == "content_block_stop"]
    assert len(stops) == 2
    assert events[stops[0] - 1].delta.type == "signature_delta"  # thinking blocks are signed
    thinking = "".join(
        e.delta.thinking
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "thinking_delta"
    )
    text = "".join(
        e.delta.text
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )
    assert (thinking, text) == ("The user wants a greeting.", "Hello there!")
    assert events[0].message.model == "cheap"
    assert events[-2].delta.stop_reason == "end_turn"
    assert events[-2].usage.output_tokens > 0 and events[-2].usage.input_tokens > 0


async def test_a_tool_call_from_a_chat_model_arrives_as_tool_use_with_its_input(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script(
        "cheap",
        ToolCalls(
            [ToolCall("Write", {"file_path": "/tmp/a.txt", "content": "hi"}, call_id="call_1")],
            text="Writing it now.",
        ),
    )
    async with sdk(proxy).messages.stream(
        model="cheap", max_tokens=256, messages=HELLO, tools=[WRITE_TOOL]
    ) as stream:
        events = await collect(stream)
        message = await stream.get_final_message()

    assert any(e.type == "input_json" for e in events)
    assert [block.type for block in message.content] == ["text", "tool_use"]
    assert message.content[0].text == "Writing it now."
    call = message.content[1]
    assert (call.id, call.name, call.input) == (
        "call_1",
        "Write",
        {"file_path": "/tmp/a.txt", "content": "hi"},
    )
    assert message.stop_reason == "tool_use"


async def test_the_chat_upstream_gets_every_anthropic_setting_translated(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
    messages: list[Any] = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Write the file, then look at this."},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": pixel},
                },
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Plan.", "signature": "sig-from-claude"},
                {"type": "text", "text": "On it."},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "Write",
                    "input": {"file_path": "/a", "content": "x"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "File written."},
                {"type": "text", "text": "Thanks, now stop."},
            ],
        },
    ]
    await sdk(proxy).messages.create(
        model="cheap",
        max_tokens=300,
        system=[{"type": "text", "text": "You are terse."}],
        messages=messages,
        tools=[WRITE_TOOL],
        tool_choice={"type": "any"},
        stop_sequences=["STOP"],
        thinking={"type": "enabled", "budget_tokens": 2048},
        stream=True,
    )

    [sent] = mock_upstream.requests_for("cheap")
    body = sent.body
    assert body["stream_options"] == {"include_usage": True}
    assert body["max_tokens"] == 300
    assert body["stop"] == ["STOP"]
    assert body["tool_choice"] == "required"
    assert body["reasoning_effort"] == "low"
    assert body["tools"][0]["function"]["name"] == "Write"
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "user"]
    assert body["messages"][0]["content"] == "You are terse."
    assert body["messages"][1]["content"][1]["image_url"]["url"].startswith(
        "data:image/png;base64,"
    )
    assistant = body["messages"][2]
    assert assistant["content"] == "On it."  # the thinking block is not replayed
    assert assistant["tool_calls"][0]["id"] == "toolu_1"
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {
        "file_path": "/a",
        "content": "x",
    }
    assert body["messages"][3] == {
        "role": "tool",
        "tool_call_id": "toolu_1",
        "content": "File written.",
    }


async def test_a_non_streamed_message_from_a_chat_model(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("cheap", ToolCall("Write", {"file_path": "/b", "content": "y"}))
    message = await sdk(proxy).messages.create(
        model="cheap", max_tokens=100, messages=HELLO, tools=[WRITE_TOOL]
    )
    assert message.stop_reason == "tool_use"
    [call] = message.content
    assert call.type == "tool_use" and call.input == {"file_path": "/b", "content": "y"}
    assert message.model == "cheap"


# -- to an Anthropic upstream (passed through) ---------------------------------------------


async def test_an_anthropic_upstream_gets_the_request_as_sent_with_its_model_name(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script(
        CLAUDE_UPSTREAM_NAME,
        ToolCall("Write", {"file_path": "/c", "content": "z"}, thinking=("Hmm.", "sig-1")),
    )
    async with sdk(proxy).messages.stream(
        model="claude",
        max_tokens=2048,
        messages=HELLO,
        tools=[WRITE_TOOL],
        thinking={"type": "enabled", "budget_tokens": 1024},
        extra_headers={"anthropic-beta": "interleaved-thinking-2025-05-14"},
        metadata={"user_id": "someone"},
    ) as stream:
        events = await collect(stream)
        message = await stream.get_final_message()

    assert [block.type for block in message.content] == ["thinking", "tool_use"]
    assert message.content[0].signature == "sig-1"
    assert message.model == "claude"
    assert any(e.type == "input_json" for e in events)
    [sent] = mock_upstream.requests_for(CLAUDE_UPSTREAM_NAME)
    assert sent.body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert sent.body["metadata"] == {"user_id": "someone"}
    assert sent.headers["anthropic-beta"] == "interleaved-thinking-2025-05-14"
    assert sent.headers["x-api-key"] == "test-key-not-secret"
    records = proxy.routing_records("request")
    assert records[-1]["upstream_model"] == CLAUDE_UPSTREAM_NAME
    assert records[-1]["output_tokens"] > 0


async def test_thinking_a_chat_model_produced_is_not_sent_to_anthropic(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("cheap", Text("Hi.", reasoning="Chat reasoning."))
    first = await sdk(proxy).messages.create(model="cheap", max_tokens=100, messages=HELLO)
    history: list[Any] = [
        *HELLO,
        {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {"role": "user", "content": "And again."},
    ]
    await sdk(proxy).messages.create(model="claude", max_tokens=100, messages=history)

    [sent] = mock_upstream.requests_for(CLAUDE_UPSTREAM_NAME)
    assert [b["type"] for b in sent.body["messages"][1]["content"]] == ["text"]


async def test_a_non_streamed_anthropic_answer_keeps_the_client_model_name(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script(CLAUDE_UPSTREAM_NAME, Text("Passed through."))
    message = await sdk(proxy).messages.create(model="claude", max_tokens=100, messages=HELLO)
    assert message.content[0].text == "Passed through."
    assert message.model == "claude"


# -- errors --------------------------------------------------------------------------------


async def test_an_unknown_model_is_a_not_found_error_in_anthropic_shape(
    proxy: RunningProxy,
) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        await sdk(proxy).messages.create(model="nope", max_tokens=10, messages=HELLO)
    assert caught.value.body["type"] == "error"  # type: ignore[index]
    assert caught.value.body["error"]["type"] == "not_found_error"  # type: ignore[index]
    assert "nope" in caught.value.body["error"]["message"]  # type: ignore[index]


async def test_a_rate_limited_upstream_is_a_rate_limit_error(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script(
        "cheap", HttpError(429, {"error": {"message": "slow down", "type": "rate_limit_exceeded"}})
    )
    with pytest.raises(anthropic.RateLimitError) as caught:
        await sdk(proxy).messages.create(model="cheap", max_tokens=10, messages=HELLO, stream=True)
    assert caught.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]


async def test_a_body_that_is_not_json_is_an_invalid_request_error(proxy: RunningProxy) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        response = await http.post(f"{proxy.base_url}/messages", content=b"{not json")
    assert response.status_code == 400
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_a_missing_messages_list_is_an_invalid_request_error(proxy: RunningProxy) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        response = await http.post(f"{proxy.base_url}/messages", json={"model": "cheap"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("model", ["cheap", "claude"])
async def test_a_stream_cut_mid_way_ends_with_an_error_event(
    proxy: RunningProxy, mock_upstream: MockUpstream, model: str
) -> None:
    upstream_name = "cheap" if model == "cheap" else CLAUDE_UPSTREAM_NAME
    mock_upstream.script(
        upstream_name, CutStream(Text("one two three four five six"), after_events=4)
    )
    stream = await sdk(proxy).messages.create(
        model=model, max_tokens=10, messages=HELLO, stream=True
    )
    with pytest.raises(anthropic.APIStatusError) as caught:
        await collect(stream)
    assert caught.value.body["error"]["type"] == "api_error"  # type: ignore[index]
    assert proxy.routing_records("request")[-1]["status"] == "failed"


async def test_count_tokens_answers_with_an_estimate(proxy: RunningProxy) -> None:
    small = await sdk(proxy).messages.count_tokens(model="cheap", messages=HELLO)
    large = await sdk(proxy).messages.count_tokens(
        model="cheap", messages=[{"role": "user", "content": "word " * 2000}], tools=[WRITE_TOOL]
    )
    assert 0 < small.input_tokens < 50
    assert large.input_tokens > 1500


# -- Auto and task identity ----------------------------------------------------------------


def claude_code_request(session: str, messages: list[Any]) -> dict[str, Any]:
    return {
        "model": "codex-auto",
        "max_tokens": 1000,
        "stream": True,
        "messages": messages,
        "tools": [WRITE_TOOL],
        "metadata": {"user_id": json.dumps({"device_id": "d", "session_id": session})},
    }


async def test_auto_decides_once_per_claude_code_turn(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    session = str(uuid.uuid4())
    reminder = {"type": "text", "text": "<system-reminder>\nContext.\n</system-reminder>"}
    turn = [{"role": "user", "content": [reminder, {"type": "text", "text": "say hi in a file"}]}]
    round_trip = [
        *turn,
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "Write", "input": {}}],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "ok"},
                {"type": "text", "text": "<system-reminder>\nMore context.\n</system-reminder>"},
            ],
        },
    ]
    next_turn = [
        *round_trip,
        {"role": "assistant", "content": "Done."},
        {"role": "user", "content": "say hi again"},
    ]
    headers = {"x-claude-code-session-id": session}
    answers = []
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        for messages in (turn, round_trip, next_turn):
            answers.append(
                await http.post(
                    f"{proxy.base_url}/messages",
                    json=claude_code_request(session, messages),
                    headers=headers,
                )
            )

    assert [a.headers["x-autorouter-reason"] for a in answers] == ["scored", "cache_hit", "scored"]
    assert {a.headers["x-autorouter-model"] for a in answers} == {"cheap"}
    assert len(mock_upstream.requests_for("mock-classifier")) == 2
    routes = proxy.routing_records("route")
    assert routes[0]["task"] == routes[1]["task"] != routes[2]["task"]
    assert session in routes[0]["task"]
    requests = proxy.routing_records("request")
    assert [r["task"] for r in requests] == [r["task"] for r in routes]
    assert all(r["input_tokens"] > 0 and r["output_tokens"] > 0 for r in requests)
    # The classifier saw what the user typed, not Claude Code's reminders.
    classified = json.dumps(mock_upstream.requests_for("mock-classifier")[0].body)
    assert "say hi in a file" in classified and "More context" not in classified


async def test_the_session_in_metadata_alone_identifies_the_task(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    session = str(uuid.uuid4())
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        answer = await http.post(
            f"{proxy.base_url}/messages", json=claude_code_request(session, HELLO)
        )
    assert answer.status_code == 200
    [route] = proxy.routing_records("route")
    assert route["task"].startswith(f"fp:{session}:")
