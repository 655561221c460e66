"""Fuzz: any byte stream from a native Responses upstream, relayed to Codex.

The relay passes the upstream's events on instead of building its own, so what it must
guarantee is narrower than a translator's and checked here over arbitrary streams
(plausible events, perturbed ones, garbage, cut reads, dropped connections): no
exception escapes, the output is valid UTF-8 SSE, it ends with exactly one terminal event
whose response has an id (and a code and message when failed), every event has an
integer sequence number, and reasoning content only ever leaves sealed for its origin.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import Target
from adapters.responses.adapter import ResponsesAdapter
from adapters.responses.objects import TERMINAL_EVENTS
from adapters.sse import encode_responses
from adapters.transport import UpstreamClient
from tests.reliability.stream_strategies import garbage, noise, wire, words
from tests.reliability.test_fuzz_streams import Played

TARGET = Target(slug="m", kind="responses", model="m", base_url="http://upstream.test/v1")
ORIGIN = "upstream.test"

_item = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("reasoning"), "id": st.just("rs_1"), "summary": st.just([])},
        optional={"encrypted_content": st.one_of(st.none(), words, st.just(""))},
    ),
    st.fixed_dictionaries(
        {"type": st.just("message"), "id": st.just("msg_1"), "role": st.just("assistant")},
        optional={"content": st.just([{"type": "output_text", "text": "hi"}])},
    ),
    st.fixed_dictionaries(
        {"type": st.just("function_call"), "call_id": st.just("c1"), "name": words},
        optional={"arguments": words},
    ),
)
_response = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.just("resp_1"), st.just(""), st.none()),
        "status": st.sampled_from(["in_progress", "completed", "failed", "incomplete"]),
        "output": st.lists(_item, max_size=3),
        "usage": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {},
                optional={
                    "input_tokens": st.integers(-5, 10**6),
                    "output_tokens": st.integers(0, 99),
                },
            ),
        ),
        "error": st.one_of(st.none(), st.fixed_dictionaries({"code": words, "message": words})),
    },
)
_event = st.one_of(
    st.builds(lambda r: {"type": "response.created", "response": r}, _response),
    st.builds(lambda i: {"type": "response.output_item.added", "output_index": 0, "item": i}, _item),
    st.builds(lambda i: {"type": "response.output_item.done", "output_index": 0, "item": i}, _item),
    st.builds(lambda d: {"type": "response.output_text.delta", "item_id": "msg_1", "delta": d}, words),
    st.builds(lambda r: {"type": "response.completed", "response": r}, _response),
    st.builds(lambda r: {"type": "response.failed", "response": r}, _response),
    st.builds(lambda r: {"type": "response.incomplete", "response": r}, _response),
    st.builds(lambda c, m: {"type": "error", "code": c, "message": m}, words, words),
    st.sampled_from(["response.completed", "response.failed"]).map(lambda kind: {"type": kind}),
).flatmap(
    lambda event: st.one_of(
        st.just(event),
        st.builds(lambda seq: {**event, "sequence_number": seq}, st.integers(0, 50)),
    )
)  # fmt: skip


@st.composite
def responses_frames(draw: st.DrawFn) -> list[list[str]]:
    frames = []
    for event in draw(st.lists(_event, max_size=20)):
        named = [f"event: {event['type']}"] if draw(st.booleans()) else []
        body = (
            {k: v for k, v in event.items() if k != "type"}
            if named and draw(st.booleans())
            else event
        )
        frames.append([*draw(st.lists(noise, max_size=1)), *named, "data: " + json.dumps(body)])
        if draw(st.integers(0, 14)) == 0:
            frames.append([draw(garbage)])
    return frames


async def relayed(played: Any) -> list[dict[str, Any]]:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=Played(played)
        )
    )
    out = b""
    async with UpstreamClient(transport) as client:
        events = await ResponsesAdapter(client).stream({"model": "m", "input": "hi"}, TARGET)
        try:
            async for batch in events:
                out += encode_responses(batch)
        finally:
            await events.aclose()  # type: ignore[attr-defined]
    decoded = []
    for frame in out.decode("utf-8").split("\n\n"):
        if frame:
            name, data = frame.split("\n")
            event = json.loads(data.removeprefix("data: "))
            assert name == f"event: {event['type']}"
            decoded.append(event)
    return decoded


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
@given(played=wire(responses_frames()))
def test_any_responses_stream_is_relayed_well_formed(played: Any) -> None:
    events = asyncio.run(relayed(played))
    terminals = [e for e in events if e["type"] in TERMINAL_EVENTS]
    assert len(terminals) == 1 and terminals[0] is events[-1]
    response = events[-1]["response"]
    assert isinstance(response["id"], str) and response["id"]
    assert response["model"] == "m"
    if events[-1]["type"] == "response.failed":
        assert response["error"]["code"] and response["error"]["message"]
    for event in events:
        assert isinstance(event["sequence_number"], int)
        assert event["type"] != "error"
        items = [event.get("item"), *((event.get("response") or {}).get("output") or [])]
        for item in items:
            if (
                isinstance(item, dict)
                and item.get("type") == "reasoning"
                and item.get("encrypted_content")
            ):
                assert item["encrypted_content"].startswith(f"responses.v1:{ORIGIN}|")
