"""The real Codex CLI, through the proxy, served by the (mock) ChatGPT Codex backend."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.harness.processes import Finished, run_process
from examples.mockupstream import Text, ToolCall
from examples.mockupstream.codex_backend import CLIENT_ID, MockCodexBackend, make_jwt
from router.chatgpt.accounts_store import AccountsStore, from_codex_auth, from_token
from router.codex_setup.catalog import write_catalog
from router.settings import load_settings
from tests.codex.conftest import state_dir, write_login
from tests.e2e.codex import CodexRun, codex_command, codex_env, parse_events, run_codex_exec
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


def owner_codex_args(backend: MockCodexBackend) -> list[str]:
    """The owner's own Codex, logged in with ChatGPT, talking to the (mock) backend."""
    provider = (
        f'{{name="chatgpt", base_url="{backend.base_url}", wire_api="responses", '
        "requires_openai_auth=true}"
    )
    return [
        *("-c", f'chatgpt_base_url="{backend.origin}/backend-api/"'),
        *("-c", 'model_provider="chatgpt"'),
        *("-c", f"model_providers.chatgpt={provider}"),
        *("-c", 'model="gpt-5.5"'),
    ]


async def owner_codex(
    codex_bin: Path, home: Path, backend: MockCodexBackend, workdir: Path
) -> tuple[Finished, list[dict[str, Any]]]:
    workdir.mkdir(exist_ok=True)
    finished = await run_process(
        codex_command(codex_bin, "say hi", owner_codex_args(backend)),
        cwd=workdir,
        env=codex_env(home, {"CODEX_REFRESH_TOKEN_URL_OVERRIDE": backend.token_url}),
        timeout=120,
    )
    return finished, parse_events(finished.stdout)


def as_an_hour_later(path: Path, backend: MockCodexBackend) -> None:
    """The owner's access token has expired since (its refresh token is untouched)."""
    data = json.loads(path.read_text())
    data["tokens"]["access_token"] = backend.add_account(
        "acct-1", token=make_jwt(time.time() - 60, "acct-1")
    )
    path.write_text(json.dumps(data))


async def test_the_owner_s_own_codex_refreshes_with_what_the_pool_wrote_back(
    codex_bin: Path,
    backend: MockCodexBackend,
    codex_home: Path,
    proxy_factory: ProxyFactory,
    tmp_path: Path,
) -> None:
    owner = write_login(
        codex_home, make_jwt(time.time() - 10, "acct-1"), "rt-1", "acct-1", auth_mode="chatgpt"
    )
    unlinked_copy = tmp_path / "without-write-back"
    unlinked_copy.mkdir()
    backend.allow_refresh("rt-1", "acct-1")
    AccountsStore(state_dir(codex_home) / "accounts.json").add(from_codex_auth(owner))
    proxy = await proxy_factory(SETTINGS)
    backend.script(Text("served by the pool"))
    assert (await run(codex_bin, proxy, tmp_path, "say hi")).returncode == 0
    written_back = json.loads(owner.read_text())["tokens"]["refresh_token"]
    # What the owner's file would hold had the pool kept the refresh to itself.
    spent = json.loads(owner.read_text())
    spent["tokens"]["refresh_token"] = "rt-1"
    (unlinked_copy / "auth.json").write_text(json.dumps(spent))
    as_an_hour_later(owner, backend)
    as_an_hour_later(unlinked_copy / "auth.json", backend)

    backend.script(Text("the owner is still logged in"))
    finished, events = await owner_codex(codex_bin, codex_home, backend, tmp_path / "owner")

    assert finished.returncode == 0, finished.stderr[-2000:]
    assert [e["item"]["text"] for e in events if e["type"] == "item.completed"] == [
        "the owner is still logged in"
    ]
    assert [r["refresh_token"] for r in backend.refresh_requests] == ["rt-1", written_back]

    # Without the write-back the owner's Codex would have had only the spent token.
    backend.script(Text("never sent"))
    finished, events = await owner_codex(codex_bin, unlinked_copy, backend, tmp_path / "other")
    assert backend.refresh_requests[-1]["refresh_token"] == "rt-1"
    assert finished.returncode != 0 or any(e["type"] == "turn.failed" for e in events)
    assert all("never sent" not in json.dumps(event) for event in events)
