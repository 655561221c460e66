"""An httpx transport on aiohttp: httpx stays the adapters' client API, aiohttp reads.

httpcore parses responses with h11 (pure Python) and hands an event stream over one HTTP
chunk at a time through several generator layers, about 35 µs per SSE event; aiohttp's C
parser and `iter_any()` (everything buffered, in one piece) cost a fraction of that.

Why not the `httpx-aiohttp` package, which does the same: in 0.2.0 its exception map
turns every `ClientConnectionError` into `httpx.ConnectTimeout` (a refused connection
would be answered as a 504 timeout, a server that disconnects as a timed-out stream),
its aiohttp response is private (the idle-timeout switch below needs it), and it ignores
proxy variables unless its `httpx.AsyncClient` subclass overrides httpx's private
methods. What is left once those are fixed is this module.

Timeouts: the request's `timeout` extension maps to aiohttp's per-request
`ClientTimeout`: `connect` to `sock_connect` (TCP and TLS), `pool` to `connect` (a free
connection, including establishing it), `read` to `sock_read`, which aiohttp re-arms on
every socket read. aiohttp has no write timeout; `write` is ignored. As with httpcore,
the `read` value in force for the body is the one in that extension when the body
iteration starts: `adapters.http.open_stream` changes it from the first-byte to the
idle timeout once the headers are in, and the body applies it to the connection's
`ResponseHandler.read_timeout` (a public property aiohttp itself re-sets for websocket
receive timeouts) and re-arms the timer then. So the headers wait at most the first-byte
timeout, the first body byte and every gap after it at most the idle timeout, with no
timer of our own per read.
"""

from __future__ import annotations

import urllib.request
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import httpx
from yarl import URL

_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    # Most specific first: the first match wins.
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientHttpProxyError, httpx.ProxyError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.ClientOSError, httpx.ReadError),
)

MAX_HEADER_LINE = 16 * 1024
"""aiohttp's default (8190 bytes) is stricter than h11's; an upstream header that httpx
accepted must not become an error."""


def httpx_error(exc: aiohttp.ClientError) -> httpx.TransportError:
    """The httpx exception the adapters already handle for an aiohttp one."""
    for source, target in _ERRORS:
        if isinstance(exc, source):
            return target(str(exc) or type(exc).__name__)
    return httpx.TransportError(str(exc) or type(exc).__name__)


class EnvProxies:
    """The proxy variables (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`), read
    once, like httpx reads them when a client is created.

    A `NO_PROXY` entry matches its host and every subdomain (`corp` and `.corp` both
    match `llm.corp`); `*` turns proxies off."""

    def __init__(self, proxies: Mapping[str, str] | None = None) -> None:
        found = urllib.request.getproxies() if proxies is None else proxies
        self._proxies = {
            scheme: found[scheme] for scheme in ("http", "https", "all") if found.get(scheme)
        }
        self._no_proxy = [
            entry.strip().lower().lstrip(".") for entry in found.get("no", "").split(",")
        ]

    def for_url(self, url: httpx.URL) -> URL | None:
        proxy = self._proxies.get(url.scheme) or self._proxies.get("all")
        if proxy is None or self._bypassed(url.host.lower()):
            return None
        return URL(proxy if "://" in proxy else f"http://{proxy}")

    def _bypassed(self, host: str) -> bool:
        return any(
            entry == "*" or host == entry or host.endswith("." + entry)
            for entry in self._no_proxy
            if entry
        )


class ResponseBody(httpx.AsyncByteStream):
    """An aiohttp response body as httpx reads it; releasing it before its end closes
    the connection (aiohttp only pools a connection whose body was read in full)."""

    def __init__(self, response: aiohttp.ClientResponse, timeouts: Mapping[str, Any]) -> None:
        self._response = response
        self._timeouts = timeouts
        self._reading = False

    async def read(self) -> bytes:
        """What has arrived since the last call, waiting for at least one byte; `b""`
        once the body has ended. Not decoded: the caller checks `Content-Encoding`."""
        if not self._reading:
            self._reading = True
            self._apply_read_timeout()
        try:
            return await self._response.content.readany()
        except aiohttp.ClientError as exc:
            raise httpx_error(exc) from exc

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while chunk := await self.read():
            yield chunk

    def _apply_read_timeout(self) -> None:
        connection = self._response.connection
        protocol = connection.protocol if connection is not None else None
        # No connection: the whole body came with the headers and it is released.
        if protocol is not None:
            protocol.read_timeout = self._timeouts.get("read")
            protocol.start_timeout()

    async def aclose(self) -> None:
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One aiohttp session (and connection pool) per transport, created at the first
    request: an aiohttp session belongs to the event loop it was created in."""

    def __init__(self, *, limits: httpx.Limits, trust_env: bool) -> None:
        self._limits = limits
        self._trust_env = trust_env
        self._proxies = EnvProxies() if trust_env else None
        self._session: aiohttp.ClientSession | None = None

    def _open_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._limits.max_connections or 0,
            keepalive_timeout=self._limits.keepalive_expiry,
            # TLS exactly as httpx verifies it: certifi's CAs, or SSL_CERT_FILE and
            # SSL_CERT_DIR when the environment is trusted. Built with the session, at
            # the first request, not with the transport: loading the CAs takes tens of
            # milliseconds.
            ssl=httpx.create_ssl_context(trust_env=self._trust_env),
        )
        return aiohttp.ClientSession(
            connector=connector,
            # httpx keeps the cookies and decodes the body (`aiter_bytes`), as before.
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            # Not aiohttp's: it would read ~/.netrc into every request's auth.
            trust_env=False,
            max_line_size=MAX_HEADER_LINE,
            max_field_size=MAX_HEADER_LINE,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = self._open_session()
        timeouts = request.extensions.get("timeout", {})
        proxy = self._proxies.for_url(request.url) if self._proxies is not None else None
        try:
            response = await self._session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=request.headers.multi_items(),
                data=await request.aread() or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=timeouts.get("pool"),
                    sock_connect=timeouts.get("connect"),
                    sock_read=timeouts.get("read"),
                ),
                proxy=proxy.with_user(None) if proxy is not None else None,
                proxy_auth=aiohttp.BasicAuth.from_url(proxy) if proxy is not None else None,
            )
        except aiohttp.ClientError as exc:
            raise httpx_error(exc) from exc
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=ResponseBody(response, timeouts),
            extensions={
                "http_version": b"HTTP/1.1",  # what aiohttp's client speaks
                "reason_phrase": (response.reason or "").encode(),
            },
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class UpstreamClient(httpx.AsyncClient):
    """The `httpx.AsyncClient` of one upstream, on an `AiohttpTransport`.

    `open()` sends a request for a streamed answer straight to the transport, and the
    response's `stream` is the transport's `ResponseBody` itself, which
    `adapters.http.BodyReader` reads one network read at a time. The proxy
    uses none of what `send()` adds on the way (an auth flow, redirects, which it never
    follows, event hooks), and `send()` also stores every upstream's cookies in the
    client's jar, which builds a stdlib `email` message of the response headers on every
    request: about a tenth of a small request's CPU. An upstream's cookies are neither
    kept nor sent back.
    """

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        # Any httpx transport serves (tests give an `httpx.MockTransport`); the proxy
        # gives an `AiohttpTransport`.
        super().__init__(transport=transport, trust_env=False)
        self._upstream = transport

    async def open(self, request: httpx.Request) -> httpx.Response:
        response = await self._upstream.handle_async_request(request)
        response.request = request
        return response
