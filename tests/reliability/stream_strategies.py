"""Hypothesis strategies for upstream SSE streams, as the bytes a socket delivers.

A stream is a list of frames in the upstream's dialect (chat-completions chunks or
Anthropic Messages events), mostly well-formed, sometimes odd or garbage, framed with
one kind of line ending, sprinkled with comments, keep-alive pings, blank lines and
other SSE fields, encoded to bytes (lone surrogates pass through as invalid UTF-8), cut
into reads at arbitrary byte offsets, and ended by a close or a transport error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from hypothesis import strategies as st

from tests.reliability.strategies import json_values, odd, perturbed

_words = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12)
words = st.one_of(
    _words,
    st.sampled_from(["<think>", "</think>", "<thi", "nk>", "😀", "\ud83d", "\ude00", "\r\n", ""]),
)
call_ids = st.sampled_from(["call_1", "call_2", "toolu_1"])
tool_names = st.sampled_from(["exec_command", "apply_patch", "multi_agent_v1__spawn_agent", "x"])
usage = st.fixed_dictionaries(
    {"prompt_tokens": st.integers(0, 10**6), "completion_tokens": st.integers(0, 10**6)}
)


def _choice(delta: dict[str, Any], finish: Any = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


chat_chunk = st.one_of(
    st.just(_choice({"role": "assistant", "content": ""})),
    st.builds(lambda t: _choice({"content": t}), words),
    st.builds(lambda t: _choice({"reasoning_content": t}), words),
    st.builds(lambda t: _choice({"reasoning": t}), words),
    st.builds(
        lambda index, call_id, name, args: _choice(
            {
                "tool_calls": [
                    {
                        "index": index,
                        **({"id": call_id} if call_id else {}),
                        "type": "function",
                        "function": {**({"name": name} if name else {}), "arguments": args},
                    }
                ]
            }
        ),
        st.integers(0, 2),
        st.none() | call_ids,
        st.none() | tool_names,
        st.sampled_from(['{"cmd":', '"ls"}', '{"input": "*** Begin', "}", ""]) | words,
    ),
    st.builds(
        lambda reason: _choice({}, reason),
        st.sampled_from(["stop", "length", "tool_calls", "content_filter", "function_call"])
        | _words,
    ),
    st.builds(lambda u: {"choices": [], "usage": u}, usage),
    st.builds(
        lambda message, kind: {"error": {"message": message, "type": kind}},
        words,
        st.sampled_from(["rate_limit_exceeded", "server_error", "context_length_exceeded"]),
    ),
).flatmap(lambda chunk: st.one_of(st.just(chunk), perturbed(chunk)))


def _anthropic(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
    return kind, {"type": kind, **fields}


_block = st.one_of(
    st.just({"type": "text", "text": ""}),
    st.just({"type": "thinking", "thinking": "", "signature": ""}),
    st.just({"type": "redacted_thinking", "data": "abc"}),
    st.builds(
        lambda call_id, name: {"type": "tool_use", "id": call_id, "name": name, "input": {}},
        call_ids,
        tool_names,
    ),
    st.just({"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}}),
)
_delta = st.one_of(
    st.builds(lambda t: {"type": "text_delta", "text": t}, words),
    st.builds(lambda t: {"type": "thinking_delta", "thinking": t}, words),
    st.builds(lambda t: {"type": "signature_delta", "signature": t}, words),
    st.builds(
        lambda t: {"type": "input_json_delta", "partial_json": t},
        st.sampled_from(['{"cmd":', '"ls"}', '{"input":"x"}', "{"]) | words,
    ),
)
anthropic_event = st.one_of(
    st.just(
        _anthropic(
            "message_start",
            message={"id": "msg_1", "role": "assistant", "usage": {"input_tokens": 5}},
        )
    ),
    st.builds(
        lambda index, block: _anthropic("content_block_start", index=index, content_block=block),
        st.integers(0, 3),
        _block,
    ),
    st.builds(
        lambda index, delta: _anthropic("content_block_delta", index=index, delta=delta),
        st.integers(0, 3),
        _delta,
    ),
    st.builds(lambda index: _anthropic("content_block_stop", index=index), st.integers(0, 3)),
    st.builds(
        lambda reason, out: _anthropic(
            "message_delta", delta={"stop_reason": reason}, usage={"output_tokens": out}
        ),
        st.sampled_from(["end_turn", "max_tokens", "tool_use", "refusal", "pause_turn"]) | _words,
        st.integers(0, 10**6),
    ),
    st.just(_anthropic("message_stop")),
    st.just(_anthropic("ping")),
    st.builds(
        lambda kind, message: _anthropic("error", error={"type": kind, "message": message}),
        st.sampled_from(["overloaded_error", "api_error", "rate_limit_error"]),
        words,
    ),
).flatmap(
    lambda event: st.one_of(st.just(event), perturbed(event[1]).map(lambda data: (event[0], data)))
)


def _data(value: Any, ascii_only: bool) -> str:
    return "data: " + json.dumps(value, ensure_ascii=ascii_only)


noise = st.sampled_from([": keep-alive", ":", "", "retry: 1000", "id: 7", "event: ping", "x"])
garbage = st.one_of(
    st.just("data: {this is not json"),
    st.just("data:"),
    st.just("data: [DONE]"),
    st.builds(lambda v: _data(v, True), json_values | odd),
)


@st.composite
def chat_frames(draw: st.DrawFn) -> list[list[str]]:
    """Chat-completions frames (each a list of lines), usually ending in `[DONE]`."""
    ascii_only = draw(st.booleans())
    frames = []
    for chunk in draw(st.lists(chat_chunk, max_size=25)):
        frames.append([*draw(st.lists(noise, max_size=1)), _data(chunk, ascii_only)])
        if draw(st.integers(0, 19)) == 0:
            frames.append([draw(garbage)])
    if draw(st.integers(0, 3)):
        frames.append(["data: [DONE]"])
    return frames


@st.composite
def anthropic_frames(draw: st.DrawFn) -> list[list[str]]:
    """Anthropic frames (`event:` then `data:`), usually a plausible message."""
    ascii_only = draw(st.booleans())
    frames = []
    for kind, data in draw(st.lists(anthropic_event, max_size=25)):
        frames.append(
            [*draw(st.lists(noise, max_size=1)), f"event: {kind}", _data(data, ascii_only)]
        )
        if draw(st.integers(0, 19)) == 0:
            frames.append([draw(garbage)])
    return frames


@dataclass(frozen=True)
class Wire:
    """A stream as the socket delivers it."""

    reads: list[bytes]
    error: type[httpx.TransportError] | None
    """Raised after the last read instead of a clean end of stream."""


@st.composite
def wire(draw: st.DrawFn, frames: st.SearchStrategy[list[list[str]]]) -> Wire:
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = "".join(newline.join(lines) + newline + newline for lines in draw(frames))
    raw = text.encode("utf-8", "surrogatepass")
    cuts = sorted(draw(st.sets(st.integers(0, max(len(raw), 1)), max_size=12)))
    reads = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    error = draw(st.sampled_from([None, None, httpx.ReadError, httpx.ReadTimeout]))
    return Wire([read for read in reads if read], error)
