"""Responses events as an Anthropic Messages stream, and errors in Anthropic's envelope.

`MessagesEventWriter` is pure and works on the plain event dicts: each Responses output
item becomes one content block (a message -> `text`, a reasoning summary -> `thinking`, a
function call -> `tool_use` with `input_json_delta`s), and the terminal event becomes
`message_delta` (stop reason and usage) and `message_stop`, or an `error` event when the
response failed.

A thinking block must carry a signature, and an upstream that is not Claude has none. Ours
start with `FOREIGN_SIGNATURE`, so that such a block, sent back by the client in a later
request, is recognised and left out before the request reaches a real Anthropic upstream
(which would reject a signature it did not make).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adapters.base import anthropic_error
from adapters.responses.objects import new_id
from adapters.usage import to_anthropic as usage_to_anthropic

FOREIGN_SIGNATURE = "autorouter-foreign-thinking"

Frame = tuple[str, dict[str, Any]]
"""One Anthropic SSE event: (event name, data)."""

_STOP_REASONS = {"max_output_tokens": "max_tokens", "content_filter": "refusal"}

_ERROR_TYPES_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}
_ERROR_TYPES_BY_CODE = {
    "rate_limit_exceeded": "rate_limit_error",
    "insufficient_quota": "billing_error",
    "usage_limit_reached": "rate_limit_error",
    "context_length_exceeded": "invalid_request_error",
    "invalid_request_error": "invalid_request_error",
    "invalid_request": "invalid_request_error",
    "model_not_found": "not_found_error",
}


def error_type_for(status: int, code: str | None = None) -> str:
    """Anthropic's error type for an HTTP status (or, mid-stream, a Responses code)."""
    if code in _ERROR_TYPES_BY_CODE:
        return _ERROR_TYPES_BY_CODE[code]
    if status in _ERROR_TYPES_BY_STATUS:
        return _ERROR_TYPES_BY_STATUS[status]
    return "invalid_request_error" if 400 <= status < 500 else "api_error"


def _stop_reason(response: Mapping[str, Any], called_tool: bool) -> str:
    incomplete = response.get("incomplete_details") or {}
    reason = _STOP_REASONS.get(str(incomplete.get("reason")))
    if reason is not None:
        return reason
    return "tool_use" if called_tool else "end_turn"


class MessagesEventWriter:
    """Responses events in, Anthropic stream frames out (pure, no I/O)."""

    __slots__ = ("_blocks", "_called_tool", "_done", "_model", "_next", "_streamed")

    def __init__(self, model: str) -> None:
        self._model = model
        self._next = 0
        self._blocks: dict[int, int] = {}
        """Responses output index -> Anthropic content block index."""
        self._streamed: dict[int, bool] = {}
        """Per open tool block: whether any argument delta was sent."""
        self._called_tool = False
        self._done = False

    def start(self) -> list[Frame]:
        message: dict[str, Any] = {
            "id": new_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return [("message_start", {"type": "message_start", "message": message})]

    def feed(self, event: Mapping[str, Any]) -> list[Frame]:
        if self._done:
            return []
        kind = event.get("type")
        if kind == "response.output_item.added":
            return self._added(event)
        if kind == "response.output_text.delta":
            return self._delta(event, {"type": "text_delta", "text": event["delta"]})
        if kind == "response.reasoning_summary_text.delta":
            return self._thinking_delta(event)
        if kind == "response.function_call_arguments.delta":
            self._streamed[event["output_index"]] = True
            return self._delta(event, {"type": "input_json_delta", "partial_json": event["delta"]})
        if kind == "response.output_item.done":
            return self._item_done(event)
        if kind in ("response.completed", "response.incomplete"):
            return self._finish(event["response"])
        if kind == "response.failed":
            return self.fail(event["response"].get("error") or {})
        return []

    def fail(self, error: Mapping[str, Any]) -> list[Frame]:
        """End the stream with an `error` event (the client discards the partial message)."""
        self._done = True
        code = str(error.get("code") or "server_error")
        message = str(error.get("message") or "the upstream failed")
        return [("error", anthropic_error(error_type_for(500, code), message))]

    # -- blocks -------------------------------------------------------------------------

    def _open(self, output_index: int, block: dict[str, Any]) -> list[Frame]:
        index = self._next
        self._next += 1
        self._blocks[output_index] = index
        return [
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": block},
            )
        ]

    def _added(self, event: Mapping[str, Any]) -> list[Frame]:
        item = event["item"]
        kind = item.get("type")
        if kind == "message":
            return self._open(event["output_index"], {"type": "text", "text": ""})
        if kind == "function_call":
            self._called_tool = True
            self._streamed[event["output_index"]] = False
            block = {"type": "tool_use", "id": item["call_id"], "name": item["name"], "input": {}}
            return self._open(event["output_index"], block)
        # Reasoning opens its block with its first summary text (encrypted-only reasoning
        # has nothing to show); other items have no Anthropic block.
        return []

    def _delta(self, event: Mapping[str, Any], delta: dict[str, Any]) -> list[Frame]:
        index = self._blocks.get(event["output_index"])
        if index is None:
            return []
        return [_block_delta(index, delta)]

    def _thinking_delta(self, event: Mapping[str, Any]) -> list[Frame]:
        out: list[Frame] = []
        if event["output_index"] not in self._blocks:
            out = self._open(
                event["output_index"], {"type": "thinking", "thinking": "", "signature": ""}
            )
        return out + self._delta(event, {"type": "thinking_delta", "thinking": event["delta"]})

    def _item_done(self, event: Mapping[str, Any]) -> list[Frame]:
        output_index = event["output_index"]
        index = self._blocks.pop(output_index, None)
        if index is None:
            return []
        item = event["item"]
        out: list[Frame] = []
        if item.get("type") == "reasoning":
            out.append(
                _block_delta(index, {"type": "signature_delta", "signature": FOREIGN_SIGNATURE})
            )
        elif item.get("type") == "function_call" and not self._streamed.pop(output_index, True):
            arguments = item.get("arguments") or "{}"
            out.append(_block_delta(index, {"type": "input_json_delta", "partial_json": arguments}))
        out.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        return out

    def _finish(self, response: Mapping[str, Any]) -> list[Frame]:
        self._done = True
        out: list[Frame] = []
        for index in self._blocks.values():
            out.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        self._blocks.clear()
        delta = {"stop_reason": _stop_reason(response, self._called_tool), "stop_sequence": None}
        usage = usage_to_anthropic(response.get("usage"))
        out.append(("message_delta", {"type": "message_delta", "delta": delta, "usage": usage}))
        out.append(("message_stop", {"type": "message_stop"}))
        return out


def _block_delta(index: int, delta: dict[str, Any]) -> Frame:
    return ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})


def response_to_message(response: Mapping[str, Any], model: str) -> dict[str, Any]:
    """A finished Responses `response` object as a non-streamed Anthropic message."""
    content: list[dict[str, Any]] = []
    called_tool = False
    for item in response.get("output") or ():
        kind = item.get("type")
        if kind == "reasoning":
            text = "".join(part.get("text", "") for part in item.get("summary") or ())
            if text:
                content.append(
                    {"type": "thinking", "thinking": text, "signature": FOREIGN_SIGNATURE}
                )
        elif kind == "message":
            text = "".join(part.get("text", "") for part in item.get("content") or ())
            if text:
                content.append({"type": "text", "text": text})
        elif kind == "function_call":
            called_tool = True
            content.append(
                {
                    "type": "tool_use",
                    "id": item["call_id"],
                    "name": item["name"],
                    "input": _arguments(item.get("arguments")),
                }
            )
    return {
        "id": new_id("msg"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": _stop_reason(response, called_tool),
        "stop_sequence": None,
        "usage": usage_to_anthropic(response.get("usage")),
    }


def _arguments(arguments: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(arguments or "{}")
    except ValueError:
        return {"input": arguments}
    return parsed if isinstance(parsed, dict) else {"input": parsed}
