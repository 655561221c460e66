"""Rotation across ChatGPT accounts: quota walls before the first byte move the request on."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.base import Target, UpstreamError
from adapters.codex.adapter import CodexPassthroughAdapter
from examples.mockupstream import Text
from examples.mockupstream.codex_backend import FailMidStream, MockCodexBackend
from router.chatgpt.accounts_store import AccountsStore, from_token
from router.chatgpt.pat import token_digest
from router.chatgpt.service import CodexService
from router.routing.upstreams import upstream_client
from tests.codex.conftest import FakeClock, state_dir, write_login

NOW = 1_800_000_000.0


@pytest.fixture
async def adapter() -> AsyncIterator[CodexPassthroughAdapter]:
    async with upstream_client("http://127.0.0.1") as client:
        yield CodexPassthroughAdapter(client)


def add_pool_accounts(backend: MockCodexBackend, codex_home: Any, *ids: str) -> list[str]:
    """Register accounts with the mock and add their tokens to the pool, in order."""
    store = AccountsStore(state_dir(codex_home) / "accounts.json")
    tokens = []
    for account_id in ids:
        token = backend.add_account(account_id, token=f"pat-{account_id}")
        store.add(from_token(token, label=account_id))
        tokens.append(token)
    return tokens


def target(backend: MockCodexBackend) -> Target:
    return Target(slug="codex/gpt-5.5", kind="codex", model="gpt-5.5", base_url=backend.base_url)


async def run(
    service: CodexService, adapter: CodexPassthroughAdapter, backend: MockCodexBackend
) -> list[dict[str, Any]]:
    events = await service.stream(
        adapter, {"model": "codex/gpt-5.5", "input": "hi"}, target(backend)
    )
    return [event async for batch in events for event in batch]


def used_tokens(backend: MockCodexBackend) -> list[str | None]:
    return [record.token for record in backend.requests_to("/responses")]


async def test_a_429_before_streaming_moves_to_the_next_account_and_the_client_sees_one_stream(
    backend: MockCodexBackend, codex_home: Any, adapter: CodexPassthroughAdapter
) -> None:
    first, second = add_pool_accounts(backend, codex_home, "acct-1", "acct-2")
    backend.refuse(first, resets_in_seconds=1800)
    backend.script(Text("served by the second account"))
    clock = FakeClock(NOW)
    service = CodexService(os.environ, clock=clock)

    events = await run(service, adapter, backend)

    assert used_tokens(backend) == [first, second]
    types = [e["type"] for e in events]
    assert types.count("response.created") == 1
    assert types[-1] == "response.completed"
    assert not any(t in ("response.failed", "error") for t in types)
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert text == "served by the second account"
    exhausted = service.pool.state("token-" + _digest(first)).exhausted_until
    assert exhausted == pytest.approx(NOW + 1800, abs=5)


async def test_no_rotation_once_output_has_started(
    backend: MockCodexBackend, codex_home: Any, adapter: CodexPassthroughAdapter
) -> None:
    first, _ = add_pool_accounts(backend, codex_home, "acct-1", "acct-2")
    backend.script(FailMidStream("half an answer", code="usage_limit_reached"))
    service = CodexService(os.environ, clock=FakeClock(NOW))

    events = await run(service, adapter, backend)

    assert used_tokens(backend) == [first]
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"]["code"] == "usage_limit_reached"


async def test_a_cooled_down_account_comes_back_after_its_reset(
    backend: MockCodexBackend, codex_home: Any, adapter: CodexPassthroughAdapter
) -> None:
    first, second = add_pool_accounts(backend, codex_home, "acct-1", "acct-2")
    clock = FakeClock(NOW)
    service = CodexService(os.environ, clock=clock)
    backend.refuse(first, resets_in_seconds=600)
    await run(service, adapter, backend)
    # Both accounts report the same windows, so pool order decides between them.
    await run(service, adapter, backend)
    assert used_tokens(backend) == [first, second, second]

    clock.advance(601)
    await run(service, adapter, backend)
    assert used_tokens(backend)[-1] == first


async def test_every_account_exhausted_is_a_usage_limit_error_naming_the_earliest_reset(
    backend: MockCodexBackend, codex_home: Any, adapter: CodexPassthroughAdapter
) -> None:
    first, second = add_pool_accounts(backend, codex_home, "acct-1", "acct-2")
    backend.refuse(first, resets_in_seconds=7200)
    backend.refuse(second, resets_in_seconds=3600)
    service = CodexService(os.environ, clock=FakeClock(NOW))

    with pytest.raises(UpstreamError) as caught:
        await run(service, adapter, backend)
    error = caught.value
    assert error.status == 429
    assert error.body()["error"]["code"] == "usage_limit_reached"
    assert error.body()["error"]["type"] == "usage_limit_reached"
    assert "in 60 min" in error.message
    assert "pat-" not in error.message

    # The next request does not even reach the backend.
    with pytest.raises(UpstreamError):
        await run(service, adapter, backend)
    assert len(used_tokens(backend)) == 2


async def test_at_most_five_accounts_are_tried(
    backend: MockCodexBackend, codex_home: Any, adapter: CodexPassthroughAdapter
) -> None:
    tokens = add_pool_accounts(backend, codex_home, *(f"acct-{i}" for i in range(7)))
    for token in tokens:
        backend.refuse(token, resets_in_seconds=600)
    service = CodexService(os.environ, clock=FakeClock(NOW))
    with pytest.raises(UpstreamError):
        await run(service, adapter, backend)
    assert len(used_tokens(backend)) == 5


async def test_the_least_used_account_goes_first_and_usage_is_saved_for_the_cli(
    backend: MockCodexBackend, codex_home: Any, adapter: CodexPassthroughAdapter
) -> None:
    busy, fresh = add_pool_accounts(backend, codex_home, "acct-busy", "acct-fresh")
    backend.account(fresh).primary_used = 0.0
    backend.account(fresh).secondary_used = 0.0
    service = CodexService(os.environ, clock=FakeClock(NOW))

    await run(service, adapter, backend)  # learns acct-busy's usage
    await run(service, adapter, backend)  # acct-fresh has not been tried: unknown counts as unused
    await run(service, adapter, backend)  # now both are known: the unused one wins
    assert used_tokens(backend) == [busy, fresh, fresh]

    path = state_dir(codex_home) / "accounts.json"
    saved = json.loads(path.read_text())["usage"]
    assert saved["token-" + _digest(busy)]["limits"]["primary"]["used_percent"] == 10.0
    assert path.stat().st_mode & 0o777 == 0o600


async def test_the_ambient_login_serves_when_the_pool_is_empty(
    backend: MockCodexBackend, codex_home: Any, adapter: CodexPassthroughAdapter
) -> None:
    token = backend.add_account("acct-login")
    write_login(codex_home, token, "rt", "acct-login")
    await run(CodexService(os.environ), adapter, backend)
    [sent] = backend.requests_to("/responses")
    assert sent.headers["chatgpt-account-id"] == "acct-login"


def _digest(token: str) -> str:
    return token_digest(token)[:12]


async def test_an_account_denied_codex_access_hands_the_request_to_the_next_one(
    backend: MockCodexBackend, codex_home: Any, adapter: CodexPassthroughAdapter
) -> None:
    first, second = add_pool_accounts(backend, codex_home, "acct-1", "acct-2")
    backend.refuse(first, status=403, code="forbidden", message="Codex is not enabled")
    backend.script(Text("served by the second account"))

    events = await run(CodexService(os.environ), adapter, backend)

    assert used_tokens(backend) == [first, second]
    assert events[-1]["type"] == "response.completed"


async def test_when_every_account_is_denied_the_client_gets_the_category(
    backend: MockCodexBackend, codex_home: Any, adapter: CodexPassthroughAdapter
) -> None:
    tokens = add_pool_accounts(backend, codex_home, "acct-1", "acct-2")
    for token in tokens:
        backend.refuse(token, status=403, code="forbidden", message="Codex is not enabled")

    with pytest.raises(UpstreamError) as caught:
        await run(CodexService(os.environ), adapter, backend)

    assert caught.value.status == 403
    assert caught.value.message.startswith("[provider_access_denied] ")
    assert not any(token in caught.value.message for token in tokens)
