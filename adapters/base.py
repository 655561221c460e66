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

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

Event = dict[str, Any]
"""One Responses stream event, as the plain dict that goes on the wire."""

EventBatch = list[Event]
"""The events built from one upstream read; the server writes a batch in one go."""


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
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "code": self.code,
                "param": None,
            }
        }

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

    async def stream(self, request: Mapping[str, Any], target: Target) -> AsyncIterator[EventBatch]:
        """Send `request` upstream and return its answer as batches of Responses events.

        Returns only once the upstream has answered with a success status, raising
        `UpstreamError` otherwise. The iterator always ends with exactly one terminal
        event (`response.completed`, `response.incomplete` or `response.failed`), and
        closing it early releases the upstream connection.
        """
        ...

    async def complete(self, request: Mapping[str, Any], target: Target) -> dict[str, Any]:
        """Send `request` upstream without streaming; return a Responses `response` object.

        Raises `UpstreamError` for any failure, including a response the upstream
        ended with an error.
        """
        ...
