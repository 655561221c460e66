"""Responses events to server-sent-event bytes.

The hot path of the whole proxy: the events built from upstream reads become one buffer
and one socket write. When the upstream answers in bursts (several reads' worth arrives
while one write is in flight, the usual case for a fast model), `merged` joins those
batches, so a 200-delta stream costs a handful of writes instead of 200: every write is a
syscall and wakes the client.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import orjson

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

MAX_MERGED_BATCHES = 16
"""At most this many upstream reads wait for one write. It bounds how long the first
events of a burst wait for the rest of it, and how far reading runs ahead of a slow
client before it stops reading the upstream."""

_END = object()


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def encode_event(event: dict[str, Any]) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (_utf8(event["type"]), _json(event))


def encode_batch(events: list[dict[str, Any]]) -> bytes:
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
        return b"".join([encode_event(event) for event in events])


def _json(event: dict[str, Any]) -> bytes:
    """Compact JSON, non-ASCII as UTF-8, the stdlib's bytes but for two details: a float
    written without an exponent (0.00001, not 1e-05) and NaN as null (valid JSON).
    orjson takes a tenth of the stdlib's time; what it refuses (a lone surrogate, an
    integer beyond 64 bits, a non-string key) goes through the stdlib."""
    try:
        return orjson.dumps(event)
    except orjson.JSONEncodeError:
        return _utf8(_encode(event))


def _utf8(text: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError:
        # An upstream's JSON may carry a lone UTF-16 surrogate ("\ud83d": half an emoji
        # split across two chunks, or an escaped error message). UTF-8 has no form for
        # it and Codex needs valid UTF-8, so it becomes U+FFFD.
        return _LONE_SURROGATE.sub("\ufffd", text).encode()


async def merged(
    batches: AsyncIterator[list[dict[str, Any]]],
) -> AsyncGenerator[list[dict[str, Any]], None]:
    """`batches`, read in a task of their own; each yield joins every batch that arrived
    while the previous one was being written. An error from `batches` is raised after
    the events that came before it. Close this generator before closing `batches`."""
    queue: asyncio.Queue[Any] = asyncio.Queue(MAX_MERGED_BATCHES)

    async def pump() -> None:
        try:
            async for batch in batches:
                if batch:
                    await queue.put(batch)
        except Exception as exc:
            await queue.put(exc)
        else:
            await queue.put(_END)

    reader = asyncio.create_task(pump())
    try:
        while True:
            item = await queue.get()
            out: list[dict[str, Any]] = []
            while isinstance(item, list):
                out.extend(item)
                item = None if queue.empty() else queue.get_nowait()
            if out:
                yield out
            if item is _END:
                return
            if isinstance(item, Exception):
                raise item
    finally:
        reader.cancel()
        # Waits for the reader to unwind (closing the upstream) without raising its
        # CancelledError here; a cancellation of this task itself still goes through.
        await asyncio.wait([reader])
