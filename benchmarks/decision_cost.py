"""The in-process cost of a cache-hit Auto decision, in microseconds per call.

    python -m benchmarks.decision_cost

Every request for the Auto slug pays `task_key(headers, body)` and `AutoRouter.decide`;
after the first request of a task the decision comes from the cache. This times that
path with a real captured Codex request (turn 1 of `codex exec`: its body and headers,
in aiohttp's case-insensitive header mapping, as the server sees them).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from router.routing.auto.router import AutoRouter
from router.routing.task import task_key
from router.settings import parse_settings

FIXTURE = (
    Path(__file__).resolve().parents[1]
    / "tests"
    / "fixtures"
    / "codex"
    / "exec_turn1_first_request.jsonl"
)
CALLS = 20_000
ROUNDS = 7

SETTINGS = {
    "models": [
        {"slug": slug, "model": slug, "base_url": "http://127.0.0.1:9/v1"}
        for slug in ("small", "medium", "large", "classifier")
    ],
    "router": {
        "classifier": "classifier",
        "candidates": [
            {"slug": "small", "cost": 1, "supports_images": False, "card": "fast, simple edits"},
            {"slug": "medium", "cost": 3, "supports_images": True, "card": "solid all-rounder"},
            {"slug": "large", "cost": 10, "supports_images": True, "card": "hard problems"},
        ],
    },
}


async def _classifier(slug: str, body: dict[str, Any]) -> dict[str, Any]:
    """Stands in for the one classifier call that fills the cache."""
    scores = json.dumps({"scores": {"A": 0.9, "B": 0.8, "C": 0.7}})
    content = [{"type": "output_text", "text": scores}]
    return {"output": [{"type": "message", "role": "assistant", "content": content}]}


def captured_request() -> tuple[CIMultiDictProxy[str], dict[str, Any]]:
    record = json.loads(FIXTURE.read_text().splitlines()[0])
    body = {**record["body"], "model": "codex-auto"}
    return CIMultiDictProxy(CIMultiDict(record["headers"])), body


async def _per_call_us(
    router: AutoRouter, headers: CIMultiDictProxy[str], body: dict[str, Any]
) -> float:
    started = time.perf_counter()
    for _ in range(CALLS):
        decision = await router.decide(task_key(headers, body), body)
    elapsed = time.perf_counter() - started
    assert decision.cache_hit
    return elapsed / CALLS * 1e6


async def measure() -> list[float]:
    router = AutoRouter(parse_settings(SETTINGS), _classifier)
    headers, body = captured_request()
    first = await router.decide(task_key(headers, body), body)
    if first.cache_hit or first.reason == "classifier_failed":
        raise SystemExit(f"the first decision should come from the classifier: {first.reason}")
    return [await _per_call_us(router, headers, body) for _ in range(ROUNDS)]


def main() -> None:
    rounds = asyncio.run(measure())
    print(
        f"cache-hit Auto decision (task_key + AutoRouter.decide), {ROUNDS} rounds of {CALLS} calls:"
    )
    print(f"  median {statistics.median(rounds):.1f} us/call, best {min(rounds):.1f} us/call")
    print(f"  rounds: {', '.join(f'{r:.1f}' for r in rounds)} us")


if __name__ == "__main__":
    main()
