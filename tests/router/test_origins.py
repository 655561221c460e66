"""The Origin rule, header by header: browsers' requests from another origin (or marked
`Sec-Fetch-Site: cross-site`) are refused with 403 on every route before anything runs;
requests without those headers (Codex, the SDKs, curl) and the proxy's own pages pass."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from anthropic import AsyncAnthropic, PermissionDeniedError
from pydantic import ValidationError

from examples.mockupstream import MockUpstream, Text
from router.app.hosts import origin_refusal
from router.app.picker import PICKER, TOKEN_HEADER
from router.settings.models import ServerConfig
from router.settings.origins import normalize_origin
from tests.proxy import ProxyFactory, RunningProxy, chat_model


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("http://127.0.0.1:8642", "http://127.0.0.1:8642"),
        ("HTTP://LocalHost:8642/", "http://localhost:8642"),
        ("http://example.com:80", "http://example.com"),
        ("https://example.com:443", "https://example.com"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("http://[::1]:8642", "http://[::1]:8642"),
        ("vscode-webview://abc123", "vscode-webview://abc123"),
        ("null", None),
        ("", None),
        ("127.0.0.1:8642", None),
        ("http://", None),
        ("http://example.com/path", None),
        ("http://user@example.com", None),
        ("http://a.example http://b.example", None),
    ],
)
def test_origins_are_compared_in_one_spelling(value: str, key: str | None) -> None:
    assert normalize_origin(value) == key


NOTHING: frozenset[str] = frozenset()


@pytest.mark.parametrize(
    ("origin", "site", "host", "allowed", "refused"),
    [
        (None, None, "127.0.0.1:8642", NOTHING, False),  # Codex, SDKs, curl
        ("http://127.0.0.1:8642", "same-origin", "127.0.0.1:8642", NOTHING, False),
        ("http://localhost:8642", "same-origin", "localhost:8642", NOTHING, False),
        ("http://127.0.0.1:8642", None, "127.0.0.1:8642", NOTHING, False),
        (None, "none", "127.0.0.1:8642", NOTHING, False),  # typed in the address bar
        (None, "same-origin", "127.0.0.1:8642", NOTHING, False),
        ("http://127.0.0.1:3000", "same-site", "127.0.0.1:8642", NOTHING, True),
        ("http://localhost:8642", "cross-site", "127.0.0.1:8642", NOTHING, True),
        ("https://evil.example", "cross-site", "127.0.0.1:8642", NOTHING, True),
        ("https://127.0.0.1:8642", None, "127.0.0.1:8642", NOTHING, True),  # other scheme
        ("http://127.0.0.1", None, "127.0.0.1:8642", NOTHING, True),  # port 80
        ("null", "cross-site", "127.0.0.1:8642", NOTHING, True),  # sandboxed, file://
        ("null", None, "127.0.0.1:8642", NOTHING, True),
        ("garbage", None, "127.0.0.1:8642", NOTHING, True),
        (None, "cross-site", "127.0.0.1:8642", NOTHING, True),
        (None, "Cross-Site", "127.0.0.1:8642", NOTHING, True),
        ("http://127.0.0.1:3000", "same-site", "127.0.0.1:8642", {"http://127.0.0.1:3000"}, False),
        ("http://localhost:3000", "cross-site", "127.0.0.1:8642", {"http://localhost:3000"}, False),
        ("http://localhost:3001", "cross-site", "127.0.0.1:8642", {"http://localhost:3000"}, True),
    ],
)
def test_origin_refusal(
    origin: str | None, site: str | None, host: str, allowed: frozenset[str], refused: bool
) -> None:
    assert (origin_refusal(origin, site, "http", host, frozenset(allowed)) is not None) is refused


def test_settings_normalize_allowed_origins_and_refuse_what_is_not_one() -> None:
    server = ServerConfig(allowed_origins=["HTTP://LocalHost:3000/", "https://app.example:443"])
    assert server.allowed_origins == ["http://localhost:3000", "https://app.example"]
    for bad in ("null", "localhost:3000", "*", "http://a.example/path"):
        with pytest.raises(ValidationError, match="is not an origin"):
            ServerConfig(allowed_origins=[bad])


# -- through the server ------------------------------------------------------------------

FOREIGN = {"Origin": "http://127.0.0.1:3000", "Sec-Fetch-Site": "same-site"}
MESSAGES = {"model": "chat-a", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
ROUTES: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "responses": ("POST", "/v1/responses", {"model": "chat-a", "input": "hi"}),
    "compact": ("POST", "/v1/responses/compact", {"model": "chat-a", "input": []}),
    "messages": ("POST", "/v1/messages", MESSAGES),
    "count_tokens": ("POST", "/v1/messages/count_tokens", MESSAGES),
    "chat": (
        "POST",
        "/v1/chat/completions",
        {"model": "chat-a", "messages": [{"role": "user", "content": "hi"}]},
    ),
    "switch": ("POST", "/api/switch", {"model": "chat-a"}),
    "models": ("GET", "/v1/models", None),
    "picker": ("GET", "/picker", None),
    "health": ("GET", "/health", None),
    "dashboard": ("GET", "/dashboard", None),
    "dashboard data": ("GET", "/api/dashboard", None),
    "metrics": ("GET", "/metrics", None),
}


@pytest.fixture
async def proxy(mock_upstream: MockUpstream, proxy_factory: ProxyFactory) -> RunningProxy:
    return await proxy_factory({"models": [chat_model("chat-a", mock_upstream.base_url)]})


async def send(
    proxy: RunningProxy, route: str, headers: dict[str, str], *, host: str = "127.0.0.1"
) -> httpx.Response:
    method, path, body = ROUTES[route]
    headers = {**headers}
    if route in ("switch", "dashboard data"):
        headers[TOKEN_HEADER] = proxy.app[PICKER].token
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        return await http.request(
            method,
            f"http://{host}:{proxy.port}{path}",
            # A browser's no-cors POST: a text/plain body.
            content=json.dumps(body) if body is not None else None,
            headers={"Content-Type": "text/plain;charset=UTF-8", **headers},
        )


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize(
    "headers",
    [
        FOREIGN,
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
    ids=["other port", "other site", "null", "cross-site, no Origin"],
)
async def test_every_route_refuses_another_origin_before_anything_runs(
    proxy: RunningProxy, mock_upstream: MockUpstream, route: str, headers: dict[str, str]
) -> None:
    response = await send(proxy, route, headers)
    assert response.status_code == 403, response.text
    data = response.json()
    if route in ("messages", "count_tokens"):
        assert data["type"] == "error" and data["error"]["type"] == "permission_error"
    else:
        assert data["error"]["code"] == "origin_not_allowed"
    assert (
        "server.allowed_origins" in data["error"]["message"]
        or "cross-site" in (data["error"]["message"])
    )
    assert response.headers["Connection"] == "close"
    assert mock_upstream.requests == []
    assert proxy.routing_records() == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_the_proxy_own_origin_passes(
    proxy: RunningProxy, mock_upstream: MockUpstream, host: str
) -> None:
    mock_upstream.script("chat-a", Text("hi"))
    own = {"Origin": f"http://{host}:{proxy.port}", "Sec-Fetch-Site": "same-origin"}
    response = await send(proxy, "responses", own, host=host)
    assert response.status_code == 200, response.text
    assert (await send(proxy, "models", own, host=host)).status_code == 200


async def test_clients_without_origin_are_unaffected(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("chat-a", Text("hi"))
    assert (await send(proxy, "responses", {})).status_code == 200
    mock_upstream.script("chat-a", Text("hello from claude"))
    client = AsyncAnthropic(base_url=proxy.origin, api_key="unused", max_retries=0)
    message = await client.messages.create(**MESSAGES)
    assert message.content[0].text == "hello from claude"  # type: ignore[union-attr]


async def test_the_anthropic_sdk_sees_a_permission_error(proxy: RunningProxy) -> None:
    client = AsyncAnthropic(
        base_url=proxy.origin,
        api_key="unused",
        max_retries=0,
        default_headers={"Origin": "https://evil.example"},
    )
    with pytest.raises(PermissionDeniedError, match="allowed_origins"):
        await client.messages.create(**MESSAGES)


async def test_a_listed_origin_passes_and_edits_apply_without_restart(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    assert (await send(proxy, "responses", FOREIGN)).status_code == 403
    proxy.write_settings(
        {
            "models": [chat_model("chat-a", mock_upstream.base_url)],
            "server": {"allowed_origins": ["http://127.0.0.1:3000/"]},
        }
    )
    await asyncio.sleep(0.6)
    mock_upstream.script("chat-a", Text("hi"))
    assert (await send(proxy, "responses", FOREIGN)).status_code == 200
    assert (await send(proxy, "responses", {"Origin": "http://127.0.0.1:3001"})).status_code == 403
