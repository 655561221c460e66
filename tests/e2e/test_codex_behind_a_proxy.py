"""`autorouter codex` behind an HTTP proxy variable that points where nothing answers.

Codex 0.169.0 sends a loopback provider's requests through `HTTP_PROXY`, `http_proxy` and
`ALL_PROXY` unless `NO_PROXY` / `no_proxy` exempts 127.0.0.1 (run without the exemption,
each of these ends in five reconnects and a failed turn), so the run below reaches the
proxy only because `autorouter codex` adds the loopback names to what it launches.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from benchmarks.harness.processes import run_process
from examples.mockupstream import MockUpstream, Text, ToolCall
from tests.e2e.codex import codex_command, codex_env, parse_events
from tests.proxy import ProxyFactory, chat_model

pytestmark = pytest.mark.e2e


def dead_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_autorouter_codex_keeps_loopback_off_a_dead_proxy(
    codex_bin: Path, mock_upstream: MockUpstream, proxy_factory: ProxyFactory, tmp_path: Path
) -> None:
    mock_upstream.script(
        "chat-a",
        ToolCall("exec_command", {"cmd": 'printf "%s|%s" "$NO_PROXY" "$no_proxy" > env.txt'}),
        Text("done behind the proxy"),
    )
    proxy = await proxy_factory({"models": [chat_model("chat-a", mock_upstream.base_url)]})
    dead = f"http://127.0.0.1:{dead_port()}"
    env = codex_env(tmp_path / "home", None)
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy"):
        env.pop(name, None)
    env.update(
        {
            "HTTP_PROXY": dead,
            "http_proxy": dead,
            "ALL_PROXY": dead,
            "no_proxy": "corp.example,localhost",  # the user's own entries stay
            "AUTOROUTER_STATE_DIR": str(tmp_path / "state"),
            "CODEX_BIN": str(codex_bin.absolute()),
            "PYTHONPATH": os.pathsep.join(sys.path),
        }
    )
    (tmp_path / "home").mkdir()
    (tmp_path / "ws").mkdir()
    # `codex_command` builds `codex exec ...`; `autorouter codex` takes what follows `codex`.
    exec_args = codex_command(codex_bin, "write env.txt", ["-c", 'approval_policy="never"'])[1:]
    finished = await run_process(
        [
            sys.executable, "-m", "router",
            "--settings", str(proxy.settings_path), "--port", str(proxy.port),
            "codex", "--model", "chat-a", "--", *exec_args,
        ],
        cwd=tmp_path / "ws",
        env=env,
        timeout=120,
    )  # fmt: skip
    events = parse_events(finished.stdout)
    messages = [
        event["item"].get("text")
        for event in events
        if event.get("type") == "item.completed" and event["item"].get("type") == "agent_message"
    ]
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert messages[-1:] == ["done behind the proxy"]
    assert len(mock_upstream.requests_for("chat-a")) == 2
    exempt = "corp.example,localhost,127.0.0.1,::1"
    assert (tmp_path / "ws" / "env.txt").read_text() == f"{exempt}|{exempt}"
