"""An OpenAI API key (`sk-...`) given where a ChatGPT token belongs: refused in the log at
start-up, and every ChatGPT slug answers with what to do instead, never with the key."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from structlog.testing import capture_logs

from examples.mockupstream.codex_backend import MockCodexBackend
from router.chatgpt.accounts_store import AccountsStore, from_token
from router.chatgpt.models import FALLBACK_MODELS
from tests.codex.conftest import state_dir
from tests.proxy import ProxyFactory, RunningProxy, chat_model

KEY = "sk-proj-Very5ecretKeyMaterial0123456789"
SETTINGS = {"models": [chat_model("chat-a", "http://127.0.0.1:9/v1")]}


async def ask(proxy: RunningProxy, model: str) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
        return await client.post(
            proxy.base_url + "/responses", json={"model": model, "stream": True, "input": "hi"}
        )


async def start(proxy_factory: ProxyFactory) -> tuple[RunningProxy, list[dict[str, object]]]:
    with capture_logs() as logs:
        proxy = await proxy_factory(SETTINGS)
    return proxy, logs


@pytest.mark.parametrize("where", ["CODEX_ACCESS_TOKEN", "CODEX_PAT", "auth.json"])
async def test_the_key_is_refused_at_start_up_and_every_chatgpt_slug_says_use_openai(
    backend: MockCodexBackend,
    codex_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    proxy_factory: ProxyFactory,
    where: str,
) -> None:
    if where == "auth.json":
        (codex_home / "auth.json").write_text(json.dumps({"personal_access_token": KEY}))
    else:
        monkeypatch.setenv(where, KEY)

    proxy, logs = await start(proxy_factory)

    (refused,) = [line for line in logs if line["event"] == "codex_token_refused"]
    assert refused["log_level"] == "warning"
    assert (where if where == "auth.json" else f"${where}") in str(refused["reason"])
    assert '"openai" model' in str(refused["reason"])
    assert KEY not in json.dumps(logs, default=str)

    for slug in [*(f"codex/{name}" for name in FALLBACK_MODELS), "codex/gpt-9-unheard-of"]:
        answer = await ask(proxy, slug)
        assert answer.status_code == 401, (slug, answer.text)
        message = answer.json()["error"]["message"]
        assert "OpenAI API key (sk-...)" in message
        assert 'configure it as an "openai" model' in message
        assert KEY not in answer.text and KEY[3:] not in answer.text
    # Not offered either, and the backend never saw the key.
    async with httpx.AsyncClient(trust_env=False) as client:
        listed = (await client.get(proxy.base_url + "/models")).json()["data"]
    assert [entry["id"] for entry in listed] == ["chat-a"]
    assert backend.requests == []


async def test_with_a_pool_the_refused_key_is_only_logged_and_the_pool_serves(
    backend: MockCodexBackend,
    codex_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    proxy_factory: ProxyFactory,
) -> None:
    monkeypatch.setenv("CODEX_ACCESS_TOKEN", KEY)
    token = backend.add_account("acct-pool", token="pat-pool-member")
    AccountsStore(state_dir(codex_home) / "accounts.json").add(from_token(token))

    proxy, logs = await start(proxy_factory)

    assert [line["event"] for line in logs].count("codex_token_refused") == 1
    answer = await ask(proxy, "codex/gpt-5.5")
    assert answer.status_code == 200, answer.text
    assert [record.token for record in backend.requests_to("/responses")] == [token]


async def test_no_refusal_is_logged_for_a_personal_access_token(
    backend: MockCodexBackend, monkeypatch: pytest.MonkeyPatch, proxy_factory: ProxyFactory
) -> None:
    monkeypatch.setenv("CODEX_ACCESS_TOKEN", "pat-fine")
    _, logs = await start(proxy_factory)
    assert all(line["event"] != "codex_token_refused" for line in logs)
