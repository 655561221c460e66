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
from router.chatgpt.pat import AccountIdResolver, personal_access_token, token_digest
from router.chatgpt.service import CodexService
from tests.codex.conftest import state_dir


async def stream(service: CodexService, backend: MockCodexBackend) -> None:
    target = Target(slug="codex/gpt-5.5", kind="codex", model="gpt-5.5", base_url=backend.base_url)
    async with httpx.AsyncClient(trust_env=False) as client:
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
    monkeypatch.setenv("CODEX_WHOAMI_URL", backend.origin + "/backend-api/wham/whoami")
    first = resolver(codex_home)
    assert await first.account_id(token, backend.base_url) == "acct-whoami"
    assert await first.account_id(token, backend.base_url) == "acct-whoami"
    assert len(backend.requests_to("/whoami")) == 1

    cache = state_dir(codex_home) / "codex-account-ids.json"
    assert json.loads(cache.read_text()) == {token_digest(token): "acct-whoami"}
    assert token not in cache.read_text()
    assert cache.stat().st_mode & 0o777 == 0o600

    restarted = resolver(codex_home)
    assert await restarted.account_id(token, backend.base_url) == "acct-whoami"
    assert len(backend.requests_to("/whoami")) == 1


async def test_whoami_is_found_beside_the_codex_base_url_by_default(
    backend: MockCodexBackend, codex_home: Path
) -> None:
    token = backend.add_account("acct-default-url")
    assert await resolver(codex_home).account_id(token, backend.base_url) == "acct-default-url"
    assert backend.requests_to("/backend-api/wham/whoami")


async def test_codex_account_id_wins_over_every_lookup(
    backend: MockCodexBackend, codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_ACCOUNT_ID", "acct-env")
    token = backend.add_account("acct-whoami")
    assert await resolver(codex_home).account_id(token, backend.base_url) == "acct-env"
    assert backend.requests == []


async def test_auth_json_account_id_is_the_last_resort(
    backend: MockCodexBackend, codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_WHOAMI_URL", backend.origin + "/nothing-here")
    (codex_home / "auth.json").write_text(json.dumps({"tokens": {"account_id": "acct-file"}}))
    assert await resolver(codex_home).account_id("pat-x", backend.base_url) == "acct-file"


async def test_a_refused_token_says_to_mint_a_new_one(
    backend: MockCodexBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_ACCESS_TOKEN", "pat-revoked-123456")
    monkeypatch.setenv("CODEX_ACCOUNT_ID", "acct-1")
    with pytest.raises(UpstreamError) as caught:
        await stream(CodexService(os.environ), backend)
    assert caught.value.status == 401
    assert "mint a new token" in caught.value.message
    assert "pat-revoked-123456" not in caught.value.message
