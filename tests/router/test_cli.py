"""The `autorouter` command line, run as a user runs it: a separate process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.mockupstream import MockUpstream, classifier_handler

CANARY = "sk-canary-cli-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_settings(path: Path, base_url: str = "http://127.0.0.1:9/v1") -> Path:
    settings = {
        "models": [
            {
                "slug": "cheap",
                "model": "cheap",
                "provider": "generic-chat-completion-api",
                "base_url": base_url,
                "api_key": CANARY,
                "price": {"input": 0.1, "output": 0.4},
            },
            {
                "slug": "strong",
                "model": "strong",
                "provider": "openai",
                "base_url": base_url,
                "api_key_env": "AUTOROUTER_TEST_UNSET_KEY",
                "price": {"input": 5, "output": 20},
            },
            {
                "slug": "judge",
                "model": "mock-classifier",
                "provider": "generic-chat-completion-api",
                "base_url": base_url,
            },
        ],
        "router": {
            "classifier": "judge",
            "default": "cheap",
            "candidates": [
                {"slug": "cheap", "cost": 0.1, "card": "Cheap and fast. Simple edits."},
                {"slug": "strong", "cost": 5.0, "card": "Strong reasoning for hard problems."},
            ],
        },
    }
    path.write_text(json.dumps(settings))
    return path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "AUTOROUTER_TEST_UNSET_KEY"}
    environ["AUTOROUTER_STATE_DIR"] = str(tmp_path / "state")
    return environ


async def autorouter(*args: str, env: dict[str, str], timeout: float = 60) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "router",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_list_shows_routes_and_key_sources_never_keys(
    tmp_path: Path, env: dict[str, str]
) -> None:
    settings = write_settings(tmp_path / "s.json")
    code, out, _ = await autorouter("list", "--settings", str(settings), env=env)
    assert code == 0
    assert "codex-auto" in out and "cheap" in out and "strong" in out
    assert "$AUTOROUTER_TEST_UNSET_KEY not set" in out
    assert CANARY not in out


async def test_generate_writes_a_catalog_and_prints_a_provider_block(
    tmp_path: Path, env: dict[str, str]
) -> None:
    settings = write_settings(tmp_path / "s.json")
    catalog = tmp_path / "catalog.json"
    code, out, _ = await autorouter(
        "generate", "--settings", str(settings), "--out", str(catalog), env=env
    )
    assert code == 0
    slugs = [m["slug"] for m in json.loads(catalog.read_text())["models"]]
    assert slugs[0] == "codex-auto"
    assert 'wire_api = "responses"' in out
    assert CANARY not in out + catalog.read_text()


async def test_invalid_settings_give_one_clear_error(tmp_path: Path, env: dict[str, str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"models": [{"model": "x", "provider": "generic-chat-completion-api"}]})
    )
    code, _, err = await autorouter("list", "--settings", str(bad), env=env)
    assert code == 2
    assert str(bad) in err and "base_url" in err


async def wait_healthy(port: int, deadline: float = 15) -> dict[str, Any]:
    end = time.monotonic() + deadline
    async with httpx.AsyncClient(trust_env=False) as http:
        while time.monotonic() < end:
            try:
                response = await http.get(f"http://127.0.0.1:{port}/health")
                if response.status_code == 200:
                    return dict(response.json())
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("server never became healthy")


async def test_serve_runs_in_the_foreground_until_sigterm(
    tmp_path: Path, env: dict[str, str]
) -> None:
    settings = write_settings(tmp_path / "s.json")
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "router",
        "serve",
        "--settings",
        str(settings),
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    health = await wait_healthy(port)
    assert health["status"] == "ok" and health["auto"] == "codex-auto"
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert CANARY not in err.decode()


async def test_a_busy_port_gets_a_clear_message(tmp_path: Path, env: dict[str, str]) -> None:
    settings = write_settings(tmp_path / "s.json")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = await autorouter(
            "serve", "--settings", str(settings), "--port", str(port), env=env
        )
    assert code == 1
    assert "already in use" in err


async def test_listening_beyond_loopback_needs_an_explicit_flag(
    tmp_path: Path, env: dict[str, str]
) -> None:
    settings = write_settings(tmp_path / "s.json")
    code, _, err = await autorouter(
        "serve", "--settings", str(settings), "--host", "0.0.0.0", env=env
    )
    assert code == 1
    assert "--allow-remote" in err


async def test_daemon_start_status_stop(tmp_path: Path, env: dict[str, str]) -> None:
    settings = write_settings(tmp_path / "s.json")
    port = str(free_port())
    code, out, err = await autorouter("start", "--settings", str(settings), "--port", port, env=env)
    assert code == 0, err
    assert "running" in out
    try:
        code, out, _ = await autorouter("status", env=env)
        assert code == 0 and "healthy" in out
        pid_file = Path(env["AUTOROUTER_STATE_DIR"]) / "autorouter.pid"
        assert pid_file.exists()
    finally:
        code, out, _ = await autorouter("stop", env=env)
    assert code == 0 and "stopped" in out
    code, out, _ = await autorouter("status", env=env)
    assert code == 1 and "not running" in out


async def test_options_before_the_command_as_codex_shim_takes_them(
    tmp_path: Path, env: dict[str, str]
) -> None:
    settings = write_settings(tmp_path / "s.json")
    before, after = free_port(), free_port()
    code, out, err = await autorouter(
        "--settings", str(settings), "--port", str(before), "--host", "127.0.0.1", "start",
        "--port", str(after), env=env,
    )  # fmt: skip
    assert code == 0, err
    try:
        assert f"127.0.0.1:{after}/v1" in out  # given twice: the later one
        code, out, _ = await autorouter("--settings", str(settings), "status", env=env)
        assert code == 0 and f"127.0.0.1:{after}/v1: healthy" in out
    finally:
        await autorouter("stop", env=env)
    code, out, _ = await autorouter("--settings", str(settings), "list", env=env)
    assert code == 0 and "codex-auto" in out


@pytest.mark.parametrize(
    ("argv", "settings", "port"),
    [
        (["--settings", "a.json", "--port", "9001", "start"], "a.json", 9001),
        (["start", "--settings", "b.json", "--port", "9002"], "b.json", 9002),
        (["--settings", "a.json", "--port", "1", "start", "--port", "2"], "a.json", 2),
        (["--settings=a.json", "start", "--settings", "b.json"], "b.json", None),
        (["--port", "7", "enable"], None, 7),
        (["start"], None, None),
    ],
)
def test_the_later_of_an_option_given_twice_wins(
    argv: list[str], settings: str | None, port: int | None
) -> None:
    from router.cli.main import build_parser

    args = build_parser().parse_args(argv)
    assert (args.settings, args.port) == (settings, port)


async def test_route_prints_the_decision_table(
    tmp_path: Path, env: dict[str, str], mock_upstream: MockUpstream
) -> None:
    mock_upstream.on("mock-classifier", classifier_handler)
    settings = write_settings(tmp_path / "s.json", mock_upstream.base_url)
    code, out, err = await autorouter("route", "say hi", "--settings", str(settings), env=env)
    assert code == 0, err
    assert "cheap" in out and "strong" in out
    code, out, err = await autorouter(
        "route",
        "Redesign the architecture to remove a race condition",
        "--settings",
        str(settings),
        env=env,
    )
    assert code == 0, err
    assert len(mock_upstream.requests_for("mock-classifier")) == 2
    # Nothing was sent to the candidates themselves.
    assert mock_upstream.requests_for("cheap") == [] and mock_upstream.requests_for("strong") == []


async def test_stats_summarises_the_routing_log(tmp_path: Path, env: dict[str, str]) -> None:
    settings = write_settings(tmp_path / "s.json")
    log = tmp_path / "routing.jsonl"
    route = {
        "event": "route",
        "task": "t1",
        "chosen": "cheap",
        "reason": "scored",
        "cache_hit": False,
        "threshold": 0.7,
        "candidates": [
            {"slug": "cheap", "score": 0.9, "eligible": True, "why_not": None},
            {"slug": "strong", "score": 0.95, "eligible": True, "why_not": None},
        ],
    }
    request = {
        "event": "request",
        "task": "t1",
        "requested": "codex-auto",
        "slug": "cheap",
        "input_tokens": 1_000_000,
        "cached_tokens": 0,
        "output_tokens": 100_000,
        "reasoning_tokens": 0,
        "status": "completed",
    }
    log.write_text(json.dumps(route) + "\n" + json.dumps(request) + "\n")
    code, out, err = await autorouter(
        "stats", "--settings", str(settings), "--routing-log", str(log), env=env
    )
    assert code == 0, err
    assert "cheap" in out
    assert "saved" in out.lower()


async def test_stats_over_a_window_with_a_plot(tmp_path: Path, env: dict[str, str]) -> None:
    settings = write_settings(tmp_path / "s.json")
    log = tmp_path / "routing.jsonl"
    now = datetime.now(UTC)
    lines = []
    for task, hours_ago, slug in (("old", 48, "strong"), ("new", 1, "cheap")):
        stamp = (now - timedelta(hours=hours_ago)).isoformat()
        lines.append(
            {
                "event": "route",
                "timestamp": stamp,
                "task": task,
                "chosen": slug,
                "reason": "scored",
                "cache_hit": False,
                "candidates": [
                    {"slug": "cheap", "eligible": True},
                    {"slug": "strong", "eligible": True},
                ],
            }
        )
        lines.append(
            {
                "event": "request",
                "timestamp": stamp,
                "task": task,
                "requested": "codex-auto",
                "slug": slug,
                "input_tokens": 1000,
                "cached_tokens": 0,
                "output_tokens": 10,
                "reasoning_tokens": 0,
                "status": "completed",
            }
        )
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    plot = tmp_path / "report" / "stats.png"
    code, out, err = await autorouter(
        "stats",
        "--settings",
        str(settings),
        "--routing-log",
        str(log),
        "--since",
        "24h",
        "--plot",
        str(plot),
        env=env,
    )
    assert code == 0, err
    decisions = out.split("Decisions per reason:")[0]
    assert "cheap" in decisions and "strong" not in decisions
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = await autorouter(
        "stats",
        "--settings",
        str(settings),
        "--routing-log",
        str(log),
        "--since",
        "soon",
        env=env,
    )
    assert code == 2 and "duration" in err
