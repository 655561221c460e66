"""The incremental SSE decoder: bytes in arbitrary pieces -> complete events."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.sse import SSEDecoder, SSEEvent


def decode(*pieces: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for piece in pieces:
        events.extend(decoder.feed(piece))
    events.extend(decoder.close())
    return events


def test_one_event_per_blank_line() -> None:
    events = decode(b'data: {"a":1}\n\ndata: [DONE]\n\n')
    assert events == [SSEEvent(None, '{"a":1}'), SSEEvent(None, "[DONE]")]


def test_event_names_and_the_optional_space_after_the_colon() -> None:
    events = decode(b"event: ping\ndata:no-space\n\nevent:x\ndata:  two spaces\n\n")
    assert events == [SSEEvent("ping", "no-space"), SSEEvent("x", " two spaces")]


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert decode(b"data: a\ndata: b\n\n") == [SSEEvent(None, "a\nb")]


def test_a_line_split_mid_line_waits_for_the_rest() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"tex') == []
    assert decoder.feed(b't":"hi"}\n') == []
    assert decoder.feed(b"\n") == [SSEEvent(None, '{"text":"hi"}')]


def test_a_multi_byte_character_split_across_reads() -> None:
    raw = "data: héllo 🙂\n\n".encode()
    cut = raw.index("🙂".encode()) + 2  # inside the 4-byte emoji
    decoder = SSEDecoder()
    assert decoder.feed(raw[:cut]) == []
    assert decoder.feed(raw[cut:]) == [SSEEvent(None, "héllo 🙂")]


def test_crlf_and_lone_cr_line_endings() -> None:
    assert decode(b"data: a\r\n\r\ndata: b\r\rdata: c\n\n") == [
        SSEEvent(None, "a"),
        SSEEvent(None, "b"),
        SSEEvent(None, "c"),
    ]


def test_crlf_split_between_reads_is_one_line_ending() -> None:
    # If the CR were taken as a line end on its own, the LF would end the event early.
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\r\n\r\n") == [SSEEvent(None, "a\nb")]


def test_comments_and_keep_alive_blank_lines_are_ignored() -> None:
    events = decode(b": keep-alive\n\n\n\n: OPENROUTER PROCESSING\n\ndata: x\n\n: ping\n\n")
    assert events == [SSEEvent(None, "x")]


def test_unknown_fields_are_ignored() -> None:
    assert decode(b"id: 7\nretry: 100\ndata: x\n\n") == [SSEEvent(None, "x")]


def test_close_flushes_a_final_event_without_its_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: [DONE]") == []
    assert decoder.close() == [SSEEvent(None, "[DONE]")]


def test_close_on_a_clean_end_yields_nothing() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: x\n\n")
    assert decoder.close() == []


@settings(max_examples=200, deadline=None)
@given(
    payloads=st.lists(
        st.text(alphabet=' ab:é€🙂{}"\\', max_size=20),
        min_size=1,
        max_size=6,
    ),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=10),
    crlf=st.booleans(),
)
def test_any_split_of_the_bytes_gives_the_same_events(
    payloads: list[str], cuts: list[int], crlf: bool
) -> None:
    end = "\r\n" if crlf else "\n"
    raw = "".join(f": c{end}data: {p}{end}{end}" for p in payloads).encode()
    points = sorted({c % (len(raw) + 1) for c in cuts})
    pieces = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    assert decode(*pieces) == [SSEEvent(None, p) for p in payloads]
