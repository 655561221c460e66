"""Server-sent events: decoding upstream streams, encoding what clients get.

Upstream bytes arrive in arbitrary pieces: a line may be split anywhere, a multi-byte
UTF-8 character may straddle two reads, lines may end in CRLF, and comments (`:`) and
keep-alive blank lines may appear between events. `SSEDecoder.feed` takes raw bytes and
returns the complete events they finish.

Encoding is the hot path of the whole proxy: the events built from one upstream read
become one buffer and one socket write. Every write is a syscall and wakes the client; a
burst (a fast model) arrives in a handful of reads, so a 200-delta answer costs a handful
of writes, not 200. Responses and Anthropic events are named (`event:` then `data:`), chat
chunks are `data:` only.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from adapters.jsonfast import dumps, utf8


@dataclass(slots=True)
class SSEEvent:
    event: str | None
    data: str


class SSEDecoder:
    __slots__ = ("_buffer", "_data", "_decoder", "_event")

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        text = self._buffer + self._decoder.decode(chunk)
        if "\r" in text:
            # A lone CR at the very end may be the first half of a CRLF; keep it back.
            keep_cr = text.endswith("\r")
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            if keep_cr:
                text = text[:-1]
                lines = text.split("\n")
                self._buffer = lines.pop() + "\r"
            else:
                lines = text.split("\n")
                self._buffer = lines.pop()
        else:
            lines = text.split("\n")
            self._buffer = lines.pop()
        events: list[SSEEvent] = []
        for line in lines:
            # The two lines of almost every upstream event, inline: `data: ...` and the
            # blank line that ends it (two method calls per event saved).
            if line.startswith("data: "):
                self._data.append(line[6:])
            elif not line and self._data:
                events.append(SSEEvent(self._event, "\n".join(self._data)))
                self._event = None
                self._data = []
            else:
                self._line(line, events)
        return events

    def close(self) -> list[SSEEvent]:
        """Flush what is left when the upstream closes: a final event without its
        blank line still counts."""
        events: list[SSEEvent] = []
        tail = self._buffer + self._decoder.decode(b"", final=True)
        self._buffer = ""
        if tail:
            self._line(tail.rstrip("\r"), events)
        self._line("", events)
        return events

    def _line(self, line: str, events: list[SSEEvent]) -> None:
        if not line:
            if self._data:
                events.append(SSEEvent(self._event, "\n".join(self._data)))
            self._event = None
            self._data = []
            return
        if line[0] == ":":
            return
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value


def encode_responses(events: list[dict[str, Any]]) -> bytes:
    """Responses events, each named by its `type`."""
    # One orjson call per event and nothing else in the common case; an event orjson
    # refuses, or a type with no UTF-8 form, sends the batch the careful way.
    try:
        return b"".join(
            [
                b"event: %s\ndata: %s\n\n" % (event["type"].encode(), orjson.dumps(event))
                for event in events
            ]
        )
    except (orjson.JSONEncodeError, UnicodeEncodeError):
        return encode_named((event["type"], event) for event in events)


def encode_named(frames: Iterable[tuple[str, Any]]) -> bytes:
    """(event name, JSON payload) pairs as named events."""
    return b"".join(
        [b"event: %s\ndata: %s\n\n" % (utf8(name), dumps(data)) for name, data in frames]
    )


def encode_unnamed(payloads: Iterable[Any]) -> bytes:
    """JSON payloads as `data:`-only events (chat chunks)."""
    return b"".join([b"data: %s\n\n" % dumps(data) for data in payloads])


def frame(name: str | None, data: str) -> bytes:
    """One event whose data is already text (a passthrough's own, unparsed)."""
    if name:
        return b"event: %s\ndata: %s\n\n" % (utf8(name), utf8(data))
    return b"data: %s\n\n" % utf8(data)
