"""The soak's upstream, in a process of its own: the shared mock, misbehaving on demand.

    python -m benchmarks.soak.upstream

prints `READY <mock port> <blackhole port>` and serves until SIGTERM. Every model except
the classifier answers as a candidate: it reads the request's fault marker (see
`benchmarks.soak.faults`) and plays that fault on the first attempt for the request,
a normal answer on any later one (the proxy's fallback). `GET /_soak/stats` reports what
was injected and what is still open.

Idle keep-alive connections are closed after `KEEPALIVE_SECONDS`, as many real servers
do, so once the load is over any socket the proxy still holds open to us carries a
request nobody finished: a leak.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
from collections import Counter
from typing import Any

from aiohttp import web

from benchmarks.soak.faults import Fault, find_marker
from examples.mockupstream import (
    CutStream,
    HttpError,
    Malformed,
    MockUpstream,
    Reply,
    Slow,
    Stall,
    Text,
    classifier_handler,
)
from examples.mockupstream.listeners import Blackhole

CLASSIFIER_MODEL = "mock-classifier"
KEEPALIVE_SECONDS = 2.0
HANG_SECONDS = 60.0
"""How long a `hang` waits before its status line: far beyond any first-byte timeout."""
STALL_SECONDS = 60.0
"""How long a `stall` goes silent mid-stream: far beyond any idle timeout."""
SLOW_DELAY = 0.04
"""Seconds before every event of a `slow` trickle (a reply of 60 words takes ~2.5 s)."""
_POLL = 0.05
_KEEP_RECORDS = 500
"""The mock records every request; the soak needs none of them, so they are dropped."""

_WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "the",
    "proxy",
    "routes",
    "every",
    "task",
]


def _replies(seed: int) -> list[Text]:
    """A few answers of 10 to 60 words, built once: the mock caches their frames."""
    rng = random.Random(seed)
    return [Text(" ".join(rng.choices(_WORDS, k=rng.randint(10, 60)))) for _ in range(16)]


class FaultyUpstream:
    def __init__(self, mock: MockUpstream, seed: int = 7) -> None:
        self.mock = mock
        self.injected: Counter[str] = Counter()
        self.hanging = 0
        self._answered: set[str] = set()
        self._hung: set[str] = set()
        self._rng = random.Random(seed)
        self._replies = _replies(seed)
        mock.on(CLASSIFIER_MODEL, classifier_handler)
        mock.on("*", self.reply)

    def reply(self, body: dict[str, Any]) -> Reply:
        """A candidate's answer: the request's fault on its first attempt, else text."""
        if len(self.mock.requests) > _KEEP_RECORDS:
            self.mock.requests.clear()
        text = self._rng.choice(self._replies)
        messages = body.get("messages") or [{}]
        found = find_marker(json.dumps(messages[-1]))
        if found is None:
            return text
        fault, token = found
        if token in self._answered:
            return text
        self._answered.add(token)
        return self._faulty(fault, text)

    def _faulty(self, fault: Fault, text: Text) -> Reply:
        after = self._rng.randint(1, 8)
        replies: dict[Fault, Reply] = {
            Fault.RATE_LIMIT: HttpError(
                429, {"error": {"type": "rate_limit_error", "message": "Rate limit reached"}}
            ),
            Fault.SERVER_ERROR: HttpError(
                500, {"error": {"type": "server_error", "message": "The server had an error"}}
            ),
            Fault.STALL: Stall(text, after_events=after, seconds=STALL_SECONDS),
            Fault.CUT: CutStream(text, after_events=after),
            Fault.MALFORMED: Malformed(text, after_events=after),
            Fault.SLOW: Slow(text, delay_per_event=SLOW_DELAY),
        }
        if fault in replies:
            self.injected[fault.value] += 1
            return replies[fault]
        # `hang` was played by the middleware; `connect` never reaches us on purpose.
        return text

    @web.middleware
    async def hang_first_attempt(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Say nothing at all, not even a status line, to a `hang` request's first attempt."""
        if request.method != "POST":
            return await handler(request)
        raw = await request.read()
        if b"[soak:hang:" not in raw:
            return await handler(request)
        body = json.loads(raw)
        found = find_marker(json.dumps((body.get("messages") or [{}])[-1]))
        if body.get("model") == CLASSIFIER_MODEL or found is None or found[1] in self._hung:
            return await handler(request)
        self._hung.add(found[1])
        self.injected[Fault.FIRST_BYTE_HANG.value] += 1
        self.hanging += 1
        try:
            await _until_gone(request, HANG_SECONDS)
        finally:
            self.hanging -= 1
        return web.Response(status=503)

    async def stats(self, request: web.Request) -> web.Response:
        mock = self.mock
        return web.json_response(
            {
                "open_streams": mock.open_streams,
                "hanging": self.hanging,
                "streams_completed": mock.streams_completed,
                "disconnects": mock.disconnects,
                "injected": dict(self.injected),
            }
        )

    def make_app(self) -> web.Application:
        app = self.mock.make_app()
        app.middlewares.append(self.hang_first_attempt)
        app.router.add_get("/_soak/stats", self.stats)
        return app


async def _until_gone(request: web.Request, seconds: float) -> None:
    """Wait `seconds`, or less if the client hangs up first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(_POLL)


async def _serve(port: int, keepalive: float) -> None:
    upstream = FaultyUpstream(MockUpstream())
    runner = web.AppRunner(
        upstream.make_app(),
        access_log=None,
        keepalive_timeout=keepalive,
        shutdown_timeout=1.0,
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = int(runner.addresses[0][1])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with Blackhole() as hole:
        print(f"READY {bound} {hole.port}", flush=True)
        await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak.upstream")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--keepalive", type=float, default=KEEPALIVE_SECONDS)
    args = parser.parse_args()
    asyncio.run(_serve(args.port, args.keepalive))


if __name__ == "__main__":
    main()
