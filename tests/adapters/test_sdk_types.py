"""What the chat adapter sends and emits, checked against the openai SDK's own types.

Two gaps in pydantic's checking are closed by hand: the SDK declares `messages`, content
parts and tool calls as `Iterable`, which pydantic validates lazily (only when iterated),
so every validated value is iterated here; and TypedDicts ignore unknown keys, so every
key we send is checked against the keys the SDK type declares.

`response.failed` events are validated only for codes the SDK's `ResponseError.code`
literal knows. Codex also acts on `context_length_exceeded` and `insufficient_quota`
(codex-protocol.md section 3), which the SDK does not list; those are deliberate.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pydantic
import pytest
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionContentPartImageParam,
    ChatCompletionContentPartTextParam,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCallParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionToolMessageParam,
    ChatCompletionUserMessageParam,
    completion_create_params,
)
from openai.types.responses import ResponseStreamEvent
from openai.types.shared_params import FunctionDefinition

from adapters.base import Target
from adapters.chat.request import responses_to_chat
from adapters.chat.stream import ChatStreamTranslator
from adapters.tools import ToolMap
from tests.adapters.test_chat_request import FIXTURE_BODIES
from tests.adapters.test_computer_use import INPUT as COMPUTER_INPUT

STREAMING = pydantic.TypeAdapter(completion_create_params.CompletionCreateParamsStreaming)
NON_STREAMING = pydantic.TypeAdapter(completion_create_params.CompletionCreateParamsNonStreaming)
EVENT = pydantic.TypeAdapter(ResponseStreamEvent)

TARGET = Target(
    slug="local", kind="chat", model="m", base_url="http://127.0.0.1:1/v1", max_output_tokens=512
)

MESSAGE_TYPES: dict[str, Any] = {
    "system": ChatCompletionSystemMessageParam,
    "user": ChatCompletionUserMessageParam,
    "assistant": ChatCompletionAssistantMessageParam,
    "tool": ChatCompletionToolMessageParam,
}
PART_TYPES: dict[str, Any] = {
    "text": ChatCompletionContentPartTextParam,
    "image_url": ChatCompletionContentPartImageParam,
}
SDK_FAILURE_CODES = {"server_error", "rate_limit_exceeded"}


def materialize(value: Any) -> Any:
    """Iterate every lazily validated iterable, so that its items are validated."""
    if isinstance(value, dict):
        return {key: materialize(item) for key, item in value.items()}
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, list | tuple | Iterator):
        return [materialize(item) for item in value]
    return value


def assert_keys(value: dict[str, Any], typed_dict: Any) -> None:
    allowed = typed_dict.__required_keys__ | typed_dict.__optional_keys__
    assert set(value) <= allowed, f"{typed_dict.__name__}: unknown {set(value) - allowed}"
    assert typed_dict.__required_keys__ <= set(value), f"{typed_dict.__name__}: missing keys"


def assert_known_shape(body: dict[str, Any]) -> None:
    assert_keys(body, completion_create_params.CompletionCreateParamsStreaming)
    for message in body["messages"]:
        assert_keys(message, MESSAGE_TYPES[message["role"]])
        if isinstance(message.get("content"), list):
            for part in message["content"]:
                assert_keys(part, PART_TYPES[part["type"]])
        for call in message.get("tool_calls") or ():
            assert_keys(call, ChatCompletionMessageFunctionToolCallParam)
    for tool in body.get("tools") or ():
        assert_keys(tool, ChatCompletionFunctionToolParam)
        assert_keys(tool["function"], FunctionDefinition)


def validate(adapter: pydantic.TypeAdapter[Any], body: dict[str, Any]) -> dict[str, Any]:
    return materialize(adapter.validate_python(body))


@pytest.mark.parametrize(("name", "body"), FIXTURE_BODIES, ids=[n for n, _ in FIXTURE_BODIES])
def test_every_captured_request_is_a_valid_sdk_request(name: str, body: dict) -> None:
    streaming = responses_to_chat(body, TARGET, stream=True)
    validated = validate(STREAMING, streaming)
    assert len(validated["messages"]) == len(streaming["messages"])
    assert_known_shape(streaming)

    plain = responses_to_chat(body, TARGET, stream=False)
    validate(NON_STREAMING, plain)
    assert_known_shape(plain)


def test_a_request_with_every_optional_field_is_valid() -> None:
    request = {
        "model": "codex-auto",
        "instructions": "Be brief.",
        "input": [
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "look"},
                    {"type": "input_image", "image_url": "https://x/img.png", "detail": "auto"},
                ],
            },
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {
                "type": "function_call_output",
                "call_id": "c1",
                "output": [{"type": "input_image", "image_url": "data:image/png;base64,AA"}],
            },
        ],
        "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
        "tool_choice": {"type": "function", "name": "f"},
        "parallel_tool_calls": False,
        "reasoning": {"effort": "xhigh"},
        "text": {"format": {"type": "json_schema", "name": "s", "schema": {}, "strict": True}},
        "max_output_tokens": 50,
        "temperature": 0.5,
        "top_p": 0.9,
    }
    body = responses_to_chat(request, TARGET, stream=True)
    validate(STREAMING, body)
    assert_known_shape(body)


def test_a_computer_use_request_is_valid() -> None:
    body = responses_to_chat({"input": COMPUTER_INPUT}, TARGET, stream=True)
    validate(STREAMING, body)
    assert_known_shape(body)


DEEPSEEK_EXTENSIONS = {"reasoning_content", "thinking"}
"""The only keys a DeepSeek-shaped target gets beyond the SDK's: its documented
`reasoning_content` on assistant messages and its `thinking` switch."""


@pytest.mark.parametrize(("name", "body"), FIXTURE_BODIES, ids=[n for n, _ in FIXTURE_BODIES])
def test_deepseek_requests_are_sdk_requests_plus_the_documented_extensions(
    name: str, body: dict
) -> None:
    target = Target(
        slug="ds",
        kind="chat",
        model="deepseek-v4-flash",
        base_url="https://api.deepseek.com",
        replay_reasoning=True,
    )
    sent = responses_to_chat({**body, "reasoning": {"effort": "none"}}, target, stream=True)
    assert sent["thinking"] == {"type": "disabled"}
    stripped = {k: v for k, v in sent.items() if k not in DEEPSEEK_EXTENSIONS}
    stripped["messages"] = [
        {k: v for k, v in m.items() if k not in DEEPSEEK_EXTENSIONS} for m in sent["messages"]
    ]
    validate(STREAMING, stripped)
    assert_known_shape(stripped)


def test_the_validation_would_catch_a_bad_message() -> None:
    """Guard for the helpers above: lazily validated content still fails when wrong."""
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": [{"x": 1}]}]}
    with pytest.raises(pydantic.ValidationError):
        validate(STREAMING, body)
    with pytest.raises(AssertionError):
        assert_known_shape({"model": "m", "messages": [], "stream": True, "input": "x"})


# -- emitted events ---------------------------------------------------------------------

TOOL_MAP = ToolMap.from_request(
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


def delta(**fields: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": fields, "finish_reason": None}]}


def finish(reason: str) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]}


def tool(index: int, call_id: str | None, name: str | None, arguments: str) -> dict[str, Any]:
    function: dict[str, Any] = {"arguments": arguments}
    if name:
        function["name"] = name
    fragment: dict[str, Any] = {"index": index, "type": "function", "function": function}
    if call_id:
        fragment["id"] = call_id
    return delta(tool_calls=[fragment])


USAGE = {
    "choices": [],
    "usage": {
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "total_tokens": 120,
        "prompt_tokens_details": {"cached_tokens": 40},
        "completion_tokens_details": {"reasoning_tokens": 5},
    },
}

SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "text": [delta(role="assistant", content=""), delta(content="Hel"), delta(content="lo")],
    "reasoning then text": [
        delta(reasoning_content="thinking"),
        delta(reasoning="more"),
        delta(content="answer"),
    ],
    "think tags": [delta(content="<think>hm</think>"), delta(content="ok")],
    "function call": [
        tool(0, "call_1", "exec_command", '{"cmd":'),
        tool(0, None, None, '"ls"}'),
        finish("tool_calls"),
    ],
    "custom and namespaced calls": [
        tool(0, "call_1", "apply_patch", '{"input":"*** Begin Patch\\n*** End Patch\\n"}'),
        tool(1, "call_2", "multi_agent_v1__spawn_agent", '{"task":"x"}'),
        finish("tool_calls"),
    ],
    "completed with usage": [delta(content="hi"), finish("stop"), USAGE],
    "incomplete": [delta(content="hi"), finish("length"), USAGE],
    "content filter": [delta(content="hi"), finish("content_filter")],
}


def run(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    translator = ChatStreamTranslator("codex-auto", TOOL_MAP)
    events = translator.start()
    for chunk in chunks:
        events.extend(translator.feed(chunk))
    events.extend(translator.finish())
    return events


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_emitted_event_is_a_valid_sdk_stream_event(scenario: str) -> None:
    events = run(SCENARIOS[scenario])
    for event in events:
        parsed = EVENT.validate_python(event)
        assert parsed.type == event["type"]


@pytest.mark.parametrize("code", sorted(SDK_FAILURE_CODES))
def test_failed_events_with_sdk_known_codes_are_valid(code: str) -> None:
    translator = ChatStreamTranslator("codex-auto", TOOL_MAP)
    events = translator.start() + translator.feed(delta(content="partial"))
    events += translator.fail(code, "upstream went away")
    for event in events:
        EVENT.validate_python(event)
    assert events[-1]["response"]["error"] == {"code": code, "message": "upstream went away"}


def test_error_chunk_failure_is_a_valid_sdk_event() -> None:
    events = run([delta(content="a"), {"error": {"message": "boom", "type": "server_error"}}])
    assert events[-1]["type"] == "response.failed"
    EVENT.validate_python(events[-1])


def _all(events: Iterable[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def test_scenarios_cover_every_item_type() -> None:
    items = {
        (event["item"]["type"], "namespace" in event["item"])
        for chunks in SCENARIOS.values()
        for event in _all(run(chunks), "response.output_item.done")
    }
    assert items == {
        ("message", False),
        ("reasoning", False),
        ("function_call", False),
        ("function_call", True),
        ("custom_tool_call", False),
    }
