"""ChatGPT logins: expired access tokens are refreshed once, and auth.json keeps its shape."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

from adapters.base import UpstreamError
from examples.mockupstream.codex_backend import MockCodexBackend, make_jwt
from router.chatgpt.login import AuthFileTokens, LoginCredential, Tokens, http_client, jwt_claims
from tests.codex.conftest import write_login


def expired_token(account_id: str = "acct-1") -> str:
    return make_jwt(time.time() - 10, account_id)


def login(path: Path) -> LoginCredential:
    return LoginCredential("codex-login", AuthFileTokens(path), http_client, os.environ)


async def test_twenty_concurrent_requests_with_an_expired_token_refresh_once(
    backend: MockCodexBackend, codex_home: Path
) -> None:
    backend.allow_refresh("rt-old", "acct-1")
    backend.refresh_delay = 0.05  # keep the refresh in flight while the others arrive
    path = write_login(
        codex_home,
        expired_token(),
        "rt-old",
        "acct-1",
        OPENAI_API_KEY=None,
        auth_mode="chatgpt",
        custom_field={"kept": True},
    )
    path.chmod(0o600)
    credential = login(path)

    results = await asyncio.gather(*(credential.authorization() for _ in range(20)))

    assert len(backend.refresh_requests) == 1
    assert backend.refresh_requests[0] == {
        "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
        "grant_type": "refresh_token",
        "refresh_token": "rt-old",
        "scope": "openid profile email",
    }
    assert len({token for token, _ in results}) == 1
    assert {account for _, account in results} == {"acct-1"}
    saved = json.loads(path.read_text())
    assert saved["auth_mode"] == "chatgpt"
    assert saved["OPENAI_API_KEY"] is None
    assert saved["custom_field"] == {"kept": True}
    assert saved["tokens"]["access_token"] == results[0][0]
    assert saved["tokens"]["refresh_token"] != "rt-old"
    assert saved["tokens"]["account_id"] == "acct-1"
    assert "last_refresh" in saved
    assert path.stat().st_mode & 0o777 == 0o600
    assert jwt_claims(results[0][0])["exp"] > time.time()


async def test_a_fresh_token_is_used_without_refreshing(
    backend: MockCodexBackend, codex_home: Path
) -> None:
    token = backend.add_account("acct-1")
    path = write_login(codex_home, token, "rt-unused", "acct-1")
    assert await login(path).authorization() == (token, "acct-1")
    assert backend.refresh_requests == []


async def test_the_account_id_falls_back_to_the_token_claims(
    backend: MockCodexBackend, codex_home: Path
) -> None:
    token = backend.add_account("acct-from-claims")
    path = write_login(codex_home, token, "rt", account_id=None)
    assert (await login(path).authorization())[1] == "acct-from-claims"


async def test_a_refused_refresh_says_to_log_in_again_without_leaking_tokens(
    backend: MockCodexBackend, codex_home: Path
) -> None:
    path = write_login(codex_home, expired_token(), "rt-revoked", "acct-1")
    with pytest.raises(UpstreamError) as caught:
        await login(path).authorization()
    assert caught.value.status == 401
    assert "codex login" in caught.value.message
    assert "rt-revoked" not in caught.value.message


def test_tokens_never_show_in_a_repr() -> None:
    tokens = Tokens("secret-access", "secret-refresh", "secret-id", "acct-1")
    assert "secret" not in repr(tokens)
