"""The first five minutes with the real Codex CLI: a fresh HOME with only a local Ollama (the
mock, answering /api/tags) and one provider key (OpenAI's, its base URL pointed at the mock),
then `autorouter init --yes`, `autorouter enable` and `codex exec`, which completes its task
through Auto with no settings file written by hand and no `-c` override."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.harness.processes import Finished, run_process
from examples.mockupstream import MockUpstream, Text, ToolCall, classifier_handler
from examples.mockupstream.replies import Reply
from tests.e2e.codex import codex_command, parse_events
from tests.integration.first_run import SCRUBBED, table_variables

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
LOCAL_MODEL = "qwen3-coder:30b"
KEY = "sk-first-run-canary-5e6f7a8b"


def agent(body: dict[str, Any]) -> Reply:
    """One shell call that creates the file, then the final answer."""
    messages = body.get("messages") or []
    if messages and messages[-1].get("role") == "tool":
        return Text("created hello.txt")
    return ToolCall("exec_command", {"cmd": "echo hello > hello.txt"})


def classifier_or_agent(body: dict[str, Any]) -> Reply:
    # The cheapest classifier-capable model is also a candidate: a classifier request is
    # the one without tools.
    return agent(body) if body.get("tools") else classifier_handler(body)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_env(tmp_path: Path, openai: MockUpstream, ollama: MockUpstream) -> dict[str, str]:
    dropped = {*SCRUBBED, *table_variables()}
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in dropped and not key.startswith(("CODEX_", "OPENAI_", "AUTOROUTER_"))
    }
    home = tmp_path / "home"
    (home / ".codex").mkdir(parents=True)
    env.update(
        HOME=str(home),
        CODEX_HOME=str(home / ".codex"),
        AUTOROUTER_STATE_DIR=str(tmp_path / "state"),
        AUTOROUTER_LOCAL_SERVERS=f"ollama={ollama.root_url}",
        OPENAI_API_KEY=KEY,
        OPENAI_BASE_URL=openai.base_url,
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


async def autorouter(env: dict[str, str], *args: str) -> Finished:
    finished = await run_process(
        [sys.executable, "-m", "router", *args], cwd=REPO, env=env, timeout=60
    )
    assert finished.returncode == 0, (args, finished.stdout, finished.stderr)
    return finished


@pytest.fixture
async def ollama() -> AsyncIterator[MockUpstream]:
    """The local Ollama: lists one model on /api/tags and serves it."""
    async with MockUpstream() as mock:
        mock.on(LOCAL_MODEL, agent)
        yield mock


async def test_init_enable_then_codex_exec_completes_through_auto(
    codex_bin: Path, mock_upstream: MockUpstream, ollama: MockUpstream, tmp_path: Path
) -> None:
    mock_upstream.on("gpt-5.4-mini", classifier_or_agent)
    mock_upstream.on("*", agent)
    env = fresh_env(tmp_path, mock_upstream, ollama)
    settings = Path(env["HOME"]) / ".config" / "codex-autorouter" / "settings.json"

    await autorouter(env, "init", "--yes")
    written = json.loads(settings.read_text())
    assert KEY not in settings.read_text()
    assert written["router"]["classifier"] == "gpt-5-4-mini"
    await autorouter(env, "enable", "--port", str(free_port()))
    try:
        workdir = tmp_path / "ws"
        workdir.mkdir()
        args = codex_command(
            codex_bin, "create hello.txt saying hello", ["-c", 'approval_policy="never"']
        )
        run = await run_process(args, cwd=workdir, env=env, timeout=120)
        events = parse_events(run.stdout)
        assert run.returncode == 0, (run.stderr[-2000:], events)
        assert (workdir / "hello.txt").read_text().strip() == "hello"
        assert any(
            event.get("type") == "item.completed"
            and event.get("item", {}).get("text") == "created hello.txt"
            for event in events
        )
    finally:
        await autorouter(env, "disable")

    classifier_calls = [
        r for r in mock_upstream.requests_for("gpt-5.4-mini") if not r.body.get("tools")
    ]
    assert len(classifier_calls) == 1
    # The OpenAI key goes to OpenAI's models only, never to the local server's.
    for request in ollama.requests:
        assert KEY not in request.headers.get("authorization", "")
    routing = Path(env["AUTOROUTER_STATE_DIR"]) / "routing.jsonl"
    routes = [
        record
        for record in map(json.loads, routing.read_text().splitlines())
        if record.get("event") == "route"
    ]
    assert routes and routes[0]["reason"] == "scored", routes
    # The local model is free and its card clears the threshold for this small task.
    assert routes[0]["chosen"] == "qwen3-coder-30b"
    assert [r for r in ollama.requests_for(LOCAL_MODEL) if r.body.get("tools")]
