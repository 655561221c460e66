"""The real Codex CLI, through the proxy, served by the (mock) ChatGPT Codex backend."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from examples.mockupstream import Text, ToolCall
from examples.mockupstream.codex_backend import CLIENT_ID, MockCodexBackend, make_jwt
from router.chatgpt.accounts_store import AccountsStore, from_codex_auth, from_token
from router.codex_setup.catalog import write_catalog
from router.settings import load_settings
from tests.codex.conftest import state_dir, write_login
from tests.e2e.codex import CodexRun, run_codex_exec
from tests.proxy import ProxyFactory, RunningProxy, chat_model

pytestmark = pytest.mark.e2e

SETTINGS = {"models": [chat_model("chat-a", "http://127.0.0.1:9/v1")]}


async def run(codex_bin: Path, proxy: RunningProxy, tmp_path: Path, prompt: str) -> CodexRun:
    catalog = write_catalog(load_settings(proxy.settings_path), tmp_path / "catalog.json")
    return await run_codex_exec(
        codex_bin,
        proxy.base_url,
        prompt,
        model="codex/gpt-5.5-codex",
        workdir=tmp_path / "ws",
        codex_home=tmp_path / "codex-cli-home",
        catalog_path=catalog,
    )


async def test_codex_runs_a_tool_call_task_through_the_passthrough(
    codex_bin: Path,
    backend: MockCodexBackend,
    codex_home: Path,
    proxy_factory: ProxyFactory,
    tmp_path: Path,
) -> None:
    token = backend.add_account("acct-1")
    write_login(codex_home, token, "rt", "acct-1")
    backend.script(
        ToolCall("exec_command", {"cmd": "echo hello > out.txt"}, call_id="call_one"),
        Text("done"),
    )
    proxy = await proxy_factory(SETTINGS)

    result = await run(codex_bin, proxy, tmp_path, "create out.txt")

    assert result.returncode == 0, result.describe()
    assert (tmp_path / "ws" / "out.txt").read_text().strip() == "hello"
    assert result.final_message == "done"
    first, second = backend.requests_to("/responses")
    assert first.body["model"] == "gpt-5.5-codex"
    assert first.headers["originator"] == "codex_exec"
    assert first.headers["session-id"] == second.headers["session-id"]
    [output] = [i for i in second.body["input"] if i.get("type") == "function_call_output"]
    assert output["call_id"] == "call_one"


async def test_codex_never_sees_the_quota_wall_of_the_first_account(
    codex_bin: Path,
    backend: MockCodexBackend,
    codex_home: Path,
    proxy_factory: ProxyFactory,
    tmp_path: Path,
) -> None:
    store = AccountsStore(state_dir(codex_home) / "accounts.json")
    first = backend.add_account("acct-1", token="pat-first")
    second = backend.add_account("acct-2", token="pat-second")
    for account_token in (first, second):
        store.add(from_token(account_token))
    backend.refuse(first, resets_in_seconds=3600)
    backend.script(Text("served by account two"))
    proxy = await proxy_factory(SETTINGS)

    result = await run(codex_bin, proxy, tmp_path, "say hi")

    assert result.returncode == 0, result.describe()
    assert result.final_message == "served by account two"
    assert result.errors == []
    assert [r.token for r in backend.requests_to("/responses")] == [first, second]


async def test_a_pooled_codex_login_refreshed_for_codex_stays_valid_in_its_owner_s_file(
    codex_bin: Path,
    backend: MockCodexBackend,
    codex_home: Path,
    proxy_factory: ProxyFactory,
    tmp_path: Path,
) -> None:
    owner = write_login(
        codex_home, make_jwt(time.time() - 10, "acct-1"), "rt-1", "acct-1", auth_mode="chatgpt"
    )
    owner.chmod(0o600)
    backend.allow_refresh("rt-1", "acct-1")
    AccountsStore(state_dir(codex_home) / "accounts.json").add(from_codex_auth(owner))
    backend.script(Text("served after a refresh"))
    proxy = await proxy_factory(SETTINGS)

    result = await run(codex_bin, proxy, tmp_path, "say hi")

    assert result.returncode == 0, result.describe()
    assert result.final_message == "served after a refresh"
    assert len(backend.refresh_requests) == 1
    saved = json.loads(owner.read_text())
    assert saved["auth_mode"] == "chatgpt"
    assert saved["tokens"]["access_token"] == backend.requests_to("/responses")[0].token
    assert owner.stat().st_mode & 0o777 == 0o600
    # The owner's next refresh: the spent token is refused, the written-back one works.
    for refresh, status in (("rt-1", 400), (saved["tokens"]["refresh_token"], 200)):
        async with httpx.AsyncClient(trust_env=False) as client:
            answer = await client.post(
                backend.token_url,
                json={
                    "client_id": CLIENT_ID,
                    "grant_type": "refresh_token",
                    "refresh_token": refresh,
                },
            )
        assert answer.status_code == status
