"""The dashboard in a real headless Chromium: after scripted requests through the mock
upstreams its charts and tables show exactly what the routing log holds; without the
page's token, or under a foreign Host, its data is refused."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.mockupstream import MockUpstream, classifier_handler
from router.app.picker import PICKER, TOKEN_HEADER
from tests.browser import CHROMIUM, SKIP_REASON, chromium
from tests.proxy import ProxyFactory, RunningProxy, chat_model


@pytest.fixture
async def proxy(mock_upstream: MockUpstream, proxy_factory: ProxyFactory) -> RunningProxy:
    mock_upstream.on("mock-classifier", classifier_handler)
    return await proxy_factory(
        {
            "models": [
                chat_model("cheap", mock_upstream.base_url, price={"input": 0.1, "output": 0.4}),
                chat_model("strong", mock_upstream.base_url, price={"input": 5, "output": 20}),
                chat_model(
                    "mock-classifier", mock_upstream.base_url, price={"input": 0.05, "output": 0.2}
                ),
            ],
            "router": {
                "classifier": "mock-classifier",
                "candidates": [
                    {"slug": "cheap", "cost": 0.1, "card": "Cheap and fast. Simple edits."},
                    {"slug": "strong", "cost": 5.0, "card": "Frontier, hard problems."},
                ],
            },
        }
    )


async def scripted_requests(proxy: RunningProxy) -> None:
    prompts = [
        "fix the typo in the greeting",
        "rename a variable",
        "Redesign the architecture to fix a race condition in the concurrency layer",
    ]
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        for prompt in prompts:
            headers = {
                "session-id": str(uuid.uuid4()),
                "x-codex-turn-metadata": json.dumps(
                    {"turn_id": str(uuid.uuid4()), "request_kind": "turn"}
                ),
            }
            body = {
                "model": "codex-auto",
                "stream": True,
                "input": [{"type": "message", "role": "user", "content": prompt}],
            }
            for _ in range(2):  # the first request and one tool round trip of the task
                response = await http.post(
                    f"{proxy.base_url}/responses", json=body, headers=headers
                )
                assert response.status_code == 200


async def dashboard_data(proxy: RunningProxy, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        return await http.get(f"{proxy.origin}/api/dashboard", headers=headers)


async def test_the_data_needs_the_page_token(proxy: RunningProxy) -> None:
    assert (await dashboard_data(proxy)).status_code == 403
    assert (await dashboard_data(proxy, **{TOKEN_HEADER: "guess"})).status_code == 403
    token = proxy.app[PICKER].token
    assert (await dashboard_data(proxy, **{TOKEN_HEADER: token})).status_code == 200


async def test_a_foreign_host_gets_neither_the_page_nor_the_data(proxy: RunningProxy) -> None:
    token = proxy.app[PICKER].token
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        page = await http.get(f"{proxy.origin}/dashboard", headers={"Host": "evil.example"})
    data = await dashboard_data(proxy, Host="evil.example", **{TOKEN_HEADER: token})
    assert page.status_code == 403 and token not in page.text
    assert data.status_code == 403


async def test_the_data_matches_the_routing_log(proxy: RunningProxy) -> None:
    await scripted_requests(proxy)
    data = (await dashboard_data(proxy, **{TOKEN_HEADER: proxy.app[PICKER].token})).json()
    ledger = proxy.routing_records("request")
    routes = proxy.routing_records("route")
    assert data["totals"]["requests"] == len(ledger) == 6
    assert data["decisions"]["total"] == len(routes)
    for row in data["models"]:
        mine = [r for r in ledger if r["slug"] == row["model"]]
        assert row["requests"] == len(mine)
        assert row["input_tokens"] == sum(r["input_tokens"] for r in mine)
        assert row["cost_usd"] == pytest.approx(sum(r["cost_usd"] for r in mine))
        assert row["ttft_p50_ms"] is not None and row["ttft_p50_ms"] <= row["latency_p95_ms"]
    assert len(data["tasks"]) == 3
    assert {t["chosen"] for t in data["tasks"]} == {"cheap", "strong"}
    assert all(t["requests"] == 2 and t["thread"] for t in data["tasks"])
    assert data["classifier"]["calls"] == 3 and data["classifier"]["cost_usd"] > 0
    assert data["spend"]["saving_usd"] > 0
    over_time = data["decisions"]["over_time_by_model"]
    assert sum(sum(counts) for counts in over_time.values()) == len(routes)


@pytest.mark.skipif(CHROMIUM is None, reason=SKIP_REASON)
async def test_the_page_in_a_real_browser_shows_the_ledger(
    proxy: RunningProxy, tmp_path: Path
) -> None:
    await scripted_requests(proxy)
    ledger = proxy.routing_records("request")
    async with chromium() as browser:
        await browser.open(f"{proxy.origin}/dashboard")
        loaded = "new Promise(r => { const f = () => document.body.dataset.loaded"
        loaded += " ? r(true) : setTimeout(f, 50); f(); })"
        assert await browser.evaluate(loaded) is True
        shown: Any = await browser.evaluate(
            """(() => ({
              requests: document.getElementById('kpi-requests').textContent,
              decisions: document.getElementById('kpi-decisions').textContent,
              models: [...document.querySelectorAll('#models tbody tr')].map(tr => ({
                model: tr.querySelector('[data-field=model]').textContent,
                requests: tr.querySelector('[data-field=requests]').textContent,
                input: tr.querySelector('[data-field=input_tokens]').textContent,
              })),
              tasks: document.querySelectorAll('#tasks tbody tr').length,
              bars: document.querySelectorAll('#by-model svg rect').length,
              reasonBars: document.querySelectorAll('#by-reason svg rect').length,
              spendLines: document.querySelectorAll('#spend svg polyline').length,
            }))()"""
        )
        shot = Path(os.environ.get("AUTOROUTER_DASHBOARD_SHOT", tmp_path / "dashboard.png"))
        await browser.screenshot(shot)
        await browser.screenshot(shot.with_name(shot.stem + "-phone.png"), width=390, height=900)
    assert shown["requests"] == str(len(ledger))
    assert shown["decisions"] == str(len(proxy.routing_records("route")))
    for row in shown["models"]:
        mine = [r for r in ledger if r["slug"] == row["model"]]
        assert row["requests"] == str(len(mine))
        assert row["input"] == str(sum(r["input_tokens"] for r in mine))
    assert {row["model"] for row in shown["models"]} == {r["slug"] for r in ledger}
    assert shown["tasks"] == 3
    assert shown["bars"] >= 2 and shown["reasonBars"] >= 1 and shown["spendLines"] == 2
    assert shot.stat().st_size > 10_000
