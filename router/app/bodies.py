"""Request bodies, read whole and decoded, for every route that takes one.

One `content.read(n)` returns whatever has arrived so far, so a large body sent in pieces
(a screenshot as a data URL) would be cut; `read_body` reads to the end of the body. The
limit (`server.max_body_bytes`) holds for the bytes on the wire and for the decoded
bytes: a compressed body is decoded as it arrives, each step asked for at most one byte
more than the room left, so a decompression bomb is refused with 413 after at most the
limit of decoded bytes, whatever it would expand to.

aiohttp's own request decoding is off for the app (`DECODED_HERE`): decoding here is what
lets an unknown coding get 415 and a corrupt body a 400 in the endpoint's error shape.
"""

from __future__ import annotations

import asyncio
import sys
import zlib
from typing import Any, Final

from aiohttp import web
from aiohttp.http import HttpProcessingError

ENCODINGS: Final = ("zstd", "gzip", "deflate")
"""The content codings a request body may have (besides identity)."""

DECODED_HERE: Final = {"auto_decompress": False}
"""`web.Application(handler_args=...)`: request bodies reach `read_body` as sent."""

ZSTD_WINDOW_LOG_MAX: Final = 23
"""RFC 9659: a zstd content coding uses a window of at most 8 MB, and a decoder may refuse
a larger one; it bounds the memory a frame header can ask for."""


class BodyRefused(Exception):
    """The body cannot be used; the endpoint answers `status` in its own error shape."""

    def __init__(
        self, status: int, message: str, code: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, decoded, at most `limit` bytes; otherwise `BodyRefused`."""
    length = request.content_length
    if length is not None and length > limit:
        raise too_large(limit)
    coding = request.headers.get("Content-Encoding")
    decoder = _decoder(coding, limit) if coding is not None else None
    content = request.content
    try:
        if decoder is None:
            if length is not None:
                # The common case costs one read: the parser has already counted the bytes.
                return await content.readexactly(length)
            return await _read_to_end(content, limit)
        while chunk := await content.readany():
            decoder.feed(chunk)
        return decoder.result()
    except asyncio.IncompleteReadError:
        raise BodyRefused(
            400, "the request body ended before its Content-Length", "bad_body"
        ) from None
    except (ConnectionError, OSError, HttpProcessingError) as exc:
        raise BodyRefused(400, f"could not read the request body: {exc}", "bad_body") from None


async def _read_to_end(content: Any, limit: int) -> bytes:
    """A body without Content-Length (chunked), up to `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await content.readany():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(limit: int) -> BodyRefused:
    return BodyRefused(
        413,
        f"request body is larger than the limit of {limit} bytes "
        "(server.max_body_bytes in the settings)",
        "request_too_large",
    )


def _decoder(header: str, limit: int) -> _Decoder | None:
    codings = [c.strip().lower() for c in header.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in _DECODERS:
        return _DECODERS[codings[0]](limit)
    supported = ", ".join(ENCODINGS)
    raise BodyRefused(
        415,
        f"Content-Encoding {header.strip()!r} is not supported; send the body as is or "
        f"with one of: {supported}",
        "unsupported_content_encoding",
        headers={"Accept-Encoding": supported},
    )


class _Decoder:
    """Decodes one content coding as the body arrives, never past `limit` bytes out.

    Each decompress call may return at most the room left plus one byte: one byte more
    than the room means the body is too large, and nothing beyond it is ever produced.
    A call that returns less than it was allowed has used all its input, or reached the
    end of a member (gzip) or frame (zstd), whose `unused_data` starts the next one.
    """

    name = ""
    members = True
    """Whether another member or frame may follow the end of one (gzip, zstd: yes)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._received = 0
        self._size = 0
        self._out: list[bytes] = []
        self._engine: Any = None

    def _new(self, first: bytes) -> Any:
        """A decompressor for the member or frame that starts with `first`."""
        raise NotImplementedError

    def _decompress(self, data: bytes, max_length: int) -> bytes:
        """At most `max_length` bytes of output; a corrupt stream raises `_corrupt`."""
        raise NotImplementedError

    def _more_output(self) -> bool:
        """Whether the engine holds output it has not returned yet."""
        raise NotImplementedError

    def feed(self, data: bytes) -> None:
        self._received += len(data)
        if self._received > self._limit:
            raise too_large(self._limit)
        if self._engine is None:
            self._engine = self._new(data)
        while True:
            room = self._limit - self._size
            piece = self._decompress(data, room + 1)
            if len(piece) > room:
                raise too_large(self._limit)
            self._size += len(piece)
            self._out.append(piece)
            data = b""
            if self._engine.eof:
                data = self._engine.unused_data
                if not data:
                    return
                if not self.members:
                    raise self._corrupt("data after the end of the compressed stream")
                self._engine = self._new(data)
            elif not self._more_output():
                return

    def result(self) -> bytes:
        if self._engine is not None and not self._engine.eof:
            raise self._corrupt("the compressed body is truncated")
        return b"".join(self._out)

    def _corrupt(self, detail: str) -> BodyRefused:
        return BodyRefused(
            400, f"request body is not valid {self.name} data: {detail}", "invalid_encoding"
        )


class _GzipDecoder(_Decoder):
    name = "gzip"

    def _new(self, first: bytes) -> Any:
        return zlib.decompressobj(16 + zlib.MAX_WBITS)

    def _decompress(self, data: bytes, max_length: int) -> bytes:
        engine = self._engine
        try:
            out: bytes = engine.decompress(engine.unconsumed_tail + data, max_length)
        except zlib.error as exc:
            raise self._corrupt(str(exc)) from None
        return out

    def _more_output(self) -> bool:
        return bool(self._engine.unconsumed_tail)


class _DeflateDecoder(_GzipDecoder):
    """HTTP's "deflate" is the zlib format (RFC 9110); some clients send raw deflate, told
    apart by the zlib header's first byte, as browsers and aiohttp do."""

    name = "deflate"
    members = False

    def _new(self, first: bytes) -> Any:
        zlib_header = first[0] & 0x0F == 8
        return zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)


class _ZstdDecoder(_Decoder):
    name = "zstd"

    def _new(self, first: bytes) -> Any:
        zstd = _zstd()
        self._error = zstd.ZstdError
        return zstd.ZstdDecompressor(
            options={zstd.DecompressionParameter.window_log_max: ZSTD_WINDOW_LOG_MAX}
        )

    def _decompress(self, data: bytes, max_length: int) -> bytes:
        try:
            out: bytes = self._engine.decompress(data, max_length)
        except self._error as exc:
            raise self._corrupt(str(exc)) from None
        return out

    def _more_output(self) -> bool:
        return not self._engine.needs_input


def _zstd() -> Any:
    # Imported on the first zstd body: most clients never send one (start-up time).
    if sys.version_info >= (3, 14):
        from compression import zstd
    else:
        from backports import zstd
    return zstd


_DECODERS: Final[dict[str, type[_Decoder]]] = {
    "zstd": _ZstdDecoder,
    "gzip": _GzipDecoder,
    "x-gzip": _GzipDecoder,
    "deflate": _DeflateDecoder,
}
