"""Request bodies are read whole and decoded, on every route that takes one: a body sent in
many small pieces, a screenshot through the openai SDK, zstd/gzip/deflate bodies, a
decompression bomb, corrupt data and unknown codings, each answered in the endpoint's
own error shape."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import tracemalloc
import zlib
from typing import Any

import httpx
import pytest
from backports import zstd
from openai import AsyncOpenAI

from examples.mockupstream import MockUpstream, Text
from router.app.picker import PICKER, TOKEN_HEADER
from tests.proxy import ProxyFactory, RunningProxy, chat_model

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def screenshot_url(raw_bytes: int = 3 * 1024 * 1024) -> str:
    """A data URL of about 4 MB that does not compress, as a real screenshot's PNG."""
    png = PNG_HEADER + os.urandom(raw_bytes - len(PNG_HEADER))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def image_request(url: str, *, stream: bool = False) -> dict[str, Any]:
    content = [
        {"type": "input_text", "text": "what is on this screen?"},
        {"type": "input_image", "image_url": url},
    ]
    return {
        "model": "chat-a",
        "input": [{"role": "user", "content": content}],
        "stream": stream,
    }


def upstream_image_urls(mock: MockUpstream) -> list[str]:
    urls = []
    for recorded in mock.requests:
        for message in recorded.body.get("messages", []):
            content = message.get("content")
            if isinstance(content, list):
                urls += [p["image_url"]["url"] for p in content if p.get("type") == "image_url"]
    return urls


@pytest.fixture
async def proxy(mock_upstream: MockUpstream, proxy_factory: ProxyFactory) -> RunningProxy:
    return await proxy_factory({"models": [chat_model("chat-a", mock_upstream.base_url)]})


async def small_limit_proxy(mock: MockUpstream, factory: ProxyFactory) -> RunningProxy:
    return await factory(
        {
            "models": [chat_model("chat-a", mock.base_url)],
            "server": {"max_body_bytes": 1024 * 1024},
        }
    )


# -- whole bodies ------------------------------------------------------------------------


async def send_in_pieces(
    port: int, path: str, head: dict[str, str], body: bytes, *, chunked: bool = False
) -> tuple[int, bytes]:
    """A raw HTTP/1.1 request whose body goes out 4 KB at a time, pausing every 32 pieces."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in head.items()]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    piece = 4096
    for number, start in enumerate(range(0, len(body), piece)):
        data = body[start : start + piece]
        writer.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
        await writer.drain()
        if number % 32 == 31:
            await asyncio.sleep(0.01)
    if chunked:
        writer.write(b"0\r\n\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=30)
    writer.close()
    head_bytes, _, payload = answer.partition(b"\r\n\r\n")
    return int(head_bytes.split(b" ", 2)[1]), payload


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_4mb_body_written_in_small_pieces_with_pauses_is_read_whole(
    proxy: RunningProxy, mock_upstream: MockUpstream, chunked: bool
) -> None:
    mock_upstream.script("chat-a", Text("a login form"))
    url = screenshot_url()
    body = json.dumps(image_request(url)).encode()
    assert len(body) > 4_000_000
    status, payload = await send_in_pieces(
        proxy.port, "/v1/responses", {"Content-Type": "application/json"}, body, chunked=chunked
    )
    assert status == 200, payload[:300]
    assert upstream_image_urls(mock_upstream) == [url]


async def test_the_openai_sdk_sends_a_screenshot(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("chat-a", Text("a login form"))
    url = screenshot_url()
    client = AsyncOpenAI(base_url=proxy.base_url, api_key="unused", max_retries=0)
    stream = await client.responses.create(**image_request(url, stream=True))
    texts = [event.delta async for event in stream if event.type == "response.output_text.delta"]
    assert "".join(texts) == "a login form"
    assert upstream_image_urls(mock_upstream) == [url]


async def test_a_body_over_the_limit_in_pieces_without_length_is_413(
    mock_upstream: MockUpstream, proxy_factory: ProxyFactory
) -> None:
    proxy = await small_limit_proxy(mock_upstream, proxy_factory)
    body = json.dumps(image_request(screenshot_url(1024 * 1024))).encode()
    status, payload = await send_in_pieces(proxy.port, "/v1/responses", {}, body, chunked=True)
    assert status == 413
    assert json.loads(payload)["error"]["code"] == "request_too_large"
    assert mock_upstream.requests == []


# -- compressed bodies -------------------------------------------------------------------


def gzip(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def deflate(data: bytes, *, raw: bool = False) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def zstd_streamed(data: bytes) -> bytes:
    """As Codex compresses: a level-3 stream, no content size in the frame header."""
    compressor = zstd.ZstdCompressor(level=3)
    return compressor.compress(data) + compressor.flush()


ENCODERS = {
    "zstd": zstd.compress,
    "zstd streamed": zstd_streamed,
    "gzip": gzip,
    "deflate": deflate,
    "raw deflate": lambda data: deflate(data, raw=True),
}


async def post_raw(
    proxy: RunningProxy, path: str, content: bytes, headers: dict[str, str]
) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        return await http.post(f"{proxy.origin}{path}", content=content, headers=headers)


def coding_header(name: str) -> dict[str, str]:
    coding = {"raw deflate": "deflate", "zstd streamed": "zstd"}.get(name, name)
    return {"Content-Encoding": coding}


@pytest.mark.parametrize("name", list(ENCODERS))
async def test_a_compressed_screenshot_request_reaches_the_upstream_decoded(
    proxy: RunningProxy, mock_upstream: MockUpstream, name: str
) -> None:
    mock_upstream.script("chat-a", Text("a login form"))
    url = screenshot_url(512 * 1024)
    body = json.dumps(image_request(url)).encode()
    response = await post_raw(proxy, "/v1/responses", ENCODERS[name](body), coding_header(name))
    assert response.status_code == 200, response.text
    assert upstream_image_urls(mock_upstream) == [url]


async def test_concatenated_gzip_members_and_zstd_frames_are_one_body(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    body = json.dumps({"model": "chat-a", "input": "hello there", "stream": False}).encode()
    half = len(body) // 2
    for name, encode in (("gzip", gzip), ("zstd", zstd.compress)):
        mock_upstream.script("chat-a", Text("hi"))
        joined = encode(body[:half]) + encode(body[half:])
        response = await post_raw(proxy, "/v1/responses", joined, {"Content-Encoding": name})
        assert response.status_code == 200, (name, response.text)
    assert len(mock_upstream.requests) == 2


class Endpoint:
    def __init__(self, path: str, body: dict[str, Any], shape: str, status: int = 200) -> None:
        self.path, self.body, self.shape, self.status = path, body, shape, status


MESSAGES_BODY = {
    "model": "chat-a",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "hi"}],
}
ENDPOINTS = {
    "responses": Endpoint("/v1/responses", {"model": "chat-a", "input": "hi"}, "openai"),
    "compact": Endpoint(
        "/v1/responses/compact",
        {"model": "chat-a", "input": [{"role": "user", "content": "hi"}]},
        "openai",
    ),
    "messages": Endpoint("/v1/messages", MESSAGES_BODY, "anthropic"),
    "count_tokens": Endpoint("/v1/messages/count_tokens", MESSAGES_BODY, "anthropic"),
    "chat": Endpoint(
        "/v1/chat/completions",
        {"model": "chat-a", "messages": [{"role": "user", "content": "hi"}]},
        "openai",
    ),
    # An unknown slug: the answer names it, so the body was read, and no config is written.
    "switch": Endpoint("/api/switch", {"model": "no-such-model"}, "openai", status=400),
}


def endpoint_headers(proxy: RunningProxy, endpoint: Endpoint, coding: str) -> dict[str, str]:
    headers = {"Content-Encoding": coding, "Content-Type": "application/json"}
    if endpoint.path == "/api/switch":
        headers[TOKEN_HEADER] = proxy.app[PICKER].token
    return headers


def error_of(response: httpx.Response, shape: str) -> dict[str, Any]:
    """The error object, checking the envelope is the endpoint's own."""
    data = response.json()
    if shape == "anthropic":
        assert data["type"] == "error" and set(data["error"]) == {"type", "message"}, data
    else:
        assert "type" not in data and "code" in data["error"], data
    error: dict[str, Any] = data["error"]
    return error


@pytest.mark.parametrize("coding", ["zstd", "gzip"])
@pytest.mark.parametrize("name", list(ENDPOINTS))
async def test_every_endpoint_decodes_zstd_and_gzip(
    proxy: RunningProxy, mock_upstream: MockUpstream, name: str, coding: str
) -> None:
    mock_upstream.script("chat-a", Text("hello"))
    endpoint = ENDPOINTS[name]
    body = ENCODERS[coding](json.dumps(endpoint.body).encode())
    response = await post_raw(proxy, endpoint.path, body, endpoint_headers(proxy, endpoint, coding))
    assert response.status_code == endpoint.status, response.text
    if name == "switch":
        assert "no-such-model" in response.json()["error"]["message"]
    if name == "count_tokens":
        assert response.json()["input_tokens"] > 0


CORRUPT = {
    "zstd": zstd.compress(b'{"model": "chat-a", "input": "hi"}')[:-6],
    "gzip": b"\x1f\x8b\x08\x00" + b"not gzip at all" * 10,
    "deflate": b"\x78\x9c" + b"\xff" * 40,
}


@pytest.mark.parametrize("coding", list(CORRUPT))
@pytest.mark.parametrize("name", list(ENDPOINTS))
async def test_corrupt_compressed_data_is_400_in_the_endpoint_shape(
    proxy: RunningProxy, mock_upstream: MockUpstream, name: str, coding: str
) -> None:
    endpoint = ENDPOINTS[name]
    response = await post_raw(
        proxy, endpoint.path, CORRUPT[coding], endpoint_headers(proxy, endpoint, coding)
    )
    assert response.status_code == 400, response.text
    error = error_of(response, endpoint.shape)
    assert f"not valid {coding} data" in error["message"]
    assert mock_upstream.requests == []


@pytest.mark.parametrize("coding", ["br", "compress", "gzip, zstd", "x-unknown"])
async def test_an_unknown_encoding_is_415_naming_the_supported_ones(
    proxy: RunningProxy, mock_upstream: MockUpstream, coding: str
) -> None:
    body = json.dumps({"model": "chat-a", "input": "hi"}).encode()
    response = await post_raw(proxy, "/v1/responses", body, {"Content-Encoding": coding})
    assert response.status_code == 415
    error = error_of(response, "openai")
    assert error["code"] == "unsupported_content_encoding"
    assert "zstd, gzip, deflate" in error["message"]
    assert response.headers["Accept-Encoding"] == "zstd, gzip, deflate"
    assert mock_upstream.requests == []


async def test_an_unknown_encoding_on_messages_is_415_in_anthropic_shape(
    proxy: RunningProxy,
) -> None:
    body = json.dumps(MESSAGES_BODY).encode()
    response = await post_raw(proxy, "/v1/messages", body, {"Content-Encoding": "br"})
    assert response.status_code == 415
    assert "zstd, gzip, deflate" in error_of(response, "anthropic")["message"]
    assert response.headers["Accept-Encoding"] == "zstd, gzip, deflate"


async def test_identity_is_no_coding(proxy: RunningProxy, mock_upstream: MockUpstream) -> None:
    mock_upstream.script("chat-a", Text("hi"))
    body = json.dumps({"model": "chat-a", "input": "hi"}).encode()
    response = await post_raw(proxy, "/v1/responses", body, {"Content-Encoding": "identity"})
    assert response.status_code == 200


# -- decompression bombs -----------------------------------------------------------------

BOMB_SIZE = 256 * 1024 * 1024


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """256 MB of zeros, compressed: a few hundred KB on the wire."""
    zeros = bytes(1024 * 1024)
    gzipper = zlib.compressobj(9, wbits=16 + zlib.MAX_WBITS)
    zstder = zstd.ZstdCompressor()
    gz = [gzipper.compress(zeros) for _ in range(BOMB_SIZE // len(zeros))]
    zs = [zstder.compress(zeros) for _ in range(BOMB_SIZE // len(zeros))]
    return {
        "gzip": b"".join(gz) + gzipper.flush(),
        "zstd": b"".join(zs) + zstder.flush(),
    }


@pytest.mark.parametrize("coding", ["zstd", "gzip"])
@pytest.mark.parametrize("path", ["/v1/responses", "/v1/messages"])
async def test_a_decompression_bomb_is_413_without_ballooning_memory(
    mock_upstream: MockUpstream,
    proxy_factory: ProxyFactory,
    bombs: dict[str, bytes],
    coding: str,
    path: str,
) -> None:
    proxy = await small_limit_proxy(mock_upstream, proxy_factory)
    bomb = bombs[coding]
    assert len(bomb) < 1024 * 1024  # under the limit on the wire
    tracemalloc.start()
    try:
        response = await post_raw(proxy, path, bomb, {"Content-Encoding": coding})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    shape = "anthropic" if path == "/v1/messages" else "openai"
    assert "max_body_bytes" in error_of(response, shape)["message"]
    # The limit's worth of decoded bytes at most, never the 256 MB the bomb expands to.
    assert peak < 8 * 1024 * 1024, peak
    assert mock_upstream.requests == []


async def test_a_body_just_under_the_limit_decoded_is_accepted(
    mock_upstream: MockUpstream, proxy_factory: ProxyFactory
) -> None:
    proxy = await small_limit_proxy(mock_upstream, proxy_factory)
    mock_upstream.script("chat-a", Text("ok"))
    prefix = b'{"model": "chat-a", "stream": false, "input": "'
    body = prefix + b"a" * (1024 * 1024 - len(prefix) - 2) + b'"}'
    assert len(body) == 1024 * 1024
    response = await post_raw(
        proxy, "/v1/responses", zstd.compress(body), {"Content-Encoding": "zstd"}
    )
    assert response.status_code == 200, response.text
    over = body[:-2] + b'a"}'
    response = await post_raw(
        proxy, "/v1/responses", zstd.compress(over), {"Content-Encoding": "zstd"}
    )
    assert response.status_code == 413


async def test_a_zstd_frame_asking_for_a_huge_window_is_400(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    # RFC 9659: a zstd content coding's window is at most 8 MB.
    options = {zstd.CompressionParameter.window_log: 27}
    body = zstd.compress(os.urandom(64) * 300_000, options=options)
    response = await post_raw(proxy, "/v1/responses", body, {"Content-Encoding": "zstd"})
    assert response.status_code == 400, response.text
    assert "zstd" in response.json()["error"]["message"]
    assert mock_upstream.requests == []
