"""The mock upstreams speak each API well enough for the official SDKs, and do as scripted."""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from anthropic import AsyncAnthropic
from openai import APIConnectionError, AsyncOpenAI, RateLimitError

from examples.mockupstream import (
    CutStream,
    HttpError,
    Malformed,
    MockUpstream,
    Slow,
    Stall,
    Text,
    ToolCall,
    ToolCalls,
    Usage,
    classifier_handler,
)
from router.routing.auto.classifier import CardedCandidate, assign_labels, build_request

REPO_ROOT = Path(__file__).resolve().parents[1]
PATCH = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n"
USER: Any = [{"role": "user", "content": "hi"}]


def openai_client(mock: MockUpstream) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=mock.base_url, api_key="x", max_retries=0)


def anthropic_client(mock: MockUpstream) -> AsyncAnthropic:
    return AsyncAnthropic(base_url=mock.anthropic_base_url, api_key="x", max_retries=0)


async def chat_chunks(mock: MockUpstream, model: str, **kwargs: Any) -> list[Any]:
    stream = await openai_client(mock).chat.completions.create(
        model=model, messages=USER, stream=True, **kwargs
    )
    return [chunk async for chunk in stream]


async def sse_lines(mock: MockUpstream, path: str, body: dict[str, Any]) -> list[str]:
    async with (
        httpx.AsyncClient() as client,
        client.stream("POST", f"{mock.root_url}{path}", json=body) as response,
    ):
        return [line async for line in response.aiter_lines()]


def sse_events(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in lines if line.startswith("data: {")]


# -- chat completions ---------------------------------------------------------------------


async def test_chat_stream_parses_with_the_openai_sdk(mock_upstream: MockUpstream) -> None:
    mock_upstream.script(
        "gpt-x",
        Text("Hello there, world", reasoning="thinking it over", usage=Usage(50, 20, 7, 3)),
    )
    chunks = await chat_chunks(mock_upstream, "gpt-x", stream_options={"include_usage": True})

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    reasoning = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content", "")
        for c in chunks
        if c.choices
    )
    assert text == "Hello there, world"
    assert reasoning == "thinking it over"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (50, 7)
    assert last.usage.prompt_tokens_details is not None
    assert last.usage.prompt_tokens_details.cached_tokens == 20


async def test_chat_stream_without_include_usage_has_no_usage_chunk(
    mock_upstream: MockUpstream,
) -> None:
    chunks = await chat_chunks(mock_upstream, "gpt-x")
    assert all(c.choices for c in chunks)
    assert all(c.usage is None for c in chunks)


async def test_text_is_split_into_the_requested_number_of_deltas(
    mock_upstream: MockUpstream,
) -> None:
    text = "x" * 1000
    mock_upstream.script("gpt-x", Text(text, chunks=200))
    chunks = await chat_chunks(mock_upstream, "gpt-x")
    deltas = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(deltas) == 200
    assert "".join(deltas) == text


async def test_chat_parallel_tool_calls_accumulate_in_the_sdk(mock_upstream: MockUpstream) -> None:
    mock_upstream.script(
        "gpt-x",
        ToolCalls(
            [
                ToolCall("exec_command", {"cmd": "ls -la"}, call_id="call_a"),
                ToolCall("apply_patch", {"input": PATCH}),
            ],
            text="Working on it.",
        ),
    )
    chunks = await chat_chunks(mock_upstream, "gpt-x")

    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for delta in chunk.choices[0].delta.tool_calls or []:
            call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            call["id"] += delta.id or ""
            assert delta.function is not None
            call["name"] += delta.function.name or ""
            call["arguments"] += delta.function.arguments or ""
    assert calls[0]["id"] == "call_a"
    assert calls[0]["name"] == "exec_command"
    assert json.loads(calls[0]["arguments"]) == {"cmd": "ls -la"}
    assert calls[1]["name"] == "apply_patch"
    assert json.loads(calls[1]["arguments"]) == {"input": PATCH}
    assert calls[1]["id"].startswith("call_")
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_chat_without_streaming_returns_one_completion(mock_upstream: MockUpstream) -> None:
    mock_upstream.script("gpt-x", ToolCall("exec_command", {"cmd": "pwd"}))
    completion = await openai_client(mock_upstream).chat.completions.create(
        model="gpt-x", messages=USER
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    assert choice.message.tool_calls[0].function.name == "exec_command"  # type: ignore[union-attr]
    assert completion.usage is not None and completion.usage.prompt_tokens > 0


# -- Anthropic Messages -------------------------------------------------------------------


async def test_anthropic_stream_with_thinking_parses_with_the_anthropic_sdk(
    mock_upstream: MockUpstream,
) -> None:
    mock_upstream.script(
        "claude-x",
        Text(
            "The answer is 42.",
            thinking=("Let me think.", "sig-123"),
            usage=Usage(
                input_tokens=120, cached_tokens=100, output_tokens=9, cache_creation_tokens=15
            ),
        ),
    )
    async with anthropic_client(mock_upstream).messages.stream(
        model="claude-x", max_tokens=100, messages=USER
    ) as stream:
        message = await stream.get_final_message()

    thinking, text = message.content
    assert thinking.type == "thinking"
    assert (thinking.thinking, thinking.signature) == ("Let me think.", "sig-123")
    assert text.type == "text" and text.text == "The answer is 42."
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 20
    assert message.usage.cache_read_input_tokens == 100
    assert message.usage.cache_creation_input_tokens == 15
    assert message.usage.output_tokens == 9


async def test_anthropic_stream_tool_use_blocks(mock_upstream: MockUpstream) -> None:
    mock_upstream.script(
        "claude-x",
        ToolCalls(
            [
                ToolCall("exec_command", {"cmd": "make test"}, call_id="toolu_1"),
                ToolCall("multi_agent_v1__spawn_agent", {"message": "go"}),
            ]
        ),
    )
    async with anthropic_client(mock_upstream).messages.stream(
        model="claude-x", max_tokens=100, messages=USER
    ) as stream:
        message = await stream.get_final_message()

    first, second = message.content
    assert first.type == "tool_use" and second.type == "tool_use"
    assert (first.id, first.name, first.input) == ("toolu_1", "exec_command", {"cmd": "make test"})
    assert (second.name, second.input) == ("multi_agent_v1__spawn_agent", {"message": "go"})
    assert message.stop_reason == "tool_use"


async def test_anthropic_without_streaming_returns_one_message(
    mock_upstream: MockUpstream,
) -> None:
    mock_upstream.script("claude-x", Text("hi", reasoning="hmm"))
    message = await anthropic_client(mock_upstream).messages.create(
        model="claude-x", max_tokens=100, messages=USER
    )
    assert [block.type for block in message.content] == ["thinking", "text"]
    assert message.content[0].signature  # type: ignore[union-attr]


# -- Responses (Codex backend) ------------------------------------------------------------


async def test_responses_stream_parses_with_the_openai_sdk(mock_upstream: MockUpstream) -> None:
    mock_upstream.script(
        "codex-x",
        ToolCalls(
            [
                ToolCall("exec_command", {"cmd": "ls"}, call_id="call_1"),
                ToolCall("apply_patch", {"input": PATCH}, call_id="call_2"),
                ToolCall("multi_agent_v1__spawn_agent", {"message": "help"}),
            ],
            reasoning="plan",
        ),
    )
    stream = await openai_client(mock_upstream).responses.create(
        model="codex-x", input="hi", stream=True
    )
    events = [event async for event in stream]

    done = [e.item for e in events if e.type == "response.output_item.done"]
    added = [e.item for e in events if e.type == "response.output_item.added"]
    assert [item.type for item in done] == [
        "reasoning",
        "function_call",
        "custom_tool_call",
        "function_call",
    ]
    assert [item.id for item in added] == [item.id for item in done]
    assert done[1].arguments == '{"cmd": "ls"}'  # type: ignore[union-attr]
    assert (done[2].name, done[2].input, done[2].call_id) == ("apply_patch", PATCH, "call_2")  # type: ignore[union-attr]
    spawn = done[3].model_dump()
    assert (spawn["name"], spawn["namespace"]) == ("spawn_agent", "multi_agent_v1")
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.id.startswith("resp_")
    assert completed.response.usage is not None
    assert [e.sequence_number for e in events] == list(range(len(events)))


async def test_codex_backend_path_streams_text_deltas(mock_upstream: MockUpstream) -> None:
    mock_upstream.script("gpt-5-codex", Text("all done here"))
    lines = await sse_lines(
        mock_upstream, "/backend-api/codex/responses", {"model": "gpt-5-codex", "stream": True}
    )
    events = sse_events(lines)
    assert "event: response.output_text.delta" in lines
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert "".join(deltas) == "all done here"
    message = next(e["item"] for e in events if e["type"] == "response.output_item.done")
    assert message["content"][0]["text"] == "all done here"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert mock_upstream.codex_base_url.endswith("/backend-api/codex")


# -- scripting ----------------------------------------------------------------------------


async def test_replies_are_consumed_in_order_per_model(mock_upstream: MockUpstream) -> None:
    mock_upstream.script("a", Text("a1"), Text("a2"))
    mock_upstream.script("b", Text("b1"))
    client = openai_client(mock_upstream)

    async def ask(model: str) -> str | None:
        reply = await client.chat.completions.create(model=model, messages=USER)
        return reply.choices[0].message.content

    assert [await ask("a"), await ask("b"), await ask("a"), await ask("a")] == [
        "a1",
        "b1",
        "a2",
        "ok",
    ]
    assert mock_upstream.pending("a") == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/v1/chat/completions",
            {"messages": [*USER, {"role": "tool", "tool_call_id": "c", "content": "0"}]},
        ),
        (
            "/v1/messages",
            {
                "messages": [
                    *USER,
                    {
                        "role": "user",
                        "content": [{"type": "tool_result", "tool_use_id": "t", "content": "0"}],
                    },
                ]
            },
        ),
        ("/v1/responses", {"input": [{"type": "function_call_output", "call_id": "c"}]}),
    ],
)
async def test_default_reply_is_done_after_a_tool_result_and_ok_otherwise(
    mock_upstream: MockUpstream, path: str, body: dict[str, Any]
) -> None:
    async with httpx.AsyncClient(base_url=mock_upstream.root_url) as client:
        after_tool = await client.post(path, json={"model": "m", **body})
        fresh = await client.post(path, json={"model": "m", "messages": USER, "input": "hi"})
    assert "done" in after_tool.text
    assert '"ok"' in fresh.text


async def test_handlers_compute_replies_and_queued_replies_come_first(
    mock_upstream: MockUpstream,
) -> None:
    seen: list[dict[str, Any]] = []

    def echo(body: dict[str, Any]) -> Text:
        seen.append(body)
        return Text(f"echo {body['messages'][-1]['content']}")

    mock_upstream.on("m", echo)
    mock_upstream.on("*", lambda body: Text(f"any {body['model']}"))
    mock_upstream.script("m", Text("queued"))
    client = openai_client(mock_upstream)

    replies = [
        (await client.chat.completions.create(model=model, messages=USER))
        .choices[0]
        .message.content
        for model in ("m", "m", "other")
    ]
    assert replies == ["queued", "echo hi", "any other"]
    assert len(seen) == 1


async def test_models_lists_scripted_models(mock_upstream: MockUpstream) -> None:
    mock_upstream.script("cheap", Text("x"))
    mock_upstream.on("strong", lambda body: Text("y"))
    mock_upstream.on("*", lambda body: Text("z"))
    models = await openai_client(mock_upstream).models.list()
    assert [m.id for m in models.data] == ["cheap", "strong"]


# -- errors and faults ----------------------------------------------------------------


async def test_http_error_carries_status_body_and_headers(mock_upstream: MockUpstream) -> None:
    body = {"error": {"type": "rate_limit_error", "message": "slow down"}}
    mock_upstream.script("m", HttpError(429, body, headers={"Retry-After": "2"}))
    with pytest.raises(RateLimitError) as caught:
        await chat_chunks(mock_upstream, "m")
    assert caught.value.response.headers["retry-after"] == "2"
    assert caught.value.response.json() == body


async def test_cut_stream_drops_the_connection_without_a_terminal_chunk(
    mock_upstream: MockUpstream,
) -> None:
    mock_upstream.script("m", CutStream(Text("one two three four five"), after_events=3))
    received: list[str] = []
    stream = await openai_client(mock_upstream).chat.completions.create(
        model="m", messages=USER, stream=True
    )
    with pytest.raises(APIConnectionError):
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "one two "
    assert mock_upstream.streams_completed == 0
    assert mock_upstream.disconnects == 0


async def test_malformed_inserts_a_non_json_data_line_and_carries_on(
    mock_upstream: MockUpstream,
) -> None:
    mock_upstream.script("m", Malformed(Text("a b c"), after_events=2))
    lines = await sse_lines(mock_upstream, "/v1/chat/completions", {"model": "m", "stream": True})
    data = [line for line in lines if line.startswith("data: ")]
    assert data[2] == "data: {this is not json"
    assert data[-1] == "data: [DONE]"
    assert mock_upstream.streams_completed == 1


async def test_stall_pauses_mid_stream_and_slow_paces_every_event(
    mock_upstream: MockUpstream,
) -> None:
    mock_upstream.script(
        "m", Stall(Text("a b"), after_events=1, seconds=0.3), Slow(Text("a b c"), 0.02)
    )
    arrivals: list[float] = []
    async for _ in await openai_client(mock_upstream).chat.completions.create(
        model="m", messages=USER, stream=True
    ):
        arrivals.append(time.monotonic())
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert gaps[0] >= 0.28
    assert max(gaps[1:]) < 0.2

    started = time.monotonic()
    chunks = await chat_chunks(mock_upstream, "m")
    assert time.monotonic() - started >= 0.02 * len(chunks)


async def test_a_client_leaving_mid_stream_is_counted_as_a_disconnect(
    mock_upstream: MockUpstream,
) -> None:
    mock_upstream.script("m", Slow(Text("word " * 50), delay_per_event=0.01))
    async with (
        httpx.AsyncClient() as client,
        client.stream(
            "POST",
            f"{mock_upstream.base_url}/chat/completions",
            json={"model": "m", "stream": True},
        ) as response,
    ):
        async for _ in response.aiter_lines():
            break
    for _ in range(100):
        if mock_upstream.disconnects:
            break
        await asyncio.sleep(0.01)
    assert mock_upstream.disconnects == 1
    assert mock_upstream.open_streams == 0
    assert mock_upstream.streams_completed == 0


async def test_stop_does_not_wait_for_a_stalled_stream() -> None:
    mock = MockUpstream()
    await mock.start()
    mock.script("m", Stall(Text("a b"), after_events=1, seconds=60))
    async with httpx.AsyncClient() as client:
        request = asyncio.ensure_future(
            client.post(f"{mock.base_url}/chat/completions", json={"model": "m", "stream": True})
        )
        while not mock.open_streams:
            await asyncio.sleep(0.01)
        started = time.monotonic()
        await mock.stop()
        assert time.monotonic() - started < 5
        with pytest.raises(httpx.HTTPError):
            await request


# -- recording --------------------------------------------------------------------------


async def test_every_request_is_recorded_with_path_model_headers_and_body(
    mock_upstream: MockUpstream,
) -> None:
    async with httpx.AsyncClient(base_url=mock_upstream.root_url) as client:
        await client.post(
            "/v1/messages",
            json={"model": "claude-x", "messages": USER, "max_tokens": 5},
            headers={"x-api-key": "k"},
        )
        await client.post("/v1/chat/completions", json={"model": "gpt-x", "messages": USER})

    first, second = mock_upstream.requests
    assert (first.path, first.model, first.headers["x-api-key"]) == (
        "/v1/messages",
        "claude-x",
        "k",
    )
    assert first.body["max_tokens"] == 5
    assert first.at <= second.at
    assert mock_upstream.requests_for("gpt-x") == [second]

    mock_upstream.clear()
    assert mock_upstream.requests == []


# -- classifier ---------------------------------------------------------------------------

WEAK = CardedCandidate("mini", "Small, cheap and fast; fine for simple edits.")
MID = CardedCandidate("mid", "A solid general coding model.")
STRONG = CardedCandidate("big", "Frontier reasoning model for hard, complex work; reads images.")
TEXT_ONLY = CardedCandidate("coder", "A solid coding model; text-only.")


def classify(task: str, *cards: CardedCandidate) -> dict[str, float]:
    """Scores by slug, for a request in the Auto router's own format."""
    labelled = assign_labels(cards)
    reply = classifier_handler(build_request("mock-classifier", task, labelled))
    assert isinstance(reply, Text)
    scores = json.loads(reply.text)["scores"]
    return {labelled[label].slug: score for label, score in scores.items()}


def test_classifier_passes_everyone_on_trivial_tasks() -> None:
    for task in ("say hi", "fix the typo in README", "what is a closure?"):
        assert all(s >= 0.8 for s in classify(task, WEAK, MID, STRONG).values()), task


def test_classifier_sinks_weak_cards_on_medium_tasks() -> None:
    scores = classify("Refactor the config loader and write tests for it", WEAK, MID, STRONG)
    assert scores["mini"] == pytest.approx(0.5, abs=0.1)
    assert scores["mid"] >= 0.75 and scores["big"] >= 0.75


def test_classifier_keeps_only_strong_cards_on_hard_tasks() -> None:
    for task in (
        "Fix the race condition in the distributed lock service",
        "Migrate the multi-file storage layer to the new architecture",
        "Implement the feature described below. " + "Details. " * 300,
    ):
        scores = classify(task, WEAK, MID, STRONG)
        assert [slug for slug, s in scores.items() if s >= 0.75] == ["big"], task


def test_classifier_judges_the_task_not_the_instructions_or_cards() -> None:
    # The cards and the system prompt say "hard" and "complex"; the task does not.
    assert min(classify("print hello", STRONG, WEAK).values()) >= 0.8


def test_classifier_prefers_image_capable_cards_for_image_tasks() -> None:
    scores = classify(
        "What is wrong in this screenshot? (the task includes 1 image)", STRONG, TEXT_ONLY
    )
    assert scores["big"] > 0.9
    assert scores["coder"] < 0.5


def test_classifier_scores_a_lone_eligible_card() -> None:
    assert classify("What is wrong in this screenshot?", STRONG) == {"big": 0.99}


def test_classifier_reads_other_prompt_layouts() -> None:
    body = {
        "model": "mock-classifier",
        "system": "Score each model. Hard tasks need strong models.",
        "messages": [
            {
                "role": "user",
                "content": "Design a distributed cache.\n\n"
                "[A] cheap small model\n[B] strong reasoning model",
            }
        ],
    }
    reply = classifier_handler(body)
    assert isinstance(reply, Text)
    assert json.loads(reply.text) == {"scores": {"A": 0.2, "B": 0.85}}


# -- running as a process -----------------------------------------------------------------


def test_module_runs_as_a_process_until_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.mockupstream", "--port", "0", "--scenario", "demo"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline().split()
        assert ready[0] == "READY"
        reply = httpx.post(
            f"{ready[1]}/v1/chat/completions",
            json={"model": "any", "messages": USER},
            timeout=10,
        )
        assert "any" in reply.json()["choices"][0]["message"]["content"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
