"""The proxy with its classifier model down: the local scorer, fitted on the outcome
store, decides, and the response and the routing log say so."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from examples.mockupstream import HttpError, MockUpstream, classifier_handler
from router.learning.outcomes import JsonlOutcomeStore
from tests.proxy import ProxyFactory, RunningProxy, chat_model
from tests.router.auto.local_records import records
from tests.router.test_auto_server import ask, task_headers


async def local_proxy(
    mock_upstream: MockUpstream, proxy_factory: ProxyFactory, outcomes: Path
) -> RunningProxy:
    mock_upstream.on("mock-classifier", classifier_handler)
    models = [
        chat_model(slug, mock_upstream.base_url, price={"input": cost, "output": cost * 4})
        for slug, cost in (("cheap", 0.1), ("mid", 1.0), ("strong", 5.0))
    ]
    return await proxy_factory(
        {
            "models": [*models, chat_model("mock-classifier", mock_upstream.base_url)],
            "router": {
                "classifier": "mock-classifier",
                "default": "mid",
                "local_min_outcomes": 20,
                "outcomes_path": str(outcomes),
                "candidates": [
                    {"slug": "cheap", "cost": 0.1, "card": "Cheap and fast. Simple edits."},
                    {"slug": "mid", "cost": 1.0, "card": "Solid coder for refactors and tests."},
                    {"slug": "strong", "cost": 5.0, "card": "Strong reasoning, hard problems."},
                ],
            },
        }
    )


async def test_with_the_classifier_down_the_local_scorer_decides(
    mock_upstream: MockUpstream, proxy_factory: ProxyFactory, tmp_path: Path
) -> None:
    store = JsonlOutcomeStore(tmp_path / "outcomes.jsonl")
    for record in records(("cheap", "mid", "strong")):
        store.append(record)
    proxy = await local_proxy(mock_upstream, proxy_factory, store.path)
    mock_upstream.on("mock-classifier", lambda body: HttpError(500, {"error": {"message": "down"}}))

    # The first fit runs off the request path; until it is done, the default serves.
    deadline = time.monotonic() + 20
    while True:
        easy = await ask(proxy, "fix the typo in the greeting in module 4", task_headers())
        assert easy.status_code == 200
        if easy.headers["x-autorouter-reason"] != "classifier_failed":
            break
        assert easy.headers["x-autorouter-model"] == "mid"
        assert time.monotonic() < deadline, "the local scorer never got fitted"
        await asyncio.sleep(0.1)
    assert easy.headers["x-autorouter-model"] == "cheap"
    assert easy.headers["x-autorouter-reason"] == "classifier_failed; scorer=local"

    hard = await ask(proxy, "find the race condition in the distributed scheduler", task_headers())
    assert hard.headers["x-autorouter-model"] == "strong"
    route = proxy.routing_records("route")[-1]
    assert route["scorer"] == "local" and route["reason"] == "classifier_failed"
    assert route["classifier_error"]
    scores = {c["slug"]: c["score"] for c in route["candidates"]}
    assert scores["strong"] > 0.7 > scores["cheap"]


async def test_the_routing_log_names_the_classifier_when_it_decided(
    mock_upstream: MockUpstream, proxy_factory: ProxyFactory, tmp_path: Path
) -> None:
    proxy = await local_proxy(mock_upstream, proxy_factory, tmp_path / "none.jsonl")
    response = await ask(proxy, "say hi", task_headers())
    assert response.headers["x-autorouter-reason"] == "scored"
    assert proxy.routing_records("route")[-1]["scorer"] == "classifier"
