"""A kept-alive upstream connection closed just as it is reused is not a failure.

Found by the soak: an upstream that closes idle connections after a short keep-alive
(the mock's 2 s; uvicorn's default is 5 s) races with the proxy's pool, and the request
that loses the race used to fail (or cost a fallback) without the upstream ever reading
it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from adapters.base import Target
from adapters.http import open_stream
from router.routing.upstreams import upstream_client

OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 2\r\n\r\nok"


class ClosesOnReuse:
    """Answers the first request of each connection and hangs up on the second one
    without a word, as a server does when its keep-alive timer fires at that moment."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> ClosesOnReuse:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/v1/chat/completions"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await _read_request(reader)
        writer.write(OK)
        await writer.drain()
        await _read_request(reader)
        writer.close()


async def _read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    await reader.readexactly(length)


@pytest.fixture
async def server() -> AsyncIterator[ClosesOnReuse]:
    async with ClosesOnReuse() as running:
        yield running


async def test_a_request_on_a_connection_closed_under_it_goes_out_again(
    server: ClosesOnReuse,
) -> None:
    target = Target(slug="m", kind="chat", model="m", base_url=server.url)
    async with upstream_client(server.url) as client:
        for _ in range(2):
            response = await open_stream(client, server.url, {"n": 1}, {}, target, upstream="m")
            assert response.status_code == 200
            assert await response.aread() == b"ok"
            await response.aclose()
    assert server.connections == 2
