"""Logins imported from Codex's or Pi's auth.json stay valid for their owner: the pool
writes its refreshes back (refresh tokens are single-use) and takes the owner's newer
login when there is one."""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.base import Target
from adapters.codex.adapter import CodexPassthroughAdapter
from examples.mockupstream.codex_backend import CLIENT_ID, MockCodexBackend, make_jwt
from router.chatgpt.accounts_store import AccountsStore, from_codex_auth, from_pi_auth
from router.chatgpt.login import LoginCredential, Tokens, http_client
from router.chatgpt.service import CodexService
from router.routing.upstreams import upstream_client
from tests.codex.conftest import state_dir, write_login


@pytest.fixture
async def adapter() -> AsyncIterator[CodexPassthroughAdapter]:
    async with upstream_client("http://127.0.0.1") as client:
        yield CodexPassthroughAdapter(client)


def pool(codex_home: Path) -> AccountsStore:
    return AccountsStore(state_dir(codex_home) / "accounts.json")


def expired(account_id: str = "acct-1") -> str:
    return make_jwt(time.time() - 10, account_id)


async def ask(service: CodexService, adapter: CodexPassthroughAdapter, base_url: str) -> str:
    """One passthrough request; returns the type of its last event."""
    target = Target(slug="codex/gpt-5.5", kind="codex", model="gpt-5.5", base_url=base_url)
    events = await service.stream(adapter, {"model": "gpt-5.5", "input": "hi"}, target)
    return [event async for batch in events for event in batch][-1]["type"]


async def trade(backend: MockCodexBackend, refresh_token: str) -> int:
    """What the owner's own client does at its next refresh: the token endpoint's status."""
    async with httpx.AsyncClient(trust_env=False) as client:
        answer = await client.post(
            backend.token_url,
            json={
                "client_id": CLIENT_ID,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            },
        )
    return answer.status_code


def pooled_tokens(codex_home: Path) -> Tokens:
    tokens = pool(codex_home).load().accounts[0].tokens
    assert tokens is not None
    return tokens


async def test_the_mock_token_endpoint_takes_each_refresh_token_once(
    backend: MockCodexBackend,
) -> None:
    backend.allow_refresh("rt-once", "acct-1")
    assert await trade(backend, "rt-once") == 200
    assert await trade(backend, "rt-once") == 400


async def test_a_refreshed_codex_login_is_written_back_and_its_owner_stays_logged_in(
    backend: MockCodexBackend, codex_home: Path, adapter: CodexPassthroughAdapter
) -> None:
    path = write_login(
        codex_home,
        expired(),
        "rt-1",
        "acct-1",
        OPENAI_API_KEY=None,
        auth_mode="chatgpt",
        custom_field={"kept": True},
    )
    path.chmod(0o640)
    backend.allow_refresh("rt-1", "acct-1")
    pool(codex_home).add(from_codex_auth(path))

    assert await ask(CodexService(os.environ), adapter, backend.base_url) == "response.completed"

    assert len(backend.refresh_requests) == 1
    saved = json.loads(path.read_text())
    pooled = pooled_tokens(codex_home)
    assert saved["tokens"]["access_token"] == pooled.access_token
    assert backend.requests_to("/responses")[0].token == pooled.access_token
    assert saved["tokens"]["refresh_token"] == pooled.refresh_token != "rt-1"
    assert saved["tokens"]["id_token"] == pooled.id_token
    assert saved["tokens"]["account_id"] == "acct-1"
    assert saved["OPENAI_API_KEY"] is None
    assert saved["auth_mode"] == "chatgpt"
    assert saved["custom_field"] == {"kept": True}
    assert "last_refresh" in saved
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in path.parent.iterdir()] == ["auth.json"]  # no temporary left
    # Codex's next refresh uses what its file holds: that works; the spent one would not.
    assert await trade(backend, "rt-1") == 400
    assert await trade(backend, saved["tokens"]["refresh_token"]) == 200


async def test_a_refreshed_pi_login_is_written_back_in_pi_s_format(
    backend: MockCodexBackend, codex_home: Path, tmp_path: Path, adapter: CodexPassthroughAdapter
) -> None:
    pi = tmp_path / "pi" / "auth.json"
    pi.parent.mkdir()
    pi.write_text(
        json.dumps(
            {
                "anthropic": {"type": "oauth", "access": "claude-access", "refresh": "claude-rt"},
                "openai-codex": {
                    "type": "oauth",
                    "access": expired("acct-pi"),
                    "refresh": "rt-pi",
                    "expires": 1000,
                    "accountId": "acct-pi",
                },
            }
        )
    )
    pi.chmod(0o600)
    backend.allow_refresh("rt-pi", "acct-pi")
    pool(codex_home).add(from_pi_auth(pi))

    assert await ask(CodexService(os.environ), adapter, backend.base_url) == "response.completed"

    saved = json.loads(pi.read_text())
    pooled = pooled_tokens(codex_home)
    entry = saved["openai-codex"]
    assert entry["access"] == pooled.access_token
    assert entry["refresh"] == pooled.refresh_token != "rt-pi"
    assert entry["accountId"] == "acct-pi" and entry["type"] == "oauth"
    assert entry["expires"] > time.time() * 1000
    assert saved["anthropic"] == {
        "type": "oauth",
        "access": "claude-access",
        "refresh": "claude-rt",
    }
    assert pi.stat().st_mode & 0o777 == 0o600
    assert await trade(backend, entry["refresh"]) == 200


async def test_the_owner_s_newer_login_wins_without_a_refresh(
    backend: MockCodexBackend, codex_home: Path, adapter: CodexPassthroughAdapter
) -> None:
    path = write_login(codex_home, expired(), "rt-old", "acct-1", auth_mode="chatgpt")
    pool(codex_home).add(from_codex_auth(path))
    service = CodexService(os.environ)
    # Meanwhile the owner ran `codex login` again (or Codex refreshed first).
    fresh = backend.add_account("acct-1")
    write_login(codex_home, fresh, "rt-owner", "acct-1", auth_mode="chatgpt")

    assert await ask(service, adapter, backend.base_url) == "response.completed"

    assert backend.refresh_requests == []
    assert backend.requests_to("/responses")[0].token == fresh
    assert pooled_tokens(codex_home).refresh_token == "rt-owner"
    assert json.loads(path.read_text())["tokens"]["refresh_token"] == "rt-owner"


async def test_an_older_copy_in_the_owner_s_file_does_not_replace_a_newer_pool_login(
    backend: MockCodexBackend, codex_home: Path, adapter: CodexPassthroughAdapter
) -> None:
    current = backend.add_account("acct-1")
    path = write_login(codex_home, current, "rt-current", "acct-1")
    pool(codex_home).add(from_codex_auth(path))
    # A write-back that failed leaves the owner's file behind the pool.
    write_login(codex_home, expired(), "rt-spent", "acct-1")

    assert await ask(CodexService(os.environ), adapter, backend.base_url) == "response.completed"
    assert backend.requests_to("/responses")[0].token == current
    assert pooled_tokens(codex_home).refresh_token == "rt-current"


@pytest.mark.parametrize("owner", ["logged out", "another account"])
async def test_a_file_its_owner_left_or_switched_is_not_written(
    backend: MockCodexBackend, codex_home: Path, adapter: CodexPassthroughAdapter, owner: str
) -> None:
    path = write_login(codex_home, expired(), "rt-1", "acct-1")
    backend.allow_refresh("rt-1", "acct-1")
    pool(codex_home).add(from_codex_auth(path))
    if owner == "logged out":
        path.unlink()
    else:
        write_login(codex_home, backend.add_account("acct-2"), "rt-theirs", "acct-2")
    before = path.read_text() if path.exists() else None

    assert await ask(CodexService(os.environ), adapter, backend.base_url) == "response.completed"

    assert len(backend.refresh_requests) == 1
    assert pooled_tokens(codex_home).refresh_token not in (None, "rt-1")
    assert (path.read_text() if path.exists() else None) == before


async def test_a_symlinked_auth_json_stays_a_symlink(
    backend: MockCodexBackend, codex_home: Path, tmp_path: Path, adapter: CodexPassthroughAdapter
) -> None:
    real = write_login(tmp_path, expired(), "rt-1", "acct-1")
    link = codex_home / "auth.json"
    link.symlink_to(real)
    backend.allow_refresh("rt-1", "acct-1")
    pool(codex_home).add(from_codex_auth(link))

    assert await ask(CodexService(os.environ), adapter, backend.base_url) == "response.completed"

    assert link.is_symlink()
    assert json.loads(real.read_text())["tokens"]["refresh_token"] != "rt-1"


async def test_a_pool_file_from_before_links_keeps_working(
    backend: MockCodexBackend, codex_home: Path, adapter: CodexPassthroughAdapter
) -> None:
    access = expired()
    entry: dict[str, Any] = {
        "id": "acct-1",
        "kind": "login",
        "source": "codex",
        "label": "old",
        "email": None,
        "account_id": "acct-1",
        "tokens": {"access_token": access, "refresh_token": "rt-1", "id_token": None},
    }
    accounts = state_dir(codex_home) / "accounts.json"
    accounts.parent.mkdir(parents=True)
    accounts.write_text(json.dumps({"version": 1, "pinned": None, "accounts": [entry]}))
    untouched = write_login(codex_home, access, "rt-1", "acct-1").read_text()
    backend.allow_refresh("rt-1", "acct-1")

    assert await ask(CodexService(os.environ), adapter, backend.base_url) == "response.completed"

    assert pooled_tokens(codex_home).refresh_token != "rt-1"
    assert (codex_home / "auth.json").read_text() == untouched
    assert "linked_file" not in json.loads(accounts.read_text())["accounts"][0]


class OwnerRefreshesMeanwhile:
    """A store whose owner refreshes (spending our refresh token) right after we read it."""

    def __init__(self, backend: MockCodexBackend) -> None:
        self.backend = backend
        self.reads = 0
        self.theirs = Tokens(backend.add_account("acct-1"), "rt-theirs", None, "acct-1")

    def load(self) -> Tokens:
        self.reads += 1
        return Tokens(expired(), "rt-spent", None, "acct-1") if self.reads <= 2 else self.theirs

    def save(self, tokens: Tokens) -> None:
        raise AssertionError("nothing to save: the refresh failed")


async def test_a_refresh_token_the_owner_just_spent_gives_way_to_the_owner_s_login(
    backend: MockCodexBackend,
) -> None:
    store = OwnerRefreshesMeanwhile(backend)
    credential = LoginCredential("acct-1", store, http_client, os.environ)
    assert await credential.authorization() == (store.theirs.access_token, "acct-1")
    assert [r["refresh_token"] for r in backend.refresh_requests] == ["rt-spent"]
