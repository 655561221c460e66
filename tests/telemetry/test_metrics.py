"""`GET /metrics`: Prometheus text that `prometheus_client`'s own parser reads, whose
counters equal the routing log's records after a known sequence of requests."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from examples.mockupstream import HttpError, MockUpstream, Text, classifier_handler
from tests.proxy import ProxyFactory, RunningProxy, chat_model


@pytest.fixture
async def proxy(mock_upstream: MockUpstream, proxy_factory: ProxyFactory) -> RunningProxy:
    mock_upstream.on("mock-classifier", classifier_handler)
    return await proxy_factory(
        {
            "models": [
                chat_model("cheap", mock_upstream.base_url, price={"input": 0.1, "output": 0.4}),
                chat_model("strong", mock_upstream.base_url, price={"input": 5, "output": 20}),
                chat_model("mock-classifier", mock_upstream.base_url),
            ],
            "router": {
                "classifier": "mock-classifier",
                "default": "strong",
                "candidates": [
                    {"slug": "cheap", "cost": 0.1, "card": "Cheap and fast. Simple edits."},
                    {"slug": "strong", "cost": 5.0, "card": "Frontier, hard problems."},
                ],
            },
        }
    )


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def total(found: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(
        value
        for have, value in found.get(name, [])
        if all(have.get(k) == v for k, v in labels.items())
    )


async def post(
    proxy: RunningProxy, model: str, *, headers: dict[str, str] | None = None, stream: bool = True
) -> httpx.Response:
    body: dict[str, Any] = {
        "model": model,
        "stream": stream,
        "input": [{"type": "message", "role": "user", "content": "say hi"}],
    }
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        return await http.post(f"{proxy.base_url}/responses", json=body, headers=headers or {})


def task() -> dict[str, str]:
    return {
        "session-id": str(uuid.uuid4()),
        "x-codex-turn-metadata": json.dumps({"turn_id": str(uuid.uuid4()), "request_kind": "turn"}),
    }


async def test_metrics_equal_the_ledger_after_a_known_sequence(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    auto_task = task()
    assert (await post(proxy, "codex-auto", headers=auto_task)).status_code == 200
    assert (await post(proxy, "codex-auto", headers=auto_task)).status_code == 200  # cache hit
    assert (await post(proxy, "strong", stream=False)).status_code == 200
    mock_upstream.script("cheap", HttpError(500, {"error": {"message": "boom"}}))
    assert (await post(proxy, "cheap")).status_code == 500
    mock_upstream.script("mock-classifier", HttpError(500, {"error": {"message": "down"}}))
    assert (await post(proxy, "codex-auto", headers=task())).status_code == 200
    mock_upstream.script("strong", Text("hello there"))
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        chat = await http.post(
            f"{proxy.base_url}/chat/completions",
            json={"model": "strong", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert chat.status_code == 200
        response = await http.get(f"{proxy.origin}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)

    ledger = proxy.routing_records("request")
    routes = proxy.routing_records("route")
    assert len(ledger) == 6 and len(routes) == 3
    for slug in ("cheap", "strong"):
        rows = [r for r in ledger if r["slug"] == slug]
        assert total(found, "autorouter_requests_total", model=slug) == len(rows)
        for kind in ("input", "output", "cached", "reasoning"):
            expected = sum(r[f"{kind}_tokens"] for r in rows)
            assert total(found, "autorouter_tokens_total", model=slug, kind=kind) == expected
        cost = sum(r["cost_usd"] or 0 for r in rows)
        assert total(found, "autorouter_cost_usd_total", model=slug) == pytest.approx(cost)
    errors = Counter((r["slug"], r["error"]) for r in ledger if r.get("error"))
    assert errors, "the 500 is in the ledger"
    for (slug, code), count in errors.items():
        assert total(found, "autorouter_upstream_errors_total", model=slug, code=code) == count
    by_status = Counter(str(r["status"]) for r in ledger)
    for status, count in by_status.items():
        assert total(found, "autorouter_requests_total", status=status) == count
    assert total(found, "autorouter_requests_total", endpoint="chat_completions") == 1
    assert total(found, "autorouter_requests_total", endpoint="responses") == 5
    decisions = Counter((r["chosen"], r["reason"]) for r in routes)
    for (model, reason), count in decisions.items():
        assert total(found, "autorouter_auto_decisions_total", model=model, reason=reason) == count
    assert total(found, "autorouter_classifier_calls_total", outcome="ok") == 1
    assert total(found, "autorouter_classifier_calls_total", outcome="error") == 1
    assert total(found, "autorouter_request_duration_seconds_count") == len(ledger)
    streamed = [r for r in ledger if "ttft_ms" in r]
    assert len(streamed) == 3  # the three streams that answered; not the 500, not the JSON
    assert all(0 < r["ttft_ms"] <= r["latency_ms"] for r in streamed)
    assert total(found, "autorouter_time_to_first_token_seconds_count") == len(streamed)
    assert total(found, "autorouter_inflight_requests") == 0


async def test_no_label_carries_a_task_a_prompt_or_a_key(proxy: RunningProxy) -> None:
    headers = task()
    await post(proxy, "codex-auto", headers=headers)
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        text = (await http.get(f"{proxy.origin}/metrics")).text
    assert headers["session-id"] not in text
    assert "say hi" not in text
    labels = {k for samples_ in samples(text).values() for have, _ in samples_ for k in have}
    assert labels <= {"endpoint", "model", "status", "kind", "reason", "outcome", "code", "le"}


async def test_metrics_obey_the_host_allowlist(proxy: RunningProxy) -> None:
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        response = await http.get(f"{proxy.origin}/metrics", headers={"Host": "evil.example:8642"})
    assert response.status_code == 403
