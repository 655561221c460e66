"""The load generator: streams one request at a time per worker and times it.

Both sides are read the same cheap way (raw chunks, a byte search for the first text
delta and one for the end marker), so the client's own cost is the same whether it
talks to the proxy or to the mock directly and cancels out of the difference.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

import aiohttp

STREAM_TIMEOUT = 60.0
"""Seconds one stream may take before it counts as an error (a run must always end)."""


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


def new_session(concurrency: int) -> aiohttp.ClientSession:
    # One kept-alive connection per worker, as a long-lived client would hold.
    connector = aiohttp.TCPConnector(limit=max(concurrency, 1), force_close=False)
    return aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=STREAM_TIMEOUT)
    )


async def stream_once(session: aiohttp.ClientSession, endpoint: Endpoint) -> StreamResult:
    started = time.perf_counter()
    first: float | None = None
    head = b""
    seen_end = False
    carry = b""
    keep = len(endpoint.end) - 1
    try:
        async with session.post(endpoint.url, data=endpoint.body, headers=endpoint.headers) as resp:
            if resp.status != 200:
                await resp.read()
                return StreamResult(
                    False, time.perf_counter() - started, None, f"HTTP {resp.status}"
                )
            async for chunk in resp.content.iter_any():
                if first is None:
                    head += chunk
                    if endpoint.first_text.search(head):
                        first = time.perf_counter() - started
                        head = b""
                if not seen_end:
                    # The marker may straddle two reads.
                    seen_end = endpoint.end in carry + chunk
                    carry = chunk[-keep:]
        total = time.perf_counter() - started
    except (aiohttp.ClientError, TimeoutError) as exc:
        return StreamResult(False, time.perf_counter() - started, first, type(exc).__name__)
    if not seen_end:
        return StreamResult(False, total, first, "stream ended without its end marker")
    return StreamResult(True, total, first)


async def run_batch(
    session: aiohttp.ClientSession,
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
