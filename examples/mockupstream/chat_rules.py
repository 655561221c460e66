"""Request rules some real chat-completions providers enforce, for the mock to enforce too.

- `DEEPSEEK`: DeepSeek's thinking mode (on unless `thinking.type` is `disabled`) answers
  400 when an assistant message with `tool_calls` comes back without a non-empty
  `reasoning_content` (an empty string gets the same answer in practice), and every
  answer carries reasoning, so a translator that drops it fails the next request.
- `STRICT`: the textbook sequence strict compatibles want: one system message, first;
  no two consecutive messages of the same role (tool messages excepted); no empty
  content string; no NUL character anywhere in the body.

Each check returns the error message the provider would send, or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from examples.mockupstream.replies import Content, HttpError, Text, ToolCall, ToolCalls

DEEPSEEK = "deepseek"
STRICT = "strict"

DEEPSEEK_REASONING_MISSING = (
    "The `reasoning_content` in the thinking mode must be passed back to the API."
)


def _thinking(body: dict[str, Any]) -> bool:
    thinking = body.get("thinking")
    return not (isinstance(thinking, dict) and thinking.get("type") == "disabled")


def deepseek_violation(body: dict[str, Any]) -> str | None:
    if not _thinking(body):
        return None
    for message in body.get("messages") or []:
        if not isinstance(message, dict) or message.get("role") != "assistant":
            continue
        reasoning = message.get("reasoning_content")
        if message.get("tool_calls") and not (isinstance(reasoning, str) and reasoning.strip()):
            return DEEPSEEK_REASONING_MISSING
    return None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def strict_violation(body: dict[str, Any]) -> str | None:
    if _has_nul(body):
        return "Invalid request: the body contains a NUL character."
    previous = None
    for index, message in enumerate(body.get("messages") or []):
        role = message.get("role") if isinstance(message, dict) else None
        if role == "system" and index > 0:
            return f"Invalid request: system message at position {index}; only the first may be."
        if role == previous and role != "tool":
            return f"Invalid request: two consecutive {role} messages at position {index}."
        if message.get("content") == "":
            return f"Invalid request: empty content at position {index}."
        previous = role
    return None


CHECKS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    DEEPSEEK: deepseek_violation,
    STRICT: strict_violation,
}


def rejection(rules: frozenset[str], body: dict[str, Any]) -> HttpError | None:
    """The 400 answer for the first rule the body breaks, if any."""
    for rule in sorted(rules):
        message = CHECKS[rule](body)
        if message is not None:
            error = {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_request_error",
            }
            return HttpError(400, {"error": error})
    return None


def with_reasoning(content: Content, rules: frozenset[str], turn: int) -> Content:
    """A DeepSeek-shaped model always thinks: a reply scripted without reasoning gets
    some, different on each request, so its replay can be checked exactly."""
    if DEEPSEEK not in rules or not isinstance(content, Text | ToolCall | ToolCalls):
        return content
    if content.reasoning or content.thinking:
        return content
    return replace(content, reasoning=f"Thinking about request {turn}.")
