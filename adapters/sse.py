"""Incremental server-sent-events decoding for upstream streams.

Upstream bytes arrive in arbitrary pieces: a line may be split anywhere, a multi-byte
UTF-8 character may straddle two reads, lines may end in CRLF, and comments (`:`) and
keep-alive blank lines may appear between events. `SSEDecoder.feed` takes raw bytes and
returns the complete events they finish.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


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
