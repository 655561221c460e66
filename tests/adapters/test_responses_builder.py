"""`ResponseStreamBuilder`: well-formed Responses event sequences whatever the calls."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.responses import ResponseStreamEvent

from adapters.responses.builder import ResponseStreamBuilder
from adapters.responses.objects import (
    TERMINAL_EVENTS,
    collect_response,
    make_usage,
    response_object,
)

EVENT = pydantic.TypeAdapter(ResponseStreamEvent)


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def check_well_formed(events: list[dict[str, Any]], *, paired: bool = True) -> None:
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    terminal = [i for i, e in enumerate(events) if e["type"] in TERMINAL_EVENTS]
    assert terminal == [len(events) - 1]
    added = [e["output_index"] for e in events if e["type"] == "response.output_item.added"]
    done = [e["output_index"] for e in events if e["type"] == "response.output_item.done"]
    assert added == sorted(added) == list(range(len(added)))
    assert len(done) == len(set(done))
    if paired:
        assert sorted(done) == added


def test_start_then_text_then_completed() -> None:
    builder = ResponseStreamBuilder("m", "resp_1")
    events = builder.start() + builder.text_delta("Hel") + builder.text_delta("lo")
    events += builder.completed(make_usage(10, 2, 5, 1))
    assert types(events) == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    check_well_formed(events)
    final = events[-1]["response"]
    assert final["id"] == "resp_1"
    assert final["status"] == "completed"
    assert final["output"][0]["content"][0]["text"] == "Hello"
    assert final["usage"]["total_tokens"] == 15
    for event in events:
        EVENT.validate_python(event)


def test_empty_deltas_emit_nothing() -> None:
    builder = ResponseStreamBuilder("m")
    assert builder.text_delta("") == []
    assert builder.reasoning_delta("") == []
    assert not builder.has_output


def test_reasoning_closes_before_text_starts() -> None:
    builder = ResponseStreamBuilder("m")
    events = builder.start() + builder.reasoning_delta("think") + builder.text_delta("answer")
    events += builder.completed()
    check_well_formed(events)
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert [i["type"] for i in done] == ["reasoning", "message"]
    assert done[0]["summary"] == [{"type": "summary_text", "text": "think"}]
    for event in events:
        EVENT.validate_python(event)


def test_tool_calls_function_and_custom() -> None:
    builder = ResponseStreamBuilder("m")
    events = builder.start() + builder.text_delta("Let me look.")
    events += builder.start_tool_call(0, "call_a", "exec_command")
    events += builder.tool_call_delta(0, '{"cmd":"ls"}')
    events += builder.start_tool_call(1, "call_b", "apply_patch", custom=True)
    events += builder.tool_call_delta(1, "*** Begin Patch")
    events += builder.start_tool_call(2, "call_c", "spawn_agent", namespace="multi_agent_v1")
    events += builder.finish_tool_call(1, final_text="*** Begin Patch\n*** End Patch\n")
    events += builder.completed()
    check_well_formed(events)
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert [(i["type"], i.get("call_id")) for i in done] == [
        ("message", None),
        ("custom_tool_call", "call_b"),
        ("function_call", "call_a"),
        ("function_call", "call_c"),
    ]
    assert done[1]["input"] == "*** Begin Patch\n*** End Patch\n"
    assert done[2]["arguments"] == '{"cmd":"ls"}'
    assert done[3]["namespace"] == "multi_agent_v1"
    assert "response.custom_tool_call_input.delta" in types(events)
    for event in events:
        EVENT.validate_python(event)


def test_delta_for_an_unknown_or_closed_call_is_ignored() -> None:
    builder = ResponseStreamBuilder("m")
    builder.start_tool_call("k", "c", "f")
    builder.finish_tool_call("k")
    assert builder.tool_call_delta("k", "x") == []
    assert builder.finish_tool_call("k") == []
    assert not builder.has_tool_call("k")


def test_incomplete_closes_open_items_and_carries_the_reason() -> None:
    builder = ResponseStreamBuilder("m")
    events = builder.start() + builder.text_delta("cut sh")
    events += builder.incomplete("max_output_tokens")
    check_well_formed(events)
    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    EVENT.validate_python(events[-1])


def test_failed_abandons_open_items_and_keeps_closed_ones() -> None:
    builder = ResponseStreamBuilder("m")
    events = builder.start() + builder.text_delta("done part")
    events += builder.start_tool_call(0, "c1", "exec_command")
    events += builder.tool_call_delta(0, '{"cm')
    events += builder.failed("server_error", "upstream went away")
    check_well_formed(events, paired=False)
    final = events[-1]["response"]
    assert final["status"] == "failed"
    assert final["error"] == {"code": "server_error", "message": "upstream went away"}
    # The message was closed when the call opened; the half call never reaches Codex.
    assert [i["type"] for i in final["output"]] == ["message"]
    EVENT.validate_python(events[-1])


def test_only_one_terminal_event_ever() -> None:
    builder = ResponseStreamBuilder("m")
    events = builder.start() + builder.completed()
    assert builder.terminated
    assert builder.failed("server_error", "late") == []
    assert builder.completed() == []
    assert builder.incomplete("max_output_tokens") == []
    check_well_formed(events)


def test_collect_response_and_response_object() -> None:
    builder = ResponseStreamBuilder("m", "resp_x")
    events = builder.start() + builder.text_delta("hi") + builder.completed()
    assert collect_response(events)["id"] == "resp_x"
    with pytest.raises(ValueError):
        collect_response(builder.start())
    obj = response_object("resp_y", "m", "completed", incomplete_reason=None)
    assert obj["incomplete_details"] is None and obj["output"] == []


@st.composite
def builder_calls(draw: st.DrawFn) -> list[tuple[str, Any]]:
    calls: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["text", "reasoning", "open", "delta", "close"]))
        key = draw(st.integers(0, 3))
        calls.append((kind, (key, draw(st.text(max_size=4)))))
    return calls


@settings(max_examples=200, deadline=None)
@given(calls=builder_calls(), end=st.sampled_from(["completed", "incomplete", "failed"]))
def test_any_call_sequence_is_well_formed(calls: list[tuple[str, Any]], end: str) -> None:
    builder = ResponseStreamBuilder("m")
    events = builder.start()
    for kind, (key, text) in calls:
        if kind == "text":
            events += builder.text_delta(text)
        elif kind == "reasoning":
            events += builder.reasoning_delta(text)
        elif kind == "open" and not builder.has_tool_call(key):
            events += builder.start_tool_call(key, f"call_{key}", "f", custom=key == 3)
        elif kind == "delta":
            events += builder.tool_call_delta(key, text)
        elif kind == "close":
            events += builder.finish_tool_call(key)
    if end == "completed":
        events += builder.completed()
    elif end == "incomplete":
        events += builder.incomplete("max_output_tokens")
    else:
        events += builder.failed("server_error", "x")
    check_well_formed(events, paired=end != "failed")
    # The final output lists the closed items in output order, not in closing order.
    done = [e for e in events if e["type"] == "response.output_item.done"]
    in_order = [e["item"] for e in sorted(done, key=lambda e: e["output_index"])]
    assert events[-1]["response"]["output"] == in_order
