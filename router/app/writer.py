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
import time
import uuid
from collections.abc import Callable
from typing import Protocol, TypeVar

from aiohttp import web

from adapters.base import EventBatch
from adapters.responses.objects import response_object
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
    def encode(self) -> Callable[[Item_contra], bytes]:
        """The bytes of one item (a function, called for every upstream read)."""
        ...

    def failure(self, message: str, last: Item_contra | None) -> bytes:
        """The dialect's own error event, to end a stream the proxy cannot go on with;
        `last` is the last item written, if any."""
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
    last: Item | None = None
    first_output: float | None = None
    try:
        await response.prepare(request)
        # Each upstream read's bytes go out as one write as soon as they are built. A
        # burst needs no joining here: a read returns everything that arrived while the
        # last write was going out, and a client slower than the upstream holds the
        # upstream back through the socket buffers rather than a queue of ours.
        encode = encoder.encode
        stops = stream.ends_at_outcome
        async for item in stream:
            last = item
            data = encode(item)
            if first_output is None and data:
                first_output = time.perf_counter()
            if stops and outcome.status != "lost":
                # The end of the chunked body goes out with the last bytes: one send and
                # one wake-up of the client fewer. Nothing follows a terminal event.
                await response.write_eof(data)
                break
            if data:
                await response.write(data)
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
            failure = encoder.failure(SHUTDOWN_MESSAGE, last)
            disconnected = not await _write_last(response, failure)
    except Exception as exc:
        # A bug in a translator must still end the stream in a way the client understands.
        log.exception("stream_translation_error", request_id=request_id, slug=opened.slug)
        ended = outcome.status != "lost"
        outcome.status, outcome.error = "failed", "server_error"
        if not ended and response.prepared:
            message = f"proxy error: {type(exc).__name__}"
            disconnected = not await _write_last(response, encoder.failure(message, last))
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
        first_output=first_output,
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

    __slots__ = ("_model",)

    encode = staticmethod(encode_responses)

    def __init__(self, model: str) -> None:
        self._model = model

    def failure(self, message: str, last: EventBatch | None) -> bytes:
        """A `response.failed` the proxy itself ends a stream with; Codex retries its code."""
        event = {
            "type": "response.failed",
            "sequence_number": _next_sequence_number(last or []),
            "response": response_object(
                uuid.uuid4().hex,
                self._model,
                "failed",
                error={"code": "server_error", "message": message},
            ),
        }
        return encode_responses([event])


def _next_sequence_number(batch: EventBatch) -> int:
    for event in reversed(batch):
        seq = event.get("sequence_number")
        if isinstance(seq, int):
            return seq + 1
    return 0


def _same(item: bytes) -> bytes:
    return item


class DialectEncoder:
    """`StreamEncoder` for bytes already in the client's dialect (a passthrough, or
    Responses events a dialect writer translated): they go out as they are, and the
    stream ends itself."""

    __slots__ = ("_failure",)

    encode = staticmethod(_same)

    def __init__(self, failure: Callable[[str], bytes]) -> None:
        self._failure = failure

    def failure(self, message: str, last: bytes | None) -> bytes:
        return self._failure(message)
