"""The real Codex CLI, before and after `enable`: conversations made under Codex's own
provider stay listed under ours, `model/list` shows Auto and our models, and after
`disable` both the file and the listing are as they were."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
from pathlib import Path

import pytest

from examples.mockupstream import MockUpstream
from examples.mockupstream.scenarios import install_demo
from router.codex_setup.catalog import write_catalog
from router.codex_setup.config_toml import PROVIDER_ID, CodexConfig, managed_entries
from router.codex_setup.history import move_threads, rollout_provider, rollouts, state_database
from router.settings import Settings
from tests.e2e.codex import codex_command, codex_env
from tests.integration.app_server import AppServer

pytestmark = pytest.mark.e2e

USER_CONFIG = """\
# my own Codex settings
approval_policy = "never"   # I trust it

[profiles.review]
model_reasoning_effort = "high"
"""
EXEC_SOURCES = {"sourceKinds": ["exec"]}
"""`thread/list` shows interactive sources by default; `codex exec` threads are `exec`."""


async def native_exec(codex_bin: Path, home: Path, workdir: Path, upstream: str) -> None:
    """One `codex exec` under Codex's built-in `openai` provider, aimed at the mock."""
    workdir.mkdir(exist_ok=True)
    args = codex_command(
        codex_bin,
        "say hello",
        ["-c", f'openai_base_url="{upstream}"', "-c", 'model="gpt-5.5"'],
    )
    process = await asyncio.create_subprocess_exec(
        *args,
        cwd=workdir,
        env=codex_env(home, {"CODEX_API_KEY": "dummy-not-a-key"}),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), 180)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        raise
    assert process.returncode == 0, stderr.decode()[-2000:]


def thread_providers(home: Path) -> dict[str, str]:
    database = state_database(home)
    assert database is not None
    with sqlite3.connect(database) as connection:
        return dict(connection.execute("SELECT id, model_provider FROM threads"))


async def test_enable_keeps_native_threads_visible_and_disable_restores(
    codex_bin: Path, settings: Settings, isolated: Path
) -> None:
    home = Path(os.environ["CODEX_HOME"])
    state = isolated / "state"
    async with MockUpstream() as mock:
        install_demo(mock)
        await native_exec(codex_bin, home, isolated / "ws", f"{mock.root_url}/v1")
    before = thread_providers(home)
    assert list(before.values()) == ["openai"]
    (thread_id,) = before
    (home / "config.toml").write_text(USER_CONFIG)

    config = CodexConfig(home / "config.toml", state)
    catalog = write_catalog(settings, state / "catalog.json")
    enabled = config.enable(managed_entries("http://127.0.0.1:8642", catalog, "codex-auto"))
    moved = move_threads(home, enabled.native_provider, PROVIDER_ID, state / "backups")

    assert moved.problem is None and moved.moved_threads == 1 and moved.rewritten_rollouts == 1
    assert moved.backup is not None and any(moved.backup.glob("state_*.sqlite"))
    assert [rollout_provider(p) for p in rollouts(home)] == [PROVIDER_ID]
    async with AppServer(codex_bin, home, isolated) as server:
        models = (await server.request("model/list"))["data"]
        listed = await server.request("thread/list", EXEC_SOURCES)
    by_id = {entry["id"]: entry for entry in models}
    assert by_id["codex-auto"]["displayName"] == "Auto (smart routing)"
    assert by_id["codex-auto"]["isDefault"] is True
    assert {"cheap", "strong"} <= set(by_id)
    assert [(t["id"], t["modelProvider"]) for t in listed["data"]] == [(thread_id, PROVIDER_ID)]

    result = config.disable()
    assert result is not None and result.restored_exactly
    back = move_threads(home, PROVIDER_ID, result.native_provider, state / "backups")

    assert back.moved_threads == 1
    assert (home / "config.toml").read_text() == USER_CONFIG
    assert thread_providers(home) == before
    async with AppServer(codex_bin, home, isolated) as server:
        listed = await server.request("thread/list", EXEC_SOURCES)
    assert [(t["id"], t["modelProvider"]) for t in listed["data"]] == [(thread_id, "openai")]
