"""A real headless Chromium driven over the DevTools protocol, for tests of our pages."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import ClientSession, ClientWebSocketResponse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SKIP_REASON = "Chromium not installed (make test installs Debian's chromium as root)"


async def _devtools_url(profile: Path, process: subprocess.Popen[bytes]) -> str:
    """Chromium writes its DevTools port to DevToolsActivePort once it listens."""
    marker = profile / "DevToolsActivePort"
    for _ in range(600):
        if marker.exists() and marker.read_text().strip():
            return f"http://127.0.0.1:{marker.read_text().split()[0]}"
        if process.poll() is not None:
            raise RuntimeError("chromium exited at start-up")
        await asyncio.sleep(0.05)
    raise TimeoutError("chromium did not open its DevTools port")


class DevTools:
    """Just enough of the Chrome DevTools protocol: calls, and waiting for an event."""

    def __init__(self, ws: ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 1
        self.events: list[str] = []

    async def call(self, method: str, **params: object) -> dict[str, object]:
        message_id = self.next_id
        self.next_id += 1
        await self.ws.send_json({"id": message_id, "method": method, "params": params})
        while True:
            reply = json.loads((await self.ws.receive()).data)
            if reply.get("id") == message_id:
                assert "result" in reply, reply
                result: dict[str, object] = reply["result"]
                return result
            self.events.append(str(reply.get("method")))

    async def wait_for_event(self, method: str) -> None:
        while method not in self.events:
            reply = json.loads((await self.ws.receive()).data)
            self.events.append(str(reply.get("method")))

    async def evaluate(self, expression: str) -> object:
        result = await self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        value = result["result"]
        assert isinstance(value, dict)
        return value.get("value")

    async def open(self, url: str) -> None:
        self.events.clear()
        await self.call("Page.navigate", url=url)
        await self.wait_for_event("Page.loadEventFired")

    async def screenshot(self, path: Path, width: int = 1280, height: int = 1000) -> None:
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        shot = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(str(shot["data"])))


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[DevTools]:
    """A fresh headless Chromium with an empty profile, and its first page."""
    assert CHROMIUM is not None
    # Chromium's helper processes may still be writing the profile as it goes away.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile_dir:
        profile = Path(profile_dir)
        process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-proxy-server",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            devtools = await _devtools_url(profile, process)
            async with ClientSession() as session:
                async with session.get(f"{devtools}/json/list") as response:
                    targets = await response.json()
                page = next(t for t in targets if t["type"] == "page")
                async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                    browser = DevTools(ws)
                    await browser.call("Page.enable")
                    yield browser
        finally:
            # The whole group: the browser and its renderer, GPU and zygote helpers.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
