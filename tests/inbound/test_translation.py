"""The inbound translators as pure functions: requests to Responses, events back."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.base import Target
from adapters.inbound.anthropic_in import messages_to_responses
from adapters.inbound.anthropic_out import (
    FOREIGN_SIGNATURE,
    MessagesEventWriter,
    response_to_message,
)
from adapters.inbound.chat_in import chat_to_responses
from adapters.inbound.chat_out import ChatChunkWriter
from adapters.inbound.passthrough import anthropic_request, chat_request
from adapters.responses.builder import ResponseStreamBuilder
from adapters.responses.objects import make_usage
from adapters.usage import to_anthropic as anthropic_usage
from router.routing.task import latest_user_text, task_key

TARGET = Target(slug="claude", kind="anthropic", model="claude-upstream", base_url="http://x")


# -- Anthropic Messages -> Responses ---------------------------------------------------------


def test_tool_results_come_before_the_text_of_their_user_message() -> None:
    body = messages_to_responses(
        {
            "model": "m",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "see above"},
                        {
                            "type": "tool_result",
                            "tool_use_id": "t1",
                            "content": [{"type": "text", "text": "out"}],
                        },
                    ],
                }
            ],
        }
    )
    assert [item["type"] for item in body["input"]] == ["function_call_output", "message"]
    assert body["input"][0] == {"type": "function_call_output", "call_id": "t1", "output": "out"}


def test_a_tool_result_with_an_image_keeps_it_as_an_input_part() -> None:
    image = {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
    body = messages_to_responses(
        {
            "model": "m",
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": "t", "content": [image]}],
                }
            ],
        }
    )
    assert body["input"][0]["output"] == [
        {"type": "input_image", "image_url": "https://example.com/a.png"}
    ]


def test_deferred_tools_are_offered_only_once_loaded() -> None:
    tools = [
        {"name": "Read", "input_schema": {"type": "object"}},
        {"name": "Cron", "input_schema": {"type": "object"}, "defer_loading": True},
        {"name": "Notebook", "input_schema": {"type": "object"}, "defer_loading": True},
        {"type": "web_search_20250305", "name": "web_search"},
    ]
    loaded = {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "s",
                "content": [{"type": "tool_reference", "tool_name": "Cron"}],
            }
        ],
    }
    before = messages_to_responses({"model": "m", "messages": [], "tools": tools})
    after = messages_to_responses({"model": "m", "messages": [loaded], "tools": tools})
    assert [t["name"] for t in before["tools"]] == ["Read"]
    assert [t["name"] for t in after["tools"]] == ["Read", "Cron"]


def test_settings_map_onto_their_responses_equivalents() -> None:
    body = messages_to_responses(
        {
            "model": "m",
            "max_tokens": 900,
            "system": "sys",
            "messages": [{"role": "system", "content": "env"}],
            "tools": [{"name": "T", "input_schema": {"type": "object"}}],
            "tool_choice": {"type": "tool", "name": "T", "disable_parallel_tool_use": True},
            "stop_sequences": ["x"],
            "thinking": {"type": "adaptive"},
            "output_config": {"effort": "high"},
            "temperature": 0.2,
            "stream": True,
        }
    )
    assert body["instructions"] == "sys"
    assert body["input"] == [{"type": "message", "role": "system", "content": "env"}]
    assert body["tool_choice"] == {"type": "function", "name": "T"}
    assert body["parallel_tool_calls"] is False
    assert (body["max_output_tokens"], body["stop"], body["reasoning"]) == (
        900,
        ["x"],
        {"effort": "high"},
    )
    assert (body["temperature"], body["stream"]) == (0.2, True)


def test_thinking_off_means_no_reasoning_effort() -> None:
    assert "reasoning" not in messages_to_responses(
        {"model": "m", "messages": [], "thinking": {"type": "disabled"}}
    )
    assert "reasoning" not in messages_to_responses({"model": "m", "messages": []})


def test_claude_code_reminders_are_not_the_user_s_words() -> None:
    body = messages_to_responses(
        {
            "model": "m",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "<system-reminder>\nctx\n</system-reminder>"},
                        {"type": "text", "text": "fix the bug"},
                    ],
                },
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "a", "name": "Bash", "input": {}}],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "a", "content": "ok"},
                        {"type": "text", "text": "<system-reminder>\nmore\n</system-reminder>"},
                    ],
                },
            ],
        }
    )
    assert latest_user_text(body) == "fix the bug"


def test_the_claude_code_session_header_and_metadata_name_the_same_session() -> None:
    body = {"input": "hi", "metadata": {"user_id": json.dumps({"session_id": "s-1"})}}
    from_header = task_key({"x-claude-code-session-id": "s-1"}, {"input": "hi"})
    from_metadata = task_key({}, body)
    assert from_header.value == from_metadata.value
    assert from_header.session == "s-1"
    assert task_key({}, {"input": "hi", "metadata": {"user_id": "plain"}}).session is None


# -- chat completions -> Responses -------------------------------------------------------------


def test_chat_messages_become_responses_items() -> None:
    body = chat_to_responses(
        {
            "model": "m",
            "messages": [
                {"role": "developer", "content": "rules"},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "hi"},
                        {"type": "image_url", "image_url": {"url": "data:x", "detail": "low"}},
                    ],
                },
                {
                    "role": "assistant",
                    "content": "calling",
                    "reasoning_content": "secret",
                    "tool_calls": [
                        {
                            "id": "c",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c", "content": "done"},
            ],
            "tool_choice": {"type": "function", "function": {"name": "f"}},
            "tools": [{"type": "function", "function": {"name": "f"}}],
            "max_completion_tokens": 50,
            "stop": "END",
            "reasoning_effort": "low",
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "o", "schema": {"type": "object"}},
            },
        }
    )
    assert [i.get("role", i["type"]) for i in body["input"]] == [
        "system",
        "user",
        "assistant",
        "function_call",
        "function_call_output",
    ]
    assert body["input"][1]["content"][1] == {
        "type": "input_image",
        "image_url": "data:x",
        "detail": "low",
    }
    assert "secret" not in json.dumps(body)
    assert body["tool_choice"] == {"type": "function", "name": "f"}
    assert body["tools"][0]["parameters"] == {"type": "object", "properties": {}}
    assert (body["max_output_tokens"], body["stop"], body["reasoning"]) == (
        50,
        ["END"],
        {"effort": "low"},
    )
    assert body["text"]["format"] == {
        "type": "json_schema",
        "name": "o",
        "schema": {"type": "object"},
    }


# -- passthrough bodies ------------------------------------------------------------------------


def test_anthropic_passthrough_drops_only_foreign_thinking() -> None:
    body = {
        "model": "codex-auto",
        "messages": [
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "ours", "signature": FOREIGN_SIGNATURE},
                    {"type": "thinking", "thinking": "claude's", "signature": "real"},
                    {"type": "text", "text": "hi"},
                ],
            },
        ],
        "context_management": {"edits": []},
    }
    sent = anthropic_request(body, TARGET)
    assert sent["model"] == "claude-upstream"
    assert [b.get("signature") for b in sent["messages"][0]["content"]] == ["real", None]
    assert sent["context_management"] == {"edits": []}
    assert body["messages"][0]["content"][0]["signature"] == FOREIGN_SIGNATURE  # not mutated


def test_chat_passthrough_asks_for_usage_on_streams_only() -> None:
    streamed = chat_request({"model": "a", "stream": True, "stream_options": {"x": 1}}, TARGET)
    assert streamed["stream_options"] == {"x": 1, "include_usage": True}
    assert "stream_options" not in chat_request({"model": "a"}, TARGET)


# -- Responses events -> Anthropic / chat ----------------------------------------------------


def _responses_events() -> list[dict[str, Any]]:
    builder = ResponseStreamBuilder("m")
    events = builder.start()
    events += builder.reasoning_delta("think")
    events += builder.text_delta("Hello")
    events += builder.start_tool_call(0, "call_1", "Write")
    events += builder.finish_tool_call(0, final_text='{"a": 1}')  # no deltas streamed
    events += builder.completed(make_usage(120, 20, 7, 0, 30))
    return events


def test_every_block_opens_and_closes_once_with_a_stop_reason_and_usage() -> None:
    writer = MessagesEventWriter("codex-auto")
    frames = writer.start()
    for event in _responses_events():
        frames += writer.feed(event)
    names = [name for name, _ in frames]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    starts = [
        data["content_block"]["type"] for name, data in frames if name == "content_block_start"
    ]
    assert starts == ["thinking", "text", "tool_use"]
    assert names.count("content_block_stop") == 3
    json_deltas = [
        d["delta"]["partial_json"]
        for n, d in frames
        if n == "content_block_delta" and d["delta"]["type"] == "input_json_delta"
    ]
    assert json_deltas == ['{"a": 1}']
    delta = frames[-2][1]
    assert delta["delta"]["stop_reason"] == "tool_use"
    assert delta["usage"] == {
        "input_tokens": 70,
        "cache_creation_input_tokens": 30,
        "cache_read_input_tokens": 20,
        "output_tokens": 7,
    }


def test_a_failed_response_is_an_error_event() -> None:
    writer = MessagesEventWriter("m")
    builder = ResponseStreamBuilder("m")
    builder.start()
    [failed] = builder.failed("rate_limit_exceeded", "slow down")
    assert writer.feed(failed) == [
        ("error", {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}})
    ]


def test_an_incomplete_response_stops_for_max_tokens() -> None:
    builder = ResponseStreamBuilder("m")
    builder.start()
    builder.text_delta("cut")
    [*_, incomplete] = builder.incomplete("max_output_tokens")
    message = response_to_message(incomplete["response"], "m")
    assert message["stop_reason"] == "max_tokens"
    assert message["content"] == [{"type": "text", "text": "cut"}]


def test_chat_chunks_carry_tool_calls_and_the_finish_reason() -> None:
    writer = ChatChunkWriter("m", include_usage=True)
    chunks = writer.start()
    for event in _responses_events():
        chunks += writer.feed(event)
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[1] == {"reasoning_content": "think"} and deltas[2] == {"content": "Hello"}
    calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    assert calls[0]["id"] == "call_1" and calls[1]["function"]["arguments"] == '{"a": 1}'
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["usage"]["prompt_tokens"] == 120 and chunks[-1]["choices"] == []


def test_usage_split_never_goes_negative() -> None:
    assert (
        anthropic_usage({"input_tokens": 5, "input_tokens_details": {"cached_tokens": 9}})[
            "input_tokens"
        ]
        == 0
    )


_STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("text"), st.text(min_size=1, max_size=5)),
        st.tuples(st.just("reasoning"), st.text(min_size=1, max_size=5)),
        st.tuples(st.just("tool"), st.text(alphabet="ab{}:", min_size=0, max_size=5)),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(_STEPS, st.sampled_from(["completed", "incomplete", "failed"]))
def test_any_responses_stream_becomes_a_well_formed_anthropic_stream(
    steps: list[tuple[str, str]], ending: str
) -> None:
    builder = ResponseStreamBuilder("m")
    events = builder.start()
    for number, (kind, text) in enumerate(steps):
        if kind == "text":
            events += builder.text_delta(text)
        elif kind == "reasoning":
            events += builder.reasoning_delta(text)
        else:
            events += builder.start_tool_call(number, f"call_{number}", "T")
            events += builder.tool_call_delta(number, text)
            events += builder.finish_tool_call(number)
    if ending == "completed":
        events += builder.completed()
    elif ending == "incomplete":
        events += builder.incomplete("max_output_tokens")
    else:
        events += builder.failed("server_error", "boom")
    writer = MessagesEventWriter("m")
    frames = writer.start()
    for event in events:
        frames += writer.feed(event)

    open_blocks: set[int] = set()
    seen: list[int] = []
    for name, data in frames[1:]:
        if name == "content_block_start":
            assert data["index"] not in seen
            seen.append(data["index"])
            open_blocks.add(data["index"])
        elif name == "content_block_delta":
            assert data["index"] in open_blocks
        elif name == "content_block_stop":
            open_blocks.remove(data["index"])
    assert seen == list(range(len(seen)))
    if ending == "failed":
        assert frames[-1][0] == "error"
    else:
        assert not open_blocks
        assert [name for name, _ in frames[-2:]] == ["message_delta", "message_stop"]
