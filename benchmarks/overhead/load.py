"""The load generator: streams one request at a time per worker and times it.

A bare `asyncio.Protocol` HTTP/1.1 client rather than aiohttp, so that the driver leaves
the CPU to the proxy it is measuring: the request's bytes are encoded once per endpoint,
each worker keeps one connection alive, and the answer is read the cheap way (the chunked
framing decoded, a regex search for the first text delta, a byte search for the end
marker). Both the proxy and the mock are read by this same code, so the client's own
cost cancels out of the difference between them.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from types import TracebackType
from urllib.parse import urlsplit

STREAM_TIMEOUT = 60.0
"""Seconds one stream may take before it counts as an error (a run must always end)."""
MAX_HEAD = 64 * 1024


@dataclass(frozen=True)
class Endpoint:
    """One streaming request and how to read its answer."""

    name: str
    url: str
    body: bytes
    headers: dict[str, str]
    first_text: re.Pattern[bytes]
    """Matches the first text delta in this dialect."""
    end: bytes
    """Present only when the stream finished normally."""

    @cached_property
    def address(self) -> tuple[str, int]:
        parts = urlsplit(self.url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"the load generator speaks plain http only: {self.url}")
        return parts.hostname, parts.port or 80

    @cached_property
    def request(self) -> bytes:
        """The whole request, encoded once: every stream sends these bytes."""
        parts = urlsplit(self.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        skip = {"host", "content-length", "connection", "transfer-encoding"}
        lines = [
            f"POST {target} HTTP/1.1",
            f"Host: {parts.netloc}",
            f"Content-Length: {len(self.body)}",
            *(f"{k}: {v}" for k, v in self.headers.items() if k.lower() not in skip),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass(frozen=True)
class StreamResult:
    ok: bool
    total: float
    """Seconds from sending the request to the last byte of the body."""
    first_text: float | None
    """Seconds from sending the request to the first text delta."""
    error: str | None = None


@dataclass(frozen=True)
class Batch:
    """Streams sent at one concurrency."""

    results: list[StreamResult]
    elapsed: float

    @property
    def ok(self) -> list[StreamResult]:
        return [r for r in self.results if r.ok]

    @property
    def errors(self) -> int:
        return len(self.results) - len(self.ok)

    @property
    def rate(self) -> float:
        return len(self.ok) / self.elapsed if self.elapsed > 0 else 0.0


class ProtocolError(Exception):
    pass


class ServerClosed(ConnectionError):
    pass


@dataclass
class Answer:
    """What one exchange read: the status, the decoded body's fate and its timings."""

    status: int = 0
    first_text: float | None = None
    """perf_counter() when the first text delta was decoded."""
    seen_end: bool = False
    body: bytearray | None = None
    """The whole decoded body, kept only when asked for."""
    keep_alive: bool = True


class _ClientProtocol(asyncio.Protocol):
    """One keep-alive connection: one exchange at a time, decoded as the bytes arrive."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.buffer = bytearray()
        self.waiter: asyncio.Future[Answer] | None = None
        self.answer = Answer()
        self.endpoint: Endpoint | None = None
        self.head_done = False
        self.chunked = False
        self.remaining = 0
        """Bytes left in the current chunk (chunked) or in the body (Content-Length);
        -1 for a body that runs to the end of the connection."""
        self.crlf_due = False
        """Chunked: the current chunk's data is read, its CRLF is not yet."""
        self.text_window = b""
        """The decoded body up to the first text delta (the regex may need all of it)."""
        self.carry = b""
        """The tail of the decoded body, for an end marker that straddles two reads."""

    # -- asyncio callbacks ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.transport = None
        if self.waiter is None or self.waiter.done():
            return
        if self.head_done and self.remaining == -1:
            self.answer.keep_alive = False
            self.complete()
        else:
            where = "mid-body" if self.head_done else "before the answer's head"
            self.fail(ServerClosed(f"the server closed the connection {where}"))

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():
            # Bytes nobody asked for: the connection is out of step, so never reuse it.
            self.abort()
            return
        self.buffer += data
        try:
            self.advance()
        except ProtocolError as exc:
            self.fail(exc)

    # -- one exchange ---------------------------------------------------------------------

    def start(self, endpoint: Endpoint, keep_body: bool) -> asyncio.Future[Answer]:
        assert self.transport is not None and self.waiter is None
        self.waiter = asyncio.get_running_loop().create_future()
        self.answer = Answer(body=bytearray() if keep_body else None)
        self.endpoint = endpoint
        self.head_done = False
        self.crlf_due = False
        self.text_window = b""
        self.carry = b""
        self.buffer.clear()
        self.transport.write(endpoint.request)
        return self.waiter

    def advance(self) -> None:
        if not self.head_done and not self.read_head():
            return
        if self.chunked:
            self.read_chunks()
        else:
            self.read_plain()

    def read_head(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD:
                raise ProtocolError("answer head too large")
            return False
        lines = bytes(self.buffer[:end]).split(b"\r\n")
        del self.buffer[: end + 4]
        status_line = lines[0].split(b" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1."):
            raise ProtocolError(f"malformed status line {lines[0][:80]!r}")
        try:
            self.answer.status = int(status_line[1])
        except ValueError:
            raise ProtocolError(f"malformed status line {lines[0][:80]!r}") from None
        self.answer.keep_alive = status_line[0] == b"HTTP/1.1"
        self.chunked, self.remaining = False, -1
        for name, value in _headers(lines[1:]):
            if name == b"transfer-encoding":
                self.chunked = value.lower().endswith(b"chunked")
            elif name == b"content-length":
                if not value.isdigit():
                    raise ProtocolError(f"malformed Content-Length {value[:40]!r}")
                self.remaining = int(value)
            elif name == b"connection":
                self.answer.keep_alive = value.lower() == b"keep-alive" or (
                    self.answer.keep_alive and value.lower() != b"close"
                )
        if self.chunked:
            self.remaining = 0
        elif self.remaining == -1:
            self.answer.keep_alive = False
        self.head_done = True
        return True

    def read_chunks(self) -> None:
        buffer = self.buffer
        pieces: list[bytes] = []
        at = 0
        finished = False
        while True:
            if self.remaining > 0:
                take = min(self.remaining, len(buffer) - at)
                if take == 0:
                    break
                pieces.append(bytes(buffer[at : at + take]))
                at += take
                self.remaining -= take
                if self.remaining > 0:
                    break
                self.crlf_due = True
            if self.crlf_due:
                if len(buffer) - at < 2:
                    break
                if buffer[at : at + 2] != b"\r\n":
                    raise ProtocolError("chunk data not followed by CRLF")
                at += 2
                self.crlf_due = False
            line_end = buffer.find(b"\r\n", at)
            if line_end < 0:
                if len(buffer) - at > 1024:
                    raise ProtocolError("chunk size line too long")
                break
            size = _chunk_size(bytes(buffer[at:line_end]))
            if size == 0:
                trailers_end = _trailers_end(buffer, line_end + 2)
                if trailers_end < 0:
                    break
                at = trailers_end
                finished = True
                break
            at = line_end + 2
            self.remaining = size
        del buffer[:at]
        if pieces:
            self.decoded(b"".join(pieces))
        if finished:
            self.complete()

    def read_plain(self) -> None:
        if self.remaining == -1:
            data = bytes(self.buffer)
            self.buffer.clear()
        else:
            data = bytes(self.buffer[: self.remaining])
            del self.buffer[: self.remaining]
            self.remaining -= len(data)
        if data:
            self.decoded(data)
        if self.remaining == 0:
            self.complete()

    def decoded(self, data: bytes) -> None:
        """A piece of the body, as the server framed it."""
        answer, endpoint = self.answer, self.endpoint
        assert endpoint is not None
        if answer.first_text is None:
            self.text_window += data
            if endpoint.first_text.search(self.text_window):
                answer.first_text = time.perf_counter()
                self.text_window = b""
        if not answer.seen_end:
            answer.seen_end = endpoint.end in self.carry + data
            self.carry = data[-(len(endpoint.end) - 1) :] if len(endpoint.end) > 1 else b""
        if answer.body is not None:
            answer.body += data

    def complete(self) -> None:
        waiter = self.waiter
        self.waiter = None
        if self.buffer:
            self.answer.keep_alive = False
        if not self.answer.keep_alive:
            self.abort()
        if waiter is not None and not waiter.done():
            waiter.set_result(self.answer)

    def fail(self, exc: Exception) -> None:
        waiter = self.waiter
        self.waiter = None
        self.abort()
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()
            self.transport = None


def _chunk_size(line: bytes) -> int:
    text = line.split(b";", 1)[0].strip()
    try:
        return int(text, 16)
    except ValueError:
        raise ProtocolError(f"malformed chunk size {text[:40]!r}") from None


def _trailers_end(buffer: bytearray, start: int) -> int:
    """Where the body ends after the last chunk's size line, or -1 if not yet in `buffer`."""
    if buffer[start : start + 2] == b"\r\n":
        return start + 2
    end = buffer.find(b"\r\n\r\n", start)
    return end + 4 if end >= 0 else -1


def _headers(lines: Iterable[bytes]) -> Iterable[tuple[bytes, bytes]]:
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon:
            raise ProtocolError(f"malformed header line {line[:80]!r}")
        yield name.strip().lower(), value.strip()


class Session:
    """Kept-alive connections, one per worker, as a long-lived client would hold."""

    def __init__(self) -> None:
        self.idle: dict[tuple[str, int], list[_ClientProtocol]] = {}

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        for connections in self.idle.values():
            for connection in connections:
                connection.abort()
        self.idle.clear()

    async def acquire(self, address: tuple[str, int]) -> _ClientProtocol:
        connections = self.idle.setdefault(address, [])
        while connections:
            connection = connections.pop()
            if not connection.closed:
                return connection
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(_ClientProtocol, *address)
        return protocol

    def release(self, address: tuple[str, int], connection: _ClientProtocol) -> None:
        if not connection.closed:
            self.idle.setdefault(address, []).append(connection)

    async def exchange(self, endpoint: Endpoint, *, keep_body: bool = False) -> Answer:
        """Sends the endpoint's request and reads the answer in full."""
        connection = await self.acquire(endpoint.address)
        try:
            answer = await connection.start(endpoint, keep_body)
        except BaseException:
            connection.abort()
            raise
        self.release(endpoint.address, connection)
        return answer


def new_session(concurrency: int) -> Session:
    """A session for `concurrency` workers (each holds one connection while it streams)."""
    return Session()


async def stream_once(session: Session, endpoint: Endpoint) -> StreamResult:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(STREAM_TIMEOUT):
            answer = await session.exchange(endpoint)
    except (OSError, ProtocolError, TimeoutError) as exc:
        return StreamResult(False, time.perf_counter() - started, None, _describe(exc))
    total = time.perf_counter() - started
    first = answer.first_text - started if answer.first_text is not None else None
    if answer.status != 200:
        return StreamResult(False, total, None, f"HTTP {answer.status}")
    if not answer.seen_end:
        return StreamResult(False, total, first, "stream ended without its end marker")
    return StreamResult(True, total, first)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def fetch(session: Session, endpoint: Endpoint) -> tuple[int, bytes]:
    """The endpoint's status and whole decoded body (for checks, not timings)."""
    async with asyncio.timeout(STREAM_TIMEOUT):
        answer = await session.exchange(endpoint, keep_body=True)
    return answer.status, bytes(answer.body or b"")


async def run_batch(
    session: Session,
    endpoint: Endpoint,
    *,
    concurrency: int,
    count: int,
    time_limit: float,
) -> Batch:
    """`count` streams over `concurrency` workers; no new stream starts after `time_limit`."""
    results: list[StreamResult] = []
    remaining = count
    started = time.perf_counter()
    deadline = started + time_limit

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            results.append(await stream_once(session, endpoint))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Batch(results, time.perf_counter() - started)
