"""What the server writes back to an Anthropic or chat client: bytes in its dialect, plus
what the routing log needs to know about the answer once it is over.

A `DialectStream` is either an upstream's own stream passed through (`passthrough`) or a
`TranslatedStream`: the Responses event batches an adapter produced, re-encoded by a
`DialectWriter`. Adapters guarantee exactly one terminal Responses event, so the outcome
(status, usage, error code) is read from it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from adapters.base import Event, EventBatch
from adapters.inbound.anthropic_out import Frame, MessagesEventWriter, encode_frames
from adapters.inbound.chat_out import DONE, ChatChunkWriter, encode_chunks
from adapters.responses.objects import TERMINAL_EVENTS, make_usage

LOST_MESSAGE = "the upstream stream ended without a final event"


@dataclass(slots=True)
class Outcome:
    """How an answer ended. `usage` is in the Responses shape the ledger reads."""

    status: str = "lost"
    usage: Mapping[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """A non-streamed answer already in the client's dialect."""

    body: dict[str, Any]
    usage: Mapping[str, Any] | None


class DialectStream(Protocol):
    outcome: Outcome

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


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
        return encode_frames(self._writer.start())

    def encode(self, batch: EventBatch) -> bytes:
        frames: list[Frame] = []
        for event in batch:
            frames.extend(self._writer.feed(event))
        return encode_frames(frames) if frames else b""

    def tail(self, ended: bool) -> bytes:
        if ended:
            return b""
        return encode_frames(self._writer.fail({"code": "server_error", "message": LOST_MESSAGE}))


class ChatWriter:
    __slots__ = ("_writer",)

    def __init__(self, model: str, *, include_usage: bool) -> None:
        self._writer = ChatChunkWriter(model, include_usage=include_usage)

    def head(self) -> bytes:
        return encode_chunks(self._writer.start())

    def encode(self, batch: EventBatch) -> bytes:
        chunks: list[dict[str, Any]] = []
        for event in batch:
            chunks.extend(self._writer.feed(event))
        return encode_chunks(chunks) if chunks else b""

    def tail(self, ended: bool) -> bytes:
        if ended:
            return DONE
        return encode_chunks([self._writer.fail({"message": LOST_MESSAGE})])


class TranslatedStream:
    """Responses event batches from any adapter, written in the client's dialect."""

    __slots__ = ("_events", "_writer", "outcome")

    def __init__(self, events: AsyncIterator[EventBatch], writer: DialectWriter) -> None:
        self._events = events
        self._writer = writer
        self.outcome = Outcome()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._writer.head()
        terminal: Event | None = None
        async for batch in self._events:
            if batch and batch[-1].get("type") in TERMINAL_EVENTS:
                terminal = batch[-1]
                self._record(terminal["response"])
            data = self._writer.encode(batch)
            if data:
                yield data
            if terminal is not None:
                break
        yield self._writer.tail(terminal is not None)

    def _record(self, response: Mapping[str, Any]) -> None:
        self.outcome.status = str(response.get("status") or "completed")
        self.outcome.usage = response.get("usage")
        error = response.get("error")
        if isinstance(error, Mapping):
            self.outcome.error = str(error.get("code") or "server_error")

    async def aclose(self) -> None:
        close = getattr(self._events, "aclose", None)
        if close is not None:
            await close()


def usage_from_anthropic(usage: Mapping[str, Any]) -> dict[str, Any]:
    read = int(usage.get("cache_read_input_tokens") or 0)
    written = int(usage.get("cache_creation_input_tokens") or 0)
    total = int(usage.get("input_tokens") or 0) + read + written
    return make_usage(total, read, int(usage.get("output_tokens") or 0), 0, written)


def usage_from_chat(usage: Mapping[str, Any]) -> dict[str, Any]:
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0
    return make_usage(
        int(usage.get("prompt_tokens") or 0),
        int(cached),
        int(usage.get("completion_tokens") or 0),
        int(reasoning),
    )
