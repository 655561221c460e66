"""What the server writes back to an Anthropic or chat client: bytes in its dialect, plus
what the routing log needs to know about the answer once it is over.

The bytes come from an upstream's own stream passed through (`passthrough`) or from
`translated`: the Responses event batches an adapter produced, re-encoded by a
`DialectWriter`. Adapters guarantee exactly one terminal Responses event, so the outcome
(status, usage, error code) is read from it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, Protocol

from adapters.base import EventBatch, UpstreamStream
from adapters.inbound.anthropic_out import Frame, MessagesEventWriter
from adapters.inbound.chat_out import DONE, ChatChunkWriter
from adapters.sse import encode_named, encode_unnamed

LOST_MESSAGE = "the upstream stream ended without a final event"


class DialectWriter(Protocol):
    def head(self) -> bytes: ...

    def encode(self, batch: EventBatch) -> bytes: ...

    def tail(self, ended: bool) -> bytes:
        """The last bytes; `ended` says whether a terminal event was seen."""
        ...


class AnthropicWriter:
    __slots__ = ("_writer",)

    def __init__(self, model: str) -> None:
        self._writer = MessagesEventWriter(model)

    def head(self) -> bytes:
        return encode_named(self._writer.start())

    def encode(self, batch: EventBatch) -> bytes:
        frames: list[Frame] = []
        for event in batch:
            frames.extend(self._writer.feed(event))
        return encode_named(frames) if frames else b""

    def tail(self, ended: bool) -> bytes:
        if ended:
            return b""
        return encode_named(self._writer.fail({"code": "server_error", "message": LOST_MESSAGE}))


class ChatWriter:
    __slots__ = ("_writer",)

    def __init__(self, model: str, *, include_usage: bool) -> None:
        self._writer = ChatChunkWriter(model, include_usage=include_usage)

    def head(self) -> bytes:
        return encode_unnamed(self._writer.start())

    def encode(self, batch: EventBatch) -> bytes:
        chunks: list[dict[str, Any]] = []
        for event in batch:
            chunks.extend(self._writer.feed(event))
        return encode_unnamed(chunks) if chunks else b""

    def tail(self, ended: bool) -> bytes:
        if ended:
            return DONE
        return encode_unnamed([self._writer.fail({"message": LOST_MESSAGE})])


def translated(events: UpstreamStream[EventBatch], writer: DialectWriter) -> UpstreamStream[bytes]:
    """Responses event batches from any adapter, written in the client's dialect; the
    outcome is the one `events` records from its terminal event."""
    return UpstreamStream(
        _translate(events, writer),
        events,
        headers=events.headers,
        relay_headers=events.relay_headers,
        outcome=events.outcome,
    )


async def _translate(
    events: UpstreamStream[EventBatch], writer: DialectWriter
) -> AsyncGenerator[bytes, None]:
    yield writer.head()
    outcome = events.outcome
    async for batch in events:
        data = writer.encode(batch)
        if data:
            yield data
        if outcome.status != "lost":
            break
    yield writer.tail(outcome.status != "lost")
