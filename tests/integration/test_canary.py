"""A planted key never appears in a log, snapshot, catalog, config or error message."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from router.cli import main as cli
from router.codex_setup.catalog import write_catalog
from router.settings import Settings
from router.telemetry.logs import configure_logging
from router.telemetry.snapshots import list_snapshots, sanitize, write_snapshot
from tests.integration.conftest import CANARY, settings_data
from tests.proxy import start_proxy

PNG = base64.b64encode(b"\x89PNG" + b"\x00" * 96).decode()


@pytest.fixture
def service_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(stream)
    yield stream
    configure_logging()


def everything_written(root: Path) -> str:
    return "\n".join(
        path.read_text(errors="replace") for path in sorted(root.rglob("*")) if path.is_file()
    )


async def test_the_canary_never_leaks(
    isolated: Path,
    settings: Settings,
    service_log: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AUTOROUTER_SNAPSHOTS", "1")
    directory = isolated / "proxy"
    directory.mkdir()
    proxy = await start_proxy(settings_data(), directory)
    try:
        body = {
            "model": "cheap",
            "stream": True,
            "input": [
                {
                    "type": "message",
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": f"my key is {CANARY}, keep it safe"},
                        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"},
                    ],
                }
            ],
            "client_metadata": {"api_key": CANARY},
        }
        async with httpx.AsyncClient(base_url=proxy.base_url, timeout=30) as client:
            response = await client.post(
                "/responses", json=body, headers={"Authorization": f"Bearer {CANARY}"}
            )
            errors = response.text
            missing = await client.post("/responses", json={**body, "model": "nope"})
            errors += missing.text
    finally:
        await proxy.runner.cleanup()
    write_catalog(settings, isolated / "state" / "catalog.json")
    capsys.readouterr()
    assert cli.main(["model", "use", "cheap"]) == 0
    assert cli.main(["doctor", "--json"]) in (0, 1)
    assert cli.main(["model", "list"]) == 0
    printed = capsys.readouterr()

    snapshots = list_snapshots(isolated / "state")
    assert len(snapshots) == 2
    record = json.loads(snapshots[0].read_text())
    assert record["headers"]["authorization"] == "[redacted]"
    content = record["body"]["input"][0]["content"]
    assert content[0]["text"] == "my key is [redacted], keep it safe"
    assert content[1]["image_url"] == "[image-data:100]"
    for text in (
        errors,
        everything_written(isolated / "state"),
        (directory / "routing.jsonl").read_text(),
        (isolated / "codex-home" / "config.toml").read_text(),
        service_log.getvalue(),
        printed.out + printed.err,
    ):
        assert CANARY not in text


def test_sanitize_redacts_key_like_values_and_names_but_keeps_counts() -> None:
    clean = sanitize(
        {
            "api_key": "anything",
            "x-api-key": "short",
            "usage": {"input_tokens": 12, "max_output_tokens": 100},
            "prompt_cache_key": "019a-session",
            "note": "token ghp_" + "a" * 36 + " and Bearer abc.def.ghijkl",
            "nested": [{"refresh_token": "r-123"}],
        },
        secrets=["019a-not-present"],
    )
    assert clean == {
        "api_key": "[redacted]",
        "x-api-key": "[redacted]",
        "usage": {"input_tokens": 12, "max_output_tokens": 100},
        "prompt_cache_key": "019a-session",
        "note": "token [redacted] and [redacted]",
        "nested": [{"refresh_token": "[redacted]"}],
    }


def test_only_the_newest_snapshots_are_kept(tmp_path: Path) -> None:
    for index in range(5):
        write_snapshot(tmp_path, f"r{index}", {}, {"n": index}, keep=3)
    kept = [json.loads(path.read_text())["request_id"] for path in list_snapshots(tmp_path)]
    assert kept == ["r2", "r3", "r4"]
