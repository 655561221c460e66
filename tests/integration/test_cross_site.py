"""A web page of another origin cannot spend the user's keys: real Chromium loads a page
from another loopback port, which POSTs a Responses request to the proxy with
`mode: "no-cors"` (a text/plain body, no preflight, a genuine Host header). The proxy
refuses it before any handler runs, so the mock upstream sees nothing; the same page
listed in `server.allowed_origins` does reach it (the browser really sent the request)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from examples.mockupstream import MockUpstream, Text
from tests.browser import CHROMIUM, SKIP_REASON, chromium
from tests.proxy import ProxyFactory, RunningProxy, chat_model

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=SKIP_REASON)

ATTACK = """<!doctype html><html><head><meta charset="utf-8"><title>cute cats</title></head>
<body><script>
window.attack = (target) => fetch(target, {
  method: "POST",
  mode: "no-cors",
  body: JSON.stringify({model: "chat-a", input: "spend the user's keys", stream: false}),
}).then(r => "sent:" + r.type, e => "error:" + e);
</script></body></html>"""


@pytest.fixture
async def attacker() -> AsyncIterator[int]:
    """Another site's page, served from its own loopback port."""
    app = web.Application()

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=ATTACK, content_type="text/html")

    app.router.add_get("/", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None and server.sockets  # type: ignore[attr-defined]
    yield server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    await runner.cleanup()


def attack(proxy: RunningProxy) -> str:
    return f"window.attack({json.dumps(proxy.base_url + '/responses')})"


async def start(
    mock: MockUpstream, factory: ProxyFactory, allowed_origins: list[str] | None = None
) -> RunningProxy:
    settings: dict[str, object] = {"models": [chat_model("chat-a", mock.base_url)]}
    if allowed_origins is not None:
        settings["server"] = {"allowed_origins": allowed_origins}
    return await factory(settings)


@pytest.mark.parametrize(
    "page_host",
    ["127.0.0.1", "localhost"],
    ids=["same site, other port (Origin rule)", "other site (a localhost page)"],
)
async def test_a_no_cors_post_from_another_origin_never_reaches_the_upstream(
    mock_upstream: MockUpstream,
    proxy_factory: ProxyFactory,
    attacker: int,
    page_host: str,
) -> None:
    mock_upstream.script("chat-a", Text("paid for by the user"))
    proxy = await start(mock_upstream, proxy_factory)
    async with chromium() as browser:
        await browser.open(f"http://{page_host}:{attacker}/")
        outcome = await browser.evaluate(attack(proxy))
    # An opaque answer: the request went out and an answer (the 403) came back.
    assert outcome == "sent:opaque"
    assert mock_upstream.requests == []
    assert proxy.routing_records("request") == []


async def test_the_same_page_listed_in_allowed_origins_is_served(
    mock_upstream: MockUpstream, proxy_factory: ProxyFactory, attacker: int
) -> None:
    mock_upstream.script("chat-a", Text("you asked for it"))
    proxy = await start(mock_upstream, proxy_factory, [f"http://127.0.0.1:{attacker}"])
    async with chromium() as browser:
        await browser.open(f"http://127.0.0.1:{attacker}/")
        outcome = await browser.evaluate(attack(proxy))
    assert outcome == "sent:opaque"
    assert [r.body["messages"][-1]["content"] for r in mock_upstream.requests] == [
        "spend the user's keys"
    ]
