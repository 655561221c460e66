"""Relaying an upstream's own Responses stream, event by event.

Both Responses-speaking upstreams (the ChatGPT Codex backend, `adapters.codex`, and any
native Responses API, `adapters.responses.adapter`) answer with the events Codex itself
reads, so nothing is rebuilt: each SSE frame is decoded, handed to the adapter's `shape`
hook (the model name, reasoning envelopes, usage, error codes) and sent on. What is
shared lives here: the SSE loop, the end of the stream whatever happens to the upstream
(exactly one terminal event), and folding a finished stream into one `response` object.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any

import httpx
import structlog

from adapters import jsonfast
from adapters.base import Event, EventBatch, UpstreamError, UpstreamStream
from adapters.errors import stream_error_code
from adapters.http import BodyReader, stream_failure
from adapters.responses.objects import TERMINAL_EVENTS, new_id, response_object
from adapters.sse import SSEDecoder

log = structlog.get_logger(__name__)

Shape = Callable[[Event], Event]
"""Turns one upstream event into the event Codex gets (it may return a terminal event
in place of an upstream `error` event, which ends the stream). The `response.failed`
the relay itself ends a broken stream with goes through it too."""


def failed_event(model: str, code: str, message: str) -> Event:
    return {
        "type": "response.failed",
        "response": response_object(
            new_id("resp"), model, "failed", error={"code": code, "message": message}
        ),
    }


def rewrite_model(event: Event, model: str) -> Event:
    """`event` with the model inside its `response` object (if any) set to `model`."""
    response = event.get("response")
    if isinstance(response, dict) and "model" in response:
        event["response"] = {**response, "model": model}
    return event


async def relay(
    body: BodyReader, model: str, upstream: str, shape: Shape, *, slug: str
) -> AsyncGenerator[EventBatch, None]:
    """The upstream's events, shaped, ending in exactly one terminal event."""
    decoder = SSEDecoder()
    finished = False
    try:
        while raw := await body.read():
            batch, finished = _decode(decoder.feed(raw), model, upstream, shape)
            if batch:
                yield batch
            if finished:
                return
        batch, finished = _decode(decoder.close(), model, upstream, shape)
        if batch:
            yield batch
        if not finished:
            message = f"{upstream} closed the stream before it ended"
            yield [shape(failed_event(model, "server_error", message))]
    except (httpx.HTTPError, httpx.StreamError) as exc:
        code, message = stream_failure(exc, upstream)
        log.warning("upstream_stream_failed", target=slug, code=code, reason=message)
        yield [shape(failed_event(model, code, message))]
    finally:
        await body.aclose()


def _decode(frames: list[Any], model: str, upstream: str, shape: Shape) -> tuple[EventBatch, bool]:
    """The events of some SSE frames, and whether the terminal one was among them."""
    batch: EventBatch = []
    for frame in frames:
        if not frame.data or frame.data == "[DONE]":
            continue
        try:
            event = jsonfast.loads(frame.data)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            message = f"{upstream} sent an event that is not JSON"
            batch.append(shape(failed_event(model, "server_error", message)))
            return batch, True
        if "type" not in event and frame.event:
            event["type"] = frame.event
        if not isinstance(event.get("type"), str):
            continue
        event = shape(event)
        batch.append(event)
        if event["type"] in TERMINAL_EVENTS:
            return batch, True
    return batch, False


async def collect(events: UpstreamStream[EventBatch], upstream: str) -> dict[str, Any]:
    """A finished stream as one `response` object; a failed one as `UpstreamError`.

    A `response.completed` may list no output (Codex ignores that list, and the ChatGPT
    backend leaves it empty), so the output is rebuilt from `response.output_item.done`.
    """
    items: list[dict[str, Any]] = []
    terminal: dict[str, Any] | None = None
    try:
        async for batch in events:
            for event in batch:
                if event.get("type") == "response.output_item.done":
                    items.append(event.get("item") or {})
                elif event.get("type") in TERMINAL_EVENTS:
                    terminal = event
    finally:
        await events.aclose()
    assert terminal is not None  # `relay` always ends with a terminal event
    response = dict(terminal.get("response") or {})
    if terminal["type"] == "response.failed":
        raise failure_error(response.get("error"), upstream)
    if not response.get("output"):
        response["output"] = items
    return response


def failure_error(error: Any, upstream: str) -> UpstreamError:
    """The `UpstreamError` for the error object of a failed response."""
    message = error.get("message") if isinstance(error, Mapping) else None
    return UpstreamError(
        502,
        stream_error_code(error),
        f"{upstream} failed: {message or 'no message'}",
        fallback_ok=True,
    )
