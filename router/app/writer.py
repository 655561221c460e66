"""The one stream writer behind every front door (Responses, Messages, chat completions).

A front door opens an `UpstreamStream` and hands it here with an encoder for its client's
dialect. What every stream needs is done once, here: the response headers (the route
headers and those the upstream relays), one write per upstream read, the end of the
chunked body sent with the last bytes, a client that hangs up, a translation bug, the end
of the shutdown grace period (the stream ends with the dialect's own error, never with a
second status line), closing the upstream, and the routing log's line.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Protocol, TypeVar

from aiohttp import web

from adapters.base import EventBatch, Outcome
from adapters.responses.objects import TERMINAL_EVENTS, record_outcome, response_object
from adapters.sse import encode_responses
from router.app.exchange import AppState, log_request, route_headers
from router.app.shutdown import SHUTDOWN_MESSAGE
from router.routing.dispatch import OpenStream
from router.telemetry.logs import get_logger

log = get_logger("autorouter.writer")

Item = TypeVar("Item")
Item_contra = TypeVar("Item_contra", contravariant=True)


class StreamEncoder(Protocol[Item_contra]):
    """One client dialect's bytes for an upstream stream's items."""

    @property
    def finished(self) -> bool:
        """A terminal item was encoded: its bytes are the stream's last."""
        ...

    def head(self) -> bytes:
        """What goes out before the first item."""
        ...

    def encode(self, item: Item_contra) -> bytes: ...

    def end(self) -> bytes:
        """What goes out when the upstream stream ended before anything `finished` it."""
        ...

    def failure(self, message: str) -> bytes:
        """The dialect's own error event, to end a stream the proxy cannot go on with."""
        ...


async def write_stream(
    request: web.Request,
    state: AppState,
    opened: OpenStream[Item],
    encoder: StreamEncoder[Item],
    request_id: str,
    started: float,
) -> web.StreamResponse:
    stream = opened.result
    outcome = stream.outcome
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            **stream.relay_headers,
            **route_headers(opened.slug, opened.reason, request_id),
        }
    )
    disconnected = False
    try:
        await response.prepare(request)
        head = encoder.head()
        if head:
            await response.write(head)
        # Each upstream read's bytes go out as one write as soon as they are built. A
        # burst needs no joining here: a read returns everything that arrived while the
        # last write was going out, and a client slower than the upstream holds the
        # upstream back through the socket buffers rather than a queue of ours.
        encode = encoder.encode
        async for item in stream:
            data = encode(item)
            if encoder.finished:
                # The end of the chunked body goes out with the last bytes: one send and
                # one wake-up of the client fewer. Nothing follows a terminal event.
                await response.write_eof(data)
                break
            if data:
                await response.write(data)
        else:
            tail = encoder.end()
            if tail:
                await response.write(tail)
    except ConnectionResetError:
        disconnected = True
        outcome.status = "client_disconnected"
    except asyncio.CancelledError:
        # The in-flight middleware tracks this request; only the end of the shutdown
        # grace period is answered here, any other cancellation goes on up.
        if not state.in_flight.ended_by_shutdown():
            raise
        ended = outcome.status != "lost"
        outcome.status = "shutdown"
        if not ended and response.prepared:
            disconnected = not await _write_last(response, encoder.failure(SHUTDOWN_MESSAGE))
    except Exception as exc:
        # A bug in a translator must still end the stream in a way the client understands.
        log.exception("stream_translation_error", request_id=request_id, slug=opened.slug)
        ended = outcome.status != "lost"
        outcome.status, outcome.error = "failed", "server_error"
        if not ended and response.prepared:
            message = f"proxy error: {type(exc).__name__}"
            disconnected = not await _write_last(response, encoder.failure(message))
    finally:
        await stream.aclose()
    log_request(
        state,
        opened.plan,
        opened.slug,
        request_id,
        started,
        status=outcome.status,
        usage=outcome.usage,
        error=outcome.error,
    )
    if not disconnected and response.prepared:
        await response.write_eof()
    return response


async def _write_last(response: web.StreamResponse, data: bytes) -> bool:
    """Write a stream's last bytes; False if the client is already gone."""
    try:
        await response.write(data)
    except ConnectionResetError:
        return False
    return True


class ResponsesEncoder:
    """`StreamEncoder` for Responses clients (Codex): the events as they are."""

    __slots__ = ("_last", "_model", "finished", "outcome")

    def __init__(self, outcome: Outcome, model: str) -> None:
        self.outcome = outcome
        self._model = model
        self._last: EventBatch = []
        self.finished = False

    def head(self) -> bytes:
        return b""

    def encode(self, item: EventBatch) -> bytes:
        if item:
            # Only a failure needs the next sequence number: it is read from the last
            # batch then, not worked out for every batch.
            self._last = item
            if item[-1]["type"] in TERMINAL_EVENTS:
                self.finished = True
                record_outcome(self.outcome, item[-1]["response"])
        return encode_responses(item)

    def end(self) -> bytes:
        return b""

    def failure(self, message: str) -> bytes:
        """A `response.failed` the proxy itself ends a stream with; Codex retries its code."""
        event = {
            "type": "response.failed",
            "sequence_number": self._next_sequence_number(),
            "response": response_object(
                uuid.uuid4().hex,
                self._model,
                "failed",
                error={"code": "server_error", "message": message},
            ),
        }
        return encode_responses([event])

    def _next_sequence_number(self) -> int:
        for event in reversed(self._last):
            seq = event.get("sequence_number")
            if isinstance(seq, int):
                return seq + 1
        return 0


class DialectEncoder:
    """`StreamEncoder` for bytes already in the client's dialect (a passthrough, or
    Responses events a dialect writer translated): they go out as they are, and the
    stream ends itself."""

    __slots__ = ("_failure",)

    finished = False

    def __init__(self, failure: Callable[[str], bytes]) -> None:
        self._failure = failure

    def head(self) -> bytes:
        return b""

    def encode(self, item: bytes) -> bytes:
        return item

    def end(self) -> bytes:
        return b""

    def failure(self, message: str) -> bytes:
        return self._failure(message)
