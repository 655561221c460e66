"""Anthropic Messages stream events as Responses stream events."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.anthropic.stream import (
    CUT_OFF_MESSAGE,
    MessagesStreamTranslator,
    message_to_response,
)
from adapters.responses.objects import TERMINAL_EVENTS
from adapters.thinking import decode_blocks
from adapters.tools import ToolMap

PATCH = '*** Begin Patch\n*** Add File: a.txt\n+hello "quoted" ✓\n*** End Patch\n'
TOOLS = [
    {"type": "function", "name": "exec_command", "parameters": {"type": "object"}},
    {"type": "custom", "name": "apply_patch", "format": {"type": "grammar", "definition": "g"}},
    {
        "type": "namespace",
        "name": "multi_agent_v1",
        "tools": [{"type": "function", "name": "spawn_agent", "parameters": {}}],
    },
]
TOOL_MAP = ToolMap.from_request({"tools": TOOLS})


def message_start(
    input_tokens: int = 25, cache_read: int = 0, cache_write: int = 0
) -> dict[str, Any]:
    return {
        "type": "message_start",
        "message": {
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": "claude-sonnet-4-5",
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "cache_creation_input_tokens": cache_write,
                "cache_read_input_tokens": cache_read,
                "output_tokens": 1,
            },
        },
    }


def block_start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def delta(index: int, **fields: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": fields}


def block_stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def message_delta(stop_reason: str | None, output_tokens: int = 15) -> dict[str, Any]:
    return {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
        "usage": {"output_tokens": output_tokens},
    }


MESSAGE_STOP = {"type": "message_stop"}
PING = {"type": "ping"}


def run(events: list[dict[str, Any]], *, finish: bool = True) -> list[dict[str, Any]]:
    translator = MessagesStreamTranslator("claude-sonnet-4-5", TOOL_MAP, origin="api.anthropic.com")
    out = translator.start()
    for event in events:
        out += translator.feed(event.get("type"), event)
    if finish:
        out += translator.finish()
    return out


def done_items(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["item"] for e in events if e["type"] == "response.output_item.done"]


def terminal(events: list[dict[str, Any]]) -> dict[str, Any]:
    terminals = [e for e in events if e["type"] in TERMINAL_EVENTS]
    assert len(terminals) == 1
    assert events[-1] is terminals[0]
    return terminals[0]


def assert_well_formed(events: list[dict[str, Any]]) -> None:
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[0]["type"] == "response.created"
    added = {e["output_index"] for e in events if e["type"] == "response.output_item.added"}
    closed = [e["output_index"] for e in events if e["type"] == "response.output_item.done"]
    assert len(closed) == len(set(closed))
    end = terminal(events)
    if end["type"] != "response.failed":
        assert set(closed) == added, "every added item is done"
    else:
        assert set(closed) <= added
    assert end["response"]["id"] == events[0]["response"]["id"]


# -- captured shapes (as in the Messages streaming documentation) ------------------------


def test_basic_text_stream() -> None:
    events = run(
        [
            message_start(),
            block_start(0, {"type": "text", "text": ""}),
            PING,
            delta(0, type="text_delta", text="Hello"),
            delta(0, type="text_delta", text="!"),
            block_stop(0),
            message_delta("end_turn"),
            MESSAGE_STOP,
        ]
    )
    assert_well_formed(events)
    assert [i["type"] for i in done_items(events)] == ["message"]
    assert done_items(events)[0]["content"][0]["text"] == "Hello!"
    end = terminal(events)
    assert end["type"] == "response.completed"
    assert end["response"]["usage"]["input_tokens"] == 25
    assert end["response"]["usage"]["output_tokens"] == 15


def test_tool_use_stream_becomes_a_function_call_closed_at_its_block_stop() -> None:
    translator = MessagesStreamTranslator("m", TOOL_MAP)
    events = translator.start()
    for event in [
        message_start(),
        block_start(0, {"type": "text", "text": ""}),
        delta(0, type="text_delta", text="Checking."),
        block_stop(0),
        block_start(
            1, {"type": "tool_use", "id": "toolu_01T1x", "name": "exec_command", "input": {}}
        ),
        delta(1, type="input_json_delta", partial_json=""),
        delta(1, type="input_json_delta", partial_json='{"cmd": "l'),
        delta(1, type="input_json_delta", partial_json='s -la"}'),
    ]:
        events += translator.feed(event["type"], event)
    assert [i["type"] for i in done_items(events)] == ["message"]

    at_stop = translator.feed("content_block_stop", block_stop(1))
    [item] = done_items(at_stop)
    assert item["type"] == "function_call"
    assert (item["call_id"], item["name"]) == ("toolu_01T1x", "exec_command")
    assert json.loads(item["arguments"]) == {"cmd": "ls -la"}

    events += at_stop
    events += translator.feed("message_delta", message_delta("tool_use"))
    events += translator.feed("message_stop", MESSAGE_STOP)
    assert_well_formed(events)
    deltas = [e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"]
    assert "".join(deltas) == '{"cmd": "ls -la"}'
    assert terminal(events)["type"] == "response.completed"


def test_namespaced_tool_comes_back_with_its_namespace() -> None:
    events = run(
        [
            message_start(),
            block_start(
                0,
                {
                    "type": "tool_use",
                    "id": "toolu_02",
                    "name": "multi_agent_v1__spawn_agent",
                    "input": {},
                },
            ),
            delta(0, type="input_json_delta", partial_json='{"message": "hi"}'),
            block_stop(0),
            message_delta("tool_use"),
            MESSAGE_STOP,
        ]
    )
    [item] = done_items(events)
    assert (item["name"], item["namespace"]) == ("spawn_agent", "multi_agent_v1")


def test_apply_patch_becomes_a_custom_tool_call_with_the_raw_patch() -> None:
    arguments = json.dumps({"input": PATCH})
    events = run(
        [
            message_start(),
            block_start(
                0, {"type": "tool_use", "id": "toolu_03", "name": "apply_patch", "input": {}}
            ),
            delta(0, type="input_json_delta", partial_json=arguments[:17]),
            delta(0, type="input_json_delta", partial_json=arguments[17:]),
            block_stop(0),
            message_delta("tool_use"),
            MESSAGE_STOP,
        ]
    )
    assert_well_formed(events)
    [item] = done_items(events)
    assert item["type"] == "custom_tool_call"
    assert item["input"] == PATCH
    assert item["call_id"] == "toolu_03"
    assert not any(e["type"] == "response.function_call_arguments.delta" for e in events)


def test_tool_input_sent_whole_in_block_start_is_kept() -> None:
    events = run(
        [
            message_start(),
            block_start(
                0, {"type": "tool_use", "id": "t1", "name": "exec_command", "input": {"cmd": "pwd"}}
            ),
            block_stop(0),
            block_start(1, {"type": "tool_use", "id": "t2", "name": "exec_command", "input": {}}),
            block_stop(1),
            message_delta("tool_use"),
            MESSAGE_STOP,
        ]
    )
    first, second = done_items(events)
    assert json.loads(first["arguments"]) == {"cmd": "pwd"}
    assert second["arguments"] == "{}"


def test_thinking_with_signature_becomes_a_reasoning_item_carrying_the_block() -> None:
    events = run(
        [
            message_start(),
            block_start(0, {"type": "thinking", "thinking": ""}),
            delta(0, type="thinking_delta", thinking="I need to find "),
            delta(0, type="thinking_delta", thinking="the GCD of 1071 and 462."),
            delta(
                0,
                type="signature_delta",
                signature="EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds",
            ),
            block_stop(0),
            block_start(1, {"type": "text", "text": ""}),
            delta(1, type="text_delta", text="The GCD is 21."),
            block_stop(1),
            message_delta("end_turn"),
            MESSAGE_STOP,
        ]
    )
    assert_well_formed(events)
    reasoning, message = done_items(events)
    assert reasoning["type"] == "reasoning"
    assert reasoning["summary"] == [
        {"type": "summary_text", "text": "I need to find the GCD of 1071 and 462."}
    ]
    assert decode_blocks(reasoning["encrypted_content"], "api.anthropic.com") == [
        {
            "type": "thinking",
            "thinking": "I need to find the GCD of 1071 and 462.",
            "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds",
        }
    ]
    summary_deltas = [
        e["delta"] for e in events if e["type"] == "response.reasoning_summary_text.delta"
    ]
    assert "".join(summary_deltas) == "I need to find the GCD of 1071 and 462."
    assert message["content"][0]["text"] == "The GCD is 21."


def test_each_thinking_block_is_its_own_reasoning_item_in_order() -> None:
    events = run(
        [
            message_start(),
            block_start(0, {"type": "thinking", "thinking": ""}),
            delta(0, type="thinking_delta", thinking="first"),
            delta(0, type="signature_delta", signature="sig1"),
            block_stop(0),
            block_start(1, {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"}),
            block_stop(1),
            block_start(2, {"type": "thinking", "thinking": ""}),
            delta(2, type="thinking_delta", thinking="second"),
            delta(2, type="signature_delta", signature="sig2"),
            block_stop(2),
            message_delta("end_turn"),
            MESSAGE_STOP,
        ]
    )
    items = done_items(events)
    assert [i["type"] for i in items] == ["reasoning"] * 3
    blocks = [decode_blocks(i["encrypted_content"])[0] for i in items]
    assert blocks == [
        {"type": "thinking", "thinking": "first", "signature": "sig1"},
        {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"},
        {"type": "thinking", "thinking": "second", "signature": "sig2"},
    ]
    assert items[1]["summary"] == []


def test_unsigned_thinking_is_shown_but_not_kept_for_replay() -> None:
    events = run(
        [
            message_start(),
            block_start(0, {"type": "thinking", "thinking": ""}),
            delta(0, type="thinking_delta", thinking="hmm"),
            block_stop(0),
            message_delta("end_turn"),
            MESSAGE_STOP,
        ]
    )
    [item] = done_items(events)
    assert item["summary"][0]["text"] == "hmm"
    assert "encrypted_content" not in item


def test_usage_counts_cache_reads_and_writes_as_input() -> None:
    events = run(
        [
            message_start(input_tokens=3, cache_read=9000, cache_write=250),
            block_start(0, {"type": "text", "text": "hi"}),
            block_stop(0),
            message_delta("end_turn", output_tokens=42),
            MESSAGE_STOP,
        ]
    )
    usage = terminal(events)["response"]["usage"]
    assert usage["input_tokens"] == 3 + 9000 + 250
    assert usage["input_tokens_details"] == {"cached_tokens": 9000, "cache_write_tokens": 250}
    assert usage["output_tokens"] == 42
    assert usage["total_tokens"] == 3 + 9000 + 250 + 42


def test_message_delta_usage_is_cumulative_and_wins() -> None:
    final = message_delta("end_turn", output_tokens=7)
    final["usage"].update({"input_tokens": 30, "cache_read_input_tokens": 5})
    events = run([message_start(input_tokens=1), final, MESSAGE_STOP])
    usage = terminal(events)["response"]["usage"]
    assert usage["input_tokens"] == 35
    assert usage["input_tokens_details"]["cached_tokens"] == 5


@pytest.mark.parametrize(
    ("stop_reason", "kind", "reason"),
    [
        ("end_turn", "response.completed", None),
        ("tool_use", "response.completed", None),
        ("stop_sequence", "response.completed", None),
        ("pause_turn", "response.completed", None),
        ("max_tokens", "response.incomplete", "max_output_tokens"),
        ("refusal", "response.incomplete", "content_filter"),
    ],
)
def test_stop_reasons(stop_reason: str, kind: str, reason: str | None) -> None:
    events = run(
        [
            message_start(),
            block_start(0, {"type": "text", "text": ""}),
            delta(0, type="text_delta", text="partial"),
            block_stop(0),
            message_delta(stop_reason),
            MESSAGE_STOP,
        ]
    )
    assert_well_formed(events)
    end = terminal(events)
    assert end["type"] == kind
    details = end["response"]["incomplete_details"]
    assert (details["reason"] if details else None) == reason
    assert done_items(events)[0]["content"][0]["text"] == "partial"


@pytest.mark.parametrize(
    ("error_type", "code"),
    [
        ("overloaded_error", "server_error"),
        ("rate_limit_error", "rate_limit_exceeded"),
        ("api_error", "server_error"),
    ],
)
def test_error_event_mid_stream_fails_the_response(error_type: str, code: str) -> None:
    events = run(
        [
            message_start(),
            block_start(0, {"type": "text", "text": ""}),
            delta(0, type="text_delta", text="Hel"),
            {"type": "error", "error": {"type": error_type, "message": "Overloaded"}},
            delta(0, type="text_delta", text="lo"),
            MESSAGE_STOP,
        ]
    )
    assert_well_formed(events)
    end = terminal(events)
    assert end["type"] == "response.failed"
    assert end["response"]["error"]["code"] == code
    assert "Overloaded" in end["response"]["error"]["message"]
    assert done_items(events) == [], "a half-written item is not handed to Codex"


def test_a_stream_cut_before_message_stop_fails_retryably() -> None:
    events = run(
        [
            message_start(),
            block_start(0, {"type": "tool_use", "id": "t1", "name": "exec_command", "input": {}}),
            delta(0, type="input_json_delta", partial_json='{"cmd": '),
        ]
    )
    assert_well_formed(events)
    end = terminal(events)
    assert end["response"]["error"] == {"code": "server_error", "message": CUT_OFF_MESSAGE}
    assert done_items(events) == [], "a truncated tool call must never run"


def test_malformed_events_fail_the_response() -> None:
    events = run([message_start(), {"type": "content_block_start", "index": 0}])
    end = terminal(events)
    assert end["type"] == "response.failed"
    assert end["response"]["error"]["code"] == "server_error"


def test_nothing_after_the_terminal_event() -> None:
    translator = MessagesStreamTranslator("m", TOOL_MAP)
    translator.start()
    assert translator.feed("message_stop", MESSAGE_STOP)[-1]["type"] == "response.completed"
    assert translator.feed("message_stop", MESSAGE_STOP) == []
    assert translator.finish() == []
    assert translator.fail("server_error", "late") == []


def test_unknown_events_and_blocks_are_ignored() -> None:
    events = run(
        [
            message_start(),
            {"type": "brand_new_event", "x": 1},
            block_start(
                0, {"type": "server_tool_use", "id": "srv", "name": "web_search", "input": {}}
            ),
            delta(0, type="input_json_delta", partial_json="{}"),
            block_stop(0),
            block_start(1, {"type": "text", "text": "ok"}),
            delta(1, type="citations_delta", citation={}),
            block_stop(1),
            message_delta("end_turn"),
            MESSAGE_STOP,
        ]
    )
    assert_well_formed(events)
    assert [i["type"] for i in done_items(events)] == ["message"]


# -- non-streaming -------------------------------------------------------------------------


def test_message_to_response_translates_like_the_stream() -> None:
    body: dict[str, Any] = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [
            {"type": "thinking", "thinking": "plan", "signature": "sig"},
            {"type": "text", "text": "Running it."},
            {"type": "tool_use", "id": "toolu_9", "name": "exec_command", "input": {"cmd": "ls"}},
            {
                "type": "tool_use",
                "id": "toolu_10",
                "name": "apply_patch",
                "input": {"input": PATCH},
            },
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 10, "cache_read_input_tokens": 90, "output_tokens": 20},
    }
    response = message_to_response(body, "codex-auto", TOOL_MAP, origin="api.anthropic.com")
    assert response["status"] == "completed"
    assert response["model"] == "codex-auto"
    kinds = [i["type"] for i in response["output"]]
    assert kinds == ["reasoning", "message", "function_call", "custom_tool_call"]
    assert decode_blocks(response["output"][0]["encrypted_content"]) == [body["content"][0]]
    assert json.loads(response["output"][2]["arguments"]) == {"cmd": "ls"}
    assert response["output"][3]["input"] == PATCH
    assert response["usage"]["input_tokens"] == 100
    assert response["usage"]["input_tokens_details"]["cached_tokens"] == 90


def test_message_to_response_max_tokens_is_incomplete() -> None:
    body = {
        "type": "message",
        "content": [{"type": "text", "text": "cut"}],
        "stop_reason": "max_tokens",
        "usage": {},
    }
    response = message_to_response(body, "m", TOOL_MAP)
    assert response["status"] == "incomplete"
    assert response["incomplete_details"] == {"reason": "max_output_tokens"}


# -- property: any valid Anthropic stream gives a well-formed Responses stream ------------

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


def _chunks(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(c, len(text)) for c in cuts})
    pieces, last = [], 0
    for point in [*points, len(text)]:
        pieces.append(text[last:point])
        last = point
    return pieces


@st.composite
def _blocks(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["text", "thinking", "redacted_thinking", "tool_use"]))
    cuts = draw(st.lists(st.integers(0, 40), max_size=4))
    if kind == "text":
        return {"kind": kind, "chunks": _chunks(draw(_TEXT), cuts)}
    if kind == "thinking":
        signature = draw(st.sampled_from(["", "EqQBCgIYAh", "sig+/=="]))
        return {"kind": kind, "chunks": _chunks(draw(_TEXT), cuts), "signature": signature}
    if kind == "redacted_thinking":
        return {"kind": kind, "data": draw(st.sampled_from(["EmwKAhgB", "xyz"]))}
    name = draw(
        st.sampled_from(
            ["exec_command", "apply_patch", "multi_agent_v1__spawn_agent", "unknown_tool"]
        )
    )
    value = draw(_TEXT)
    arguments = json.dumps(
        {"input": value} if name == "apply_patch" else {"cmd": value}, ensure_ascii=False
    )
    tool_id = f"toolu_{draw(st.integers(0, 10**6))}"
    return {
        "kind": kind,
        "name": name,
        "id": tool_id,
        "value": value,
        "chunks": _chunks(arguments, cuts),
    }


def _events_for(blocks: list[dict[str, Any]], ending: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [message_start()]
    for index, block in enumerate(blocks):
        kind = block["kind"]
        if kind == "text":
            events.append(block_start(index, {"type": "text", "text": ""}))
            events += [delta(index, type="text_delta", text=c) for c in block["chunks"]]
        elif kind == "thinking":
            events.append(block_start(index, {"type": "thinking", "thinking": ""}))
            events += [delta(index, type="thinking_delta", thinking=c) for c in block["chunks"]]
            if block["signature"]:
                events.append(delta(index, type="signature_delta", signature=block["signature"]))
        elif kind == "redacted_thinking":
            events.append(block_start(index, {"type": "redacted_thinking", "data": block["data"]}))
        else:
            events.append(
                block_start(
                    index,
                    {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}},
                )
            )
            events += [
                delta(index, type="input_json_delta", partial_json=c) for c in block["chunks"]
            ]
        events.append(PING)
        events.append(block_stop(index))
    if ending == "error":
        events.append(
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        )
    elif ending != "cut":
        events += [message_delta(ending), MESSAGE_STOP]
    return events


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_blocks(), max_size=6),
    st.sampled_from(["end_turn", "tool_use", "max_tokens", "refusal", "error", "cut"]),
)
def test_any_valid_stream_is_well_formed(blocks: list[dict[str, Any]], ending: str) -> None:
    events = run(_events_for(blocks, ending))
    assert_well_formed(events)
    end = terminal(events)
    expected = {
        "end_turn": "response.completed",
        "tool_use": "response.completed",
        "max_tokens": "response.incomplete",
        "refusal": "response.incomplete",
        "error": "response.failed",
        "cut": "response.failed",
    }[ending]
    assert end["type"] == expected

    items = done_items(events)
    text = "".join(c for b in blocks if b["kind"] == "text" for c in b["chunks"])
    shown = "".join(i["content"][0]["text"] for i in items if i["type"] == "message")
    if end["type"] == "response.failed":
        # A message still open when the stream fails is abandoned, never half-delivered.
        assert text.startswith(shown)
    else:
        assert shown == text
    calls = [i for i in items if i["type"] in ("function_call", "custom_tool_call")]
    tools = [b for b in blocks if b["kind"] == "tool_use"]
    assert [c["call_id"] for c in calls] == [b["id"] for b in tools]
    for item, block in zip(calls, tools, strict=True):
        if block["name"] == "apply_patch":
            assert item["input"] == block["value"]
        else:
            assert item["arguments"] == "".join(block["chunks"])
            assert json.loads(item["arguments"]) == {"cmd": block["value"]}
    replayable = [
        b
        for b in blocks
        if b["kind"] == "redacted_thinking" or (b["kind"] == "thinking" and b["signature"])
    ]
    carried = [
        decode_blocks(i["encrypted_content"])[0] for i in items if i.get("encrypted_content")
    ]
    assert len(carried) == len(replayable)
    for original, block in zip(carried, replayable, strict=True):
        if block["kind"] == "thinking":
            assert original == {
                "type": "thinking",
                "thinking": "".join(block["chunks"]),
                "signature": block["signature"],
            }
        else:
            assert original == {"type": "redacted_thinking", "data": block["data"]}


def test_a_context_overflow_reported_mid_stream_ends_the_turn() -> None:
    error = {"type": "invalid_request_error", "message": "prompt is too long: 210000 tokens"}
    events = run([message_start(), {"type": "error", "error": error}])
    assert terminal(events)["response"]["error"]["code"] == "context_length_exceeded"
