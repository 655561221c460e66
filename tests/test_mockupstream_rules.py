"""The mock's provider rules: DeepSeek's thinking mode and the strict sequence, answered
with the providers' own 400, through the openai SDK."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from openai import AsyncOpenAI

from examples.mockupstream import MockUpstream, Text, ToolCall
from examples.mockupstream.chat_rules import (
    DEEPSEEK,
    DEEPSEEK_REASONING_MISSING,
    STRICT,
    strict_violation,
)

CALL = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}


def client(mock: MockUpstream) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=mock.base_url, api_key="k", max_retries=0)


def tool_loop(reasoning: Any = None) -> list[dict[str, Any]]:
    turn: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [CALL]}
    if reasoning is not None:
        turn["reasoning_content"] = reasoning
    return [
        {"role": "user", "content": "go"},
        turn,
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ]


@pytest.mark.parametrize("reasoning", [None, "", "  "])
async def test_deepseek_mode_refuses_a_tool_turn_without_its_reasoning(
    mock_upstream: MockUpstream, reasoning: Any
) -> None:
    mock_upstream.enforce("ds", DEEPSEEK)
    with pytest.raises(openai.BadRequestError) as caught:
        await client(mock_upstream).chat.completions.create(
            model="ds",
            messages=tool_loop(reasoning),  # type: ignore[arg-type]
        )
    assert caught.value.status_code == 400
    assert DEEPSEEK_REASONING_MISSING in str(caught.value)


async def test_deepseek_mode_accepts_the_reasoning_and_always_reasons(
    mock_upstream: MockUpstream,
) -> None:
    mock_upstream.enforce("ds", DEEPSEEK)
    mock_upstream.script("ds", ToolCall("f", {}), Text("done"))
    first = await client(mock_upstream).chat.completions.create(
        model="ds", messages=[{"role": "user", "content": "go"}]
    )
    reasoning = (first.choices[0].message.model_extra or {}).get("reasoning_content")
    assert reasoning and reasoning.startswith("Thinking about request")
    second = await client(mock_upstream).chat.completions.create(
        model="ds",
        messages=tool_loop(reasoning),  # type: ignore[arg-type]
    )
    assert second.choices[0].message.content == "done"


async def test_deepseek_mode_with_thinking_disabled_has_no_rule(
    mock_upstream: MockUpstream,
) -> None:
    mock_upstream.enforce("ds", DEEPSEEK)
    answer = await client(mock_upstream).chat.completions.create(
        model="ds",
        messages=tool_loop(),  # type: ignore[arg-type]
        extra_body={"thinking": {"type": "disabled"}},
    )
    assert answer.choices[0].message.content


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
        [{"role": "user", "content": "a"}, {"role": "system", "content": "late"}],
        [{"role": "user", "content": ""}],
        [{"role": "user", "content": "nul \x00 here"}],
    ],
    ids=["same-role", "late-system", "empty", "nul"],
)
async def test_strict_mode_refuses_what_strict_providers_refuse(
    mock_upstream: MockUpstream, messages: list[dict[str, Any]]
) -> None:
    mock_upstream.enforce("strict", STRICT)
    assert strict_violation({"messages": messages}) is not None
    with pytest.raises(openai.BadRequestError):
        await client(mock_upstream).chat.completions.create(model="strict", messages=messages)  # type: ignore[arg-type]


async def test_two_tool_messages_in_a_row_are_fine_for_strict_mode() -> None:
    loop = tool_loop("r")
    loop[1]["tool_calls"] = [CALL, {**CALL, "id": "c2"}]
    loop.append({"role": "tool", "tool_call_id": "c2", "content": "ok"})
    assert strict_violation({"messages": loop}) is None
