"""A chat-completions request as a Responses request (pure).

Used when a chat client's request goes to an upstream that is not a chat endpoint (an
Anthropic model, say) and for the Auto router's view of the request. Messages map onto
input items one to one: system and developer messages become system messages, an
assistant's `tool_calls` become `function_call` items after its text, and `tool` messages
become `function_call_output` items. An assistant's `reasoning_content` is dropped, as
reasoning from one provider is never replayed to another.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any


def chat_to_responses(body: Mapping[str, Any]) -> dict[str, Any]:
    """The Responses body for a chat-completions body."""
    out: dict[str, Any] = {
        "model": str(body.get("model") or ""),
        "stream": bool(body.get("stream")),
    }
    messages = body.get("messages")
    out["input"] = list(_items(messages if isinstance(messages, list) else []))
    tools = _tools(body.get("tools"))
    if tools:
        out["tools"] = tools
        choice = _tool_choice(body.get("tool_choice"))
        if choice is not None:
            out["tool_choice"] = choice
        if isinstance(body.get("parallel_tool_calls"), bool):
            out["parallel_tool_calls"] = body["parallel_tool_calls"]
    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            out["max_output_tokens"] = value
            break
    stop = body.get("stop")
    if isinstance(stop, str) and stop:
        out["stop"] = [stop]
    elif isinstance(stop, list) and stop:
        out["stop"] = [s for s in stop if isinstance(s, str)]
    effort = body.get("reasoning_effort")
    if isinstance(effort, str) and effort:
        out["reasoning"] = {"effort": effort}
    text_format = _text_format(body.get("response_format"))
    if text_format is not None:
        out["text"] = {"format": text_format}
    for key in ("temperature", "top_p"):
        value = body.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = value
    return out


def _items(messages: list[Any]) -> Iterator[dict[str, Any]]:
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            text = _text(content)
            if text:
                yield {"type": "message", "role": "system", "content": text}
        elif role == "assistant":
            text = _text(content) or _text(message.get("refusal"))
            if text:
                yield {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": text}],
                }
            for call in message.get("tool_calls") or ():
                if isinstance(call, Mapping):
                    yield _call(call)
        elif role == "tool":
            yield {
                "type": "function_call_output",
                "call_id": str(message.get("tool_call_id") or ""),
                "output": _text(content),
            }
        else:
            parts = list(_user_parts(content))
            if parts:
                yield {"type": "message", "role": "user", "content": parts}


def _call(call: Mapping[str, Any]) -> dict[str, Any]:
    function = call.get("function") or {}
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments or {}, ensure_ascii=False)
    return {
        "type": "function_call",
        "call_id": str(call.get("id") or ""),
        "name": str(function.get("name") or ""),
        "arguments": arguments or "{}",
    }


def _user_parts(content: Any) -> Iterator[dict[str, Any]]:
    if isinstance(content, str):
        if content:
            yield {"type": "input_text", "text": content}
        return
    for part in content if isinstance(content, list) else ():
        if not isinstance(part, Mapping):
            continue
        if part.get("type") == "text" and isinstance(part.get("text"), str):
            yield {"type": "input_text", "text": part["text"]}
        elif part.get("type") == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, Mapping) else image
            if isinstance(url, str) and url:
                converted: dict[str, Any] = {"type": "input_image", "image_url": url}
                if isinstance(image, Mapping) and image.get("detail"):
                    converted["detail"] = image["detail"]
                yield converted
        else:
            # Audio and files: say so rather than drop them silently.
            yield {"type": "input_text", "text": f"({part.get('type')} content not sent)"}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else ()
    return "".join(
        part["text"]
        for part in parts
        if isinstance(part, Mapping) and isinstance(part.get("text"), str)
    )


def _tools(tools: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in tools if isinstance(tools, list) else ():
        if not isinstance(tool, Mapping) or tool.get("type", "function") != "function":
            continue
        function = tool.get("function")
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            continue
        parameters = function.get("parameters")
        out.append(
            {
                "type": "function",
                "name": function["name"],
                "description": str(function.get("description") or ""),
                "parameters": dict(parameters)
                if isinstance(parameters, Mapping)
                else {"type": "object", "properties": {}},
            }
        )
    return out


def _tool_choice(choice: Any) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, Mapping):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if isinstance(name, str) and name:
            return {"type": "function", "name": name}
    return None


def _text_format(response_format: Any) -> dict[str, Any] | None:
    if not isinstance(response_format, Mapping):
        return None
    if response_format.get("type") == "json_object":
        return {"type": "json_object"}
    schema = response_format.get("json_schema")
    if response_format.get("type") == "json_schema" and isinstance(schema, Mapping):
        fmt: dict[str, Any] = {"type": "json_schema", "name": str(schema.get("name") or "output")}
        for key in ("schema", "strict", "description"):
            if key in schema:
                fmt[key] = schema[key]
        return fmt
    return None
