"""Computer use: the call as a tool call, the screenshot as an image (or a note for a
text-only model), never base64 inside JSON text. Chat and Anthropic upstreams, through the
translators and through the running proxy with the openai SDK as the client."""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pytest
from openai import AsyncOpenAI
from openai.types.responses import ResponseInputItemParam, ResponseStreamEvent

from adapters import computer
from adapters.anthropic.request import responses_to_messages
from adapters.anthropic.stream import MessagesStreamTranslator
from adapters.base import Target
from adapters.chat.request import responses_to_chat
from adapters.chat.stream import ChatStreamTranslator
from adapters.tools import ToolMap, flatten_tools
from examples.mockupstream import MockUpstream, Text, ToolCall
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


# -- the tool offered, and a model's call of it back as a computer_call ----------------------

COMPUTER_TOOL = {
    "type": "computer_use_preview",
    "display_width": 1024,
    "display_height": 768,
    "environment": "browser",
}
EVENT = pydantic.TypeAdapter(ResponseStreamEvent)


def test_the_computer_tool_is_offered_as_a_function() -> None:
    chat_tools = responses_to_chat({"input": INPUT, "tools": [COMPUTER_TOOL]}, VISION, stream=True)[
        "tools"
    ]
    [function] = [t["function"] for t in chat_tools]
    assert function["name"] == computer.TOOL_NAME
    assert "1024x768" in function["description"]
    assert function["parameters"]["required"] == ["action"]
    anthropic_tools = responses_to_messages(
        {"input": INPUT, "tools": [{"type": "computer"}]}, CLAUDE, stream=True
    )["tools"]
    assert [t["name"] for t in anthropic_tools] == [computer.TOOL_NAME]


@pytest.mark.parametrize(
    ("arguments", "fields"),
    [
        (
            '{"action": {"type": "click", "x": 1, "y": 2}}',
            {"action": {"type": "click", "x": 1, "y": 2, "button": "left"}},
        ),
        ('{"type": "type", "text": "hi"}', {"action": {"type": "type", "text": "hi"}}),
        ('{"actions": [{"type": "wait"}]}', {"actions": [{"type": "wait"}]}),
        ("not json", {"action": {"type": "screenshot"}}),
    ],
)
def test_a_chat_models_call_comes_back_as_a_computer_call(
    arguments: str, fields: dict[str, Any]
) -> None:
    translator = ChatStreamTranslator("m", ToolMap(flatten_tools([COMPUTER_TOOL])))
    events = translator.start()
    fragment = {
        "index": 0,
        "id": "call_c",
        "function": {"name": "computer", "arguments": arguments},
    }
    events += translator.feed({"choices": [{"delta": {"tool_calls": [fragment]}}]})
    events += translator.feed({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]})
    events += translator.finish()
    for event in events:
        EVENT.validate_python(event)
    [done] = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert done == {
        "id": done["id"],
        "type": "computer_call",
        "status": "completed",
        "call_id": "call_c",
        "pending_safety_checks": [],
        **fields,
    }
    assert not [e for e in events if "arguments" in e["type"]]


def test_an_anthropic_models_call_comes_back_as_a_computer_call() -> None:
    translator = MessagesStreamTranslator("m", ToolMap(flatten_tools([COMPUTER_TOOL])))
    events = translator.start()
    for data in (
        {"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 3}}},
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "computer", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": '{"action": {"type": "scroll",'},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": ' "scroll_y": 300}}'},
        },
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 5},
        },
        {"type": "message_stop"},
    ):
        events += translator.feed(data["type"], data)
    events += translator.finish()
    [done] = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert done["type"] == "computer_call" and done["call_id"] == "toolu_1"
    assert done["action"] == {"type": "scroll", "scroll_x": 0, "scroll_y": 300}


@pytest.mark.parametrize("model", ["chat-cu", "claude-cu"])
async def test_the_sdk_gets_a_computer_call_through_the_proxy(
    mock_upstream: MockUpstream, proxy_factory: ProxyFactory, model: str
) -> None:
    click = {"action": {"type": "click", "button": "left", "x": 10, "y": 20}}
    mock_upstream.script(model, ToolCall("computer", click, call_id="call_cu"))
    proxy = await proxy_factory(
        {
            "models": [
                chat_model("chat-cu", mock_upstream.base_url),
                anthropic_model("claude-cu", mock_upstream.anthropic_base_url),
            ]
        }
    )
    client = AsyncOpenAI(base_url=proxy.base_url, api_key="unused", max_retries=0)
    response = await client.responses.create(
        model=model,
        input="Click the button.",
        tools=[COMPUTER_TOOL],  # type: ignore[list-item]
    )
    [item] = response.output
    assert item.type == "computer_call"
    assert item.action is not None and item.action.type == "click"
    assert (item.action.x, item.action.y) == (10, 20)
