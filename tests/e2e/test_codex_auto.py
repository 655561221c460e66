"""Auto routing under the real Codex CLI: one decision per task, kept across tool round trips."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from examples.mockupstream import MockUpstream, Text, ToolCall, classifier_handler
from router.codex_setup.catalog import codex_overrides, write_catalog
from router.settings import load_settings
from tests.e2e.codex import run_codex_exec
from tests.proxy import ProxyFactory, RunningProxy, chat_model

pytestmark = pytest.mark.e2e

ROUND_TRIPS = 3


def agent(body: dict[str, Any]) -> Any:
    """Three shell calls per user turn, then a final answer."""
    messages = body.get("messages") or []
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    calls_this_turn = sum(1 for m in messages[last_user:] if m["role"] == "tool")
    if calls_this_turn < ROUND_TRIPS:
        return ToolCall("exec_command", {"cmd": f"echo step{calls_this_turn} >> log.txt"})
    return Text("all steps done")


@pytest.fixture
async def proxy(mock_upstream: MockUpstream, proxy_factory: ProxyFactory) -> RunningProxy:
    mock_upstream.on("mock-classifier", classifier_handler)
    mock_upstream.on("*", agent)
    return await proxy_factory(
        {
            "models": [
                chat_model("cheap-a", mock_upstream.base_url, no_image_support=True),
                chat_model("strong-b", mock_upstream.base_url),
                chat_model("mock-classifier", mock_upstream.base_url),
            ],
            "router": {
                "classifier": "mock-classifier",
                "default": "strong-b",
                "candidates": [
                    {"slug": "cheap-a", "cost": 0.2, "card": "Cheap and fast. Simple edits."},
                    {"slug": "strong-b", "cost": 3.0, "card": "Strong reasoning for hard work."},
                ],
            },
        }
    )


def served_models(mock: MockUpstream) -> list[str]:
    return [r.model for r in mock.requests if r.model != "mock-classifier"]


async def test_one_classifier_call_per_task_and_no_switch_within_it(
    codex_bin: Path, proxy: RunningProxy, mock_upstream: MockUpstream, tmp_path: Path
) -> None:
    catalog = write_catalog(load_settings(proxy.settings_path), tmp_path / "catalog.json")
    common = {
        "model": "codex-auto",
        "workdir": tmp_path / "ws",
        "codex_home": tmp_path / "home",
        "catalog_path": catalog,
    }
    first = await run_codex_exec(codex_bin, proxy.base_url, "print hello", **common)  # type: ignore[arg-type]
    assert first.returncode == 0, first.describe()
    assert (tmp_path / "ws" / "log.txt").read_text().split() == ["step0", "step1", "step2"]
    assert len(mock_upstream.requests_for("mock-classifier")) == 1
    assert served_models(mock_upstream) == ["cheap-a"] * (ROUND_TRIPS + 1)
    routes = proxy.routing_records("route")
    assert [r["reason"] for r in routes] == ["scored"] + ["cache_hit"] * ROUND_TRIPS
    assert len({r["task"] for r in routes}) == 1

    second = await run_codex_exec(
        codex_bin,
        proxy.base_url,
        "print hello again",
        resume=True,
        **common,  # type: ignore[arg-type]
    )
    assert second.returncode == 0, second.describe()
    assert len(mock_upstream.requests_for("mock-classifier")) == 2
    tasks = [r["task"] for r in proxy.routing_records("route")]
    assert len(set(tasks)) == 2
    assert all(r.headers.get("x-autorouter-model") is None for r in mock_upstream.requests)


async def test_the_classifier_never_sees_a_price_or_a_cost(
    codex_bin: Path, proxy: RunningProxy, mock_upstream: MockUpstream, tmp_path: Path
) -> None:
    catalog = write_catalog(load_settings(proxy.settings_path), tmp_path / "catalog.json")
    result = await run_codex_exec(
        codex_bin,
        proxy.base_url,
        "print hello",
        model="codex-auto",
        workdir=tmp_path / "ws",
        codex_home=tmp_path / "home",
        catalog_path=catalog,
    )
    assert result.returncode == 0, result.describe()
    [classifier_request] = mock_upstream.requests_for("mock-classifier")
    wire = json.dumps(classifier_request.body).lower()
    for forbidden in ("cost", "price", "0.2", "3.0", "cheap-a", "strong-b"):
        assert forbidden not in wire


async def app_server_call(
    process: asyncio.subprocess.Process, message: dict[str, Any]
) -> dict[str, Any]:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write((json.dumps(message) + "\n").encode())
    await process.stdin.drain()
    while True:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert line, "app-server closed its output"
        reply = json.loads(line)
        if reply.get("id") == message.get("id"):
            return reply


async def test_app_server_lists_auto_from_our_catalog(
    codex_bin: Path, proxy: RunningProxy, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    catalog = write_catalog(load_settings(proxy.settings_path), tmp_path / "catalog.json")
    overrides = codex_overrides(proxy.base_url, catalog, "codex-auto")
    process = await asyncio.create_subprocess_exec(
        str(codex_bin),
        "app-server",
        *overrides,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(home), "CODEX_HOME": str(home)},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await app_server_call(
            process,
            {
                "id": 1,
                "method": "initialize",
                "params": {"clientInfo": {"name": "tests", "version": "1"}},
            },
        )
        assert process.stdin is not None
        process.stdin.write(b'{"method":"initialized"}\n')
        listed = await app_server_call(process, {"id": 2, "method": "model/list", "params": {}})
    finally:
        process.terminate()
        await process.wait()
    models = listed["result"]["data"]
    names = {m["id"]: m["displayName"] for m in models}
    assert names["codex-auto"] == "Auto (smart routing)"
    assert {"cheap-a", "strong-b"} <= set(names)
    auto = next(m for m in models if m["id"] == "codex-auto")
    assert "image" in [modality.lower() for modality in auto.get("inputModalities", [])]
