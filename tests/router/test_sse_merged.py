"""`router.sse.merged`: batches joined while a write is in flight, order and errors kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from router.sse import MAX_MERGED_BATCHES, merged


def _event(n: int) -> dict[str, Any]:
    return {"type": "response.output_text.delta", "sequence_number": n}


async def _burst(count: int) -> AsyncIterator[list[dict[str, Any]]]:
    # No await between batches: all of them are ready before the consumer runs.
    for n in range(count):
        yield [_event(n)]


async def test_a_burst_is_joined_in_order_and_bounded() -> None:
    out = [batch async for batch in merged(_burst(40))]
    flat = [e["sequence_number"] for batch in out for e in batch]
    assert flat == list(range(40))
    assert len(out) < 40
    assert max(len(batch) for batch in out) <= MAX_MERGED_BATCHES + 1


async def test_paced_batches_are_not_held_back() -> None:
    async def paced() -> AsyncIterator[list[dict[str, Any]]]:
        for n in range(3):
            await asyncio.sleep(0.01)
            yield [_event(n)]

    out = [batch async for batch in merged(paced())]
    assert [[e["sequence_number"] for e in batch] for batch in out] == [[0], [1], [2]]


async def test_an_error_comes_after_the_events_before_it() -> None:
    async def failing() -> AsyncIterator[list[dict[str, Any]]]:
        yield [_event(0)]
        yield []
        yield [_event(1)]
        raise ValueError("translator bug")

    seen: list[int] = []
    with pytest.raises(ValueError, match="translator bug"):
        async for batch in merged(failing()):
            seen.extend(e["sequence_number"] for e in batch)
    assert seen == [0, 1]


async def test_closing_early_stops_reading_the_upstream() -> None:
    closed = asyncio.Event()

    async def endless() -> AsyncIterator[list[dict[str, Any]]]:
        n = 0
        try:
            while True:
                await asyncio.sleep(0)
                yield [_event(n)]
                n += 1
        finally:
            closed.set()

    stream = merged(endless())
    first = await anext(stream)
    assert first[0]["sequence_number"] == 0
    await stream.aclose()
    assert closed.is_set()
