"""The scripting vocabulary: what a mock upstream model answers to one request.

A reply is either content (`Text`, `ToolCall`, `ToolCalls`), an `HttpError`, or a fault
wrapped around content (`CutStream`, `Malformed`, `StreamError`, `Stall`, `Slow`). Wrappers nest, so
`Slow(CutStream(Text("..."), after_events=3), delay_per_event=0.01)` trickles three
events and then drops the connection.

Every persona (chat completions, Anthropic Messages, Responses) renders the same reply
in its own dialect, so one script can drive any adapter.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeAlias

Thinking: TypeAlias = tuple[str, str]
"""(thinking text, signature) of an Anthropic thinking block."""

_WORDS = re.compile(r"\s*\S+\s*|\s+")


@dataclass(frozen=True)
class Usage:
    """Token counts reported by the upstream.

    `input_tokens` counts the whole prompt, cached part included (the OpenAI convention);
    the Anthropic persona reports `input_tokens - cached_tokens` as its uncached input.
    """

    input_tokens: int = 100
    cached_tokens: int = 0
    output_tokens: int = 10
    reasoning_tokens: int = 0
    cache_creation_tokens: int = 0


@dataclass(frozen=True)
class Text:
    """An assistant message, streamed as `chunks` deltas (default: about one per word)."""

    text: str
    reasoning: str | None = None
    chunks: int | None = None
    thinking: Thinking | None = None
    usage: Usage | None = None

    @cached_property
    def pieces(self) -> tuple[str, ...]:
        """The text deltas, computed once so a reply reused by a benchmark is split once."""
        return split_text(self.text, self.chunks)

    @cached_property
    def encoded_pieces(self) -> tuple[bytes, ...]:
        """The deltas as JSON string literals, so a frame is bytes glued around them."""
        return tuple(json.dumps(piece).encode() for piece in self.pieces)


@dataclass(frozen=True)
class ToolCall:
    """One tool call, named as the upstream sees the tool.

    Names are the upstream's: `exec_command`, `apply_patch` (arguments `{"input": patch}`,
    which is how the proxy offers Codex's custom tools to chat and Anthropic models) or a
    flattened namespaced tool such as `multi_agent_v1__spawn_agent`.
    """

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    call_id: str | None = None
    thinking: Thinking | None = None
    reasoning: str | None = None
    usage: Usage | None = None

    @property
    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments)


@dataclass(frozen=True)
class ToolCalls:
    """Parallel tool calls in one reply, optionally preceded by some text."""

    calls: list[ToolCall]
    text: str | None = None
    thinking: Thinking | None = None
    reasoning: str | None = None
    usage: Usage | None = None


@dataclass(frozen=True)
class HttpError:
    """A non-200 answer with a JSON body (e.g. 429 with `{"Retry-After": "1"}`)."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CutStream:
    """Send the first `after_events` events of `reply`, then drop the connection."""

    reply: Reply
    after_events: int


@dataclass(frozen=True)
class Malformed:
    """Insert a data line that is not JSON after `after_events` events, then carry on."""

    reply: Reply
    after_events: int


@dataclass(frozen=True)
class StreamError:
    """Send the first `after_events` events of `reply`, then the dialect's own error
    event (an overload, a rate limit, ...) and end the stream there."""

    reply: Reply
    after_events: int
    code: str = "server_error"
    message: str = "The server had an error while processing your request."


@dataclass(frozen=True)
class Stall:
    """Go silent for `seconds` after `after_events` events, then carry on."""

    reply: Reply
    after_events: int
    seconds: float


@dataclass(frozen=True)
class Slow:
    """Trickle: wait `delay_per_event` seconds before every event."""

    reply: Reply
    delay_per_event: float


Content: TypeAlias = Text | ToolCall | ToolCalls
Reply: TypeAlias = (
    Text | ToolCall | ToolCalls | HttpError | CutStream | Malformed | StreamError | Stall | Slow
)
Handler: TypeAlias = Callable[[dict[str, Any]], Reply]


@dataclass
class Faults:
    """The stream-level behaviour collected from the wrappers around one reply."""

    cut_after: int | None = None
    malformed_after: int | None = None
    error_after: int | None = None
    error: tuple[str, str] = ("server_error", "")
    stall_after: int | None = None
    stall_seconds: float = 0.0
    delay_per_event: float = 0.0


def unwrap(reply: Reply) -> tuple[Content | HttpError, Faults]:
    """Peel the fault wrappers off a reply; the innermost wrapper of a kind wins."""
    faults = Faults()
    while True:
        if isinstance(reply, CutStream):
            faults.cut_after = reply.after_events
        elif isinstance(reply, Malformed):
            faults.malformed_after = reply.after_events
        elif isinstance(reply, StreamError):
            faults.error_after = reply.after_events
            faults.error = (reply.code, reply.message)
        elif isinstance(reply, Stall):
            faults.stall_after = reply.after_events
            faults.stall_seconds = reply.seconds
        elif isinstance(reply, Slow):
            faults.delay_per_event = reply.delay_per_event
        else:
            return reply, faults
        reply = reply.reply


def as_calls(content: Content) -> ToolCalls | None:
    """View a single `ToolCall` as a one-element `ToolCalls`; `None` for text."""
    if isinstance(content, ToolCall):
        return ToolCalls(
            [content],
            thinking=content.thinking,
            reasoning=content.reasoning,
            usage=content.usage,
        )
    if isinstance(content, ToolCalls):
        return content
    return None


_HOLE = "\x00hole\x00"
_HOLE_JSON = json.dumps(_HOLE).encode()


def frame_template(render: Callable[[str], bytes]) -> tuple[bytes, bytes]:
    """The bytes before and after one string value in a rendered frame.

    `render` builds a frame around the given string; the frame is rendered once with a
    marker and split there, so each delta costs a concatenation instead of a JSON dump.
    """
    before, found, after = render(_HOLE).partition(_HOLE_JSON)
    assert found, "the frame must contain the value as a JSON string"
    return before, after


def text_frames(content: Content, render: Callable[[str], bytes]) -> list[bytes]:
    """The text delta frames of a `Text` reply, from its cached encoded pieces."""
    assert isinstance(content, Text)
    before, after = frame_template(render)
    return [before + piece + after for piece in content.encoded_pieces]


def split_text(text: str, chunks: int | None) -> tuple[str, ...]:
    """Split `text` into deltas that join back to it exactly."""
    if not text:
        return ()
    if chunks is None:
        return tuple(_WORDS.findall(text))
    count = max(1, min(chunks, len(text)))
    size = math.ceil(len(text) / count)
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    # Ceil-sized slices can come out one short; split the longest until the count is met.
    while len(pieces) < count:
        longest = max(range(len(pieces)), key=lambda i: len(pieces[i]))
        piece = pieces[longest]
        half = len(piece) // 2
        pieces[longest : longest + 1] = [piece[:half], piece[half:]]
    return tuple(pieces)


def split_arguments(arguments: str) -> tuple[str, ...]:
    """Tool-call arguments arrive in a few fragments, as real upstreams send them."""
    if len(arguments) < 8:
        return (arguments,) if arguments else ()
    return split_text(arguments, 3)


def estimate_tokens(text: str) -> int:
    """About four characters per token: enough for plausible default usage."""
    return max(1, len(text) // 4)


def reasoning_of(content: Content) -> str | None:
    """The reasoning text a reply shows, whether given as `reasoning` or `thinking`."""
    if content.thinking is not None:
        return content.thinking[0]
    return content.reasoning


def usage_for(content: Content, prompt_chars: int) -> Usage:
    """The scripted usage, or an estimate from the request body size and the reply."""
    if content.usage is not None:
        return content.usage
    calls = as_calls(content)
    if calls is None:
        assert isinstance(content, Text)
        produced = content.text
    else:
        produced = (calls.text or "") + "".join(c.arguments_json for c in calls.calls)
    reasoning = reasoning_of(content) or ""
    reasoning_tokens = estimate_tokens(reasoning) if reasoning else 0
    return Usage(
        input_tokens=max(1, prompt_chars // 4),
        output_tokens=estimate_tokens(produced) + reasoning_tokens,
        reasoning_tokens=reasoning_tokens,
    )
