"""The Anthropic Messages persona: `POST /v1/messages`.

A stream is `event:`/`data:` frames: message_start, a ping, one content block per thinking
block, text and tool_use (thinking first, as Claude sends it), message_delta with the stop
reason and final usage, message_stop. Usage follows Anthropic's split: `input_tokens` is
the uncached part, cache reads and writes are reported on their own.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from examples.mockupstream.replies import (
    Content,
    Handler,
    HttpError,
    Reply,
    Text,
    Thinking,
    ToolCall,
    Usage,
    as_calls,
    split_arguments,
    split_text,
    text_frames,
)


def _frame(event: str, data: dict[str, Any]) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + json.dumps(data).encode() + b"\n\n"


def _usage(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens - usage.cached_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cached_tokens,
        "cache_creation_input_tokens": usage.cache_creation_tokens,
    }


def _thinking(content: Content) -> Thinking | None:
    """The thinking block to send; plain `reasoning` gets a made-up but stable signature."""
    if content.thinking is not None:
        return content.thinking
    if content.reasoning:
        digest = hashlib.sha256(content.reasoning.encode()).hexdigest()[:32]
        return content.reasoning, f"mock-signature-{digest}"
    return None


def _tool_input(call: ToolCall) -> dict[str, Any]:
    if isinstance(call.arguments, dict):
        return call.arguments
    try:
        parsed = json.loads(call.arguments)
    except ValueError:
        parsed = None
    return parsed if isinstance(parsed, dict) else {"input": call.arguments}


def _tool_id(call: ToolCall) -> str:
    return call.call_id or f"toolu_{uuid.uuid4().hex[:24]}"


def _blocks(content: Content) -> tuple[list[dict[str, Any]], str]:
    """The reply's content blocks (complete) and its stop reason."""
    blocks: list[dict[str, Any]] = []
    thinking = _thinking(content)
    if thinking is not None:
        blocks.append({"type": "thinking", "thinking": thinking[0], "signature": thinking[1]})
    calls = as_calls(content)
    if calls is None:
        assert isinstance(content, Text)
        blocks.append({"type": "text", "text": content.text})
        return blocks, "end_turn"
    if calls.text:
        blocks.append({"type": "text", "text": calls.text})
    for call in calls.calls:
        blocks.append(
            {
                "type": "tool_use",
                "id": _tool_id(call),
                "name": call.name,
                "input": _tool_input(call),
            }
        )
    return blocks, "tool_use"


def _message(model: str, content: list[dict[str, Any]], stop_reason: str | None) -> dict[str, Any]:
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
    }


def render_stream(content: Content, model: str, usage: Usage) -> list[bytes]:
    """Every SSE frame of a streamed message, encoded once up front."""
    blocks, stop_reason = _blocks(content)
    start = _message(model, [], None)
    start["usage"] = dict(_usage(usage), output_tokens=1)
    frames = [
        _frame("message_start", {"type": "message_start", "message": start}),
        _frame("ping", {"type": "ping"}),
    ]
    for index, block in enumerate(blocks):
        frames.extend(_block_frames(index, block, content))
    frames.append(
        _frame(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": _usage(usage),
            },
        )
    )
    frames.append(_frame("message_stop", {"type": "message_stop"}))
    return frames


def _block_frames(index: int, block: dict[str, Any], content: Content) -> list[bytes]:
    kind = block["type"]
    opening: dict[str, Any]
    deltas: list[dict[str, Any]]
    if kind == "thinking":
        opening = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [
            {"type": "thinking_delta", "thinking": piece}
            for piece in split_text(block["thinking"], None)
        ]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif kind == "text":
        opening = {"type": "text", "text": ""}
        # A Text reply's deltas come pre-encoded (below); only ToolCalls text is split here.
        deltas = (
            []
            if isinstance(content, Text)
            else [{"type": "text_delta", "text": p} for p in split_text(block["text"], None)]
        )
    else:
        opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        deltas = [
            {"type": "input_json_delta", "partial_json": piece}
            for piece in split_arguments(json.dumps(block["input"]))
        ]
    frames = [
        _frame(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": opening},
        )
    ]
    frames.extend(_delta_frame(index, d) for d in deltas)
    if kind == "text" and isinstance(content, Text):
        frames.extend(
            text_frames(
                content, lambda text: _delta_frame(index, {"type": "text_delta", "text": text})
            )
        )
    frames.append(_frame("content_block_stop", {"type": "content_block_stop", "index": index}))
    return frames


def _delta_frame(index: int, delta: dict[str, Any]) -> bytes:
    return _frame(
        "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    )


def render_json(content: Content, model: str, usage: Usage) -> dict[str, Any]:
    """A non-streamed message."""
    blocks, stop_reason = _blocks(content)
    message = _message(model, blocks, stop_reason)
    message["usage"] = _usage(usage)
    return message


def last_is_tool_result(body: dict[str, Any]) -> bool:
    messages = body.get("messages") or []
    if not messages or not isinstance(messages[-1], dict):
        return False
    blocks = messages[-1].get("content")
    return isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in blocks
    )


THINKING_NOT_PASSED_BACK = (
    "The content[].thinking in the thinking mode must be passed back to the API."
)
"""What an endpoint that thinks by default (DeepSeek's, for one) answers when an assistant
turn with tool calls comes back without the thinking block it was sent with."""


def missing_thinking(body: dict[str, Any]) -> bool:
    """Whether an assistant message that called tools lacks a leading signed thinking block."""
    for message in body.get("messages") or []:
        blocks = message.get("content") if isinstance(message, dict) else None
        if message.get("role") != "assistant" or not isinstance(blocks, list):
            continue
        if not any(isinstance(b, dict) and b.get("type") == "tool_use" for b in blocks):
            continue
        first = blocks[0] if blocks and isinstance(blocks[0], dict) else {}
        signed = first.get("type") == "thinking" and bool(first.get("signature"))
        if not signed and first.get("type") != "redacted_thinking":
            return True
    return False


def enforce_thinking_replay(handler: Handler) -> Handler:
    """`handler`, behind the rule such endpoints enforce: a tool-loop request whose
    assistant turn dropped its thinking is refused with a 400."""

    def handle(body: dict[str, Any]) -> Reply:
        if missing_thinking(body):
            error = {"type": "invalid_request_error", "message": THINKING_NOT_PASSED_BACK}
            return HttpError(400, {"type": "error", "error": error})
        return handler(body)

    return handle
