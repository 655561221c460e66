"""The OpenAI chat-completions persona: `POST /v1/chat/completions`.

Streams `data: {chunk}` frames ending with `data: [DONE]`; reasoning travels as
`reasoning_content` deltas (the DeepSeek/vLLM convention most compatibles follow), and
`stream_options.include_usage` adds a final chunk with empty `choices` and the usage.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from examples.mockupstream.replies import (
    Content,
    Text,
    Usage,
    as_calls,
    reasoning_of,
    split_arguments,
    split_text,
    text_frames,
)

DONE_FRAME = b"data: [DONE]\n\n"


def _frame(chunk: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def _usage(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def _call_id(call_id: str | None) -> str:
    return call_id or f"call_{uuid.uuid4().hex[:24]}"


def render_stream(content: Content, model: str, usage: Usage, include_usage: bool) -> list[bytes]:
    """Every SSE frame of a streamed chat completion, encoded once up front."""
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        return _frame(
            {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }
        )

    frames = [chunk({"role": "assistant", "content": ""})]
    reasoning = reasoning_of(content)
    if reasoning:
        frames.extend(chunk({"reasoning_content": piece}) for piece in split_text(reasoning, None))
    calls = as_calls(content)
    if calls is None:
        assert isinstance(content, Text)
        frames.extend(text_frames(content, lambda piece: chunk({"content": piece})))
        finish_reason = "stop"
    else:
        if calls.text:
            frames.extend(chunk({"content": piece}) for piece in split_text(calls.text, None))
        for index, call in enumerate(calls.calls):
            opening = {
                "index": index,
                "id": _call_id(call.call_id),
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            frames.append(chunk({"tool_calls": [opening]}))
            frames.extend(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                for piece in split_arguments(call.arguments_json)
            )
        finish_reason = "tool_calls"
    frames.append(chunk({}, finish_reason))
    if include_usage:
        frames.append(
            _frame(
                {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": _usage(usage),
                }
            )
        )
    frames.append(DONE_FRAME)
    return frames


def render_json(content: Content, model: str, usage: Usage) -> dict[str, Any]:
    """A non-streamed chat completion."""
    message: dict[str, Any] = {"role": "assistant", "content": None}
    reasoning = reasoning_of(content)
    if reasoning:
        message["reasoning_content"] = reasoning
    calls = as_calls(content)
    if calls is None:
        assert isinstance(content, Text)
        message["content"] = content.text
        finish_reason = "stop"
    else:
        message["content"] = calls.text
        message["tool_calls"] = [
            {
                "id": _call_id(call.call_id),
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json},
            }
            for call in calls.calls
        ]
        finish_reason = "tool_calls"
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": _usage(usage),
    }


def last_is_tool_result(body: dict[str, Any]) -> bool:
    messages = body.get("messages") or []
    return bool(messages) and isinstance(messages[-1], dict) and messages[-1].get("role") == "tool"


def wants_usage(body: dict[str, Any]) -> bool:
    options = body.get("stream_options") or {}
    return bool(isinstance(options, dict) and options.get("include_usage"))
