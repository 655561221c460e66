"""Two proxy instances sharing one real Redis: decisions, cooldowns, budgets, outages."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import uuid
from typing import Any

import httpx
import pytest

from examples.mockupstream import HttpError, MockUpstream, Slow, Text, classifier_handler
from router.app.exchange import STATE
from router.routing.auto.shared_router import COOLDOWNS
from router.shared import redis_state
from tests.proxy import ProxyFactory, RunningProxy, chat_model
from tests.team.redis_server import RedisServer

HARD = "Redesign the architecture to fix a race condition in the concurrency layer"


def team_settings(mock: MockUpstream, redis_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "models": [
            chat_model("cheap", mock.base_url, price={"input": 1000, "output": 4000}),
            chat_model("mid", mock.base_url, price={"input": 2000, "output": 8000}),
            chat_model("strong", mock.base_url, price={"input": 5000, "output": 20000}),
            chat_model("mock-classifier", mock.base_url),
        ],
        "router": {
            "classifier": "mock-classifier",
            "default": "mid",
            "cooldown": 60,
            "candidates": [
                {"slug": "cheap", "cost": 0.1, "card": "Cheap and fast. Simple edits."},
                {"slug": "mid", "cost": 1.0, "card": "Solid coder for refactors and tests."},
                {
                    "slug": "strong",
                    "cost": 5.0,
                    "card": "Strong reasoning, frontier, hard problems.",
                },
            ],
        },
        "state": {"redis_url": redis_url},
        **extra,
    }


async def shared_cooldown(proxy: RunningProxy, slug: str) -> None:
    """Wait until `slug`'s cooldown, written in the background, is in the shared state."""
    shared = proxy.app[STATE].shared
    for _ in range(100):
        if slug in await shared.deadlines(COOLDOWNS):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{slug}'s cooldown never reached the shared state")


def task_headers() -> dict[str, str]:
    return {
        "session-id": str(uuid.uuid4()),
        "x-codex-turn-metadata": json.dumps({"turn_id": str(uuid.uuid4()), "request_kind": "turn"}),
    }


async def ask(
    proxy: RunningProxy,
    text: str,
    headers: dict[str, str],
    *,
    model: str = "codex-auto",
    timeout: float = 30,
) -> httpx.Response:
    body = {
        "model": model,
        "stream": True,
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
        ],
    }
    async with httpx.AsyncClient(trust_env=False, timeout=timeout) as http:
        return await http.post(f"{proxy.base_url}/responses", json=body, headers=headers)


async def health(proxy: RunningProxy) -> dict[str, Any]:
    async with httpx.AsyncClient(trust_env=False, timeout=5) as http:
        return (await http.get(f"{proxy.origin}/health")).json()


@pytest.fixture
async def pair(
    mock_upstream: MockUpstream, proxy_factory: ProxyFactory, redis_server: RedisServer
) -> tuple[RunningProxy, RunningProxy]:
    mock_upstream.on("mock-classifier", classifier_handler)
    settings = team_settings(mock_upstream, redis_server.url)
    return await proxy_factory(settings), await proxy_factory(settings)


async def test_a_tasks_round_trips_alternating_between_instances_cost_one_classifier_call(
    pair: tuple[RunningProxy, RunningProxy], mock_upstream: MockUpstream
) -> None:
    a, b = pair
    headers = task_headers()
    answers = [await ask(proxy, HARD, headers) for proxy in (a, b, a, b)]
    assert [r.status_code for r in answers] == [200] * 4
    assert {r.headers["x-autorouter-model"] for r in answers} == {"strong"}
    assert [r.headers["x-autorouter-reason"] for r in answers] == ["scored"] + ["cache_hit"] * 3
    assert len(mock_upstream.requests_for("mock-classifier")) == 1
    assert (await health(a))["shared_state"] == "redis"


async def test_both_instances_getting_the_first_request_at_once_share_one_classifier_call(
    pair: tuple[RunningProxy, RunningProxy], mock_upstream: MockUpstream
) -> None:
    a, b = pair
    # A slow classifier keeps the first decision open while the other instance asks.
    mock_upstream.on("mock-classifier", lambda body: Slow(classifier_handler(body), 0.3))
    headers = task_headers()
    first, second = await asyncio.gather(ask(a, HARD, headers), ask(b, HARD, headers))
    assert first.headers["x-autorouter-model"] == second.headers["x-autorouter-model"] == "strong"
    assert sorted(r.headers["x-autorouter-reason"] for r in (first, second)) == [
        "cache_hit",
        "scored",
    ]
    assert len(mock_upstream.requests_for("mock-classifier")) == 1


async def test_a_model_put_to_rest_on_one_instance_is_skipped_by_the_other(
    pair: tuple[RunningProxy, RunningProxy], mock_upstream: MockUpstream
) -> None:
    a, b = pair
    mock_upstream.script("strong", HttpError(503, {"error": {"message": "overloaded"}}))
    on_a = await ask(a, HARD, task_headers())
    assert on_a.headers["x-autorouter-model"] != "strong"
    await shared_cooldown(b, "strong")
    mock_upstream.clear()
    on_b = await ask(b, HARD, task_headers())
    assert on_b.status_code == 200
    assert on_b.headers["x-autorouter-model"] != "strong"
    assert not mock_upstream.requests_for("strong")
    [route] = [r for r in b.routing_records("route")]
    why = {c["slug"]: c["why_not"] for c in route["candidates"]}
    assert why["strong"] == "cooling down after a failure"


async def test_a_budget_spent_across_both_instances_is_refused_on_either(
    mock_upstream: MockUpstream,
    proxy_factory: ProxyFactory,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALICE_KEY", "alice-secret-key")
    # The mock reports 28 input and 1 output tokens: 0.032 USD a request at these prices.
    clients = [{"name": "alice", "key_env": "ALICE_KEY", "budget_usd": 0.05, "period": "month"}]
    settings = team_settings(mock_upstream, redis_server.url, clients=clients)
    a, b = await proxy_factory(settings), await proxy_factory(settings)
    auth = {"Authorization": "Bearer alice-secret-key"}
    assert (await ask(a, "hi", auth, model="cheap")).status_code == 200
    await asyncio.sleep(0.5)  # spend is charged in the background
    assert (await ask(b, "hi", auth, model="cheap")).status_code == 200
    await asyncio.sleep(0.5)
    for proxy in (a, b):
        refused = await ask(proxy, "hi", auth, model="cheap")
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["code"] == "budget_exhausted"
        assert "0.06 of 0.05 USD spent this month" in error["message"]
        assert "renews at" in error["message"]
        assert int(refused.headers["Retry-After"]) > 0
    logged = [r for p in (a, b) for r in p.routing_records("request")]
    assert [r["client"] for r in logged] == ["alice", "alice"]
    assert "alice-secret-key" not in a.routing_log.read_text() + b.routing_log.read_text()
    assert "alice-secret-key" not in await redis_keys_and_values(redis_server)


async def test_redis_stopping_mid_run_never_hangs_a_request_and_sharing_resumes(
    pair: tuple[RunningProxy, RunningProxy],
    mock_upstream: MockUpstream,
    redis_server: RedisServer,
) -> None:
    a, b = pair
    headers = task_headers()
    assert (await ask(a, HARD, headers)).status_code == 200
    redis_server.stop()
    started = time.monotonic()
    during = [await ask(proxy, HARD, headers, timeout=5) for proxy in (a, b, a, b)]
    assert time.monotonic() - started < 4
    assert [r.status_code for r in during] == [200] * 4
    # Instance A still has the task's decision; B decided by itself while Redis was away.
    assert {r.headers["x-autorouter-model"] for r in during} == {"strong"}
    assert [(await health(p))["status"] for p in (a, b)] == ["degraded", "degraded"]

    redis_server.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if [(await health(p))["status"] for p in (a, b)] == ["ok", "ok"]:
            break
        await asyncio.sleep(0.2)
    assert [(await health(p))["status"] for p in (a, b)] == ["ok", "ok"]
    mock_upstream.clear()
    fresh = task_headers()
    after = [await ask(proxy, HARD, fresh) for proxy in (b, a, b)]
    assert [r.headers["x-autorouter-reason"] for r in after] == ["scored", "cache_hit", "cache_hit"]
    assert len(mock_upstream.requests_for("mock-classifier")) == 1


async def test_stats_against_either_instance_report_the_whole_fleet(
    pair: tuple[RunningProxy, RunningProxy], tmp_path: Any
) -> None:
    a, b = pair
    for proxy in (a, b, b):
        assert (await ask(proxy, HARD, task_headers())).status_code == 200
    await asyncio.sleep(0.5)  # ledger rows are written in the background
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "router",
        "stats",
        "--settings",
        str(a.settings_path),
        "--routing-log",
        str(a.routing_log),
        env={**os.environ, "AUTOROUTER_STATE_DIR": str(tmp_path)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    fleet = out.decode().split("\n\n")[0]
    assert "All instances (shared ledger" in fleet
    [strong] = [line.split() for line in fleet.splitlines() if line.strip().startswith("strong")]
    assert strong[1] == "3"  # all three requests, though this log holds one


async def test_an_api_key_put_to_rest_on_one_instance_is_skipped_by_the_other(
    mock_upstream: MockUpstream, proxy_factory: ProxyFactory, redis_server: RedisServer
) -> None:
    keyed = chat_model("keyed", mock_upstream.base_url)
    del keyed["api_key"]
    keyed["api_keys"] = ["key-one-0000", "key-two-0000"]
    settings = {"models": [keyed], "state": {"redis_url": redis_server.url}}
    a, b = await proxy_factory(settings), await proxy_factory(settings)
    mock_upstream.script(
        "keyed",
        HttpError(429, {"error": {"message": "Rate limit reached"}}, {"retry-after": "30"}),
        Text("from key two"),
        Text("still key two"),
    )
    assert (await ask(a, "hi", {}, model="keyed")).status_code == 200
    assert (await ask(b, "hi", {}, model="keyed")).status_code == 200
    keys = [r.headers.get("authorization") for r in mock_upstream.requests_for("keyed")]
    # B starts its own round robin at key one, but key one rests for 30 s everywhere.
    assert keys == ["Bearer key-one-0000", "Bearer key-two-0000", "Bearer key-two-0000"]
    assert "key-one-0000" not in (await redis_keys_and_values(redis_server))


async def redis_keys_and_values(server: RedisServer) -> str:
    from redis.asyncio import Redis

    client = Redis.from_url(server.url)
    try:
        dump = []
        for key in await client.keys("*"):
            kind = (await client.type(key)).decode()
            value = await client.hgetall(key) if kind == "hash" else await client.get(key)
            dump.append(f"{key!r} {value!r}")
        return "\n".join(dump)
    finally:
        await client.aclose()


async def test_a_redis_that_stops_answering_costs_a_request_at_most_its_timeout(
    pair: tuple[RunningProxy, RunningProxy],
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(redis_state.log, "warning", lambda event, **_: warnings.append(event))
    a, b = pair
    headers = task_headers()
    assert (await ask(a, HARD, headers)).status_code == 200
    assert redis_server.process is not None
    redis_server.process.send_signal(signal.SIGSTOP)  # connections open, nothing answers
    try:
        timings = []
        for proxy in (a, b, a, b, a):
            started = time.monotonic()
            response = await ask(proxy, HARD, headers, timeout=5)
            timings.append(time.monotonic() - started)
            assert response.status_code == 200
            assert response.headers["x-autorouter-model"] == "strong"
        # The first request on each instance waits out the timeout once; later ones not.
        assert max(timings) < 2.0
        assert sum(t > 0.6 for t in timings) <= 2
        assert [(await health(p))["status"] for p in (a, b)] == ["degraded", "degraded"]
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if [(await health(p))["status"] for p in (a, b)] == ["ok", "ok"]:
            break
        await asyncio.sleep(0.2)
    assert [(await health(p))["status"] for p in (a, b)] == ["ok", "ok"]
    # One warning per instance for the whole outage.
    assert warnings == ["shared_state_unavailable"] * 2


async def test_a_task_moved_off_a_failing_model_stays_moved_on_every_instance(
    mock_upstream: MockUpstream, proxy_factory: ProxyFactory, redis_server: RedisServer
) -> None:
    mock_upstream.on("mock-classifier", classifier_handler)
    settings = team_settings(mock_upstream, redis_server.url)
    settings["router"]["cooldown"] = 1
    a, b = await proxy_factory(settings), await proxy_factory(settings)
    task = task_headers()
    assert (await ask(a, HARD, task)).headers["x-autorouter-model"] == "strong"
    # Another task finds "strong" failing: it cools down for a second, everywhere.
    mock_upstream.script("strong", HttpError(503, {"error": {"message": "overloaded"}}))
    await ask(b, HARD, task_headers())
    await shared_cooldown(b, "strong")
    moved = await ask(b, HARD, task)
    assert moved.headers["x-autorouter-model"] != "strong"
    await asyncio.sleep(1.2)  # the cooldown is over; the task stays where it moved
    later = [await ask(proxy, HARD, task) for proxy in (a, b)]
    assert [r.headers["x-autorouter-model"] for r in later] == [
        moved.headers["x-autorouter-model"]
    ] * 2
