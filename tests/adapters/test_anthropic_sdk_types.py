"""What the Anthropic adapter sends and emits, checked against the official SDKs' types.

Requests are validated with the `anthropic` SDK's `MessageCreateParams` TypedDicts. Two
gaps in pydantic's checking are closed here: `Iterable` fields are validated lazily, so
every validated value is iterated; and TypedDicts drop unknown keys silently, so the
validated value must equal what we send (a key the SDK does not declare would vanish
and break the equality).

Emitted events are validated with the `openai` SDK's `ResponseStreamEvent`. Only
`response.failed` codes the SDK's `ResponseError.code` literal lists are used here;
Codex also acts on `context_length_exceeded`, which the SDK does not list.
"""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from anthropic.types import message_create_params
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.responses import ResponseStreamEvent

from adapters.anthropic.request import responses_to_messages
from adapters.base import Target
from tests.adapters.test_anthropic_request import (
    CLAUDE,
    FIXTURE_BODIES,
    PLAIN,
    TOOLS,
    _as_codex_replays,
    _claude_turn_with_tool_call,
    _histories,
    output,
    user,
)
from tests.adapters.test_anthropic_stream import _blocks, _events_for, run

STREAMING = pydantic.TypeAdapter(message_create_params.MessageCreateParamsStreaming)
NON_STREAMING = pydantic.TypeAdapter(message_create_params.MessageCreateParamsNonStreaming)
EVENT = pydantic.TypeAdapter(ResponseStreamEvent)


def _materialize(value: Any) -> Any:
    """A validated value as plain data, iterating every lazily validated `Iterable`."""
    if isinstance(value, pydantic.BaseModel):
        return _materialize(value.model_dump(exclude_unset=True))
    if isinstance(value, dict):
        return {key: _materialize(item) for key, item in value.items()}
    if isinstance(value, str | bytes | int | float | bool) or value is None:
        return value
    if hasattr(value, "__iter__"):
        return [_materialize(item) for item in value]
    return value


def assert_sdk_valid(body: dict[str, Any]) -> None:
    adapter = STREAMING if body.get("stream") else NON_STREAMING
    validated = _materialize(adapter.validate_python(body))
    assert validated == _materialize(body)


@pytest.mark.parametrize(("name", "body"), FIXTURE_BODIES, ids=[n for n, _ in FIXTURE_BODIES])
@pytest.mark.parametrize("target", [CLAUDE, PLAIN], ids=["thinking", "plain"])
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "complete"])
def test_every_captured_request_validates(
    name: str, body: dict[str, Any], target: Target, stream: bool
) -> None:
    assert_sdk_valid(responses_to_messages(body, target, stream=stream))


def test_the_check_catches_unknown_keys() -> None:
    body = responses_to_messages({"input": "hi"}, PLAIN, stream=True)
    body["messages"][0]["content"][0]["not_a_field"] = 1
    with pytest.raises(AssertionError):
        assert_sdk_valid(body)


def test_replayed_thinking_and_images_validate() -> None:
    items, _ = _claude_turn_with_tool_call()
    image = {
        "type": "input_image",
        "image_url": "data:image/png;base64,iVBORw0KGgo=",
    }
    history = [
        user("look"),
        {
            "role": "user",
            "content": [image, {"type": "input_image", "image_url": "https://x/y.png"}],
        },
        *_as_codex_replays(items),
        output(items[3]["call_id"], [{"type": "input_text", "text": "see"}, image]),
    ]
    body = responses_to_messages(
        {"input": history, "tools": TOOLS, "reasoning": {"effort": "high"}}, CLAUDE, stream=True
    )
    assert body["thinking"]["type"] == "enabled"
    assert_sdk_valid(body)


@settings(max_examples=60, deadline=None)
@given(_histories(), st.sampled_from([CLAUDE, PLAIN]), st.booleans())
def test_any_history_validates(items: list[dict[str, Any]], target: Target, stream: bool) -> None:
    request = {"input": items, "tools": TOOLS, "reasoning": {"effort": "medium"}}
    assert_sdk_valid(responses_to_messages(request, target, stream=stream))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(_blocks(), max_size=6),
    st.sampled_from(["end_turn", "tool_use", "max_tokens", "refusal", "error", "cut"]),
)
def test_every_emitted_event_validates(blocks: list[dict[str, Any]], ending: str) -> None:
    for event in run(_events_for(blocks, ending)):
        EVENT.validate_python(event)
