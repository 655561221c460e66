"""Responses events as a chat-completions stream (pure).

`ChatChunkWriter` turns each Responses event into the chunk a chat client expects: text
as `content` deltas, reasoning summaries as `reasoning_content` deltas (the DeepSeek and
vLLM convention), function calls as `tool_calls` deltas (id and name first, then argument
fragments), and the terminal event as a chunk with `finish_reason`, then a usage chunk
when the client asked for `stream_options.include_usage`. A failed response becomes a
chunk holding `error`, which the openai SDK raises as an API error.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from adapters.base import openai_error
from adapters.responses.objects import new_id
from adapters.usage import to_chat as usage_to_chat

DONE = b"data: [DONE]\n\n"

_FINISH_REASONS = {"max_output_tokens": "length", "content_filter": "content_filter"}


def _finish_reason(response: Mapping[str, Any], called_tool: bool) -> str:
    incomplete = response.get("incomplete_details") or {}
    reason = _FINISH_REASONS.get(str(incomplete.get("reason")))
    if reason is not None:
        return reason
    return "tool_calls" if called_tool else "stop"


class ChatChunkWriter:
    """Responses events in, chat-completion chunks out; `done` once terminal."""

    __slots__ = ("_calls", "_created", "_id", "_include_usage", "_model", "_streamed", "done")

    def __init__(self, model: str, *, include_usage: bool) -> None:
        self._id = new_id("chatcmpl")
        self._created = int(time.time())
        self._model = model
        self._include_usage = include_usage
        self._calls: dict[int, int] = {}
        """Responses output index -> tool call index in the chat stream."""
        self._streamed: dict[int, bool] = {}
        self.done = False

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }

    def start(self) -> list[dict[str, Any]]:
        return [self._chunk({"role": "assistant", "content": ""})]

    def feed(self, event: Mapping[str, Any]) -> list[dict[str, Any]]:
        if self.done:
            return []
        kind = event.get("type")
        if kind == "response.output_text.delta":
            return [self._chunk({"content": event["delta"]})]
        if kind == "response.reasoning_summary_text.delta":
            return [self._chunk({"reasoning_content": event["delta"]})]
        if kind == "response.output_item.added" and event["item"].get("type") == "function_call":
            item = event["item"]
            index = self._calls[event["output_index"]] = len(self._calls)
            self._streamed[index] = False
            call = {
                "index": index,
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": ""},
            }
            return [self._chunk({"tool_calls": [call]})]
        if kind == "response.function_call_arguments.delta":
            index = self._calls[event["output_index"]]
            self._streamed[index] = True
            return [self._arguments(index, event["delta"])]
        if kind == "response.output_item.done" and event["item"].get("type") == "function_call":
            index = self._calls[event["output_index"]]
            if not self._streamed[index]:
                return [self._arguments(index, event["item"].get("arguments") or "{}")]
            return []
        if kind in ("response.completed", "response.incomplete"):
            return self._finish(event["response"])
        if kind == "response.failed":
            return [self.fail(event["response"].get("error") or {})]
        return []

    def _arguments(self, index: int, text: str) -> dict[str, Any]:
        return self._chunk({"tool_calls": [{"index": index, "function": {"arguments": text}}]})

    def _finish(self, response: Mapping[str, Any]) -> list[dict[str, Any]]:
        self.done = True
        out = [self._chunk({}, _finish_reason(response, bool(self._calls)))]
        if self._include_usage:
            last = self._chunk({})
            last["choices"] = []
            last["usage"] = usage_to_chat(response.get("usage"))
            out.append(last)
        return out

    def fail(self, error: Mapping[str, Any]) -> dict[str, Any]:
        self.done = True
        return openai_error(
            str(error.get("message") or "the upstream failed"),
            "server_error",
            str(error.get("code") or "server_error"),
        )


def response_to_completion(response: Mapping[str, Any], model: str) -> dict[str, Any]:
    """A finished Responses `response` object as a non-streamed chat completion."""
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for item in response.get("output") or ():
        kind = item.get("type")
        if kind == "message":
            texts.extend(part.get("text", "") for part in item.get("content") or ())
        elif kind == "reasoning":
            reasoning.extend(part.get("text", "") for part in item.get("summary") or ())
        elif kind == "function_call":
            calls.append(
                {
                    "id": item["call_id"],
                    "type": "function",
                    "function": {"name": item["name"], "arguments": item.get("arguments") or "{}"},
                }
            )
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if calls:
        message["tool_calls"] = calls
    return {
        "id": new_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": _finish_reason(response, bool(calls))}
        ],
        "usage": usage_to_chat(response.get("usage")),
    }
