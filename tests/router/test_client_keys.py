"""Client keys and budgets on one instance, as the OpenAI and Anthropic SDKs see them."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import anthropic
import httpx
import openai
import pytest

from examples.mockupstream import MockUpstream
from router.settings import SettingsError, parse_settings
from tests.proxy import ProxyFactory, RunningProxy, chat_model

ALICE = "alice-key-0123456789"
BOB = "bob-key-9876543210"


@pytest.fixture
async def proxy(
    mock_upstream: MockUpstream, proxy_factory: ProxyFactory, monkeypatch: pytest.MonkeyPatch
) -> RunningProxy:
    monkeypatch.setenv("ALICE_KEY", ALICE)
    return await proxy_factory(
        {
            "models": [
                # The mock reports 28 input and 1 output tokens: 0.032 USD a request.
                chat_model("cheap", mock_upstream.base_url, price={"input": 1000, "output": 4000}),
                chat_model("other", mock_upstream.base_url),
            ],
            "clients": [
                {"name": "alice", "key_env": "ALICE_KEY", "budget_usd": 0.05, "period": "day"},
                {
                    "name": "bob",
                    "key_sha256": hashlib.sha256(BOB.encode()).hexdigest(),
                    "models": ["other"],
                },
            ],
        }
    )


def chat(proxy: RunningProxy, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=proxy.base_url, api_key=key, max_retries=0)


def messages(proxy: RunningProxy, key: str) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=proxy.origin, api_key=key, max_retries=0)


HELLO: list[Any] = [{"role": "user", "content": "Say hello."}]


async def test_a_known_key_is_served_and_named_in_the_log(proxy: RunningProxy) -> None:
    answer = await chat(proxy, ALICE).chat.completions.create(model="cheap", messages=HELLO)
    assert answer.choices[0].message.content
    reply = await messages(proxy, BOB).messages.create(model="other", max_tokens=64, messages=HELLO)
    assert reply.content
    assert [r["client"] for r in proxy.routing_records("request")] == ["alice", "bob"]
    log = proxy.routing_log.read_text()
    assert ALICE not in log and BOB not in log


async def test_a_missing_or_unknown_key_gets_401_in_each_endpoints_shape(
    proxy: RunningProxy,
) -> None:
    with pytest.raises(openai.AuthenticationError) as refused:
        await chat(proxy, "not-a-client").chat.completions.create(model="cheap", messages=HELLO)
    assert refused.value.code == "invalid_api_key"
    assert "not-a-client" not in str(refused.value)
    with pytest.raises(anthropic.AuthenticationError) as denied:
        await messages(proxy, "not-a-client").messages.create(
            model="cheap", max_tokens=64, messages=HELLO
        )
    assert denied.value.body["type"] == "error"  # type: ignore[index]
    assert denied.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]
    async with httpx.AsyncClient(trust_env=False) as http:
        bare = await http.post(
            f"{proxy.base_url}/responses", json={"model": "cheap", "input": "hi"}
        )
        health = await http.get(f"{proxy.origin}/health")
    assert bare.status_code == 401
    assert bare.json()["error"]["code"] == "invalid_api_key"
    assert "Authorization: Bearer" in bare.json()["error"]["message"]
    assert health.status_code == 200 and health.json()["shared_state"] == "local"


async def test_a_client_limited_to_some_models_gets_403_for_the_others(
    proxy: RunningProxy,
) -> None:
    with pytest.raises(openai.PermissionDeniedError) as refused:
        await chat(proxy, BOB).chat.completions.create(model="cheap", messages=HELLO)
    assert "may not use model 'cheap'" in str(refused.value)


async def test_a_spent_budget_gets_429_saying_when_it_renews(proxy: RunningProxy) -> None:
    client = messages(proxy, ALICE)
    for _ in range(2):
        await client.messages.create(model="cheap", max_tokens=64, messages=HELLO)
        await asyncio.sleep(0.05)  # the spend is counted once the answer is logged
    with pytest.raises(anthropic.RateLimitError) as refused:
        await client.messages.create(model="cheap", max_tokens=64, messages=HELLO)
    error = refused.value.body["error"]  # type: ignore[index]
    assert error["type"] == "rate_limit_error"
    assert "0.06 of 0.05 USD spent today; it renews at" in error["message"]
    assert int(refused.value.response.headers["Retry-After"]) <= 86400
    with pytest.raises(openai.RateLimitError) as again:
        await chat(proxy, ALICE).chat.completions.create(model="cheap", messages=HELLO)
    assert again.value.code == "budget_exhausted"


@pytest.mark.parametrize(
    ("client", "problem"),
    [
        ({"name": "a"}, "give exactly one of key_env and key_sha256"),
        ({"name": "a", "key_env": "A", "key_sha256": "0" * 64}, "exactly one"),
        ({"name": "a", "key_sha256": "secret"}, "64 lowercase hex digits"),
        ({"name": "a", "key_env": "A", "models": ["nope"]}, '"nope" is not a configured model'),
        ({"name": "a", "key_env": "A", "period": "year"}, "clients[0].period"),
    ],
)
def test_client_entries_are_checked_when_the_settings_load(
    client: dict[str, Any], problem: str
) -> None:
    with pytest.raises(SettingsError) as error:
        parse_settings({"models": [chat_model("m", "http://127.0.0.1:9/v1")], "clients": [client]})
    assert problem in str(error.value)
    assert "secret" not in str(error.value)
