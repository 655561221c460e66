"""The thin HTTP layer the adapters share: send, classify failures, read with timeouts.

One `adapters.transport.UpstreamClient` per upstream is created and closed by the
application; adapters only borrow it. Requests go out through its `open()`, straight to
its transport: the adapters need none of what `httpx.AsyncClient.send` adds. Everything
that can fail before the first byte of a successful answer is raised here as
`UpstreamError`, so callers can still fall back or answer with an HTTP error.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import Any

import httpx

from adapters import jsonfast
from adapters.base import Target, UpstreamError
from adapters.errors import connect_error, http_error, scrub, timeout_error
from adapters.transport import ResponseBody, UpstreamClient

MAX_ERROR_BODY_BYTES = 64 * 1024

Refusal = Callable[[int, bytes, Mapping[str, str]], UpstreamError]
"""Turns an upstream's error answer (status, body, headers) into the error to raise."""


def join_url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path.lstrip("/")


@functools.lru_cache(maxsize=512)
def parsed_url(url: str) -> httpx.URL:
    """An upstream URL, parsed once rather than per request (a tenth of a millisecond).

    Requests are built here rather than with `client.build_request`, which parses the
    URL and merges the client's cookie jar into every request: an upstream's cookies
    are never sent back, so nothing an upstream sets for one user's request rides along
    on another's."""
    return httpx.URL(url)


def request_timeout(target: Target) -> httpx.Timeout:
    t = target.timeouts
    return httpx.Timeout(connect=t.connect, read=t.first_byte, write=t.connect, pool=t.connect)


encode_body = jsonfast.dumps_request
"""A request body: compact JSON, a lone surrogate kept escaped as the client sent it."""


_STALE_CONNECTION = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
"""How a request fails on a kept-alive connection the upstream closed as we reused it."""


async def send(client: UpstreamClient, request: httpx.Request) -> httpx.Response:
    """Send `request` for a streamed answer, once more if the connection drops first.

    Upstreams close idle keep-alive connections on their own schedule (uvicorn, behind
    many local model servers, after 5 s). One closed just as the pool hands it out fails
    before our request was read; the second try gets another connection. Nothing has
    reached the client at this point, and a real failure still raises the second time.
    """
    try:
        return await client.open(request)
    except _STALE_CONNECTION:
        return await client.open(request)


async def open_stream(
    client: UpstreamClient,
    url: str,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    target: Target,
    *,
    upstream: str,
    refusal: Refusal | None = None,
) -> httpx.Response:
    """POST `body` and return the streaming response once its status is a success.

    The read timeout is the first-byte timeout until the headers arrive, then the
    idle timeout between body reads. An error status becomes `refusal(status, body,
    headers)` when given (an upstream with error answers of its own), else `http_error`.
    """
    request = httpx.Request(
        "POST",
        parsed_url(url),
        content=encode_body(body),
        headers={**client.headers, **headers},
        extensions={"timeout": request_timeout(target).as_dict()},
    )
    try:
        response = await send(client, request)
    except httpx.TimeoutException as exc:
        phase = (
            "connect" if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout) else "first byte"
        )
        raise timeout_error(upstream, phase) from None
    except httpx.HTTPError as exc:
        raise connect_error(
            upstream, scrub(str(exc) or type(exc).__name__, [target.api_key])
        ) from None
    if response.status_code >= 400:
        try:
            raw = await _read_limited(response)
        finally:
            await response.aclose()
        if refusal is not None:
            raise refusal(response.status_code, raw, response.headers)
        raise http_error(
            response.status_code, raw, response.headers, upstream=upstream, secrets=[target.api_key]
        )
    # httpcore reads this dict when the body iteration starts: from here on a read
    # waits at most the idle timeout.
    timeouts = request.extensions.get("timeout")
    if isinstance(timeouts, dict):
        timeouts["read"] = target.timeouts.idle
    return response


async def _read_limited(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_ERROR_BODY_BYTES:
                break
    except httpx.HTTPError:
        pass
    return b"".join(chunks)


class BodyReader:
    """The decoded body of a streaming response, one network read per `read()`.

    A proxy in front of an upstream may compress even an event stream, so an encoded
    body goes through httpx's decoders (`aiter_bytes`). An identity body that is our
    transport's own (`UpstreamClient.open` leaves it unwrapped) is read straight from it:
    httpx's path stacks four async generators per read, and every one a reader abandons
    (a stream that ends at its terminal event, before the connection's end) is finalised
    through a thread-safe wake-up of the loop. `aclose()` closes the response however
    reading ended.
    """

    __slots__ = ("_chunks", "_closed", "_raw", "_response")

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._closed = False
        stream = response.stream
        identity = response.headers.get("content-encoding", "identity") == "identity"
        self._raw = stream if identity and isinstance(stream, ResponseBody) else None
        self._chunks: AsyncIterator[bytes] | None = None

    async def read(self) -> bytes:
        """The next piece of the body, `b""` once it has ended."""
        if self._raw is not None:
            return await self._raw.read()
        if self._chunks is None:
            self._chunks = self._response.aiter_bytes()
        return await anext(self._chunks, b"")

    async def aclose(self) -> None:
        # Called twice in the common case (by the stream's own `finally`, then by
        # `UpstreamStream.aclose`); the second time costs nothing.
        if self._closed:
            return
        self._closed = True
        try:
            if isinstance(self._chunks, AsyncGenerator):
                await self._chunks.aclose()
        finally:
            await self._response.aclose()


async def post_json(
    client: UpstreamClient,
    url: str,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    target: Target,
    *,
    upstream: str,
) -> dict[str, Any]:
    """POST `body` without streaming and return the decoded JSON answer."""
    response = await open_stream(client, url, body, headers, target, upstream=upstream)
    try:
        raw = await response.aread()
    except httpx.TimeoutException:
        raise timeout_error(upstream, "reading the response") from None
    except httpx.HTTPError as exc:
        raise connect_error(
            upstream, scrub(str(exc) or type(exc).__name__, [target.api_key])
        ) from None
    finally:
        await response.aclose()
    try:
        decoded = json.loads(raw)
    except ValueError:
        raise UpstreamError(
            502,
            "server_error",
            f"{upstream} answered with a body that is not JSON",
            fallback_ok=True,
        ) from None
    if not isinstance(decoded, dict):
        raise UpstreamError(
            502, "server_error", f"{upstream} answered with unexpected JSON", fallback_ok=True
        )
    return decoded


def stream_failure(exc: BaseException, upstream: str) -> tuple[str, str]:
    """The `response.failed` code and message for an error that cut a stream short.

    Both codes are ones Codex retries, which is right: the stream was cut, not refused.
    """
    if isinstance(exc, httpx.TimeoutException):
        return "server_error", f"{upstream} stream timed out waiting for the next event"
    return "server_error", f"{upstream} stream was cut off: {type(exc).__name__}"
