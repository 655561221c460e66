"""`adapters.transport.AiohttpTransport` under httpx, against real loopback sockets: the
timeouts and errors the adapters rely on, as httpcore gave them."""

from __future__ import annotations

import asyncio
import gzip
import shutil
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.http import BodyReader, send
from adapters.transport import AiohttpTransport, EnvProxies, UpstreamClient
from examples.mockupstream.listeners import Blackhole, SilentListener

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Starts a loopback server for one handler; returns its root URL."""
    servers: list[TestServer] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
        return f"http://127.0.0.1:{server.port}"

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = AiohttpTransport(limits=httpx.Limits(), trust_env=False)
    async with httpx.AsyncClient(transport=transport) as http:
        yield http


def switch_to_idle(request: httpx.Request, idle: float) -> None:
    """What `adapters.http.open_stream` does once the headers are in."""
    request.extensions["timeout"]["read"] = idle


async def test_headers_get_the_first_byte_timeout_and_the_body_the_idle_one(
    serve: Callable[[Handler], Awaitable[str]], client: httpx.AsyncClient
) -> None:
    async def slow_headers_then_stall(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.6)  # longer than idle, shorter than first byte
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"data: 1\n\n")
        await asyncio.sleep(30)
        return response

    url = await serve(slow_headers_then_stall)
    request = client.build_request("GET", url, timeout=httpx.Timeout(5, read=2.0))
    response = await client.send(request, stream=True)
    switch_to_idle(request, 0.3)
    chunks: list[bytes] = []
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
    assert chunks == [b"data: 1\n\n"]
    assert time.monotonic() - started < 1.5  # the idle timeout, not the first-byte one
    await response.aclose()


async def test_the_first_body_byte_waits_at_most_the_idle_timeout(
    serve: Callable[[Handler], Awaitable[str]], client: httpx.AsyncClient
) -> None:
    # An LLM API often sends its headers at once and its first event after the prompt.
    async def headers_only(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await asyncio.sleep(30)
        return response

    url = await serve(headers_only)
    request = client.build_request("GET", url, timeout=httpx.Timeout(5, read=10.0))
    response = await client.send(request, stream=True)
    switch_to_idle(request, 0.3)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        await response.aread()
    assert time.monotonic() - started < 2.0
    await response.aclose()


async def test_a_server_silent_before_its_headers_is_a_read_timeout(
    client: httpx.AsyncClient,
) -> None:
    async with SilentListener() as silent:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(silent.base_url, timeout=httpx.Timeout(5, read=0.3))


async def test_a_connect_that_hangs_is_a_connect_timeout(client: httpx.AsyncClient) -> None:
    with Blackhole() as hole, pytest.raises(httpx.ConnectTimeout):
        await client.get(hole.base_url, timeout=httpx.Timeout(5, connect=0.3, pool=0.3))


async def test_a_refused_connection_is_a_connect_error_not_a_timeout(
    client: httpx.AsyncClient, unused_tcp_port: int
) -> None:
    with pytest.raises(httpx.ConnectError):
        await client.get(f"http://127.0.0.1:{unused_tcp_port}/")


async def test_a_server_that_disconnects_is_a_protocol_error_not_a_timeout(
    serve: Callable[[Handler], Awaitable[str]], client: httpx.AsyncClient
) -> None:
    async def hang_up(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        await asyncio.sleep(1)
        return web.Response()

    async def cut_mid_body(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"data: 1\n\n")
        assert request.transport is not None
        request.transport.close()
        return response

    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(await serve(hang_up))
    async with client.stream("GET", await serve(cut_mid_body)) as response:
        with pytest.raises(httpx.RemoteProtocolError):
            await response.aread()


async def test_a_gzipped_body_is_decoded_and_the_raw_one_is_not(
    serve: Callable[[Handler], Awaitable[str]], client: httpx.AsyncClient
) -> None:
    async def gzipped(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=gzip.compress(b"data: ok\n\n"), headers={"content-encoding": "gzip"}
        )

    url = await serve(gzipped)
    response = await client.get(url)
    assert response.content == b"data: ok\n\n"
    async with client.stream("GET", url) as raw:
        assert gzip.decompress(b"".join([chunk async for chunk in raw.aiter_raw()]))


async def test_request_and_response_carry_method_headers_body_and_status(
    serve: Callable[[Handler], Awaitable[str]], client: httpx.AsyncClient
) -> None:
    seen: dict[str, object] = {}

    async def echo(request: web.Request) -> web.StreamResponse:
        seen.update(
            method=request.method,
            path=request.path_qs,
            auth=request.headers.get("authorization"),
            body=await request.read(),
        )
        return web.Response(status=429, text="slow down", headers={"retry-after": "7"})

    url = await serve(echo)
    response = await client.post(
        f"{url}/v1/chat/completions?a=%2F",
        content=b'{"x":"\xc3\xa9"}',
        headers={"authorization": "Bearer k"},
    )
    assert seen == {
        "method": "POST",
        "path": "/v1/chat/completions?a=%2F",
        "auth": "Bearer k",
        "body": b'{"x":"\xc3\xa9"}',
    }
    assert (response.status_code, response.reason_phrase) == (429, "Too Many Requests")
    assert (response.headers["retry-after"], response.text) == ("7", "slow down")


async def test_a_connection_is_reused_after_a_full_read_and_dropped_after_an_early_close(
    serve: Callable[[Handler], Awaitable[str]], client: httpx.AsyncClient
) -> None:
    peers: list[object] = []
    closed = asyncio.Event()

    async def stream(request: web.Request) -> web.StreamResponse:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"data: 1\n\n")
        if request.query.get("hold"):
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                closed.set()
                raise
        return response

    url = await serve(stream)
    await client.get(url)
    await client.get(url)
    assert peers[0] == peers[1]
    async with client.stream("GET", f"{url}/?hold=1") as response:
        async for _ in response.aiter_bytes():
            break
    await asyncio.wait_for(closed.wait(), 5)


async def test_remote_upstreams_go_through_the_proxy_from_the_environment(
    serve: Callable[[Handler], Awaitable[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    requested: list[str] = []

    async def forward_proxy(request: web.Request) -> web.StreamResponse:
        requested.append(str(request.url))
        return web.Response(text="via proxy")

    proxy = await serve(forward_proxy)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("NO_PROXY", "bypassed.invalid")
    transport = AiohttpTransport(limits=httpx.Limits(), trust_env=True)
    async with httpx.AsyncClient(transport=transport) as http:
        response = await http.get("http://api.example.invalid/v1/models")
        assert response.text == "via proxy"
        assert requested == ["http://api.example.invalid/v1/models"]
        with pytest.raises(httpx.ConnectError):
            await http.get("http://bypassed.invalid/")


def test_env_proxies_follow_no_proxy_and_all_proxy() -> None:
    proxies = EnvProxies({"https": "proxy:3128", "all": "http://all:1", "no": "internal.corp"})
    assert str(proxies.for_url(httpx.URL("https://api.openai.com/v1"))) == "http://proxy:3128"
    assert str(proxies.for_url(httpx.URL("http://api.openai.com/v1"))) == "http://all:1"
    assert proxies.for_url(httpx.URL("https://llm.internal.corp/v1")) is None
    assert proxies.for_url(httpx.URL("https://internal.corp/v1")) is None
    assert proxies.for_url(httpx.URL("https://notinternal.corp/v1")) is not None
    assert EnvProxies({"https": "proxy:3128", "no": "*"}).for_url(httpx.URL("https://a/")) is None


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
async def test_tls_certificates_are_verified(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def hello(request: web.Request) -> web.StreamResponse:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        transport = AiohttpTransport(limits=httpx.Limits(), trust_env=False)
        async with httpx.AsyncClient(transport=transport) as http:
            with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
                await http.get(f"https://127.0.0.1:{port}/")
    finally:
        await runner.cleanup()


async def test_the_upstream_client_opens_streams_without_keeping_upstream_cookies(
    serve: Callable[[Handler], Awaitable[str]],
) -> None:
    seen_cookies: list[str | None] = []

    async def sets_a_cookie(request: web.Request) -> web.StreamResponse:
        seen_cookies.append(request.headers.get("Cookie"))
        response = web.StreamResponse(headers={"Set-Cookie": "session=upstream-secret; Path=/"})
        await response.prepare(request)
        await response.write(b"data: 1\n\n")
        await response.write(b"data: 2\n\n")
        return response

    url = await serve(sets_a_cookie)
    transport = AiohttpTransport(limits=httpx.Limits(), trust_env=False)
    async with UpstreamClient(transport) as client:
        for _ in range(2):
            request = httpx.Request(
                "POST", url, content=b"{}", extensions={"timeout": httpx.Timeout(5).as_dict()}
            )
            response = await send(client, request)
            reader = BodyReader(response)
            body = b""
            while chunk := await reader.read():
                body += chunk
            await reader.aclose()
            assert response.request is request
            assert body == b"data: 1\n\ndata: 2\n\n"
        assert not client.cookies
    assert seen_cookies == [None, None]


async def test_an_encoded_body_is_decoded_by_the_body_reader(
    serve: Callable[[Handler], Awaitable[str]],
) -> None:
    async def gzipped(request: web.Request) -> web.Response:
        return web.Response(
            body=gzip.compress(b"data: compressed\n\n"), headers={"Content-Encoding": "gzip"}
        )

    url = await serve(gzipped)
    transport = AiohttpTransport(limits=httpx.Limits(), trust_env=False)
    async with UpstreamClient(transport) as client:
        request = httpx.Request("GET", url, extensions={"timeout": httpx.Timeout(5).as_dict()})
        reader = BodyReader(await send(client, request))
        body = b""
        while chunk := await reader.read():
            body += chunk
        await reader.aclose()
    assert body == b"data: compressed\n\n"
