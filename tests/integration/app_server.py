"""A minimal async client for `codex app-server` (JSON-RPC, one JSON object per line)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.e2e.codex import codex_env

REPLY_TIMEOUT = 60.0


class AppServer:
    def __init__(self, codex_bin: Path, codex_home: Path, cwd: Path) -> None:
        self.codex_bin = codex_bin
        self.codex_home = codex_home
        self.cwd = cwd
        self._next_id = 1
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> AppServer:
        self._process = await asyncio.create_subprocess_exec(
            str(self.codex_bin),
            "app-server",
            cwd=self.cwd,
            env=codex_env(self.codex_home, None),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
            limit=16 * 1024 * 1024,
        )
        await self.request(
            "initialize", {"clientInfo": {"name": "autorouter-test", "version": "1"}}
        )
        await self._send({"method": "initialized"})
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        process = self._process
        assert process is not None
        assert process.stdin is not None
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()

    async def _send(self, message: dict[str, Any]) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write((json.dumps(message) + "\n").encode())
        await self._process.stdin.drain()

    async def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Send one request and return its result; notifications in between are skipped."""
        assert self._process is not None and self._process.stdout is not None
        request_id = self._next_id
        self._next_id += 1
        await self._send({"id": request_id, "method": method, "params": params or {}})
        while True:
            line = await asyncio.wait_for(self._process.stdout.readline(), REPLY_TIMEOUT)
            if not line:
                raise RuntimeError(f"app-server exited while waiting for {method}")
            message = json.loads(line)
            if message.get("id") == request_id and "method" not in message:
                if "error" in message:
                    raise RuntimeError(f"{method} failed: {message['error']}")
                return message["result"]
