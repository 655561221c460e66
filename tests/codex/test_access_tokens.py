"""Personal access tokens: where they come from, the account-id chain, refusals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from adapters.base import Target, UpstreamError
from adapters.codex.adapter import CodexPassthroughAdapter
from examples.mockupstream.codex_backend import MockCodexBackend
from router.chatgpt.login import CodexAuthError, http_client
from router.chatgpt.pat import (
    AccountIdResolver,
    token_digest,
    whoami_url,
)
from router.chatgpt.service import CodexService
from router.chatgpt.token_source import personal_access_token
from router.routing.upstreams import upstream_client
from tests.codex.conftest import state_dir
from tests.proxy import ProxyFactory, chat_model


async def stream(service: CodexService, backend: MockCodexBackend) -> None:
    target = Target(slug="codex/gpt-5.5", kind="codex", model="gpt-5.5", base_url=backend.base_url)
    async with upstream_client(backend.base_url) as client:
        await service.stream(CodexPassthroughAdapter(client), {"model": "m", "input": "hi"}, target)


def resolver(codex_home: Path) -> AccountIdResolver:
    return AccountIdResolver(
        os.environ,
        state_dir(codex_home) / "codex-account-ids.json",
        codex_home / "auth.json",
        http_client,
    )


def test_the_token_comes_from_codex_access_token_then_codex_pat_then_auth_json(
    codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = codex_home / "auth.json"
    assert personal_access_token(os.environ, auth) is None
    auth.write_text(json.dumps({"personal_access_token": "pat-from-file"}))
    assert personal_access_token(os.environ, auth) == "pat-from-file"
    monkeypatch.setenv("CODEX_PAT", "pat-from-codex-pat")
    assert personal_access_token(os.environ, auth) == "pat-from-codex-pat"
    monkeypatch.setenv("CODEX_ACCESS_TOKEN", "  ")
    assert personal_access_token(os.environ, auth) == "pat-from-codex-pat"
    monkeypatch.setenv("CODEX_ACCESS_TOKEN", "pat-from-access-token")
    assert personal_access_token(os.environ, auth) == "pat-from-access-token"


def test_an_openai_api_key_is_refused_and_pointed_at_the_openai_provider(
    codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_ACCESS_TOKEN", "sk-proj-abcdefghijklmnop")
    with pytest.raises(CodexAuthError) as caught:
        personal_access_token(os.environ, codex_home / "auth.json")
    message = str(caught.value)
    assert "OpenAI provider" in message and '"openai"' in message
    assert "abcdefghijklmnop" not in message


async def test_an_sk_key_makes_a_passthrough_request_fail_with_that_message(
    backend: MockCodexBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_PAT", "sk-abcdefghijklmnop")
    service = CodexService(os.environ)
    assert not service.available()
    with pytest.raises(UpstreamError) as caught:
        await stream(service, backend)
    assert caught.value.status == 401
    assert "OpenAI provider" in caught.value.message
    assert backend.requests == []


async def test_whoami_is_asked_once_then_the_memory_and_disk_caches_answer(
    backend: MockCodexBackend, codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = backend.add_account("acct-whoami", email="me@example.com")
    first = resolver(codex_home)
    assert await first.account_id(token) == "acct-whoami"
    assert await first.account_id(token) == "acct-whoami"
    assert len(backend.requests_to("/whoami")) == 1

    cache = state_dir(codex_home) / "codex-account-ids.json"
    assert json.loads(cache.read_text()) == {token_digest(token): "acct-whoami"}
    assert token not in cache.read_text()
    assert cache.stat().st_mode & 0o777 == 0o600

    restarted = resolver(codex_home)
    assert await restarted.account_id(token) == "acct-whoami"
    assert len(backend.requests_to("/whoami")) == 1


async def test_whoami_is_the_auth_api_s_as_codex_asks_it(
    backend: MockCodexBackend, codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = backend.add_account("acct-auth-api")
    assert await resolver(codex_home).account_id(token) == "acct-auth-api"
    (asked,) = backend.requests_to("/whoami")
    assert asked.path == "/api/accounts/v1/user-auth-credential/whoami"
    assert asked.headers["authorization"] == f"Bearer {token}"
    assert not backend.requests_to("/responses")

    monkeypatch.delenv("CODEX_AUTHAPI_BASE_URL")
    default = "https://auth.openai.com/api/accounts/v1/user-auth-credential/whoami"
    assert whoami_url(os.environ) == default
    monkeypatch.setenv("CODEX_AUTHAPI_BASE_URL", "https://auth.example/api/accounts/")
    assert whoami_url(os.environ) == (
        "https://auth.example/api/accounts/v1/user-auth-credential/whoami"
    )
    monkeypatch.setenv("CODEX_WHOAMI_URL", "http://127.0.0.1:9/who")
    assert whoami_url(os.environ) == "http://127.0.0.1:9/who"


async def test_chatgpt_account_id_is_read_first_then_account_id(
    codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([{"chatgpt_account_id": "acct-a", "account_id": "acct-b"}, {"account_id": "b"}])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=next(answers))

    def http(url: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(handler))

    ids = AccountIdResolver(os.environ, codex_home / "ids.json", codex_home / "auth.json", http)
    assert await ids.account_id("pat-one") == "acct-a"
    assert await ids.account_id("pat-two") == "b"


async def test_codex_account_id_wins_over_every_lookup(
    backend: MockCodexBackend, codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_ACCOUNT_ID", "acct-env")
    token = backend.add_account("acct-whoami")
    assert await resolver(codex_home).account_id(token) == "acct-env"
    assert backend.requests == []


async def test_auth_json_account_id_is_the_last_resort(
    backend: MockCodexBackend, codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_WHOAMI_URL", backend.origin + "/nothing-here")
    (codex_home / "auth.json").write_text(json.dumps({"tokens": {"account_id": "acct-file"}}))
    assert await resolver(codex_home).account_id("pat-x") == "acct-file"


async def refusal(service: CodexService, backend: MockCodexBackend) -> UpstreamError:
    with pytest.raises(UpstreamError) as caught:
        await stream(service, backend)
    return caught.value


async def test_a_token_whoami_refuses_too_is_invalid_mint_a_new_one(
    backend: MockCodexBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_ACCESS_TOKEN", "pat-revoked-123456")
    monkeypatch.setenv("CODEX_ACCOUNT_ID", "acct-1")
    error = await refusal(CodexService(os.environ), backend)
    assert error.status == 401
    assert error.message.startswith("[provider_auth_invalid] ")
    assert "mint a new token" in error.message
    assert "pat-revoked-123456" not in error.message
    # The backend refused, then whoami was asked why.
    assert [r.path.rsplit("/", 1)[-1] for r in backend.requests] == ["responses", "whoami"]


async def test_a_token_whoami_knows_is_access_denied_for_the_workspace_or_model(
    backend: MockCodexBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = backend.add_account("acct-denied", token="pat-no-codex-access-987")
    backend.refuse(token, status=403, code="forbidden", message="Codex is not enabled")
    monkeypatch.setenv("CODEX_ACCESS_TOKEN", token)
    error = await refusal(CodexService(os.environ), backend)
    assert error.status == 403
    assert error.message.startswith("[provider_access_denied] ")
    assert "new token will not help" in error.message
    assert token not in error.message
    # Once to resolve the account id, once more (uncached) to classify the refusal.
    assert len(backend.requests_to("/whoami")) == 2


@pytest.mark.parametrize("whoami", [503, 404, None])
async def test_a_refusal_whoami_cannot_explain_is_undetermined(
    backend: MockCodexBackend, monkeypatch: pytest.MonkeyPatch, whoami: int | None
) -> None:
    monkeypatch.setenv("CODEX_ACCESS_TOKEN", "pat-unknown-555555")
    monkeypatch.setenv("CODEX_ACCOUNT_ID", "acct-1")
    if whoami is None:
        monkeypatch.setenv("CODEX_WHOAMI_URL", "http://127.0.0.1:9/whoami")  # nothing listens
    else:
        backend.whoami_status = whoami
    error = await refusal(CodexService(os.environ), backend)
    assert error.status == 401
    assert error.message.startswith("[provider_auth_undetermined] ")
    assert ("no answer" if whoami is None else f"HTTP {whoami}") in error.message
    assert "pat-unknown-555555" not in error.message


async def test_a_whoami_answer_without_an_account_id_is_undetermined(
    codex_home: Path, backend: MockCodexBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    whoami = await AccountIdResolver(
        os.environ,
        codex_home / "ids.json",
        codex_home / "auth.json",
        lambda url: httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"email": "x"}))
        ),
    ).whoami("pat-x")
    assert whoami.category() == "provider_auth_undetermined"


async def test_the_category_reaches_the_client_through_the_proxy(
    backend: MockCodexBackend, monkeypatch: pytest.MonkeyPatch, proxy_factory: ProxyFactory
) -> None:
    monkeypatch.setenv("CODEX_ACCESS_TOKEN", "pat-expired-424242")
    monkeypatch.setenv("CODEX_ACCOUNT_ID", "acct-1")
    proxy = await proxy_factory({"models": [chat_model("chat-a", "http://127.0.0.1:9/v1")]})
    async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
        answer = await client.post(
            proxy.base_url + "/responses",
            json={"model": "codex/gpt-5.5", "stream": True, "input": "hi"},
        )
    assert answer.status_code == 401
    assert answer.json()["error"]["message"].startswith("[provider_auth_invalid] ")
    assert "pat-expired-424242" not in answer.text
