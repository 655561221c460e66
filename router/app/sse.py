"""Responses events to server-sent-event bytes.

The hot path of the whole proxy: the events built from one upstream read become one
buffer and one socket write. Every write is a syscall and wakes the client; a burst (a
fast model) arrives in a handful of reads, so a 200-delta answer costs a handful of
writes, not 200.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

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
