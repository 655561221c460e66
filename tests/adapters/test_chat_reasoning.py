"""A chat upstream's reasoning through Codex and back: DeepSeek's thinking-mode rule."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.base import Target
from adapters.chat.reasoning import (
    decode_reasoning,
    encode_reasoning,
    is_deepseek,
    needs_reasoning_replay,
)
from adapters.chat.request import responses_to_chat
from adapters.chat.stream import ChatStreamTranslator, chat_completion_to_response
from adapters.thinking import decode_blocks, encode_blocks
from adapters.tools import ToolMap
from examples.mockupstream.chat_rules import deepseek_violation, strict_violation
from tests.adapters.test_chat_request import call, fixture, output, user
from tests.adapters.test_chat_strict import conversations

DEEPSEEK = Target(
    slug="ds",
    kind="chat",
    model="deepseek-v4-flash",
    base_url="https://api.deepseek.com",
    replay_reasoning=True,
)
OTHER_HOST = Target(
    slug="ds2",
    kind="chat",
    model="deepseek-v4-pro",
    base_url="https://openrouter.ai/api/v1",
    replay_reasoning=True,
)
PLAIN = Target(slug="gpt", kind="chat", model="gpt-5", base_url="https://api.openai.com/v1")


def reasoning_item(summary: str, encrypted: str | None = None) -> dict[str, Any]:
    return {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": summary}] if summary else [],
        "content": None,
        "encrypted_content": encrypted,
    }


def chat_messages(target: Target, *items: dict[str, Any]) -> list[dict[str, Any]]:
    return responses_to_chat({"model": "x", "input": list(items)}, target, stream=True)["messages"]


def assistant_calls(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["role"] == "assistant" and m.get("tool_calls")]


# -- the format --------------------------------------------------------------------------


@given(st.text(), st.text(min_size=1))
def test_reasoning_round_trips_exactly_to_its_own_origin(text: str, origin: str) -> None:
    sealed = encode_reasoning(text, origin)
    assert decode_reasoning(sealed, origin) == text
    assert decode_reasoning(sealed, origin + "x") is None


@pytest.mark.parametrize(
    "value",
    [None, "", "gAAAAABfoo", "chat.v1:!!!", "chat.v1:" + "e30", 42, ["chat.v1:"]],
)
def test_foreign_or_malformed_values_are_not_ours(value: object) -> None:
    assert decode_reasoning(value, "api.deepseek.com") is None


def test_chat_and_anthropic_formats_never_read_each_other() -> None:
    blocks = encode_blocks([{"type": "thinking", "thinking": "t", "signature": "s"}], "h")
    assert blocks is not None
    assert decode_reasoning(blocks, "h") is None
    assert decode_blocks(encode_reasoning("t", "h"), "h") == []


@pytest.mark.parametrize(
    ("base_url", "model", "expected"),
    [
        ("https://api.deepseek.com", "deepseek-chat", True),
        ("https://api.deepseek.com/v1", "anything", True),
        ("https://openrouter.ai/api/v1", "deepseek/deepseek-v4-pro", True),
        ("http://127.0.0.1:8000/v1", "deepseek-v4-flash", True),
        ("https://api.moonshot.ai/v1", "kimi-k2.5", True),
        ("https://api.groq.com/openai/v1", "moonshotai/kimi-k2-instruct", False),
        ("https://api.openai.com/v1", "gpt-5", False),
        ("http://localhost:11434/v1", "qwen3:8b", False),
        ("https://notdeepseek.com.evil.example/v1", "m", False),
    ],
)
def test_which_upstreams_need_their_reasoning_back_by_default(
    base_url: str, model: str, expected: bool
) -> None:
    assert needs_reasoning_replay(base_url, model) is expected


def test_the_setting_overrides_the_default() -> None:
    from router.settings.models import ModelConfig

    def target(**extra: Any) -> Target:
        entry = {"model": "deepseek-v4-flash", "base_url": "https://api.deepseek.com", **extra}
        return ModelConfig.model_validate(entry).target({})

    assert target().replay_reasoning is True
    assert target(replay_reasoning=False).replay_reasoning is False
    assert target(replayReasoning=False, mergeMessages=False).merge_messages is False
    local = ModelConfig.model_validate({"model": "qwen3", "base_url": "http://127.0.0.1:1/v1"})
    assert local.target({}).replay_reasoning is False
    assert local.target({}).merge_messages is True


# -- the answer: reasoning sealed into encrypted_content -----------------------------------


def stream_reasoning(origin: str | None) -> dict[str, Any]:
    translator = ChatStreamTranslator("m", ToolMap([]), reasoning_origin=origin)
    events = translator.start()
    for piece in ("I should ", "list the ", "files."):
        events += translator.feed({"choices": [{"delta": {"reasoning_content": piece}}]})
    events += translator.feed(
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_1",
                                "function": {"name": "exec_command", "arguments": "{}"},
                            }
                        ]
                    },
                    "finish_reason": "tool_calls",
                }
            ]
        }
    )
    events += translator.finish()
    [item] = [
        e["item"]
        for e in events
        if e["type"] == "response.output_item.done" and e["item"]["type"] == "reasoning"
    ]
    return item


def test_streamed_reasoning_is_sealed_for_its_origin() -> None:
    item = stream_reasoning("api.deepseek.com")
    assert item["summary"] == [{"type": "summary_text", "text": "I should list the files."}]
    assert decode_reasoning(item["encrypted_content"], "api.deepseek.com") == (
        "I should list the files."
    )


def test_reasoning_is_not_sealed_for_upstreams_that_do_not_need_it() -> None:
    assert "encrypted_content" not in stream_reasoning(None)


def test_a_non_streamed_answer_is_sealed_too() -> None:
    body = {
        "choices": [
            {
                "message": {"role": "assistant", "content": "hi", "reasoning_content": "think"},
                "finish_reason": "stop",
            }
        ]
    }
    response = chat_completion_to_response(body, "m", ToolMap([]), reasoning_origin="h")
    [reasoning] = [item for item in response["output"] if item["type"] == "reasoning"]
    assert decode_reasoning(reasoning["encrypted_content"], "h") == "think"


# -- the request: reasoning_content on the tool-call turn -------------------------------------


def test_the_exact_reasoning_goes_back_on_the_message_that_made_the_calls() -> None:
    sealed = encode_reasoning("exact chain of thought", "api.deepseek.com")
    out = chat_messages(
        DEEPSEEK,
        user("go"),
        reasoning_item("a shorter summary", sealed),
        call("c1"),
        output("c1"),
    )
    [turn] = assistant_calls(out)
    assert turn["reasoning_content"] == "exact chain of thought"


def test_another_origins_reasoning_falls_back_to_its_summary() -> None:
    sealed = encode_reasoning("exact chain of thought", "api.deepseek.com")
    out = chat_messages(
        OTHER_HOST, user("go"), reasoning_item("the summary", sealed), call("c1"), output("c1")
    )
    [turn] = assistant_calls(out)
    assert turn["reasoning_content"] == "the summary"
    assert "exact chain" not in json.dumps(out)


def test_a_tool_call_turn_without_reasoning_gets_a_non_empty_note_per_turn() -> None:
    out = chat_messages(
        DEEPSEEK, user("go"), call("c1"), output("c1"), call("c2", "write_stdin"), output("c2")
    )
    notes = [turn["reasoning_content"] for turn in assistant_calls(out)]
    assert all(note.strip() for note in notes)
    assert len(set(notes)) == 2
    assert "write_stdin" in notes[1]


def test_reasoning_never_reaches_an_upstream_that_does_not_need_it() -> None:
    sealed = encode_reasoning("secret thoughts", "api.openai.com")
    out = chat_messages(PLAIN, user("go"), reasoning_item("sum", sealed), call("c1"), output("c1"))
    assert "reasoning_content" not in json.dumps(out)
    assert "secret thoughts" not in json.dumps(out)


def test_text_only_turns_carry_no_reasoning_and_a_user_turn_ends_it() -> None:
    out = chat_messages(
        DEEPSEEK,
        user("hi"),
        reasoning_item("thinking about hi"),
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "hello"}],
        },
        user("now run it"),
        call("c1"),
        output("c1"),
    )
    assert "reasoning_content" not in out[1]
    [turn] = assistant_calls(out)
    assert "thinking about hi" not in turn["reasoning_content"]


def test_reasoning_before_the_text_of_a_tool_call_turn_lands_on_that_message() -> None:
    out = chat_messages(
        DEEPSEEK,
        user("go"),
        reasoning_item("plan"),
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Running."}],
        },
        call("c1"),
        call("c2"),
        output("c1"),
        output("c2"),
    )
    [turn] = assistant_calls(out)
    assert turn["content"] == "Running."
    assert turn["reasoning_content"] == "plan"
    assert [c["id"] for c in turn["tool_calls"]] == ["c1", "c2"]


def test_a_captured_tool_round_trip_passes_the_deepseek_rule() -> None:
    body = fixture("exec_turn1_tool_output_request")
    items = list(body["input"])
    call_at = next(i for i, item in enumerate(items) if item.get("type") == "function_call")
    items.insert(
        call_at, reasoning_item("I will look", encode_reasoning("I will look", "api.deepseek.com"))
    )
    out = responses_to_chat({**body, "input": items}, DEEPSEEK, stream=True)["messages"]
    [turn] = assistant_calls(out)
    assert turn["reasoning_content"] == "I will look"


# -- effort ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effort", "sent"),
    [
        ("minimal", "low"),
        ("low", "low"),
        ("medium", "high"),
        ("high", "high"),
        ("xhigh", "high"),
        ("max", "max"),
    ],
)
def test_deepseek_gets_its_documented_effort_mapping(effort: str, sent: str) -> None:
    body = responses_to_chat(
        {"input": "x", "reasoning": {"effort": effort}}, DEEPSEEK, stream=False
    )
    assert body["reasoning_effort"] == sent
    assert "thinking" not in body


def test_effort_none_turns_deepseek_thinking_off() -> None:
    body = responses_to_chat(
        {"input": "x", "reasoning": {"effort": "none"}}, DEEPSEEK, stream=False
    )
    assert body["thinking"] == {"type": "disabled"}
    assert "reasoning_effort" not in body


def test_other_upstreams_keep_their_effort_mapping() -> None:
    body = responses_to_chat({"input": "x", "reasoning": {"effort": "xhigh"}}, PLAIN, stream=False)
    assert body["reasoning_effort"] == "high"
    assert not is_deepseek(PLAIN.base_url, PLAIN.model)


@st.composite
def thinking_conversations(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A conversation with reasoning items, sealed here or elsewhere, dropped in anywhere."""
    items = draw(conversations())
    for _ in range(draw(st.integers(0, 4))):
        origin = draw(st.sampled_from(["api.deepseek.com", "openrouter.ai"]))
        text = draw(st.text(alphabet="xyz \x00", max_size=5))
        sealed = draw(st.sampled_from([None, encode_reasoning(text, origin)]))
        items.insert(draw(st.integers(0, len(items))), reasoning_item(text, sealed))
    return items


@settings(max_examples=150, deadline=None)
@given(thinking_conversations())
def test_any_conversation_meets_deepseeks_rule_and_only_there(items: list[dict[str, Any]]) -> None:
    to_deepseek = responses_to_chat({"input": items}, DEEPSEEK, stream=True)
    assert deepseek_violation(to_deepseek) is None
    assert strict_violation(to_deepseek) is None
    to_openai = responses_to_chat({"input": items}, PLAIN, stream=True)
    assert "reasoning_content" not in json.dumps(to_openai)
