"""Responses events to server-sent-event bytes.

The hot path of the whole proxy: a batch of events built from one upstream read becomes
one buffer and one socket write.
"""

from __future__ import annotations

import json
from typing import Any

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def encode_event(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {_encode(event)}\n\n".encode()


def encode_batch(events: list[dict[str, Any]]) -> bytes:
    if len(events) == 1:
        return encode_event(events[0])
    return "".join(f"event: {e['type']}\ndata: {_encode(e)}\n\n" for e in events).encode()
