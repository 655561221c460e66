"""An Anthropic Messages request as a Responses request (pure).

The Responses body is what the Auto router classifies and what the chat (or any other
non-Anthropic) adapter translates onwards, so the mapping keeps everything a model needs:
- `system` (a string or text blocks) becomes `instructions`; a `system` message inside
  `messages` (Claude Code sends its environment block that way) a system message item;
- text and image blocks become input parts; `tool_use` a `function_call`, `tool_result`
  a `function_call_output` placed before the text of the same user message (Anthropic
  puts results first too);
- `thinking` and `redacted_thinking` blocks are dropped: their signatures mean nothing to
  another provider, and an Anthropic upstream gets the request passed through instead;
- `tools` become function tools. A tool marked `defer_loading` (Claude Code's tool search)
  is offered only once a `tool_reference` block in the conversation has loaded it;
- `tool_choice` any/tool/none become required/function/none, `disable_parallel_tool_use`
  `parallel_tool_calls: false`; `max_tokens` is `max_output_tokens`; `stop_sequences` is
  `stop`, which the chat and Anthropic request builders forward;
- `thinking` (enabled with a budget, or adaptive) and `output_config.effort` become a
  reasoning effort, which a chat upstream receives as `reasoning_effort`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

DOCUMENT_NOT_SENT = "(a {media} document was attached but cannot be passed on to this model)"

_EFFORTS = frozenset({"low", "medium", "high"})


def messages_to_responses(body: Mapping[str, Any]) -> dict[str, Any]:
    """The Responses body for an Anthropic Messages body."""
    out: dict[str, Any] = {
        "model": str(body.get("model") or ""),
        "stream": bool(body.get("stream")),
    }
    system = _text_of(body.get("system"))
    if system:
        out["instructions"] = system
    messages = body.get("messages")
    out["input"] = list(_items(messages if isinstance(messages, list) else []))
    tools = _tools(body.get("tools"), _referenced_tools(messages))
    if tools:
        out["tools"] = tools
        choice = body.get("tool_choice")
        if isinstance(choice, Mapping):
            mapped = _tool_choice(choice)
            if mapped is not None:
                out["tool_choice"] = mapped
            if choice.get("disable_parallel_tool_use") is True:
                out["parallel_tool_calls"] = False
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens > 0:
        out["max_output_tokens"] = max_tokens
    stop = body.get("stop_sequences")
    if isinstance(stop, list) and stop:
        out["stop"] = [s for s in stop if isinstance(s, str)]
    effort = _effort(body)
    if effort is not None:
        out["reasoning"] = {"effort": effort}
    for key in ("temperature", "top_p"):
        value = body.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = value
    return out


# -- conversation ---------------------------------------------------------------------


def _items(messages: list[Any]) -> Iterator[dict[str, Any]]:
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        role = message.get("role")
        content = message.get("content")
        if role == "assistant":
            yield from _assistant(content)
        elif role == "system":
            text = _text_of(content)
            if text:
                yield {"type": "message", "role": "system", "content": text}
        else:
            yield from _user(content)


def _user(content: Any) -> Iterator[dict[str, Any]]:
    if isinstance(content, str):
        yield {"type": "message", "role": "user", "content": [_input_text(content)]}
        return
    parts: list[dict[str, Any]] = []
    for block in _blocks(content):
        kind = block.get("type")
        if kind == "tool_result":
            yield {
                "type": "function_call_output",
                "call_id": str(block.get("tool_use_id") or ""),
                "output": _tool_output(block.get("content")),
            }
        else:
            part = _input_part(block)
            if part is not None:
                parts.append(part)
    if parts:
        yield {"type": "message", "role": "user", "content": parts}


def _assistant(content: Any) -> Iterator[dict[str, Any]]:
    if isinstance(content, str):
        if content:
            yield _assistant_text(content)
        return
    texts: list[str] = []
    for block in _blocks(content):
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif kind == "tool_use":
            if texts:
                yield _assistant_text("".join(texts))
                texts = []
            yield {
                "type": "function_call",
                "call_id": str(block.get("id") or ""),
                "name": str(block.get("name") or ""),
                "arguments": json.dumps(block.get("input") or {}, ensure_ascii=False),
            }
        # thinking and redacted_thinking: see the module docstring.
    if texts:
        yield _assistant_text("".join(texts))


def _assistant_text(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text}],
    }


def _input_text(text: str) -> dict[str, Any]:
    return {"type": "input_text", "text": text}


def _input_part(block: Mapping[str, Any]) -> dict[str, Any] | None:
    kind = block.get("type")
    if kind == "text":
        text = block.get("text")
        return _input_text(text) if isinstance(text, str) and text else None
    if kind == "image":
        url = _image_url(block.get("source"))
        return {"type": "input_image", "image_url": url} if url else None
    if kind == "document":
        source = block.get("source")
        if isinstance(source, Mapping) and source.get("type") == "text":
            return _input_text(str(source.get("data") or ""))
        media = source.get("media_type") if isinstance(source, Mapping) else None
        return _input_text(DOCUMENT_NOT_SENT.format(media=media or "binary"))
    return None


def _image_url(source: Any) -> str | None:
    if not isinstance(source, Mapping):
        return None
    if source.get("type") == "base64" and isinstance(source.get("data"), str):
        return f"data:{source.get('media_type') or 'image/png'};base64,{source['data']}"
    if source.get("type") == "url" and isinstance(source.get("url"), str):
        return str(source["url"])
    return None


def _tool_output(content: Any) -> str | list[dict[str, Any]]:
    """A tool result's content: its text, or input parts when it carries an image."""
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for block in _blocks(content):
        if block.get("type") == "tool_reference":
            parts.append(_input_text(f"(tool {block.get('tool_name')} is now available)"))
            continue
        part = _input_part(block)
        if part is not None:
            parts.append(part)
    if all(part["type"] == "input_text" for part in parts):
        return "\n".join(part["text"] for part in parts)
    return parts


def _blocks(content: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(content, list):
        for block in content:
            if isinstance(block, Mapping):
                yield block


def _text_of(value: Any) -> str:
    """A system prompt or message content given as a string or as text blocks."""
    if isinstance(value, str):
        return value
    return "\n\n".join(
        block["text"]
        for block in _blocks(value)
        if block.get("type") == "text" and isinstance(block.get("text"), str) and block["text"]
    )


# -- tools and settings -----------------------------------------------------------------


def _referenced_tools(messages: Any) -> set[str]:
    """Names of deferred tools that a `tool_reference` block has loaded."""
    names: set[str] = set()
    for message in messages if isinstance(messages, list) else ():
        if not isinstance(message, Mapping):
            continue
        for block in _blocks(message.get("content")):
            if block.get("type") == "tool_result":
                for inner in _blocks(block.get("content")):
                    if inner.get("type") == "tool_reference":
                        names.add(str(inner.get("tool_name")))
    return names


def _tools(tools: Any, loaded: set[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in tools if isinstance(tools, list) else ():
        if not isinstance(tool, Mapping) or not isinstance(tool.get("name"), str):
            continue
        if tool.get("type") not in (None, "custom"):
            continue  # server tools (web search, code execution) run on Anthropic's side only
        if tool.get("defer_loading") and tool["name"] not in loaded:
            continue
        schema = tool.get("input_schema")
        out.append(
            {
                "type": "function",
                "name": tool["name"],
                "description": str(tool.get("description") or ""),
                "parameters": dict(schema) if isinstance(schema, Mapping) else {"type": "object"},
            }
        )
    return out


def _tool_choice(choice: Mapping[str, Any]) -> Any:
    kind = choice.get("type")
    if kind == "any":
        return "required"
    if kind in ("auto", "none"):
        return kind
    if kind == "tool" and isinstance(choice.get("name"), str):
        return {"type": "function", "name": choice["name"]}
    return None


def _effort(body: Mapping[str, Any]) -> str | None:
    config = body.get("output_config")
    effort = config.get("effort") if isinstance(config, Mapping) else None
    thinking = body.get("thinking")
    kind = thinking.get("type") if isinstance(thinking, Mapping) else None
    if kind == "disabled" or (kind is None and effort is None):
        return None
    if effort in _EFFORTS:
        return str(effort)
    if effort == "max":
        return "high"
    budget = thinking.get("budget_tokens") if isinstance(thinking, Mapping) else None
    if isinstance(budget, int) and kind == "enabled":
        return "low" if budget < 4096 else "medium" if budget < 16384 else "high"
    return "medium"
