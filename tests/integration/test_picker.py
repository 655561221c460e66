"""The picker page: lists the models with the active one marked, switches Codex's model
with the page's token, and refuses requests without it or under a foreign Host."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from router.app.picker import PICKER, TOKEN_HEADER
from router.codex_setup.config_toml import CodexConfig, managed_entries
from tests.browser import CHROMIUM, SKIP_REASON, chromium
from tests.integration.conftest import settings_data
from tests.proxy import RunningProxy, start_proxy


@pytest.fixture
async def proxy(isolated: Path) -> AsyncIterator[RunningProxy]:
    config = CodexConfig(Path(isolated / "codex-home" / "config.toml"), isolated / "state")
    config.enable(managed_entries("http://127.0.0.1:8642", isolated / "catalog.json", "cheap"))
    directory = isolated / "proxy"
    directory.mkdir()
    running = await start_proxy(settings_data(), directory)
    yield running
    await running.runner.cleanup()


def codex_model(isolated: Path) -> str | None:
    return CodexConfig(isolated / "codex-home" / "config.toml", isolated / "state").current_model()


def page_token(page: str) -> str:
    match = re.search(r'<meta name="autorouter-token" content="([^"]+)">', page)
    assert match is not None
    return match.group(1)


async def test_the_page_lists_models_and_marks_the_active_one(proxy: RunningProxy) -> None:
    async with httpx.AsyncClient(base_url=proxy.origin) as client:
        response = await client.get("/picker")
    assert response.status_code == 200
    page = response.text
    for slug in ("codex-auto", "cheap", "strong"):
        assert f'data-slug="{slug}"' in page
    assert "Auto (smart routing)" in page
    assert re.search(r'<li aria-current="true" class="active"><button [^>]*data-slug="cheap"', page)
    assert page.count('aria-current="true"') == 1
    assert "script-src 'nonce-" in response.headers["Content-Security-Policy"]


async def test_switching_with_the_page_token_changes_codex_model(
    proxy: RunningProxy, isolated: Path
) -> None:
    async with httpx.AsyncClient(base_url=proxy.origin) as client:
        token = page_token((await client.get("/picker")).text)
        response = await client.post(
            "/api/switch", json={"model": "codex-auto"}, headers={TOKEN_HEADER: token}
        )
    assert response.status_code == 200
    assert response.json() == {"model": "codex-auto"}
    assert codex_model(isolated) == "codex-auto"


@pytest.mark.parametrize(
    "headers",
    [{}, {TOKEN_HEADER: "guess"}, {TOKEN_HEADER: ""}],
    ids=["no token", "wrong token", "empty token"],
)
async def test_switching_without_the_token_is_forbidden(
    proxy: RunningProxy, isolated: Path, headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=proxy.origin) as client:
        response = await client.post("/api/switch", json={"model": "strong"}, headers=headers)
    assert response.status_code == 403
    assert codex_model(isolated) == "cheap"


async def test_a_foreign_host_gets_403_for_the_page_and_the_switch(
    proxy: RunningProxy, isolated: Path
) -> None:
    token = proxy.app[PICKER].token
    foreign = {"Host": "evil.example:8642"}
    async with httpx.AsyncClient(base_url=proxy.origin) as client:
        page = await client.get("/picker", headers=foreign)
        switch = await client.post(
            "/api/switch", json={"model": "strong"}, headers={**foreign, TOKEN_HEADER: token}
        )
    assert page.status_code == 403 and token not in page.text
    assert switch.status_code == 403
    assert codex_model(isolated) == "cheap"


async def test_an_unknown_model_is_refused_with_the_known_ones(
    proxy: RunningProxy, isolated: Path
) -> None:
    token = proxy.app[PICKER].token
    async with httpx.AsyncClient(base_url=proxy.origin) as client:
        response = await client.post(
            "/api/switch", json={"model": "gpt-9"}, headers={TOKEN_HEADER: token}
        )
    assert response.status_code == 400
    assert "codex-auto, cheap, strong" in response.json()["error"]["message"]
    assert codex_model(isolated) == "cheap"


# -- a real browser ----------------------------------------------------------------------


@pytest.mark.skipif(CHROMIUM is None, reason=SKIP_REASON)
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_real_browser_switches_the_model_with_a_click(
    proxy: RunningProxy, isolated: Path, host: str
) -> None:
    # The page's fetch carries its Origin (the proxy's own) and passes the Origin rule.
    async with chromium() as browser:
        await browser.open(f"http://{host}:{proxy.port}/picker")
        await browser.evaluate("document.querySelector('[data-slug=strong]').click()")
        switched = "new Promise(r => { const f = () => document.body.dataset.switched"
        switched += " ? r(document.body.dataset.switched) : setTimeout(f, 50); f(); })"
        assert await browser.evaluate(switched) == "strong"
        active = "document.querySelector('li.active button').dataset.slug"
        assert await browser.evaluate(active) == "strong"
    assert codex_model(isolated) == "strong"
