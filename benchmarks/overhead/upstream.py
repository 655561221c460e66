"""The benchmark's upstream: a lean chat-completions server in its own process.

    python -m benchmarks.overhead.upstream --event-delay 0.005

Every `POST /v1/chat/completions`, whatever its model, gets the same streamed answer:
`TEXT_DELTAS` content deltas, then one `exec_command` tool call (the shape of a typical
Codex turn). Prints `READY http://127.0.0.1:PORT` once listening; serves until SIGTERM.

The answer's bytes are what `examples.mockupstream` sends for that reply: its frames come
from the mock's own renderer, encoded once per request shape (model, body size, usage
wanted) instead of once per request. The server is a bare `asyncio.Protocol` rather than
aiohttp, and it never parses the request's JSON, so that it leaves the CPU to the proxy
it is measuring. It writes the way the mock does: the head on its own, then one write
(one HTTP chunk) per SSE event, then the terminal chunk, with `--event-delay` seconds
before every event.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
from dataclasses import dataclass

from examples.mockupstream import ToolCall, ToolCalls
from examples.mockupstream.chat import render_stream
from examples.mockupstream.replies import usage_for

TEXT_DELTAS = 200
"""Content deltas per answer; the mock streams one per word."""

CHAT_PATH = b"/v1/chat/completions"
MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024
MAX_SHAPES = 64
"""Answers kept encoded; more distinct request shapes than this start the cache afresh."""

_CALL = ToolCall("exec_command", {"cmd": "ls -la", "workdir": "/tmp"}, call_id="call_bench")


def reply(text_deltas: int = TEXT_DELTAS) -> ToolCalls:
    """`text_deltas` words of text (the mock streams one per word), then the tool call."""
    return ToolCalls([_CALL], text="".join(f"word{i} " for i in range(text_deltas)))


REPLY = reply()

# An unescaped `"model":` can only be a key (a quote inside a JSON string is escaped);
# the first one is the top-level key in the chat bodies the proxy and the benchmark send.
_MODEL = re.compile(rb'"model"\s*:\s*"((?:[^"\\]|\\.)*)"')
_INCLUDE_USAGE = re.compile(rb'"include_usage"\s*:\s*true')

_STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/event-stream\r\n"
    b"Cache-Control: no-cache\r\n"
    b"Transfer-Encoding: chunked\r\n"
    b"\r\n"
)
_LAST_CHUNK = b"0\r\n\r\n"


def answer_frames(
    model: str, prompt_chars: int, include_usage: bool, answer: ToolCalls = REPLY
) -> list[bytes]:
    """The mock's SSE frames (one event each) for the benchmark's reply."""
    usage = usage_for(answer, prompt_chars)
    return render_stream(answer, model, usage, include_usage)


def as_chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


_shapes: dict[tuple[bytes, int, bool, int], tuple[bytes, ...]] = {}


def encoded_answer(body: bytes, answer: ToolCalls = REPLY) -> tuple[bytes, ...] | None:
    """The answer to `body` as HTTP chunks, or None if it names no model."""
    found = _MODEL.search(body)
    if found is None:
        return None
    include_usage = _INCLUDE_USAGE.search(body) is not None
    key = (found.group(1), len(body), include_usage, id(answer))
    chunks = _shapes.get(key)
    if chunks is None:
        model = json.loads(b'"' + found.group(1) + b'"')
        frames = answer_frames(model, len(body), include_usage, answer)
        chunks = tuple(as_chunk(frame) for frame in frames)
        if len(_shapes) >= MAX_SHAPES:
            _shapes.clear()
        _shapes[key] = chunks
    return chunks


def error_response(status: int, reason: str, message: str, *, close: bool) -> bytes:
    body = json.dumps({"error": {"type": "invalid_request_error", "message": message}}).encode()
    connection = b"Connection: close\r\n" if close else b""
    return b"HTTP/1.1 %d %b\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%b\r\n%b" % (
        status,
        reason.encode(),
        len(body),
        connection,
        body,
    )


@dataclass(frozen=True)
class Head:
    method: bytes
    path: bytes
    content_length: int
    keep_alive: bool


class BadRequest(ValueError):
    pass


def parse_head(head: bytes) -> Head:
    """The request line and the headers this server needs (`head` excludes the blank line)."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or parts[2] not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise BadRequest("malformed request line")
    method, target, version = parts
    keep_alive = version == b"HTTP/1.1"
    content_length = 0
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise BadRequest("malformed header line")
        name = name.lower()
        value = value.strip()
        if name == b"content-length":
            if not value.isdigit():
                raise BadRequest("malformed Content-Length")
            content_length = int(value)
        elif name == b"transfer-encoding":
            raise BadRequest("request bodies must come with a Content-Length")
        elif name == b"connection":
            token = value.lower()
            keep_alive = token == b"keep-alive" or (keep_alive and token != b"close")
    if content_length > MAX_BODY:
        raise BadRequest("request body too large")
    path = target.partition(b"?")[0]
    return Head(method, path, content_length, keep_alive)


class UpstreamProtocol(asyncio.Protocol):
    """One client connection: requests one after another, each answered in full."""

    def __init__(self, event_delay: float, answer: ToolCalls = REPLY) -> None:
        self.event_delay = event_delay
        self.scripted = answer
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.head: Head | None = None
        self.chunks: tuple[bytes, ...] = ()
        self.sent = 0
        """Chunks of the answer in progress already written (`chunks` empty: none)."""
        self.keep_alive = True
        self.paused = False
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.chunks = ()
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if self.chunks and self.timer is None:
            self.schedule()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        # A request sent while an answer is still going out waits for its end.
        if not self.chunks:
            self.handle_buffer()

    def handle_buffer(self) -> None:
        transport = self.transport
        if transport is None:
            return
        if self.head is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD:
                    self.refuse(400, "Bad Request", "request head too large")
                return
            try:
                self.head = parse_head(bytes(self.buffer[:end]))
            except BadRequest as exc:
                self.refuse(400, "Bad Request", str(exc))
                return
            del self.buffer[: end + 4]
        head = self.head
        if len(self.buffer) < head.content_length:
            return
        body = bytes(self.buffer[: head.content_length])
        del self.buffer[: head.content_length]
        self.head = None
        self.keep_alive = head.keep_alive
        self.answer(head, body)

    def answer(self, head: Head, body: bytes) -> None:
        if head.path != CHAT_PATH:
            self.reply(error_response(404, "Not Found", "no such path", close=not self.keep_alive))
        elif head.method != b"POST":
            self.reply(
                error_response(405, "Method Not Allowed", "POST only", close=not self.keep_alive)
            )
        else:
            chunks = encoded_answer(body, self.scripted)
            if chunks is None:
                self.refuse(400, "Bad Request", "the request body names no model")
                return
            self.start_stream(chunks)

    def refuse(self, status: int, reason: str, message: str) -> None:
        """An answer after which the connection cannot be trusted to stay in step."""
        self.keep_alive = False
        self.reply(error_response(status, reason, message, close=True))

    def reply(self, response: bytes) -> None:
        assert self.transport is not None
        self.transport.write(response)
        self.finish()

    def start_stream(self, chunks: tuple[bytes, ...]) -> None:
        assert self.transport is not None
        self.transport.write(_STREAM_HEAD)
        self.chunks = chunks
        self.sent = 0
        self.schedule()

    def schedule(self) -> None:
        if self.event_delay > 0:
            loop = asyncio.get_running_loop()
            self.timer = loop.call_later(self.event_delay, self.send_paced)
        else:
            self.send_unpaced()

    def send_unpaced(self) -> None:
        transport, chunks = self.transport, self.chunks
        assert transport is not None
        sent = self.sent
        while sent < len(chunks) and not self.paused:
            transport.write(chunks[sent])
            sent += 1
        self.sent = sent
        if sent == len(chunks):
            self.end_stream()

    def send_paced(self) -> None:
        self.timer = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.write(self.chunks[self.sent])
        self.sent += 1
        if self.sent == len(self.chunks):
            self.end_stream()
        elif not self.paused:
            self.schedule()

    def end_stream(self) -> None:
        assert self.transport is not None
        self.transport.write(_LAST_CHUNK)
        self.chunks = ()
        self.finish()

    def finish(self) -> None:
        """After a complete answer: close, or serve the next request if it has arrived."""
        assert self.transport is not None
        if not self.keep_alive:
            self.transport.close()
            self.transport = None
        elif self.buffer:
            self.handle_buffer()


async def serve(port: int, event_delay: float, answer: ToolCalls = REPLY) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: UpstreamProtocol(event_delay, answer), "127.0.0.1", port
    )


async def _serve(port: int, event_delay: float, text_deltas: int) -> None:
    server = await serve(port, event_delay, reply(text_deltas))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    bound = server.sockets[0].getsockname()[1]
    async with server:
        print(f"READY http://127.0.0.1:{bound}", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overhead.upstream")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--event-delay", type=float, default=0.0, help="seconds per event")
    parser.add_argument("--text-deltas", type=int, default=TEXT_DELTAS, help="words of text")
    args = parser.parse_args()
    asyncio.run(_serve(args.port, args.event_delay, args.text_deltas))


if __name__ == "__main__":
    main()
