"""Anthropic Messages stream events as Responses stream events.

`MessagesStreamTranslator` is pure: the adapter feeds it each decoded SSE event and writes
what it returns. Anthropic streams one content block at a time (`content_block_start`,
deltas, `content_block_stop`), and each block maps onto one Responses output item:
- `text` -> an assistant message (consecutive text blocks share one message);
- `thinking` -> a reasoning item whose summary is the thinking text; at the block's end
  the whole original block, signature included, is attached as `encrypted_content`
  (format in `adapters.thinking`) so the next request can replay it byte for byte;
- `redacted_thinking` -> a reasoning item with an empty summary and the block as
  `encrypted_content`;
- `tool_use` -> a `function_call` (arguments streamed as they come) or, for Codex's
  custom tools such as apply_patch, a `custom_tool_call` whose raw input is recovered
  from the JSON once the block is complete. Each call is closed at its block's end, so
  Codex can start on it while the model keeps writing.

The stream ends with exactly one terminal event, at `message_stop`: `completed`, or
`incomplete` for `max_tokens` (reason `max_output_tokens`) and `refusal`
(`content_filter`). An `error` event, malformed data, or a stream that closes before
`message_stop` ends it with `response.failed`.

Usage: Anthropic counts cache reads and cache writes apart from `input_tokens`; the
Responses `input_tokens` is their sum (what the prompt really was, which drives Codex's
auto-compaction), `cached_tokens` is the cache reads and `cache_write_tokens` the cache
writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from adapters.base import Event
from adapters.errors import scrub, stream_error_code
from adapters.responses.builder import ResponseStreamBuilder
from adapters.responses.objects import collect_response
from adapters.thinking import encode_blocks
from adapters.tools import ToolMap, custom_input_from_arguments
from adapters.usage import from_anthropic as usage_from_anthropic

CUT_OFF_MESSAGE = "Anthropic stream cut off before message_stop"

_INCOMPLETE_REASONS = {
    "max_tokens": "max_output_tokens",
    # The context window filled up while writing: the answer was cut for lack of room.
    "model_context_window_exceeded": "max_output_tokens",
    "refusal": "content_filter",
}
_USAGE_KEYS = (
    "input_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "output_tokens",
)


class _Block:
    """One content block being streamed."""

    __slots__ = ("custom", "kind", "parts", "signature", "start")

    def __init__(self, kind: str, start: Mapping[str, Any], custom: bool = False) -> None:
        self.kind = kind
        self.start = start
        self.custom = custom
        self.parts: list[str] = []
        self.signature: list[str] = []


class MessagesStreamTranslator:
    """Translates one Anthropic Messages stream; exactly one terminal event, ever."""

    def __init__(
        self,
        model: str,
        tool_map: ToolMap,
        response_id: str | None = None,
        *,
        origin: str = "",
    ) -> None:
        self._builder = ResponseStreamBuilder(model, response_id)
        self._tools = tool_map
        self._origin = origin
        self._blocks: dict[Any, _Block] = {}
        self._usage: dict[str, int] = dict.fromkeys(_USAGE_KEYS, 0)
        self._stop_reason: str | None = None
        self._handlers: dict[str, Callable[[Mapping[str, Any]], list[Event]]] = {
            "message_start": self._message_start,
            "content_block_start": self._block_start,
            "content_block_delta": self._block_delta,
            "content_block_stop": self._block_stop,
            "message_delta": self._message_delta,
            "message_stop": self._message_stop,
            "error": self._error,
        }

    @property
    def response_id(self) -> str:
        return self._builder.response_id

    @property
    def done(self) -> bool:
        """Whether the terminal event has been produced."""
        return self._builder.terminated

    # -- public surface -----------------------------------------------------------------

    def start(self) -> list[Event]:
        return self._builder.start()

    def feed(self, event_type: str | None, data: Mapping[str, Any]) -> list[Event]:
        """The Responses events for one upstream event (`ping` and unknown types: none)."""
        if self._builder.terminated:
            return []
        if not isinstance(data, Mapping):
            return self.fail("server_error", "Anthropic stream sent an event that is not an object")
        kind = data.get("type") or event_type
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            return []
        try:
            return handler(data)
        except (KeyError, TypeError, ValueError, AttributeError):
            return self.fail("server_error", f"Anthropic stream sent a malformed {kind} event")

    def finish(self) -> list[Event]:
        """The upstream closed the stream; fails it unless `message_stop` was seen."""
        if self._builder.terminated:
            return []
        return self.fail("server_error", CUT_OFF_MESSAGE)

    def fail(self, code: str, message: str) -> list[Event]:
        self._blocks.clear()
        return self._builder.failed(code, message, self._usage_object())

    # -- message events -------------------------------------------------------------------

    def _message_start(self, data: Mapping[str, Any]) -> list[Event]:
        self._update_usage(data["message"].get("usage"))
        return []

    def _message_delta(self, data: Mapping[str, Any]) -> list[Event]:
        delta = data.get("delta") or {}
        reason = delta.get("stop_reason")
        if isinstance(reason, str):
            self._stop_reason = reason
        self._update_usage(data.get("usage"))
        return []

    def _message_stop(self, data: Mapping[str, Any]) -> list[Event]:
        out: list[Event] = []
        # A block the upstream never closed is finished here, so a custom tool call still
        # gets its raw input rather than JSON.
        for index in list(self._blocks):
            out.extend(self._block_stop({"index": index}))
        usage = self._usage_object()
        reason = _INCOMPLETE_REASONS.get(self._stop_reason or "")
        if reason is not None:
            out.extend(self._builder.incomplete(reason, usage))
        else:
            out.extend(self._builder.completed(usage))
        return out

    def _error(self, data: Mapping[str, Any]) -> list[Event]:
        # overloaded_error and api_error are retried (server_error), rate_limit_error as
        # rate_limit_exceeded; a prompt too long or an empty balance end the turn.
        error = data.get("error")
        error_type = error.get("type") if isinstance(error, Mapping) else None
        message = error.get("message") if isinstance(error, Mapping) else None
        text = message if isinstance(message, str) else "unknown error"
        label = error_type if isinstance(error_type, str) else "error"
        code = stream_error_code(error if isinstance(error, Mapping) else label)
        return self.fail(code, scrub(f"Anthropic stream error ({label}): {text}"))

    def _update_usage(self, usage: Any) -> None:
        if not isinstance(usage, Mapping):
            return
        for key in _USAGE_KEYS:
            value = usage.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                self._usage[key] = value

    def _usage_object(self) -> dict[str, Any]:
        return usage_from_anthropic(self._usage)

    # -- content blocks -----------------------------------------------------------------

    def _block_start(self, data: Mapping[str, Any]) -> list[Event]:
        index = data["index"]
        block = data["content_block"]
        kind = block["type"]
        if kind == "text":
            self._blocks[index] = _Block(kind, block)
            return self._builder.text_delta(block.get("text") or "")
        if kind == "thinking":
            state = _Block(kind, block)
            self._blocks[index] = state
            if block.get("signature"):
                state.signature.append(block["signature"])
            return self._thinking_text(state, block.get("thinking") or "")
        if kind == "redacted_thinking":
            self._blocks[index] = _Block(kind, block)
            return []
        if kind == "tool_use":
            tool = self._tools.lookup(block["name"])
            self._blocks[index] = _Block(kind, block, custom=tool.custom)
            return self._builder.start_tool_call(
                index,
                block["id"],
                tool.name,
                custom=tool.custom,
                namespace=tool.namespace,
                computer_use=tool.computer,
            )
        # Server-side tool blocks and anything newer: Codex has no item for them.
        self._blocks[index] = _Block("other", block)
        return []

    def _block_delta(self, data: Mapping[str, Any]) -> list[Event]:
        index = data["index"]
        delta = data["delta"]
        kind = delta.get("type")
        state = self._blocks.get(index)
        if kind == "text_delta":
            return self._builder.text_delta(delta["text"])
        if state is None:
            return []
        if kind == "thinking_delta":
            return self._thinking_text(state, delta["thinking"])
        if kind == "signature_delta":
            state.signature.append(delta["signature"])
            return []
        if kind == "input_json_delta":
            partial = delta["partial_json"]
            state.parts.append(partial)
            if state.kind == "tool_use" and not state.custom:
                return self._builder.tool_call_delta(index, partial)
        return []

    def _thinking_text(self, state: _Block, text: str) -> list[Event]:
        if not text:
            return []
        state.parts.append(text)
        return self._builder.reasoning_delta(text)

    def _block_stop(self, data: Mapping[str, Any]) -> list[Event]:
        index = data["index"]
        state = self._blocks.pop(index, None)
        if state is None:
            return []
        if state.kind == "thinking":
            original = dict(state.start)
            original["thinking"] = "".join(state.parts)
            original["signature"] = "".join(state.signature)
            return self._close_reasoning(original)
        if state.kind == "redacted_thinking":
            return self._close_reasoning(dict(state.start))
        if state.kind == "tool_use":
            return self._builder.finish_tool_call(index, self._final_arguments(state))
        return []

    def _close_reasoning(self, original: dict[str, Any]) -> list[Event]:
        out: list[Event] = []
        encrypted = encode_blocks([original], self._origin)
        if encrypted is not None:
            out.extend(self._builder.reasoning_encrypted_content(encrypted))
        out.extend(self._builder.close_reasoning())
        return out

    @staticmethod
    def _final_arguments(state: _Block) -> str | None:
        """What replaces the streamed arguments when the call closes (None: keep them)."""
        streamed = "".join(state.parts)
        initial = state.start.get("input")
        # Some compatible endpoints send the whole input in content_block_start.
        given = json.dumps(initial, ensure_ascii=False) if initial else ""
        if state.custom:
            return custom_input_from_arguments(streamed or given)
        if streamed:
            return None
        return given or "{}"


def message_to_response(
    body: Mapping[str, Any], model: str, tool_map: ToolMap, *, origin: str = ""
) -> dict[str, Any]:
    """A non-streaming Messages answer as a Responses `response` object.

    It goes through the same translator as a stream, so both paths agree exactly.
    """
    translator = MessagesStreamTranslator(model, tool_map, origin=origin)
    events = translator.start()
    if body.get("type") == "error":
        events += translator.feed("error", body)
    else:
        events += translator.feed("message_start", {"type": "message_start", "message": body})
        content = body.get("content")
        for index, block in enumerate(content if isinstance(content, list) else ()):
            events += translator.feed(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": block},
            )
            events += translator.feed(
                "content_block_stop", {"type": "content_block_stop", "index": index}
            )
        events += translator.feed(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": body.get("stop_reason")},
                "usage": body.get("usage") or {},
            },
        )
        events += translator.feed("message_stop", {"type": "message_stop"})
    events += translator.finish()
    return collect_response(events)
