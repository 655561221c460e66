"""Computer use: the call as a tool call, the screenshot as an image (or a note for a
text-only model), never base64 inside JSON text. Chat and Anthropic upstreams, through the
translators and through the running proxy with the openai SDK as the client."""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pytest
from openai import AsyncOpenAI
from openai.types.responses import ResponseInputItemParam

from adapters import computer
from adapters.anthropic.request import responses_to_messages
from adapters.base import Target
from adapters.chat.request import responses_to_chat
from examples.mockupstream import MockUpstream, Text
from examples.mockupstream.chat_rules import STRICT
from tests.proxy import ProxyFactory, anthropic_model, chat_model

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
SCREENSHOT_URL = f"data:image/png;base64,{PNG}"

CLICK = {
    "type": "computer_call",
    "id": "cu_1",
    "call_id": "call_click",
    "action": {"type": "click", "button": "left", "x": 120, "y": 48},
    "pending_safety_checks": [],
    "status": "completed",
}
SCREENSHOT = {
    "type": "computer_call_output",
    "call_id": "call_click",
    "output": {"type": "computer_screenshot", "image_url": SCREENSHOT_URL},
    "acknowledged_safety_checks": [],
}
INPUT = [
    {"type": "message", "role": "user", "content": "Open the settings page."},
    CLICK,
    SCREENSHOT,
]

VISION = Target(slug="v", kind="chat", model="m", base_url="http://127.0.0.1:1/v1")
BLIND = Target(
    slug="t", kind="chat", model="m", base_url="http://127.0.0.1:1/v1", supports_images=False
)
CLAUDE = Target(slug="c", kind="anthropic", model="claude", base_url="https://api.anthropic.com")
CLAUDE_BLIND = Target(
    slug="cb", kind="anthropic", model="m", base_url="http://127.0.0.1:1", supports_images=False
)


def test_the_items_have_the_shapes_of_the_responses_api() -> None:
    adapter = pydantic.TypeAdapter(ResponseInputItemParam)
    for item in (CLICK, SCREENSHOT):
        adapter.validate_python(item)


def test_chat_vision_model_gets_a_tool_call_and_the_screenshot_as_an_image() -> None:
    messages = responses_to_chat({"input": INPUT}, VISION, stream=True)["messages"]
    _, call, tool, follow_up = messages
    [tool_call] = call["tool_calls"]
    assert tool_call["function"]["name"] == computer.TOOL_NAME
    assert json.loads(tool_call["function"]["arguments"]) == {"action": CLICK["action"]}
    assert tool == {
        "role": "tool",
        "tool_call_id": "call_click",
        "content": computer.SCREENSHOT_FOLLOWS,
    }
    assert follow_up["role"] == "user"
    assert follow_up["content"][-1] == {"type": "image_url", "image_url": {"url": SCREENSHOT_URL}}
    assert PNG not in json.dumps(messages[:3])


def test_chat_text_only_model_gets_a_note_and_no_image() -> None:
    messages = responses_to_chat({"input": INPUT}, BLIND, stream=True)["messages"]
    assert messages[-1] == {
        "role": "tool",
        "tool_call_id": "call_click",
        "content": computer.SCREENSHOT_OMITTED,
    }
    assert PNG not in json.dumps(messages)


def test_batched_actions_and_a_screenshot_as_an_input_image_part() -> None:
    batched = {**CLICK, "action": None, "actions": [{"type": "type", "text": "hi"}]}
    part_output = {**SCREENSHOT, "output": {"type": "input_image", "image_url": SCREENSHOT_URL}}
    messages = responses_to_chat({"input": [INPUT[0], batched, part_output]}, VISION, stream=True)[
        "messages"
    ]
    arguments = json.loads(messages[1]["tool_calls"][0]["function"]["arguments"])
    assert arguments == {"actions": [{"type": "type", "text": "hi"}]}
    assert messages[-1]["content"][-1]["image_url"]["url"] == SCREENSHOT_URL


def test_a_screenshot_whose_call_is_missing_still_arrives_as_an_image() -> None:
    messages = responses_to_chat({"input": [INPUT[0], SCREENSHOT]}, VISION, stream=True)["messages"]
    [message] = messages  # merged with the user text before it
    assert message["content"][-1]["image_url"]["url"] == SCREENSHOT_URL
    assert PNG not in json.dumps([p for p in message["content"] if p["type"] == "text"])


def test_anthropic_model_gets_tool_use_and_an_image_block_in_the_result() -> None:
    body = responses_to_messages({"input": INPUT}, CLAUDE, stream=True)
    _, assistant, results = body["messages"]
    [use] = assistant["content"]
    assert use["type"] == "tool_use" and use["name"] == computer.TOOL_NAME
    assert use["input"] == {"action": CLICK["action"]}
    [result] = results["content"]
    assert result["type"] == "tool_result" and result["tool_use_id"] == use["id"]
    assert result["content"][-1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": PNG},
    }


def test_anthropic_text_only_model_gets_a_note() -> None:
    body = responses_to_messages({"input": INPUT}, CLAUDE_BLIND, stream=True)
    [result] = body["messages"][-1]["content"]
    assert result["content"] == computer.SCREENSHOT_OMITTED
    assert PNG not in json.dumps(body)


# -- through the proxy -----------------------------------------------------------------------


def upstream_messages(mock: MockUpstream, model: str) -> list[dict[str, Any]]:
    [request] = mock.requests_for(model)
    return request.body["messages"]


@pytest.mark.parametrize("images", [True, False], ids=["vision", "text-only"])
async def test_round_trip_through_the_proxy(
    mock_upstream: MockUpstream, proxy_factory: ProxyFactory, images: bool
) -> None:
    mock_upstream.enforce("chat-cu", STRICT)
    mock_upstream.script("chat-cu", Text("The settings page is open."))
    mock_upstream.script("claude-cu", Text("The settings page is open."))
    proxy = await proxy_factory(
        {
            "models": [
                chat_model("chat-cu", mock_upstream.base_url, no_image_support=not images),
                anthropic_model(
                    "claude-cu", mock_upstream.anthropic_base_url, no_image_support=not images
                ),
            ]
        }
    )
    client = AsyncOpenAI(base_url=proxy.base_url, api_key="unused", max_retries=0)
    for model in ("chat-cu", "claude-cu"):
        response = await client.responses.create(model=model, input=INPUT)  # type: ignore[arg-type]
        assert response.output_text == "The settings page is open."

    chat = upstream_messages(mock_upstream, "chat-cu")
    claude = upstream_messages(mock_upstream, "claude-cu")
    chat_images = [
        p["image_url"]["url"]
        for m in chat
        if isinstance(m["content"], list)
        for p in m["content"]
        if p["type"] == "image_url"
    ]
    [result] = claude[-1]["content"]
    claude_images = [b for b in result["content"] if isinstance(b, dict) and b["type"] == "image"]
    if images:
        assert chat_images == [SCREENSHOT_URL]
        assert [b["source"]["data"] for b in claude_images] == [PNG]
    else:
        assert chat_images == [] and claude_images == []
        assert PNG not in json.dumps(chat) + json.dumps(claude)
        assert computer.SCREENSHOT_OMITTED in json.dumps(chat)
