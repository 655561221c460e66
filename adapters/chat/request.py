"""A Responses API request as an OpenAI chat-completions request.

Chat-completions compatibles (OpenAI, OpenRouter, DeepSeek, Ollama, vLLM, llama.cpp, ...)
accept only a subset of what OpenAI itself does, so the request is kept conservative:
- every developer/system item becomes a `system` message (`developer` is OpenAI-only);
  `adapters.chat.strict` then gathers them into one leading system message, merges
  consecutive same-role messages, drops empty ones and strips NULs (unless the model's
  `merge_messages` is off, which keeps the sequence as it is).
- text-only content is sent as a plain string (several compatibles reject content lists);
  a list is used only when an image is present.
- `tools` is omitted when empty (some servers reject `[]`), and with it `tool_choice` and
  `parallel_tool_calls`.
- every assistant `tool_call` is followed by its `tool` message, in one block, because chat
  APIs reject a call without an answer and an answer without a call: an interrupted call
  gets a synthesized answer, an output without its call becomes user text, and images in a
  tool output (which most compatibles refuse in a `tool` message) follow in a user message.
- a `compaction_trigger` item (remote compaction, which only OpenAI's backend performs)
  becomes a request for a handoff summary; any item type not known here becomes a user
  text message showing it, rather than disappearing.

What is not forwarded, and why:
- `store`, `include`, `prompt_cache_key`, `client_metadata`: Responses-API bookkeeping for
  OpenAI's own backend (server-side storage, encrypted reasoning, cache routing, Codex
  telemetry). Chat endpoints have no use for them and strict ones reject unknown fields.
- `text.verbosity`: only a few OpenAI models know it; compatibles reject it.
- `reasoning` input items, except to upstreams that require them (`target.replay_reasoning`:
  DeepSeek's thinking mode, Kimi K2 thinking; see `adapters.chat.reasoning`), which get
  them back as `reasoning_content` on the assistant message that made the tool calls.
  OpenAI and most compatibles reject that field in input messages, and an encrypted blob
  or a signature from another provider means nothing to a chat upstream.
- `compaction` items: they carry only `encrypted_content`, produced by OpenAI's backend
  for itself; there is no text to send.
- `web_search` tools: see `adapters.tools`.

Computer use (`computer_call` / `computer_call_output`, see `adapters.computer`): the call
is an assistant tool call of `computer`, the screenshot an `image_url` part in the user
message after the tool messages (most compatibles take only text in a `tool` message), or
a short note for a text-only model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from adapters.base import Target
from adapters.chat.messages import (
    COMPACTION_PROMPT,
    EMPTY_OUTPUT,
    IMAGE_OMITTED,
    INTERRUPTED_OUTPUT,
    build_messages,
)
from adapters.chat.reasoning import deepseek_effort, is_deepseek
from adapters.chat.strict import clean, normalize
from adapters.tools import FlatTool, flatten_tools, wire_name

__all__ = [
    "COMPACTION_PROMPT",
    "EMPTY_OUTPUT",
    "IMAGE_OMITTED",
    "INTERRUPTED_OUTPUT",
    "MAX_STOP_SEQUENCES",
    "responses_to_chat",
]

MAX_STOP_SEQUENCES = 4
"""OpenAI's limit; most compatibles have the same."""

# Compatibles know at most these four efforts; stronger settings mean "as much as you can".
_EFFORTS = {
    "minimal": "minimal",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "high",
    "max": "high",
}


def responses_to_chat(
    request: Mapping[str, Any],
    target: Target,
    *,
    stream: bool,
    tools: Sequence[FlatTool] | None = None,
) -> dict[str, Any]:
    """The chat-completions body for a Responses request (pure). `tools` is
    `flatten_tools(request["tools"])` when the caller has it already."""
    body: dict[str, Any] = {
        "model": target.model,
        "messages": normalize(build_messages(request, target), merge=target.merge_messages),
        "stream": stream,
    }
    if stream:
        # Without this most servers never send usage on a stream.
        body["stream_options"] = {"include_usage": True}
    functions: list[dict[str, Any]] = [
        {
            "type": "function",
            "function": {
                "name": tool.wire_name,
                "description": clean(tool.description),
                "parameters": tool.parameters,
            },
        }
        for tool in (flatten_tools(request.get("tools")) if tools is None else tools)
    ]
    if functions:
        body["tools"] = functions
        choice = _tool_choice(
            request.get("tool_choice"), {t["function"]["name"] for t in functions}
        )
        if choice is not None:
            body["tool_choice"] = choice
        if isinstance(request.get("parallel_tool_calls"), bool):
            body["parallel_tool_calls"] = request["parallel_tool_calls"]
    reasoning = request.get("reasoning")
    if isinstance(reasoning, Mapping):
        _effort(body, str(reasoning.get("effort")), target)
    response_format = _response_format(request.get("text"))
    if response_format is not None:
        body["response_format"] = response_format
    max_tokens = request.get("max_output_tokens") or target.max_output_tokens
    if isinstance(max_tokens, int) and max_tokens > 0:
        # OpenAI's own API refuses `max_tokens` for its reasoning models and wants the
        # newer name; most compatibles only know the old one.
        key = "max_completion_tokens" if _is_openai(target.base_url) else "max_tokens"
        body[key] = max_tokens
    for key in ("temperature", "top_p"):
        if isinstance(request.get(key), int | float):
            body[key] = request[key]
    # Not a Responses field: Anthropic and chat clients' stop sequences arrive as `stop`.
    stop = request.get("stop")
    if isinstance(stop, list) and stop:
        body["stop"] = [value for value in stop if isinstance(value, str)][:MAX_STOP_SEQUENCES]
    return body


def _effort(body: dict[str, Any], effort: str, target: Target) -> None:
    if not is_deepseek(target.base_url, target.model):
        if effort in _EFFORTS:
            body["reasoning_effort"] = _EFFORTS[effort]
        return
    if effort == "none":
        # DeepSeek thinks unless told not to; `none` is its documented way to say so.
        body["thinking"] = {"type": "disabled"}
    elif deepseek_effort(effort):
        body["reasoning_effort"] = deepseek_effort(effort)


def _tool_choice(choice: Any, names: set[str]) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, Mapping) and choice.get("type") in ("function", "custom"):
        name = wire_name(str(choice.get("name") or ""), choice.get("namespace"))
        if name in names:
            return {"type": "function", "function": {"name": name}}
    # Hosted-tool choices and names the upstream was not offered: let the model decide.
    return None


def _response_format(text: Any) -> dict[str, Any] | None:
    if not isinstance(text, Mapping) or not isinstance(text.get("format"), Mapping):
        return None
    fmt = text["format"]
    if fmt.get("type") == "json_object":
        return {"type": "json_object"}
    if fmt.get("type") == "json_schema":
        schema: dict[str, Any] = {"name": str(fmt.get("name") or "output")}
        if isinstance(fmt.get("schema"), Mapping):
            schema["schema"] = dict(fmt["schema"])
        if isinstance(fmt.get("strict"), bool):
            schema["strict"] = fmt["strict"]
        if isinstance(fmt.get("description"), str):
            schema["description"] = fmt["description"]
        return {"type": "json_schema", "json_schema": schema}
    return None


def _is_openai(base_url: str) -> bool:
    return urlsplit(base_url).hostname == "api.openai.com"
