"""Upstream addresses that never answer, for connect and first-byte timeouts.

`Blackhole` is a listening port whose accept queue is full and never drained: the kernel
drops further SYNs, so a client's connect attempt hangs until its connect timeout (a
real one, not a refusal). `SilentListener` accepts connections and reads what is sent
but never writes a byte, so a client waits for the status line until its first-byte
(read) timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from types import TracebackType

_QUEUE_FILLERS = 4
"""Connections made to our own blackhole so its accept queue (backlog 0) is full."""


class Blackhole:
    """A loopback port where connecting times out."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._listener = socket.socket()
        self._fillers: list[socket.socket] = []

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> None:
        self._listener.bind((self.host, 0))
        self._listener.listen(0)
        for _ in range(_QUEUE_FILLERS):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect((self.host, self.port))
            self._fillers.append(filler)
        # Let the handshakes that can complete do so before anyone relies on the hole.
        time.sleep(0.05)

    def stop(self) -> None:
        for sock in self._fillers:
            sock.close()
        self._fillers.clear()
        self._listener.close()

    def __enter__(self) -> Blackhole:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class SilentListener:
    """A loopback HTTP "server" that accepts and reads, and never answers."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.accepted = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    @property
    def open_connections(self) -> int:
        """Connections the client side has not closed yet."""
        return len(self._writers)

    @property
    def port(self) -> int:
        assert self._server is not None, "SilentListener is not started"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._swallow, self.host, 0)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    async def _swallow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.add(writer)
        try:
            while await reader.read(65536):
                pass
        except ConnectionError:
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def __aenter__(self) -> SilentListener:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
