"""The Responses persona: `POST /v1/responses` and `POST /backend-api/codex/responses`.

This is what the ChatGPT Codex backend speaks, so the real Codex CLI can run against it
directly. It is written independently of `adapters/responses/builder.py` on purpose: a mock that
shared the proxy's event builder would agree with the proxy's bugs.

Every item is opened with `response.output_item.added`, filled by deltas and closed by
`response.output_item.done` (the only event Codex acts on); the stream ends with
`response.completed` whose `response` has an `id` and usage. A `ToolCall` named
`apply_patch` becomes a `custom_tool_call` whose `input` is the patch; a flattened name
such as `multi_agent_v1__spawn_agent` becomes a `function_call` with a `namespace`, unless
the request offered a plain function of that name (as a server without namespace tools
is offered them), which is then called by that name.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from examples.mockupstream.replies import (
    Content,
    Text,
    ToolCall,
    Usage,
    as_calls,
    frame_template,
    reasoning_of,
    split_arguments,
    split_text,
)

CUSTOM_TOOLS = frozenset({"apply_patch"})
"""Tools Codex declares as `custom` (freeform); their calls carry raw `input`."""

NAMESPACE_SEPARATOR = "__"
TOOL_OUTPUT_TYPES = frozenset(
    {"function_call_output", "custom_tool_call_output", "local_shell_call_output"}
)


def _hex() -> str:
    return uuid.uuid4().hex


def _usage(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


def _response(
    response_id: str, model: str, status: str, created_at: int, output: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "model": model,
        "output": output,
        "error": None,
        "incomplete_details": None,
        "usage": None,
    }


def _patch_of(call: ToolCall) -> str:
    if isinstance(call.arguments, str):
        return call.arguments
    return str(call.arguments.get("input", ""))


def offered_functions(body: dict[str, Any]) -> frozenset[str]:
    """The names of the plain function tools a request offers."""
    tools = body.get("tools")
    listed = tools if isinstance(tools, list) else []
    return frozenset(
        tool["name"]
        for tool in listed
        if isinstance(tool, dict)
        and tool.get("type") == "function"
        and isinstance(tool.get("name"), str)
    )


def tool_item(call: ToolCall, offered: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The finished output item for one scripted tool call."""
    call_id = call.call_id or f"call_{_hex()[:24]}"
    if call.name in CUSTOM_TOOLS:
        return {
            "type": "custom_tool_call",
            "id": f"ctc_{_hex()}",
            "status": "completed",
            "call_id": call_id,
            "name": call.name,
            "input": _patch_of(call),
        }
    item = {
        "type": "function_call",
        "id": f"fc_{_hex()}",
        "status": "completed",
        "call_id": call_id,
        "name": call.name,
        "arguments": call.arguments_json,
    }
    namespace, sep, name = call.name.partition(NAMESPACE_SEPARATOR)
    if sep and namespace and name and call.name not in offered:
        item["namespace"] = namespace
        item["name"] = name
    return item


def _reasoning_item(content: Content) -> dict[str, Any] | None:
    reasoning = reasoning_of(content)
    if not reasoning:
        return None
    signature = content.thinking[1] if content.thinking else f"mock-encrypted-{_hex()}"
    return {
        "type": "reasoning",
        "id": f"rs_{_hex()}",
        "summary": [{"type": "summary_text", "text": reasoning}],
        "encrypted_content": signature,
    }


def _message_item(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"msg_{_hex()}",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def output_items(content: Content, offered: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The reply's finished output items, in order: reasoning, text, tool calls."""
    items: list[dict[str, Any]] = []
    reasoning = _reasoning_item(content)
    if reasoning is not None:
        items.append(reasoning)
    calls = as_calls(content)
    if calls is None:
        assert isinstance(content, Text)
        items.append(_message_item(content.text))
        return items
    if calls.text:
        items.append(_message_item(calls.text))
    items.extend(tool_item(call, offered) for call in calls.calls)
    return items


class _Stream:
    """Accumulates encoded frames with increasing sequence numbers."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self._seq = 0

    def emit(self, event_type: str, **fields: Any) -> None:
        payload = {"type": event_type, "sequence_number": self._seq, **fields}
        self._seq += 1
        self.frames.append(
            b"event: " + event_type.encode() + b"\ndata: " + json.dumps(payload).encode() + b"\n\n"
        )

    def emit_text_deltas(self, where: dict[str, Any], content: Text) -> None:
        """`response.output_text.delta` frames glued around the reply's encoded pieces."""
        kind = "response.output_text.delta"

        def render(hole: str) -> bytes:
            payload = {"type": kind, **where, "content_index": 0, "logprobs": [], "delta": hole}
            return b"event: " + kind.encode() + b"\ndata: " + json.dumps(payload).encode()

        before, after = frame_template(render)
        # The sequence number is the one field that changes, so it goes last, in place
        # of the template's closing brace.
        closing = after.removesuffix(b"}")
        for piece in content.encoded_pieces:
            tail = b', "sequence_number": %d}\n\n' % self._seq
            self.frames.append(before + piece + closing + tail)
            self._seq += 1


def render_stream(
    content: Content, model: str, usage: Usage, offered: frozenset[str] = frozenset()
) -> list[bytes]:
    """Every SSE frame of a streamed response, encoded once up front."""
    response_id = f"resp_{_hex()}"
    created_at = int(time.time())
    items = output_items(content, offered)
    stream = _Stream()
    opening = _response(response_id, model, "in_progress", created_at, [])
    stream.emit("response.created", response=opening)
    stream.emit("response.in_progress", response=opening)
    for index, item in enumerate(items):
        _emit_item(stream, index, item, content)
    completed = _response(response_id, model, "completed", created_at, items)
    completed["usage"] = _usage(usage)
    stream.emit("response.completed", response=completed)
    return stream.frames


def _emit_item(stream: _Stream, index: int, item: dict[str, Any], content: Content) -> None:
    kind = item["type"]
    item_id = item["id"]
    where = {"item_id": item_id, "output_index": index}
    if kind == "message":
        text = item["content"][0]["text"]
        stream.emit(
            "response.output_item.added",
            output_index=index,
            item=dict(item, status="in_progress", content=[]),
        )
        empty_part = {"type": "output_text", "text": "", "annotations": []}
        stream.emit("response.content_part.added", **where, content_index=0, part=empty_part)
        if isinstance(content, Text):
            stream.emit_text_deltas(where, content)
        else:
            for piece in split_text(text, None):
                stream.emit(
                    "response.output_text.delta", **where, content_index=0, logprobs=[], delta=piece
                )
        stream.emit("response.output_text.done", **where, content_index=0, logprobs=[], text=text)
        stream.emit("response.content_part.done", **where, content_index=0, part=item["content"][0])
    elif kind == "reasoning":
        summary = item["summary"][0]
        stream.emit("response.output_item.added", output_index=index, item=dict(item, summary=[]))
        empty_summary = {"type": "summary_text", "text": ""}
        stream.emit(
            "response.reasoning_summary_part.added", **where, summary_index=0, part=empty_summary
        )
        for piece in split_text(summary["text"], None):
            stream.emit(
                "response.reasoning_summary_text.delta", **where, summary_index=0, delta=piece
            )
        stream.emit(
            "response.reasoning_summary_text.done", **where, summary_index=0, text=summary["text"]
        )
        stream.emit("response.reasoning_summary_part.done", **where, summary_index=0, part=summary)
    else:
        field = "input" if kind == "custom_tool_call" else "arguments"
        prefix = (
            "custom_tool_call_input" if kind == "custom_tool_call" else "function_call_arguments"
        )
        stream.emit(
            "response.output_item.added",
            output_index=index,
            item=dict(item, status="in_progress", **{field: ""}),
        )
        for piece in split_arguments(item[field]):
            stream.emit(f"response.{prefix}.delta", **where, delta=piece)
        stream.emit(f"response.{prefix}.done", **where, **{field: item[field]})
    stream.emit("response.output_item.done", output_index=index, item=item)


def render_json(
    content: Content, model: str, usage: Usage, offered: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A non-streamed response object."""
    response = _response(
        f"resp_{_hex()}", model, "completed", int(time.time()), output_items(content, offered)
    )
    response["usage"] = _usage(usage)
    return response


def last_is_tool_result(body: dict[str, Any]) -> bool:
    items = body.get("input")
    if not isinstance(items, list) or not items or not isinstance(items[-1], dict):
        return False
    return items[-1].get("type") in TOOL_OUTPUT_TYPES
