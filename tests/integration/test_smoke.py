"""`autorouter smoke` through the real proxy: one row per model, a column per capability."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from examples.mockupstream import MockUpstream
from examples.mockupstream.replies import Reply, Text, ToolCall
from router.cli.smoke import all_passed, format_table, run_smoke
from router.settings import parse_settings
from tests.integration.conftest import settings_data
from tests.proxy import start_proxy


def agent(body: dict[str, Any]) -> Reply:
    """Calls a tool when offered one; otherwise says pong."""
    if body.get("tools"):
        return ToolCall("get_time", {"city": "Paris"})
    return Text("pong")


async def test_smoke_matrix_reports_text_tool_and_image_per_model(
    isolated: Path, mock_upstream: MockUpstream
) -> None:
    mock_upstream.on("*", agent)
    data = settings_data(mock_upstream.base_url)
    data["models"][1]["api_key"] = "test-key-not-secret"
    data["models"][1]["no_image_support"] = True
    data["router"]["candidates"][1]["supports_images"] = False
    directory = isolated / "proxy"
    directory.mkdir()
    proxy = await start_proxy(data, directory)
    try:
        rows = await asyncio.to_thread(
            run_smoke, parse_settings(data), proxy.base_url, ["cheap", "strong"], True
        )
    finally:
        await proxy.runner.cleanup()

    results = dict(rows)
    assert [results["cheap"][name].ok for name in ("text", "tool", "image")] == [True] * 3
    assert results["strong"]["image"].ok is None
    assert results["cheap"]["tool"].detail == "called get_time"
    assert all_passed(rows)
    table = format_table(rows)
    assert table.splitlines()[0].split()[:4] == ["model", "text", "tool", "image"]
    assert "n/a" in table


async def test_smoke_reports_a_failing_model_without_stopping(isolated: Path) -> None:
    data = settings_data("http://127.0.0.1:9/v1")
    directory = isolated / "proxy"
    directory.mkdir()
    proxy = await start_proxy(data, directory)
    try:
        rows = await asyncio.to_thread(
            run_smoke, parse_settings(data), proxy.base_url, ["cheap", "strong"], False
        )
    finally:
        await proxy.runner.cleanup()
    assert [slug for slug, _ in rows] == ["cheap", "strong"]
    assert not all_passed(rows)
    assert rows[0][1]["text"].detail.startswith("HTTP ")
