"""The proxy a benchmark worker talks to: started in-process, or one already running.

In-process proxies are the real `router.app.server` app on a loopback port, one per worker,
each with a routing log of its own (see `records` for why).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from router.app.exchange import STATE
from router.app.server import create_app
from router.settings import SettingsStore

if TYPE_CHECKING:
    from router.learning.recorder import Learning


@dataclass
class ProxyHandle:
    base_url: str
    routing_log: Path
    runner: web.AppRunner | None = None
    app: web.Application | None = None

    @property
    def learning(self) -> Learning | None:
        """The in-process proxy's outcome store and calibration (None before Auto's first
        task, or for a proxy that runs elsewhere)."""
        return self.app[STATE].dispatcher.learning if self.app is not None else None

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


async def start_proxy(settings_path: Path, routing_log: Path) -> ProxyHandle:
    app = create_app(SettingsStore(settings_path), routing_log_path=routing_log)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = int(runner.addresses[0][1])
    return ProxyHandle(f"http://127.0.0.1:{port}/v1", routing_log, runner, app)


def external_proxy(url: str, routing_log: Path) -> ProxyHandle:
    base = url.rstrip("/")
    return ProxyHandle(base if base.endswith("/v1") else f"{base}/v1", routing_log)
