"""`adapters.sse.encode_responses` (orjson) against the stdlib encoding it replaced."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.sse import encode_named, encode_responses


def encode_event(event: dict[str, Any]) -> bytes:
    return encode_named([(event["type"], event)])


_stdlib = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def stdlib_frames(events: list[dict[str, Any]]) -> bytes:
    """The encoding before orjson (lone surrogates excepted: see below)."""
    return "".join(f"event: {e['type']}\ndata: {_stdlib(e)}\n\n" for e in events).encode()


# Any JSON value an event may carry, but floats: orjson writes 1e-05 as 0.00001, the
# same number, so those are compared as parsed JSON below.
_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
_events = st.builds(
    lambda type_, fields: {"type": type_, **fields},
    st.sampled_from(["response.output_text.delta", "response.completed"]),
    # Every event has a string type; the other fields may be anything.
    st.dictionaries(st.text(min_size=1).filter(lambda key: key != "type"), _values, max_size=5),
)


@given(st.lists(_events, min_size=1, max_size=5))
def test_the_bytes_are_those_of_the_stdlib_encoding(events: list[dict[str, Any]]) -> None:
    assert encode_responses(events) == stdlib_frames(events)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_keep_their_value(value: float) -> None:
    frame = encode_event({"type": "t", "x": value})
    assert json.loads(frame.split(b"data: ", 1)[1])["x"] == value


def test_what_orjson_refuses_still_encodes() -> None:
    big = {"type": "t", "n": 2**70, "text": "ok"}
    assert encode_event(big) == stdlib_frames([big])
    keyed = {"type": "t", "usage": {1: 2}}
    assert encode_event(keyed) == stdlib_frames([keyed])
    # A lone surrogate has no UTF-8 form: U+FFFD, in the data and in the event name.
    half = {"type": "t\ud83d", "delta": "a\ud83d"}
    assert (
        encode_event(half)
        == 'event: t\ufffd\ndata: {"type":"t\ufffd","delta":"a\ufffd"}\n\n'.encode()
    )
