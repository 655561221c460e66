"""Chat-completions chunks -> Responses events, without a server."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.base import Target, UpstreamError
from adapters.chat.request import responses_to_chat
from adapters.chat.stream import ChatStreamTranslator, chat_completion_to_response
from adapters.responses.objects import TERMINAL_EVENTS
from adapters.tools import ToolMap

TOOLS = ToolMap.from_request(
    {
        "tools": [
            {"type": "function", "name": "exec_command", "parameters": {"type": "object"}},
            {"type": "custom", "name": "apply_patch"},
            {
                "type": "namespace",
                "name": "multi_agent_v1",
                "tools": [{"type": "function", "name": "spawn_agent"}],
            },
        ]
    }
)
PATCH = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n"


def delta(**fields: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "choices": [{"index": 0, "delta": fields, "finish_reason": None}]}


def finish_chunk(reason: str) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]}


def fragment(
    index: int | None, call_id: str | None = None, name: str | None = None, arguments: str = ""
) -> dict[str, Any]:
    function: dict[str, Any] = {"arguments": arguments}
    if name is not None:
        function["name"] = name
    frag: dict[str, Any] = {"function": function}
    if index is not None:
        frag["index"] = index
    if call_id is not None:
        frag["id"] = call_id
        frag["type"] = "function"
    return delta(tool_calls=[frag])


def usage_chunk(**usage: Any) -> dict[str, Any]:
    return {"choices": [], "usage": usage}


def translate(
    chunks: list[dict[str, Any]], *, saw_done: bool = True, end: bool = True
) -> list[dict[str, Any]]:
    translator = ChatStreamTranslator("codex-auto", TOOLS, "resp_test")
    events = translator.start()
    for chunk in chunks:
        events.extend(translator.feed(chunk))
    if end:
        events.extend(translator.finish(saw_done=saw_done))
    return events


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def done_items(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["item"] for e in of_type(events, "response.output_item.done")]


def texts(events: list[dict[str, Any]]) -> list[str]:
    return [i["content"][0]["text"] for i in done_items(events) if i["type"] == "message"]


def reasonings(events: list[dict[str, Any]]) -> list[str]:
    return [i["summary"][0]["text"] for i in done_items(events) if i["type"] == "reasoning"]


def assert_well_formed(events: list[dict[str, Any]], *, paired: bool = True) -> None:
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    terminals = [i for i, e in enumerate(events) if e["type"] in TERMINAL_EVENTS]
    assert terminals == [len(events) - 1], "exactly one terminal event, and it is last"
    assert events[-1]["response"]["id"]
    added = [e["output_index"] for e in of_type(events, "response.output_item.added")]
    done = [e["output_index"] for e in of_type(events, "response.output_item.done")]
    assert len(set(done)) == len(done)
    assert set(done) <= set(added)
    if paired:
        assert sorted(done) == sorted(added)


# -- text and reasoning -------------------------------------------------------------------


def test_text_deltas_become_one_message() -> None:
    events = translate(
        [delta(role="assistant", content=""), delta(content="Hel"), delta(content="lo")]
    )
    assert_well_formed(events)
    assert [e["delta"] for e in of_type(events, "response.output_text.delta")] == ["Hel", "lo"]
    assert texts(events) == ["Hello"]
    assert events[0]["type"] == "response.created"
    assert events[-1]["type"] == "response.completed"
    assert events[-1]["response"]["model"] == "codex-auto"


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_fields_become_a_summary_before_the_text(field: str) -> None:
    events = translate(
        [delta(**{field: "let me "}), delta(**{field: "think"}), delta(content="42")]
    )
    assert_well_formed(events)
    assert [i["type"] for i in done_items(events)] == ["reasoning", "message"]
    assert reasonings(events) == ["let me think"]
    assert texts(events) == ["42"]


def test_reasoning_content_wins_over_a_duplicate_reasoning_field() -> None:
    events = translate([delta(reasoning_content="once", reasoning="once")])
    assert reasonings(events) == ["once"]


@pytest.mark.parametrize(
    "pieces",
    [
        ["<think>plan</think>answer"],
        ["<thi", "nk>pl", "an</th", "ink>", "answer"],
        ["\n<", "think", ">plan<", "/think>\n\nans", "wer"],
        ["<think>", "plan", "</think>", "\n", "answer"],
    ],
)
def test_think_tags_become_reasoning_even_split_across_chunks(pieces: list[str]) -> None:
    events = translate([delta(content=p) for p in pieces])
    assert_well_formed(events)
    assert reasonings(events) == ["plan"]
    assert texts(events) == ["answer"]


def test_think_tag_later_in_the_answer_stays_text() -> None:
    events = translate([delta(content="Use "), delta(content="<think> tags")])
    assert texts(events) == ["Use <think> tags"]
    assert reasonings(events) == []


def test_unterminated_think_is_reasoning_and_a_lone_tag_prefix_is_text() -> None:
    assert reasonings(translate([delta(content="<think>still going </thi")])) == [
        "still going </thi"
    ]
    assert texts(translate([delta(content="<thi")])) == ["<thi"]


def test_leading_whitespace_alone_makes_no_message() -> None:
    events = translate([delta(content="\n\n"), fragment(0, "c1", "exec_command", "{}")])
    assert [i["type"] for i in done_items(events)] == ["function_call"]


# -- tool calls ---------------------------------------------------------------------------


def test_function_call_streams_arguments_and_keeps_the_upstream_id() -> None:
    events = translate(
        [
            fragment(0, "call_abc", "exec_command", ""),
            fragment(0, arguments='{"cmd":'),
            fragment(0, arguments='"ls"}'),
            finish_chunk("tool_calls"),
        ]
    )
    assert_well_formed(events)
    deltas = of_type(events, "response.function_call_arguments.delta")
    assert [d["delta"] for d in deltas] == ['{"cmd":', '"ls"}']
    (item,) = done_items(events)
    assert item["type"] == "function_call"
    assert (item["call_id"], item["name"], item["arguments"]) == (
        "call_abc",
        "exec_command",
        '{"cmd":"ls"}',
    )
    assert "namespace" not in item


def test_calls_close_when_the_next_index_starts_and_at_finish_reason() -> None:
    translator = ChatStreamTranslator("m", TOOLS)
    translator.start()
    translator.feed(fragment(0, "c1", "exec_command", "{}"))
    second = translator.feed(fragment(1, "c2", "exec_command", "{}"))
    assert second[0]["type"] == "response.function_call_arguments.done"
    assert second[1]["type"] == "response.output_item.done"
    assert second[1]["item"]["call_id"] == "c1"
    at_finish = translator.feed(finish_chunk("tool_calls"))
    assert [e["item"]["call_id"] for e in of_type(at_finish, "response.output_item.done")] == ["c2"]
    # The terminal event waits for the end of the stream (usage comes later).
    assert not [e for e in at_finish if e["type"] in TERMINAL_EVENTS]
    assert translator.finish()[-1]["type"] == "response.completed"


def test_text_after_a_call_closes_it_first() -> None:
    events = translate([fragment(0, "c1", "exec_command", "{}"), delta(content="done")])
    assert [i["type"] for i in done_items(events)] == ["function_call", "message"]


@pytest.mark.parametrize(
    "chunks",
    [
        [fragment(0, call_id="c9"), fragment(0, name="exec_command", arguments="{}")],
        [fragment(0, name="exec_command"), fragment(0, call_id="c9", arguments="{}")],
        [fragment(0, name="exec_command", arguments="{"), fragment(0, "c9", arguments="}")],
    ],
    ids=["id-first", "name-first", "arguments-before-id"],
)
def test_id_and_name_in_separate_fragments(chunks: list[dict[str, Any]]) -> None:
    events = translate(chunks)
    assert_well_formed(events)
    (item,) = done_items(events)
    assert (item["call_id"], item["name"], item["arguments"]) == ("c9", "exec_command", "{}")


def test_missing_call_id_is_generated_and_missing_arguments_are_an_empty_object() -> None:
    events = translate([fragment(0, name="exec_command"), finish_chunk("tool_calls")])
    (item,) = done_items(events)
    assert item["call_id"].startswith("call_")
    assert item["arguments"] == "{}"


def test_fragments_without_index_are_told_apart_by_id() -> None:
    events = translate(
        [
            fragment(None, "a", "exec_command", '{"x":'),
            fragment(None, arguments="1}"),
            fragment(None, "b", "exec_command", "{}"),
        ]
    )
    items = done_items(events)
    assert [(i["call_id"], i["arguments"]) for i in items] == [("a", '{"x":1}'), ("b", "{}")]


def test_apply_patch_is_a_custom_call_with_the_raw_patch_and_no_json_deltas() -> None:
    arguments = json.dumps({"input": PATCH})
    pieces = [arguments[:7], arguments[7:30], arguments[30:]]
    events = translate(
        [fragment(0, "call_p", "apply_patch", pieces[0])]
        + [fragment(0, arguments=p) for p in pieces[1:]]
        + [finish_chunk("tool_calls")]
    )
    assert_well_formed(events)
    assert not of_type(events, "response.custom_tool_call_input.delta")
    assert not of_type(events, "response.function_call_arguments.delta")
    (item,) = done_items(events)
    assert item == {
        "id": item["id"],
        "type": "custom_tool_call",
        "status": "completed",
        "call_id": "call_p",
        "name": "apply_patch",
        "input": PATCH,
    }
    assert of_type(events, "response.custom_tool_call_input.done")[0]["input"] == PATCH


def test_namespaced_call_comes_back_with_its_namespace() -> None:
    events = translate([fragment(0, "c1", "multi_agent_v1__spawn_agent", '{"task":"t"}')])
    (item,) = done_items(events)
    assert (item["type"], item["name"], item["namespace"]) == (
        "function_call",
        "spawn_agent",
        "multi_agent_v1",
    )


def test_unknown_tool_name_passes_through_as_a_function_call() -> None:
    (item,) = done_items(translate([fragment(0, "c1", "made_up", "{}")]))
    assert (item["type"], item["name"]) == ("function_call", "made_up")


# -- usage and the end of the stream -------------------------------------------------------


def test_usage_after_finish_reason_reaches_the_completed_event() -> None:
    events = translate(
        [
            delta(content="hi"),
            finish_chunk("stop"),
            usage_chunk(
                prompt_tokens=100,
                completion_tokens=20,
                total_tokens=120,
                prompt_tokens_details={"cached_tokens": 60},
                completion_tokens_details={"reasoning_tokens": 7},
            ),
        ]
    )
    usage = events[-1]["response"]["usage"]
    assert usage["input_tokens"] == 100
    assert usage["input_tokens_details"]["cached_tokens"] == 60
    assert usage["output_tokens"] == 20
    assert usage["output_tokens_details"]["reasoning_tokens"] == 7
    assert usage["total_tokens"] == 120


def test_deepseek_cache_hit_tokens_count_as_cached() -> None:
    events = translate(
        [
            delta(content="x"),
            usage_chunk(prompt_tokens=50, completion_tokens=1, prompt_cache_hit_tokens=30),
        ]
    )
    assert events[-1]["response"]["usage"]["input_tokens_details"]["cached_tokens"] == 30


@pytest.mark.parametrize(
    ("reason", "terminal", "incomplete"),
    [
        ("stop", "response.completed", None),
        ("tool_calls", "response.completed", None),
        ("length", "response.incomplete", "max_output_tokens"),
        ("content_filter", "response.incomplete", "content_filter"),
    ],
)
def test_finish_reasons(reason: str, terminal: str, incomplete: str | None) -> None:
    events = translate([delta(content="x"), finish_chunk(reason)])
    assert_well_formed(events)
    assert events[-1]["type"] == terminal
    details = events[-1]["response"]["incomplete_details"]
    assert (details["reason"] if details else None) == incomplete


def test_end_of_stream_rules() -> None:
    # EOF after a finish_reason without [DONE]: many compatibles do this.
    eof = translate([delta(content="x"), finish_chunk("stop")], saw_done=False)
    assert eof[-1]["type"] == "response.completed"
    # [DONE] without any finish_reason.
    done = translate([delta(content="x")], saw_done=True)
    assert done[-1]["type"] == "response.completed"
    # Neither: the stream was cut off, and Codex retries a server_error.
    cut = translate([delta(content="x")], saw_done=False)
    assert cut[-1]["type"] == "response.failed"
    assert cut[-1]["response"]["error"]["code"] == "server_error"
    assert "cut off" in cut[-1]["response"]["error"]["message"]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ({"message": "Internal error", "type": "server_error"}, "server_error"),
        ({"message": "Rate limit reached for requests", "code": 429}, "rate_limit_exceeded"),
        (
            {"message": "This model's maximum context length is 8192 tokens"},
            "context_length_exceeded",
        ),
        (
            {"message": "You exceeded your current quota", "type": "insufficient_quota"},
            "insufficient_quota",
        ),
        ("plain string error", "server_error"),
    ],
)
def test_error_chunk_mid_stream_fails_the_response(error: Any, code: str) -> None:
    events = translate([delta(content="partial"), {"error": error}, delta(content="ignored")])
    assert_well_formed(events, paired=False)
    failed = events[-1]
    assert failed["type"] == "response.failed"
    assert failed["response"]["error"]["code"] == code
    assert "ignored" not in json.dumps(events)


def test_error_messages_are_scrubbed_of_keys() -> None:
    translator = ChatStreamTranslator("m", TOOLS, secrets=["my-private-key-123"])
    translator.start()
    error = {"message": "bad key sk-abcdefghijklmnop and my-private-key-123"}
    failed = translator.feed({"error": error})[-1]
    message = failed["response"]["error"]["message"]
    assert "sk-abcdefghijklmnop" not in message
    assert "my-private-key-123" not in message


def test_finish_reason_error_fails() -> None:
    events = translate([delta(content="x"), finish_chunk("error")])
    assert events[-1]["type"] == "response.failed"


def test_exactly_one_terminal_event_whatever_is_called_after_it() -> None:
    translator = ChatStreamTranslator("m", TOOLS)
    events = translator.start() + translator.feed(delta(content="x"))
    events += translator.fail("server_error", "gone")
    events += translator.finish()
    events += translator.feed(delta(content="more"))
    events += translator.fail("server_error", "again")
    assert_well_formed(events, paired=False)


def test_failure_abandons_a_half_streamed_tool_call() -> None:
    translator = ChatStreamTranslator("m", TOOLS)
    events = translator.start() + translator.feed(fragment(0, "c1", "exec_command", '{"cmd":'))
    events += translator.fail("server_error", "cut")
    assert done_items(events) == []
    assert events[-1]["response"]["output"] == []


# -- properties ---------------------------------------------------------------------------

text_piece = st.text(alphabet="ab \n.é🙂{}\"'", min_size=0, max_size=6)
pieces = st.lists(text_piece, min_size=1, max_size=5)


def split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    bounds = [0, *points, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


@st.composite
def segments(draw: st.DrawFn) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["text", "reasoning", "tool"]))
        if kind == "tool":
            tool = draw(
                st.sampled_from(["exec_command", "apply_patch", "multi_agent_v1__spawn_agent"])
            )
            payload = draw(st.text(alphabet='ab\n"\\{}:', min_size=0, max_size=12))
            arguments = json.dumps({"input": payload}) if tool == "apply_patch" else payload
            cuts = draw(st.lists(st.integers(0, 40), max_size=4))
            mode = draw(st.sampled_from(["together", "id-first", "name-first"]))
            out.append(("tool", (tool, payload, split(arguments, cuts), mode)))
        else:
            out.append((kind, draw(pieces)))
    return out


def build_chunks(plan: list[tuple[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    chunks: list[dict[str, Any]] = [delta(role="assistant", content="")]
    call_ids: list[str] = []
    index = 0
    for kind, value in plan:
        if kind == "text":
            chunks += [delta(content=p) for p in value]
        elif kind == "reasoning":
            chunks += [delta(reasoning_content=p) for p in value]
        else:
            name, _, parts, mode = value
            call_id = f"call_{index}"
            call_ids.append(call_id)
            if mode == "together":
                chunks.append(fragment(index, call_id, name, parts[0]))
            elif mode == "id-first":
                chunks.append(fragment(index, call_id=call_id))
                chunks.append(fragment(index, name=name, arguments=parts[0]))
            else:
                chunks.append(fragment(index, name=name, arguments=parts[0]))
                chunks.append(fragment(index, call_id=call_id))
            chunks += [fragment(index, arguments=p) for p in parts[1:]]
            index += 1
    return chunks, call_ids


@settings(max_examples=200, deadline=None)
@given(
    plan=segments(),
    finish_reason=st.sampled_from([None, "stop", "tool_calls", "length", "content_filter"]),
    with_usage=st.booleans(),
    saw_done=st.booleans(),
)
def test_any_valid_chunk_sequence_gives_a_well_formed_stream(
    plan: list[tuple[str, Any]], finish_reason: str | None, with_usage: bool, saw_done: bool
) -> None:
    chunks, call_ids = build_chunks(plan)
    if finish_reason:
        chunks.append(finish_chunk(finish_reason))
    if with_usage:
        chunks.append(usage_chunk(prompt_tokens=9, completion_tokens=4))
    events = translate(chunks, saw_done=saw_done)

    cut_off = finish_reason is None and not saw_done
    assert_well_formed(events, paired=not cut_off)
    terminal = events[-1]
    if cut_off:
        assert terminal["type"] == "response.failed"
        return
    expected_terminal = (
        "response.incomplete"
        if finish_reason in ("length", "content_filter")
        else "response.completed"
    )
    assert terminal["type"] == expected_terminal
    if with_usage:
        assert terminal["response"]["usage"]["input_tokens"] == 9

    # Nothing lost: all text, reasoning and arguments arrive, in order.
    text_in = "".join(p for kind, v in plan if kind == "text" for p in v)
    reasoning_in = "".join(p for kind, v in plan if kind == "reasoning" for p in v)
    assert "".join(texts(events)) == text_in.lstrip()
    assert "".join(reasonings(events)) == reasoning_in
    calls = [i for i in done_items(events) if i["type"] in ("function_call", "custom_tool_call")]
    assert [c["call_id"] for c in calls] == call_ids
    tools_in = [v for kind, v in plan if kind == "tool"]
    for call, (name, payload, _, _) in zip(calls, tools_in, strict=True):
        if name == "apply_patch":
            assert (call["type"], call["input"]) == ("custom_tool_call", payload)
        else:
            assert call["arguments"] == (payload if payload.strip() else "{}")
            assert call.get("namespace") == ("multi_agent_v1" if "__" in name else None)
    # The terminal response lists exactly the closed items.
    assert terminal["response"]["output"] == done_items(events)


@settings(max_examples=200, deadline=None)
@given(
    reasoning=st.text(alphabet="ab </>thinké", max_size=12).filter(lambda s: "</think>" not in s),
    answer=st.text(alphabet="ab <>\n", max_size=8),
    cuts=st.lists(st.integers(0, 60), max_size=6),
)
def test_think_tags_split_anywhere(reasoning: str, answer: str, cuts: list[int]) -> None:
    content = f"<think>{reasoning}</think>{answer}"
    events = translate([delta(content=p) for p in split(content, cuts)])
    assert_well_formed(events)
    assert "".join(reasonings(events)) == reasoning
    assert "".join(texts(events)) == answer.lstrip()


# -- non-streaming --------------------------------------------------------------------------


def completion(message: dict[str, Any], finish_reason: str = "stop", **extra: Any) -> dict:
    return {
        "id": "chatcmpl-9",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
        **extra,
    }


def test_completion_with_reasoning_text_and_calls_has_the_stream_shapes() -> None:
    body = completion(
        {
            "role": "assistant",
            "reasoning_content": "hmm",
            "content": "Patching.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "apply_patch", "arguments": json.dumps({"input": PATCH})},
                },
                {
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "exec_command", "arguments": '{"cmd":"ls"}'},
                },
            ],
        },
        "tool_calls",
    )
    response = chat_completion_to_response(body, "codex-auto", TOOLS)
    assert response["status"] == "completed"
    assert response["model"] == "codex-auto"
    assert response["id"].startswith("resp_")
    output = response["output"]
    assert [i["type"] for i in output] == [
        "reasoning",
        "message",
        "custom_tool_call",
        "function_call",
    ]
    assert output[2]["input"] == PATCH
    assert output[3]["arguments"] == '{"cmd":"ls"}'
    assert response["usage"]["input_tokens"] == 10


def test_completion_cut_by_length_is_incomplete() -> None:
    response = chat_completion_to_response(
        completion({"role": "assistant", "content": "partial"}, "length"), "m", TOOLS
    )
    assert response["status"] == "incomplete"
    assert response["incomplete_details"] == {"reason": "max_output_tokens"}
    assert response["output"][0]["content"][0]["text"] == "partial"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"error": {"message": "overloaded", "type": "server_error"}}, 502, "server_error"),
        ({"error": {"message": "maximum context length exceeded"}}, 400, "context_length_exceeded"),
        (
            {"error": {"message": "quota exceeded", "type": "insufficient_quota"}},
            429,
            "insufficient_quota",
        ),
        ({"id": "x", "choices": []}, 502, "server_error"),
        (completion({"role": "assistant", "content": "x"}, "error"), 502, "server_error"),
    ],
)
def test_completion_errors_raise(body: dict, status: int, code: str) -> None:
    with pytest.raises(UpstreamError) as caught:
        chat_completion_to_response(body, "m", TOOLS)
    assert (caught.value.status, caught.value.code) == (status, code)


def test_completion_error_message_is_scrubbed() -> None:
    body = {"error": {"message": "key sk-secretsecretsecret rejected"}}
    with pytest.raises(UpstreamError) as caught:
        chat_completion_to_response(body, "m", TOOLS)
    assert "sk-secretsecretsecret" not in str(caught.value)


# -- round trip: what the stream emits comes back as the next request's input ---------------


def test_custom_and_namespaced_calls_round_trip_to_the_same_upstream_calls() -> None:
    upstream_calls = [
        {"id": "c1", "name": "apply_patch", "arguments": json.dumps({"input": PATCH})},
        {"id": "c2", "name": "multi_agent_v1__spawn_agent", "arguments": '{"task":"t"}'},
    ]
    events = translate(
        [fragment(i, c["id"], c["name"], c["arguments"]) for i, c in enumerate(upstream_calls)]
    )
    items = done_items(events)
    outputs = [
        {"type": "custom_tool_call_output", "call_id": "c1", "output": "Success."},
        {"type": "function_call_output", "call_id": "c2", "output": "spawned"},
    ]
    target = Target(slug="t", kind="chat", model="m", base_url="http://127.0.0.1:1/v1")
    request = {"model": "codex-auto", "input": [*items, *outputs]}
    messages = responses_to_chat(request, target, stream=True)["messages"]
    replayed = [
        {"id": c["id"], "name": c["function"]["name"], "arguments": c["function"]["arguments"]}
        for c in messages[0]["tool_calls"]
    ]
    assert replayed == [
        {**upstream_calls[0], "arguments": json.dumps({"input": PATCH}, ensure_ascii=False)},
        upstream_calls[1],
    ]
    assert [m["role"] for m in messages[1:]] == ["tool", "tool"]


# -- odd but real upstream shapes ------------------------------------------------------------


def test_arguments_sent_as_an_object_are_encoded() -> None:
    chunk = delta(
        tool_calls=[
            {"index": 0, "id": "c1", "function": {"name": "exec_command", "arguments": {"a": 1}}}
        ]
    )
    (item,) = done_items(translate([chunk]))
    assert json.loads(item["arguments"]) == {"a": 1}


@pytest.mark.parametrize(
    "chunk",
    [
        {"choices": None},
        {"choices": "nope"},
        {"choices": [None]},
        {"choices": [{"delta": "text"}]},
        {"choices": [{"delta": {"tool_calls": "x"}}]},
        {"choices": [{"delta": {"tool_calls": [None, {"index": 0, "function": "f"}]}}]},
        {"choices": [{"delta": {"tool_calls": [{"function": None}]}}]},
        {"usage": {"prompt_tokens": "many", "prompt_tokens_details": None}},
        {"usage": None, "choices": []},
    ],
)
def test_malformed_but_json_chunks_never_raise(chunk: dict[str, Any]) -> None:
    events = translate([delta(content="ok"), chunk, delta(content="!")])
    assert_well_formed(events)
    assert texts(events) == ["ok!"]
