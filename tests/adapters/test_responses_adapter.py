"""The native Responses adapter against the mock's Responses persona: what goes out,
what comes back (streamed and not), failures before and after the first byte, and every
event checked against the openai SDK's own event types."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest
from openai.types.responses import Response, ResponseStreamEvent

from adapters.base import Target, UpstreamError
from adapters.responses.adapter import ResponsesAdapter, request_headers
from adapters.responses.upstream import seal
from adapters.thinking import encode_blocks, origin_of
from examples.mockupstream import (
    CutStream,
    HttpError,
    MockUpstream,
    StreamError,
    Text,
    ToolCall,
    ToolCalls,
    Usage,
)
from router.routing.upstreams import upstream_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "codex"
EVENT = pydantic.TypeAdapter(ResponseStreamEvent)
KEY = "sk-test-0123456789abcdef"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with upstream_client("http://127.0.0.1") as http:
        yield http


@pytest.fixture
def target(mock_upstream: MockUpstream) -> Target:
    return Target(
        slug="gpt-native",
        kind="responses",
        model="upstream-model",
        base_url=mock_upstream.base_url,
        api_key=KEY,
    )


def codex_request(**changes: Any) -> dict[str, Any]:
    """The first request of a real `codex exec` turn, as captured."""
    first = json.loads((FIXTURES / "exec_turn1_first_request.jsonl").read_text().splitlines()[0])
    return dict(first["body"], model="gpt-native", **changes)


async def drain(events: AsyncIterator[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    try:
        return [event async for batch in events for event in batch]
    finally:
        await events.aclose()  # type: ignore[attr-defined]


def validate(events: list[dict[str, Any]]) -> None:
    for event in events:
        EVENT.validate_python(event)


async def test_codex_body_goes_out_renamed_without_chatgpt_only_fields(
    client: httpx.AsyncClient, mock_upstream: MockUpstream, target: Target
) -> None:
    mock_upstream.script("upstream-model", Text("hello"))
    request = codex_request()
    await drain(await ResponsesAdapter(client).stream(request, target))
    [sent] = mock_upstream.requests_for("upstream-model")
    assert sent.path == "/v1/responses"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body["model"] == "upstream-model" and sent.body["stream"] is True
    assert "client_metadata" not in sent.body
    kept = {k: v for k, v in request.items() if k not in ("model", "client_metadata", "tools")}
    assert {k: v for k, v in sent.body.items() if k in kept} == kept
    # A loopback server is a generic upstream: OpenAI's hosted web search is not offered,
    # and namespace tools go out as plain functions with their flattened names.
    expected: list[str] = []
    for tool in request["tools"]:
        if tool["type"] == "namespace":
            expected += [f"{tool['name']}__{member['name']}" for member in tool["tools"]]
        elif tool["type"] != "web_search":
            expected.append(tool["name"])
    assert [t["name"] for t in sent.body["tools"]] == expected
    assert {t["type"] for t in sent.body["tools"]} == {"function", "custom"}


async def test_a_streamed_answer_passes_through_event_by_event(
    client: httpx.AsyncClient, mock_upstream: MockUpstream, target: Target
) -> None:
    usage = Usage(input_tokens=1200, cached_tokens=1000, output_tokens=30, reasoning_tokens=12)
    mock_upstream.script("upstream-model", Text("all done here", reasoning="thought", usage=usage))
    events = await drain(await ResponsesAdapter(client).stream(codex_request(), target))
    validate(events)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert (
        "response.output_text.delta" in kinds and "response.reasoning_summary_text.delta" in kinds
    )
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    completed = events[-1]["response"]
    assert completed["model"] == "gpt-native" and completed["id"].startswith("resp_")
    assert completed["usage"]["input_tokens"] == 1200
    assert completed["usage"]["input_tokens_details"]["cached_tokens"] == 1000
    assert completed["usage"]["output_tokens_details"]["reasoning_tokens"] == 12
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert [item["type"] for item in done] == ["reasoning", "message"]
    assert done[0]["encrypted_content"].startswith(f"responses.v1:{origin_of(target.base_url)}|")
    assert done[1]["content"][0]["text"] == "all done here"


async def test_tool_calls_arrive_as_codex_items(
    client: httpx.AsyncClient, mock_upstream: MockUpstream, target: Target
) -> None:
    patch = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n"
    mock_upstream.script(
        "upstream-model",
        ToolCalls(
            [
                ToolCall("exec_command", {"cmd": "ls"}, call_id="call_1"),
                ToolCall("apply_patch", patch, call_id="call_2"),
                ToolCall("multi_agent_v1__spawn_agent", {"message": "go"}, call_id="call_3"),
            ]
        ),
    )
    events = await drain(await ResponsesAdapter(client).stream(codex_request(), target))
    validate(events)
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert [(i["type"], i["call_id"]) for i in done] == [
        ("function_call", "call_1"),
        ("custom_tool_call", "call_2"),
        ("function_call", "call_3"),
    ]
    assert json.loads(done[0]["arguments"]) == {"cmd": "ls"}
    assert done[1]["input"] == patch
    assert done[2]["namespace"] == "multi_agent_v1" and done[2]["name"] == "spawn_agent"


async def test_a_non_streamed_answer_is_one_response_object(
    client: httpx.AsyncClient, mock_upstream: MockUpstream, target: Target
) -> None:
    mock_upstream.script(
        "upstream-model", ToolCall("exec_command", {"cmd": "ls"}, reasoning="plan", call_id="c1")
    )
    request = codex_request(stream=False)
    answer = await ResponsesAdapter(client).complete(request, target)
    Response.model_validate(answer)
    [sent] = mock_upstream.requests_for("upstream-model")
    assert sent.body["stream"] is False and sent.headers["accept"] == "application/json"
    assert answer["model"] == "gpt-native"
    assert [item["type"] for item in answer["output"]] == ["reasoning", "function_call"]
    assert answer["output"][0]["encrypted_content"].startswith("responses.v1:")
    assert answer["usage"]["input_tokens_details"]["cached_tokens"] == 0


@pytest.mark.parametrize(
    ("status", "body", "headers", "code"),
    [
        (429, {"error": {"type": "requests", "code": "rate_limit_exceeded", "message": "slow down"}},
         {"retry-after": "2"}, "rate_limit_exceeded"),
        (500, {"error": {"type": "server_error", "message": "boom"}}, {}, "server_error"),
        (400, {"error": {"code": "context_length_exceeded", "message": "Your input exceeds the context window"}},
         {}, "context_length_exceeded"),
    ],
)  # fmt: skip
async def test_refusals_before_the_first_byte_are_upstream_errors(
    client: httpx.AsyncClient,
    mock_upstream: MockUpstream,
    target: Target,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str],
    code: str,
) -> None:
    adapter = ResponsesAdapter(client)
    mock_upstream.script(
        "upstream-model", HttpError(status, body, headers), HttpError(status, body, headers)
    )
    with pytest.raises(UpstreamError) as streamed:
        await adapter.stream(codex_request(), target)
    with pytest.raises(UpstreamError) as whole:
        await adapter.complete(codex_request(stream=False), target)
    for error in (streamed.value, whole.value):
        assert error.code == code and error.status == status
        assert error.fallback_ok is (code != "context_length_exceeded")
    if "retry-after" in headers:
        assert streamed.value.retry_after == "2"


async def test_an_error_event_mid_stream_ends_it_with_response_failed(
    client: httpx.AsyncClient, mock_upstream: MockUpstream, target: Target
) -> None:
    mock_upstream.script(
        "upstream-model",
        StreamError(Text("a long answer that breaks"), after_events=5, code="rate_limit_exceeded",
                    message=f"Rate limit reached for key {KEY}"),
    )  # fmt: skip
    events = await drain(await ResponsesAdapter(client).stream(codex_request(), target))
    validate(events)
    last = events[-1]
    assert last["type"] == "response.failed"
    assert last["response"]["error"]["code"] == "rate_limit_exceeded"
    assert KEY not in json.dumps(events)
    assert sum(e["type"] == "response.failed" for e in events) == 1


async def test_a_stream_cut_before_its_end_fails_retryably(
    client: httpx.AsyncClient, mock_upstream: MockUpstream, target: Target
) -> None:
    mock_upstream.script("upstream-model", CutStream(Text("cut short here"), after_events=4))
    events = await drain(await ResponsesAdapter(client).stream(codex_request(), target))
    validate(events)
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"]["code"] == "server_error"


async def test_reasoning_goes_back_only_to_its_own_origin(
    client: httpx.AsyncClient, mock_upstream: MockUpstream, target: Target
) -> None:
    adapter = ResponsesAdapter(client)
    mock_upstream.script(
        "upstream-model", ToolCall("exec_command", {"cmd": "ls"}, reasoning="plan", call_id="c1")
    )
    first = await drain(await adapter.stream(codex_request(), target))
    reasoning, call = [e["item"] for e in first if e["type"] == "response.output_item.done"]
    foreign = [
        {"type": "reasoning", "id": "rs_a", "summary": [], "encrypted_content": "gAAAAchatgpt"},
        {"type": "reasoning", "id": "rs_b", "summary": [],
         "encrypted_content": encode_blocks([{"type": "thinking", "thinking": "t", "signature": "s"}])},
        {"type": "reasoning", "id": "rs_c", "summary": [], "encrypted_content": seal("x", "elsewhere:1")},
        {"type": "reasoning", "id": "rs_d", "summary": [{"type": "summary_text", "text": "hm"}],
         "encrypted_content": None},
    ]  # fmt: skip
    request = codex_request()
    request["input"] = [
        *request["input"],
        *foreign,
        reasoning,
        call,
        {"type": "function_call_output", "call_id": "c1", "output": "a.txt"},
    ]
    mock_upstream.script("upstream-model", Text("done"))
    await drain(await adapter.stream(request, target))
    second = mock_upstream.requests_for("upstream-model")[1].body
    replayed = [item for item in second["input"] if item.get("type") == "reasoning"]
    assert [item["id"] for item in replayed] == [reasoning["id"]]
    assert replayed[0]["encrypted_content"].startswith("mock-encrypted-")
    assert reasoning["encrypted_content"].endswith("|" + replayed[0]["encrypted_content"])


def test_an_azure_endpoint_gets_its_key_as_api_key_and_others_as_bearer() -> None:
    azure = Target(
        slug="azure", kind="responses", model="d", api_key=KEY,
        base_url="https://example-resource.openai.azure.com/openai/v1",
    )  # fmt: skip
    openai = Target(
        slug="o", kind="responses", model="m", api_key=KEY, base_url="https://api.openai.com/v1"
    )
    assert request_headers(azure, stream=True)["api-key"] == KEY
    assert "authorization" not in request_headers(azure, stream=True)
    assert request_headers(openai, stream=False)["authorization"] == f"Bearer {KEY}"
