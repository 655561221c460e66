"""The real proxy, started in-process on a loopback port for tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from router.app.exchange import STATE
from router.app.server import create_app
from router.settings import SettingsStore


@dataclass
class RunningProxy:
    app: web.Application
    runner: web.AppRunner
    port: int
    settings_path: Path
    routing_log: Path

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def routing_records(self, event: str | None = None) -> list[dict[str, Any]]:
        if not self.routing_log.exists():
            return []
        records = [json.loads(line) for line in self.routing_log.read_text().splitlines() if line]
        return [r for r in records if event is None or r.get("event") == event]

    def write_settings(self, settings: dict[str, Any]) -> None:
        self.settings_path.write_text(json.dumps(settings))

    @property
    def store(self) -> SettingsStore:
        return self.app[STATE].store


async def start_proxy(settings: dict[str, Any], directory: Path) -> RunningProxy:
    settings_path = directory / "settings.json"
    settings_path.write_text(json.dumps(settings))
    routing_log = directory / "routing.jsonl"
    app = create_app(SettingsStore(settings_path), routing_log_path=routing_log)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None and server.sockets  # type: ignore[attr-defined]
    port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    return RunningProxy(app, runner, port, settings_path, routing_log)


ProxyFactory = Callable[[dict[str, Any]], Awaitable[RunningProxy]]


@pytest.fixture
async def proxy_factory(tmp_path: Path) -> AsyncIterator[ProxyFactory]:
    started: list[RunningProxy] = []

    async def factory(settings: dict[str, Any]) -> RunningProxy:
        directory = tmp_path / f"proxy{len(started)}"
        directory.mkdir()
        running = await start_proxy(settings, directory)
        started.append(running)
        return running

    yield factory
    for running in started:
        await running.runner.cleanup()


def chat_model(slug: str, base_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "model": slug,
        "provider": "generic-chat-completion-api",
        "base_url": base_url,
        "api_key": "test-key-not-secret",
        **extra,
    }


def anthropic_model(slug: str, base_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "model": slug,
        "provider": "anthropic",
        "base_url": base_url,
        "api_key": "test-key-not-secret",
        **extra,
    }
