"""The passthrough through the running proxy: routing, headers, models list, compaction,
rotation seen from the client, and BYOK key rotation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.mockupstream import HttpError, MockUpstream, Text
from examples.mockupstream.codex_backend import MockCodexBackend
from router.chatgpt.accounts_store import AccountsStore, from_token
from tests.codex.conftest import state_dir, write_login
from tests.proxy import ProxyFactory, RunningProxy, chat_model

CODEX_HEADERS = {
    "session-id": "sess-1",
    "thread-id": "thread-1",
    "x-codex-turn-metadata": json.dumps({"turn_id": "turn-1", "request_kind": "turn"}),
    "x-codex-window-id": "thread-1:0",
    "x-codex-beta-features": "remote_compaction_v2",
    "originator": "codex_exec",
    "user-agent": "codex_exec/0.169.0 (test)",
    "x-client-request-id": "thread-1",
}


def settings(mock_base: str = "http://127.0.0.1:9/v1") -> dict[str, Any]:
    return {
        "models": [
            chat_model("chat-a", mock_base),
            {"slug": "gpt-5.5-codex", "model": "gpt-5.5-codex", "provider": "codex"},
        ]
    }


async def post(proxy: RunningProxy, path: str, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
        return await client.post(proxy.origin + path, json=body, headers=CODEX_HEADERS)


def sse_events(response: httpx.Response) -> list[dict[str, Any]]:
    return [
        json.loads(line[len("data: ") :])
        for line in response.text.splitlines()
        if line.startswith("data: ")
    ]


async def model_ids(proxy: RunningProxy) -> list[str]:
    async with httpx.AsyncClient(trust_env=False) as client:
        answer = await client.get(proxy.base_url + "/models")
    return [entry["id"] for entry in answer.json()["data"]]


@pytest.fixture
def login(backend: MockCodexBackend, codex_home: Path) -> str:
    token = backend.add_account("acct-1")
    write_login(codex_home, token, "rt", "acct-1")
    return token


async def test_a_passthrough_slug_streams_from_the_backend_with_codex_s_headers(
    backend: MockCodexBackend, login: str, proxy_factory: ProxyFactory
) -> None:
    proxy = await proxy_factory(settings())
    backend.script(Text("hello from chatgpt"))
    backend.turn_state = "turn-state-1"
    response = await post(
        proxy, "/v1/responses", {"model": "codex/gpt-5.5", "stream": True, "input": "hi"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-autorouter-model"] == "codex/gpt-5.5"
    assert response.headers["x-codex-turn-state"] == "turn-state-1"
    assert response.headers["x-codex-primary-used-percent"] == "10.0"
    events = sse_events(response)
    assert events[-1]["type"] == "response.completed"
    assert events[-1]["response"]["model"] == "codex/gpt-5.5"
    [sent] = backend.requests_to("/responses")
    assert sent.body["model"] == "gpt-5.5"
    assert sent.headers["authorization"] == f"Bearer {login}"
    assert sent.headers["chatgpt-account-id"] == "acct-1"
    for name, value in CODEX_HEADERS.items():
        assert sent.headers[name] == value
    [request_log] = proxy.routing_records("request")
    assert request_log["input_tokens"] == 100


async def test_an_explicit_codex_model_goes_to_the_backend_under_its_own_name(
    backend: MockCodexBackend, login: str, proxy_factory: ProxyFactory
) -> None:
    proxy = await proxy_factory(settings())
    response = await post(
        proxy, "/v1/responses", {"model": "gpt-5.5-codex", "stream": True, "input": "hi"}
    )
    assert response.status_code == 200, response.text
    assert backend.requests_to("/responses")[0].body["model"] == "gpt-5.5-codex"


async def test_passthrough_models_are_listed_only_while_a_credential_exists(
    backend: MockCodexBackend, codex_home: Path, proxy_factory: ProxyFactory
) -> None:
    proxy = await proxy_factory(settings())
    assert await model_ids(proxy) == ["chat-a"]
    missing = await post(proxy, "/v1/responses", {"model": "codex/gpt-5.5", "input": "hi"})
    assert missing.status_code == 404

    token = backend.add_account("acct-1", models=["gpt-5.5-codex", "gpt-5.4-mini"])
    write_login(codex_home, token, "rt", "acct-1")
    assert await model_ids(proxy) == [
        "chat-a",
        "gpt-5.5-codex",
        "codex/gpt-5.5-codex",
        "codex/gpt-5.4-mini",
    ]
    assert backend.requests_to("/models")[0].headers["chatgpt-account-id"] == "acct-1"
    cached = json.loads((state_dir(codex_home) / "codex-models.json").read_text())
    assert cached["models"] == ["gpt-5.5-codex", "gpt-5.4-mini"]
    assert cached["facts"]["gpt-5.4-mini"]["context_window"] == 272000


async def test_compaction_for_a_passthrough_model_uses_the_backend_endpoint(
    backend: MockCodexBackend, login: str, proxy_factory: ProxyFactory
) -> None:
    proxy = await proxy_factory(settings())
    response = await post(
        proxy,
        "/v1/responses/compact",
        {"model": "codex/gpt-5.5", "input": [], "instructions": "x"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["output"][0]["type"] == "compaction"
    assert backend.requests_to("/responses/compact")[0].body["model"] == "gpt-5.5"


async def test_the_client_sees_one_clean_stream_when_the_first_account_is_out_of_quota(
    backend: MockCodexBackend, codex_home: Path, proxy_factory: ProxyFactory
) -> None:
    store = AccountsStore(state_dir(codex_home) / "accounts.json")
    first = backend.add_account("acct-1", token="pat-first")
    second = backend.add_account("acct-2", token="pat-second")
    for token in (first, second):
        store.add(from_token(token))
    backend.refuse(first, resets_in_seconds=600)
    backend.script(Text("second account here"))
    proxy = await proxy_factory(settings())
    # Token accounts learn their account ids from the mock auth API's whoami.
    response = await post(
        proxy, "/v1/responses", {"model": "codex/gpt-5.5", "stream": True, "input": "hi"}
    )
    assert response.status_code == 200, response.text
    events = sse_events(response)
    assert [e["type"] for e in events].count("response.created") == 1
    assert events[-1]["type"] == "response.completed"
    assert [r.token for r in backend.requests_to("/responses")] == [first, second]


async def test_every_account_exhausted_is_http_429_usage_limit_reached(
    backend: MockCodexBackend, login: str, proxy_factory: ProxyFactory
) -> None:
    backend.refuse(login, resets_in_seconds=3600)
    proxy = await proxy_factory(settings())
    response = await post(
        proxy, "/v1/responses", {"model": "codex/gpt-5.5", "stream": True, "input": "hi"}
    )
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["type"] == "usage_limit_reached" and error["code"] == "usage_limit_reached"
    assert "resets at" in error["message"]
    assert "retry-after" not in response.headers


async def test_a_byok_model_with_several_keys_moves_to_the_next_key_on_429(
    mock_upstream: MockUpstream, codex_home: Path, proxy_factory: ProxyFactory
) -> None:
    model = chat_model("chat-a", mock_upstream.base_url)
    del model["api_key"]
    model["api_keys"] = ["key-one-0000", "key-two-0000"]
    proxy = await proxy_factory({"models": [model]})
    mock_upstream.script(
        "chat-a",
        HttpError(429, {"error": {"message": "Rate limit reached"}}, {"retry-after": "30"}),
        Text("second key"),
        Text("still second key"),
    )
    first = await post(proxy, "/v1/responses", {"model": "chat-a", "stream": True, "input": "a"})
    second = await post(proxy, "/v1/responses", {"model": "chat-a", "stream": True, "input": "b"})
    assert first.status_code == 200 and second.status_code == 200
    keys = [r.headers.get("authorization") for r in mock_upstream.requests_for("chat-a")]
    # key one rests for its 30 s, so both requests end on key two
    assert keys == ["Bearer key-one-0000", "Bearer key-two-0000", "Bearer key-two-0000"]
