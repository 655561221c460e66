"""Strict chat providers: one leading system message, no same-role runs, no empty content,
no NULs. Checked with the same rule the mock's strict mode enforces."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.base import Target
from adapters.chat.request import EMPTY_OUTPUT, responses_to_chat
from examples.mockupstream.chat_rules import strict_violation
from tests.adapters.test_chat_request import (
    FIXTURE_BODIES,
    assistant,
    call,
    fixture,
    output,
    user,
)

TARGET = Target(slug="s", kind="chat", model="m", base_url="http://127.0.0.1:1/v1")
EXACT = Target(
    slug="e", kind="chat", model="m", base_url="http://127.0.0.1:1/v1", merge_messages=False
)


def body_for(request: dict[str, Any], target: Target = TARGET) -> dict[str, Any]:
    return responses_to_chat(request, target, stream=True)


def developer(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "developer",
        "content": [{"type": "input_text", "text": text}],
    }


@pytest.mark.parametrize(
    ("name", "request_body"), FIXTURE_BODIES, ids=[n for n, _ in FIXTURE_BODIES]
)
def test_every_captured_codex_request_meets_the_strict_rules(
    name: str, request_body: dict[str, Any]
) -> None:
    body = body_for(request_body)
    assert strict_violation(body) is None, name
    # Without merging, Codex's own sequence (two user messages in a row) is kept.
    assert [m["role"] for m in body_for(request_body, EXACT)["messages"]][:3] == [
        "system",
        "user",
        "user",
    ]


def test_a_mid_thread_developer_message_joins_the_leading_system_message() -> None:
    request = fixture("exec_second_user_turn_requests", 1)
    items = [*request["input"], developer("The user switched to read-only mode.")]
    messages = body_for({**request, "input": items})["messages"]
    assert [m["role"] for m in messages].count("system") == 1
    assert messages[0]["content"].endswith("The user switched to read-only mode.")
    assert messages[-1]["role"] == "tool"


def test_nul_characters_are_stripped_from_every_text() -> None:
    request = fixture("exec_turn1_tool_output_request")
    items = json.loads(json.dumps(request["input"]).replace("Codex", "Co\\u0000dex"))
    items.append(user("a\x00b"))
    tools = [{"type": "function", "name": "t", "description": "d\x00", "parameters": {}}]
    body = body_for({**request, "input": items, "tools": tools})
    text = json.dumps(body)
    assert "\\u0000" not in text and "\x00" not in text
    assert "Codex" in text and body["messages"][-1]["content"] == "ab"


def test_nul_only_or_empty_text_is_never_sent_as_empty_content() -> None:
    messages = body_for(
        {
            "input": [
                user("\x00"),
                assistant(""),
                user("real"),
                call("c1", arguments="\x00"),
                output("c1", "\x00\x00"),
            ]
        },
        EXACT,
    )["messages"]
    assert messages[0] == {"role": "user", "content": "real"}
    assert (
        messages[1]["content"] is None
        and messages[1]["tool_calls"][0]["function"]["arguments"] == "{}"
    )
    assert messages[2] == {"role": "tool", "tool_call_id": "c1", "content": EMPTY_OUTPUT}


def test_same_role_runs_merge_but_tool_messages_and_call_order_stay() -> None:
    messages = body_for(
        {
            "input": [
                user("one"),
                user("two"),
                assistant("thinking aloud"),
                assistant("calling"),
                call("c1"),
                call("c2"),
                output("c2", "second"),
                output("c1", "first"),
                assistant("done"),
                user("thanks"),
            ]
        }
    )["messages"]
    assert messages == [
        {"role": "user", "content": "one\n\ntwo"},
        {
            "role": "assistant",
            "content": "thinking aloud\n\ncalling",
            "tool_calls": messages[1]["tool_calls"],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "first"},
        {"role": "tool", "tool_call_id": "c2", "content": "second"},
        {"role": "assistant", "content": "done"},
        {"role": "user", "content": "thanks"},
    ]
    assert [c["id"] for c in messages[1]["tool_calls"]] == ["c1", "c2"]


def test_a_user_text_and_a_user_image_merge_into_parts() -> None:
    image = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_image", "image_url": "data:image/png;base64,AAAA"}],
    }
    [message] = body_for({"input": [user("look:"), image]})["messages"]
    assert message["content"] == [
        {"type": "text", "text": "look:"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]


# -- property: any conversation comes out strict, complete and in order -------------------

TEXT = st.text(alphabet=st.sampled_from("ab \x00\n"), max_size=6)


@st.composite
def conversations(draw: st.DrawFn) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for number in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["user", "assistant", "developer", "calls"]))
        if kind == "user":
            items.append(user(draw(TEXT)))
        elif kind == "assistant":
            items.append(assistant(draw(TEXT)))
        elif kind == "developer":
            items.append(developer(draw(TEXT)))
        else:
            ids = [f"c{number}_{i}" for i in range(draw(st.integers(1, 3)))]
            items.extend(call(call_id, arguments=draw(TEXT)) for call_id in ids)
            answered = draw(st.permutations(ids))
            items.extend(output(call_id, draw(TEXT)) for call_id in answered)
    return items


def visible_text(items: list[dict[str, Any]], role: str) -> str:
    return "".join(
        part["text"].replace("\x00", "")
        for item in items
        if item.get("role") == role
        for part in item["content"]
    )


@settings(max_examples=150, deadline=None)
@given(conversations())
def test_any_conversation_comes_out_strict_and_loses_nothing(items: list[dict[str, Any]]) -> None:
    messages = body_for({"input": items})["messages"]
    assert strict_violation({"messages": messages}) is None
    calls = [c["id"] for m in messages for c in m.get("tool_calls") or ()]
    assert calls == [item["call_id"] for item in items if item["type"] == "function_call"]
    for index, message in enumerate(messages):
        for offset, tool_call in enumerate(message.get("tool_calls") or ()):
            assert messages[index + 1 + offset]["tool_call_id"] == tool_call["id"]
    sent_user = "".join(m["content"] for m in messages if m["role"] == "user")
    assert sent_user.replace("\n", "") == visible_text(items, "user").replace("\n", "")
