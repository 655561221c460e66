"""The surface every upstream adapter offers to the router.

An adapter turns one Responses API request (a plain dict, already validated by the
server) into a request to its upstream, and the upstream's answer back into Responses
stream events. The router never branches on the upstream's kind: it picks a `Target`,
asks the adapter registered for `target.kind`, and writes what comes back.

Errors are split by when they happen, because Codex keeps whatever items it has already
seen. Anything that goes wrong before the first event is raised as `UpstreamError`, so the
caller can still fall back to another model or answer with an HTTP error. Anything after
that ends the event stream with `response.failed` (or `response.incomplete`), produced by
the adapter itself.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

Event = dict[str, Any]
"""One Responses stream event, as the plain dict that goes on the wire."""

EventBatch = list[Event]
"""The events built from one upstream read; the server writes a batch in one go."""

Item = TypeVar("Item")

NO_HEADERS: Mapping[str, str] = {}


@dataclass(slots=True)
class Outcome:
    """How an answer ended, for the routing log. `usage` is in the Responses shape the
    ledger reads; `status` stays "lost" until the answer's end is seen."""

    status: str = "lost"
    usage: Mapping[str, Any] | None = None
    error: str | None = None


class Releasable(Protocol):
    """What holds the upstream connection: an `httpx.Response` or a reader of one."""

    async def aclose(self) -> None: ...


class UpstreamStream(Generic[Item]):
    """One upstream answer being read: what every adapter's `stream` returns.

    Iterating gives the answer piece by piece, one item per upstream read: a batch of
    Responses events from a translating adapter (`UpstreamStream[EventBatch]`), bytes
    already in the client's dialect from a passthrough (`UpstreamStream[bytes]`).
    `headers` are the upstream's response headers, `relay_headers` the ones the client
    gets too (Codex's turn state and usage windows). `outcome` is filled by whoever sees
    the answer's end: a passthrough as it reads, a `ResponsesStream` from the terminal
    Responses event.

    `aclose()` always releases the upstream response, also when iteration never started
    (an async generator that was never entered runs no `finally` when it is closed).

    `ends_at_outcome` says whether the item that fills `outcome` is the last one: true for
    Responses events (`adapters.responses.objects.ResponsesStream`, nothing follows the
    terminal event), false for a dialect's bytes (a chat error chunk is followed by
    `[DONE]`), which the stream ends itself.
    """

    __slots__ = ("_items", "_upstream", "headers", "outcome", "relay_headers")

    ends_at_outcome = False

    def __init__(
        self,
        items: AsyncGenerator[Item, None],
        upstream: Releasable,
        *,
        headers: Mapping[str, str] = NO_HEADERS,
        relay_headers: Mapping[str, str] = NO_HEADERS,
        outcome: Outcome | None = None,
    ) -> None:
        self._items = items
        self._upstream = upstream
        self.headers = headers
        self.relay_headers = relay_headers
        self.outcome = Outcome() if outcome is None else outcome

    def __aiter__(self) -> UpstreamStream[Item]:
        return self

    async def __anext__(self) -> Item:
        return await self._items.__anext__()

    async def aclose(self) -> None:
        try:
            await self._items.aclose()
        finally:
            await self._upstream.aclose()


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-model timeouts, in seconds.

    Codex itself waits 300 s between stream events before it gives up, so the idle and
    first-byte defaults are long: a reasoning model may think for minutes before its
    first token.
    """

    connect: float = 10.0
    first_byte: float = 300.0
    idle: float = 300.0


@dataclass(frozen=True, slots=True)
class Target:
    """One concrete upstream model, with its credential resolved for this request."""

    slug: str
    kind: str
    """Which adapter serves it: "chat", "anthropic", "codex" or "responses"."""
    model: str
    """The model name the upstream expects."""
    base_url: str
    api_key: str | None = None
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    max_output_tokens: int | None = None
    context_window: int | None = None
    supports_images: bool = True
    supports_thinking: bool = False
    """Anthropic models configured as thinking-capable get a thinking budget."""
    replay_reasoning: bool = False
    """Chat upstreams that require their `reasoning_content` back on tool-call turns
    (DeepSeek's thinking mode, Kimi K2 thinking)."""
    merge_messages: bool = True
    """Chat upstreams get one leading system message and no two consecutive messages of
    the same role; off for servers that need the exact sequence."""
    timeouts: Timeouts = field(default_factory=Timeouts)
    client_headers: Mapping[str, str] = field(default_factory=dict)
    """Headers from the client's request that a passthrough forwards (session, turn,
    originator); translating adapters ignore them."""

    def __repr__(self) -> str:
        # The key must never reach a log line or a traceback through a repr.
        return f"Target(slug={self.slug!r}, kind={self.kind!r}, model={self.model!r})"


def openai_error(message: str, error_type: str, code: str | None) -> dict[str, Any]:
    """OpenAI's JSON error envelope (Responses and chat-completions clients)."""
    return {"error": {"message": message, "type": error_type, "code": code, "param": None}}


def anthropic_error(error_type: str, message: str) -> dict[str, Any]:
    """Anthropic's JSON error envelope (Messages clients)."""
    return {"type": "error", "error": {"type": error_type, "message": message}}


def requested_model(request: Mapping[str, Any], target: Target) -> str:
    """The model name an answer reports: what the client asked for, else the target's slug."""
    model = request.get("model")
    return model if isinstance(model, str) and model else target.slug


class UpstreamError(Exception):
    """The upstream failed before anything reached the client.

    `status` and `code` are what the client should see: `code` is one of the
    Responses error codes Codex understands (`rate_limit_exceeded`,
    `insufficient_quota`, `context_length_exceeded`, `server_error`, ...).
    `fallback_ok` says whether another model could reasonably serve the same request
    (rate limits, server errors, timeouts, refused connections), as opposed to a
    request the next model would reject too (a malformed body, a prompt too long for
    everyone is decided elsewhere).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: str | None = None,
        fallback_ok: bool = False,
        error_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.fallback_ok = fallback_ok
        self.error_type = error_type or _default_type(code)

    def body(self) -> dict[str, Any]:
        """The error in OpenAI's JSON error shape."""
        return openai_error(self.message, self.error_type, self.code)

    def __repr__(self) -> str:
        return f"UpstreamError(status={self.status}, code={self.code!r})"


def _default_type(code: str) -> str:
    if code in ("rate_limit_exceeded", "insufficient_quota", "usage_limit_reached"):
        return code
    if code in ("context_length_exceeded", "invalid_request_error"):
        return "invalid_request_error"
    return "server_error" if code != "upstream_error" else "api_error"


class Adapter(Protocol):
    """What the router needs from an upstream adapter."""

    kind: str

    async def stream(
        self, request: Mapping[str, Any], target: Target
    ) -> UpstreamStream[EventBatch]:
        """Send `request` upstream and return its answer as batches of Responses events.

        Returns only once the upstream has answered with a success status, raising
        `UpstreamError` otherwise. The stream always ends with exactly one terminal
        event (`response.completed`, `response.incomplete` or `response.failed`), and
        closing it, read or not, releases the upstream connection.
        """
        ...

    async def complete(self, request: Mapping[str, Any], target: Target) -> dict[str, Any]:
        """Send `request` upstream without streaming; return a Responses `response` object.

        Raises `UpstreamError` for any failure, including a response the upstream
        ended with an error.
        """
        ...


@dataclass(frozen=True, slots=True)
class Answer:
    """A non-streamed answer already in the client's dialect (from a passthrough)."""

    body: dict[str, Any]
    usage: Mapping[str, Any] | None
    status: str = "completed"


class PassthroughAdapter(Protocol):
    """An adapter that forwards a client's own dialect (Messages to Anthropic, chat
    completions to a chat upstream) and answers in it."""

    kind: str

    async def stream(self, request: Mapping[str, Any], target: Target) -> UpstreamStream[bytes]:
        """Like `Adapter.stream`; the bytes are the client's dialect, and the stream
        fills its `outcome` as it reads."""
        ...

    async def complete(self, request: Mapping[str, Any], target: Target) -> Answer: ...
