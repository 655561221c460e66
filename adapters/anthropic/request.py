"""A Responses API request as an Anthropic Messages request.

`responses_to_messages` is pure: it builds the body and nothing else. The conversation
itself (Codex's `input` items as alternating `messages`) is built by
`adapters.anthropic.transcript`; this module adds what surrounds it: the model, token
limits, tools and tool choice, extended thinking, sampling and prompt-cache breakpoints.

Choices worth knowing:
- `max_tokens` comes from the request's `max_output_tokens`, else the target's limit,
  else `default_max_tokens(model)`: 32000 for Claude 4.x / 3.7 class models, 16384 for
  the rest. Never 4096, which truncates a tool call carrying a whole file mid-JSON.
- Thinking (only for `target.supports_thinking`) takes its budget from
  `reasoning.effort`: see `THINKING_BUDGETS`. A missing effort or `none` means off. The
  budget is capped so at least a quarter of `max_tokens` (and 1024 tokens) stays for the
  answer; if that leaves less than the API's 1024-token minimum, thinking is off.
  Thinking is also turned off for one request when the API would reject it: a forced
  tool choice (`required` or a named tool), or an unfinished tool loop whose assistant
  turn did not start with a replayable thinking block (a turn another model produced).
  Signed thinking the endpoint sent is replayed either way (see `transcript`), asked for
  or not: the endpoint decides whether it thinks, not our settings.
- `temperature`/`top_p` are never sent with thinking; OpenAI's 0-2 temperature is
  clamped to Anthropic's 0-1, and only `temperature` is sent when both are set, because
  recent Claude models reject the pair.
- Structured output (`text.format` json_schema) becomes a final system instruction,
  which every Anthropic-compatible endpoint understands.
- Prompt caching: `cache_control` breakpoints on the last system block, the last tool
  definition, the last block of the last user message, and the last block of the user
  message before it (so a tool round trip that adds many blocks still reads the previous
  request's cache). Never more than the API's limit of 4.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.anthropic.transcript import Transcript, thinking_can_continue
from adapters.base import Target
from adapters.thinking import origin_of
from adapters.tools import FlatTool, flatten_tools, wire_name

THINKING_BUDGETS: dict[str, int] = {
    "minimal": 2048,
    "low": 4096,
    "medium": 8192,
    "high": 16384,
    "xhigh": 32000,
}
"""`reasoning.effort` -> thinking `budget_tokens` (before capping by `max_tokens`)."""

MIN_THINKING_BUDGET = 1024
"""The smallest `budget_tokens` the API accepts."""

LARGE_OUTPUT_DEFAULT = 32000
SMALL_OUTPUT_DEFAULT = 16384
_LARGE_OUTPUT_MODELS = re.compile(r"(opus|sonnet|haiku)-4|claude-4|claude-3-7")

MAX_CACHE_BREAKPOINTS = 4
_CACHE_CONTROL = {"type": "ephemeral"}


def default_max_tokens(model: str) -> int:
    """A `max_tokens` large enough for real agent turns on this model."""
    if _LARGE_OUTPUT_MODELS.search(model.lower()):
        return LARGE_OUTPUT_DEFAULT
    return SMALL_OUTPUT_DEFAULT


def responses_to_messages(
    request: Mapping[str, Any],
    target: Target,
    *,
    stream: bool,
    tools: Sequence[FlatTool] | None = None,
) -> dict[str, Any]:
    """The Anthropic Messages body for a Responses API request. `tools` is
    `flatten_tools(request["tools"])` when the caller has it already."""
    if tools is None:
        tools = flatten_tools(request.get("tools"))
    max_tokens = _max_tokens(request, target)
    tool_choice = _tool_choice(request, tools)
    budget = _thinking_budget(request, target, max_tokens)
    if tool_choice is not None and tool_choice["type"] in ("any", "tool"):
        budget = None

    origin = origin_of(target.base_url)
    transcript = Transcript.build(request, target, origin=origin)
    if budget is not None and not thinking_can_continue(transcript.messages):
        budget = None

    system = transcript.system + _output_format_instruction(request)
    body: dict[str, Any] = {"model": target.model, "max_tokens": max_tokens}
    if system:
        body["system"] = system
    body["messages"] = transcript.messages
    if tools:
        body["tools"] = [_tool_definition(tool) for tool in tools]
        if tool_choice is not None:
            body["tool_choice"] = tool_choice
    if budget is not None:
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    else:
        body.update(_sampling(request))
    stop = _stop_sequences(request.get("stop"))
    if stop:
        body["stop_sequences"] = stop
    if stream:
        body["stream"] = True
    _add_cache_breakpoints(body)
    return body


# -- limits and thinking ------------------------------------------------------------


def _max_tokens(request: Mapping[str, Any], target: Target) -> int:
    for value in (request.get("max_output_tokens"), target.max_output_tokens):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return default_max_tokens(target.model)


def _thinking_budget(request: Mapping[str, Any], target: Target, max_tokens: int) -> int | None:
    if not target.supports_thinking:
        return None
    reasoning = request.get("reasoning")
    effort = reasoning.get("effort") if isinstance(reasoning, Mapping) else None
    wanted = THINKING_BUDGETS.get(effort) if isinstance(effort, str) else None
    if wanted is None:
        return None
    answer_room = max(MIN_THINKING_BUDGET, max_tokens // 4)
    budget = min(wanted, max_tokens - answer_room)
    return budget if budget >= MIN_THINKING_BUDGET else None


def _sampling(request: Mapping[str, Any]) -> dict[str, Any]:
    temperature = request.get("temperature")
    if isinstance(temperature, int | float) and not isinstance(temperature, bool):
        return {"temperature": min(max(float(temperature), 0.0), 1.0)}
    top_p = request.get("top_p")
    if isinstance(top_p, int | float) and not isinstance(top_p, bool):
        return {"top_p": float(top_p)}
    return {}


def _stop_sequences(stop: Any) -> list[str]:
    values = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    # The API rejects sequences that are only whitespace.
    return [value for value in values if isinstance(value, str) and value.strip()]


# -- tools ----------------------------------------------------------------------------


def _tool_definition(tool: FlatTool) -> dict[str, Any]:
    schema = dict(tool.parameters)
    # Anthropic requires an object schema at the top level.
    schema.setdefault("type", "object")
    definition: dict[str, Any] = {"name": tool.wire_name}
    if tool.description:
        definition["description"] = tool.description
    definition["input_schema"] = schema
    return definition


def _tool_choice(request: Mapping[str, Any], tools: Sequence[FlatTool]) -> dict[str, Any] | None:
    if not tools:
        return None
    choice = request.get("tool_choice")
    result: dict[str, Any]
    if choice == "required":
        result = {"type": "any"}
    elif choice == "none":
        return {"type": "none"}
    elif isinstance(choice, Mapping) and (named := _offered(choice, tools)):
        result = {"type": "tool", "name": named}
    else:
        result = {"type": "auto"}
    if request.get("parallel_tool_calls") is False:
        result["disable_parallel_tool_use"] = True
    return result


def _offered(choice: Mapping[str, Any], tools: Sequence[FlatTool]) -> str | None:
    """The wire name of the tool a specific tool choice names, if the request offers it."""
    name = choice.get("name")
    if not isinstance(name, str) or not name:
        return None
    namespace = choice.get("namespace")
    wanted = wire_name(name, namespace if isinstance(namespace, str) else None)
    return wanted if any(tool.wire_name == wanted for tool in tools) else None


# -- structured output ------------------------------------------------------------------


def _output_format_instruction(request: Mapping[str, Any]) -> list[dict[str, Any]]:
    text = request.get("text")
    fmt = text.get("format") if isinstance(text, Mapping) else None
    if not isinstance(fmt, Mapping):
        return []
    if fmt.get("type") == "json_schema" and isinstance(fmt.get("schema"), Mapping):
        schema = json.dumps(fmt["schema"], ensure_ascii=False, separators=(",", ":"))
        instruction = (
            "Reply with only a JSON value that matches this JSON schema, with no other "
            f"text and no code fence:\n{schema}"
        )
    elif fmt.get("type") == "json_object":
        instruction = "Reply with only a JSON object, with no other text and no code fence."
    else:
        return []
    return [{"type": "text", "text": instruction}]


# -- prompt caching -------------------------------------------------------------------


def _add_cache_breakpoints(body: dict[str, Any]) -> None:
    """Mark the stable prefix and the latest turns for prompt caching (at most 4)."""
    targets: list[dict[str, Any]] = []
    system = body.get("system")
    if system:
        targets.append(system[-1])
    tools = body.get("tools")
    if tools:
        targets.append(tools[-1])
    user_messages = [m for m in body["messages"] if m["role"] == "user" and m["content"]]
    for message in reversed(user_messages[-2:]):
        targets.append(message["content"][-1])
    for block in targets[:MAX_CACHE_BREAKPOINTS]:
        block["cache_control"] = dict(_CACHE_CONTROL)
