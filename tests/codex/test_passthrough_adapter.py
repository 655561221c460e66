"""The passthrough adapter against the mock backend: what goes out, what comes back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.base import Target, UpstreamError
from adapters.codex.adapter import (
    CodexPassthroughAdapter,
    CodexUpstreamError,
    backend_body,
    forwardable_headers,
)
from adapters.codex.limits import Window, parse_rate_limits
from adapters.thinking import encode_blocks
from examples.mockupstream import Text, ToolCall
from examples.mockupstream.codex_backend import FailMidStream, MockCodexBackend
from router.routing.upstreams import upstream_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "codex"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # The client the proxy itself gives a loopback upstream (httpx on aiohttp).
    async with upstream_client("http://127.0.0.1") as http:
        yield http


def target_for(backend: MockCodexBackend, token: str, account_id: str, **extra: Any) -> Target:
    return Target(
        slug="codex/gpt-5.5",
        kind="codex",
        model="gpt-5.5",
        base_url=backend.base_url,
        api_key=token,
        extra_headers={"chatgpt-account-id": account_id},
        **extra,
    )


def codex_request() -> dict[str, Any]:
    first = json.loads((FIXTURES / "exec_turn1_first_request.jsonl").read_text().splitlines()[0])
    return dict(first["body"], model="codex/gpt-5.5")


async def drain(events: AsyncIterator[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [event async for batch in events for event in batch]


def test_only_the_model_and_foreign_reasoning_change_in_the_body() -> None:
    anthropic_blob = encode_blocks([{"type": "thinking", "thinking": "hm", "signature": "sig"}])
    request = {
        "model": "codex/gpt-5.5",
        "stream": True,
        "store": False,
        "include": ["reasoning.encrypted_content"],
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAAopenai"},
            {"type": "reasoning", "id": "rs_2", "summary": [], "encrypted_content": anthropic_blob},
            {"type": "reasoning", "id": "rs_3", "summary": [], "encrypted_content": None},
            {"type": "compaction_trigger"},
        ],
        "client_metadata": {"x": "y"},
    }
    target = Target(slug="codex/gpt-5.5", kind="codex", model="gpt-5.5", base_url="http://x")
    body = backend_body(request, target)
    assert body["model"] == "gpt-5.5"
    assert [item.get("id") for item in body["input"]] == [None, "rs_1", None]
    assert body["input"][-1] == {"type": "compaction_trigger"}
    assert {k: v for k, v in body.items() if k not in ("model", "input")} == {
        k: v for k, v in request.items() if k not in ("model", "input")
    }


def test_only_codex_session_turn_and_originator_headers_are_forwarded() -> None:
    incoming = {
        "Session-Id": "s",
        "thread-id": "t",
        "x-codex-turn-metadata": "{}",
        "x-codex-turn-state": "ts",
        "originator": "codex_exec",
        "User-Agent": "codex_exec/0.169.0",
        "Authorization": "Bearer proxy-secret",
        "Host": "127.0.0.1",
        "x-other": "no",
    }
    assert forwardable_headers(incoming) == {
        "session-id": "s",
        "thread-id": "t",
        "x-codex-turn-metadata": "{}",
        "x-codex-turn-state": "ts",
        "originator": "codex_exec",
        "user-agent": "codex_exec/0.169.0",
    }


async def test_the_stream_comes_back_as_sent_with_the_requested_model_name(
    backend: MockCodexBackend, client: httpx.AsyncClient
) -> None:
    token = backend.add_account("acct-1")
    backend.script(ToolCall("exec_command", {"cmd": "ls"}, call_id="call_1"))
    adapter = CodexPassthroughAdapter(client)
    target = target_for(
        backend, token, "acct-1", client_headers={"session-id": "sess", "originator": "codex_exec"}
    )
    events = await drain(await adapter.stream(codex_request(), target))

    [sent] = backend.requests_to("/responses")
    assert sent.body["model"] == "gpt-5.5"
    assert sent.body["input"] == codex_request()["input"]
    assert sent.headers["authorization"] == f"Bearer {token}"
    assert sent.headers["chatgpt-account-id"] == "acct-1"
    assert sent.headers["session-id"] == "sess"
    assert sent.headers["originator"] == "codex_exec"
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert done[0]["type"] == "function_call" and done[0]["call_id"] == "call_1"
    terminal = events[-1]
    assert terminal["type"] == "response.completed"
    assert terminal["response"]["model"] == "codex/gpt-5.5"
    assert terminal["response"]["usage"]["input_tokens"] == 100
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


async def test_the_answer_headers_carry_the_usage_windows(
    backend: MockCodexBackend, client: httpx.AsyncClient
) -> None:
    token = backend.add_account("acct-1", primary_used=35.0, secondary_used=60.0)
    stream = await CodexPassthroughAdapter(client).stream(
        codex_request(), target_for(backend, token, "acct-1")
    )
    await drain(stream)
    limits = parse_rate_limits(stream.headers, 1000.0)
    assert limits is not None
    assert limits.primary == Window(35.0, 1000.0 + 3600, 300)
    assert limits.secondary is not None and limits.secondary.used_percent == 60.0
    assert limits.secondary.window_minutes == 10080


async def test_a_usage_limit_refusal_says_when_the_account_resets(
    backend: MockCodexBackend, client: httpx.AsyncClient
) -> None:
    token = backend.add_account("acct-1")
    backend.refuse(token, resets_in_seconds=900)
    with pytest.raises(CodexUpstreamError) as caught:
        await CodexPassthroughAdapter(client).stream(
            codex_request(), target_for(backend, token, "acct-1")
        )
    assert caught.value.status == 429
    assert caught.value.quota_resets_in == 900
    assert token not in caught.value.message


async def test_a_failure_after_the_first_byte_ends_the_stream_as_the_backend_sent_it(
    backend: MockCodexBackend, client: httpx.AsyncClient
) -> None:
    token = backend.add_account("acct-1")
    backend.script(FailMidStream("half", code="usage_limit_reached"))
    events = await drain(
        await CodexPassthroughAdapter(client).stream(
            codex_request(), target_for(backend, token, "acct-1")
        )
    )
    assert any(e["type"] == "response.output_text.delta" for e in events)
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"]["code"] == "usage_limit_reached"


async def test_remote_compaction_passes_through_and_returns_one_compaction_item(
    backend: MockCodexBackend, client: httpx.AsyncClient
) -> None:
    token = backend.add_account("acct-1")
    request = codex_request()
    request["input"] = [*request["input"], {"type": "compaction_trigger"}]
    events = await drain(
        await CodexPassthroughAdapter(client).stream(request, target_for(backend, token, "acct-1"))
    )
    assert backend.requests_to("/responses")[0].body["input"][-1] == {"type": "compaction_trigger"}
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert [item["type"] for item in done] == ["compaction"]


async def test_compact_endpoint_answers_with_the_backend_window(
    backend: MockCodexBackend, client: httpx.AsyncClient
) -> None:
    token = backend.add_account("acct-1")
    window = await CodexPassthroughAdapter(client).compact(
        {"model": "codex/gpt-5.5", "input": [], "instructions": "x"},
        target_for(backend, token, "acct-1"),
    )
    assert window["output"][0]["type"] == "compaction"
    assert backend.requests_to("/responses/compact")[0].body["model"] == "gpt-5.5"


async def test_complete_folds_the_stream_into_one_response(
    backend: MockCodexBackend, client: httpx.AsyncClient
) -> None:
    token = backend.add_account("acct-1")
    backend.script(Text("a summary"))
    response = await CodexPassthroughAdapter(client).complete(
        {"model": "codex/gpt-5.5", "input": "hi"}, target_for(backend, token, "acct-1")
    )
    assert backend.requests_to("/responses")[0].body["stream"] is True
    assert response["output"][-1]["content"][0]["text"] == "a summary"


async def test_an_unknown_token_is_a_401_before_the_first_byte(
    backend: MockCodexBackend, client: httpx.AsyncClient
) -> None:
    with pytest.raises(UpstreamError) as caught:
        await CodexPassthroughAdapter(client).stream(
            codex_request(), target_for(backend, "not-a-token", "acct-1")
        )
    assert caught.value.status == 401
