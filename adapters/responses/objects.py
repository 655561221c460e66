"""The Responses API's own objects: ids, usage, the `response` object, terminal events.

Shared by every adapter, by the stream builder (`adapters.responses.builder`) and by the server;
none of it is per event.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from adapters.base import Event, EventBatch, Outcome, UpstreamStream

TERMINAL_EVENTS = frozenset({"response.completed", "response.failed", "response.incomplete"})

RETRYABLE_FAILURE_CODES = frozenset({"server_error", "rate_limit_exceeded"})
"""`response.failed` codes Codex retries on its own; any other code ends the turn."""


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def empty_usage() -> dict[str, Any]:
    return make_usage(0, 0, 0, 0)


def make_usage(
    input_tokens: int,
    cached_tokens: int,
    output_tokens: int,
    reasoning_tokens: int,
    cache_write_tokens: int = 0,
) -> dict[str, Any]:
    # `cache_write_tokens` is required by the openai SDK's `ResponseUsage`; Codex ignores it.
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {
            "cached_tokens": cached_tokens,
            "cache_write_tokens": cache_write_tokens,
        },
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }


def response_object(
    response_id: str,
    model: str,
    status: str,
    *,
    created_at: int | None = None,
    output: list[dict[str, Any]] | None = None,
    usage: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    incomplete_reason: str | None = None,
) -> dict[str, Any]:
    """A Responses `response` object with every field the API marks as required."""
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at if created_at is not None else int(time.time()),
        "status": status,
        "model": model,
        "output": output if output is not None else [],
        "error": error,
        "incomplete_details": {"reason": incomplete_reason} if incomplete_reason else None,
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": None,
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
        "usage": usage,
    }


def collect_response(events: list[Event]) -> dict[str, Any]:
    """The final `response` object of a finished event list (for non-streaming answers)."""
    for event in reversed(events):
        if event.get("type") in TERMINAL_EVENTS:
            return dict(event["response"])
    raise ValueError("event stream has no terminal event")


def record_outcome(outcome: Outcome, response: Mapping[str, Any]) -> None:
    """How an answer ended, from its terminal event's `response` object."""
    outcome.status = str(response.get("status") or "completed")
    outcome.usage = response.get("usage")
    error = response.get("error")
    if isinstance(error, Mapping):
        outcome.error = str(error.get("code") or "server_error")


class ResponsesStream(UpstreamStream[EventBatch]):
    """An `UpstreamStream` of Responses event batches that records its outcome from the
    terminal event as the batch carrying it goes by (adapters end every stream with
    exactly one, in the last batch)."""

    __slots__ = ()

    ends_at_outcome = True

    async def __anext__(self) -> EventBatch:
        batch = await self._items.__anext__()
        # Inline, not a call: this runs for every upstream read.
        if batch and batch[-1]["type"] in TERMINAL_EVENTS:
            record_outcome(self.outcome, batch[-1]["response"])
        return batch
