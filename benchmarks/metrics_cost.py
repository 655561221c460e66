"""What the Prometheus metrics add to a request, in microseconds.

    python -m benchmarks.metrics_cost

A request's records reach the metrics once each (`observe_decision` for an Auto
decision, `observe_request` for its usage line); nothing is counted per streamed event.
This times both on realistic records, as the server passes them, in one run beside the
cost of the routing-log line that the same request already writes, so the figure reads
as a ratio too.
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable

import structlog

from router.telemetry.logs import _PROCESSORS
from router.telemetry.metrics import Metrics, current_endpoint

CALLS = 20_000
ROUNDS = 7

DECISION = {
    "event": "route",
    "task": "codex:0f9d3c1e-5b7a-4a2e-9c1d-7e3f5a9b1c2d:7a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
    "thread": "0f9d3c1e-5b7a-4a2e-9c1d-7e3f5a9b1c2d",
    "candidates": [
        {"slug": slug, "score": score, "eligible": True, "why_not": None}
        for slug, score in (("small", 0.8), ("medium", 0.9), ("large", 0.95))
    ],
    "threshold": 0.7,
    "chosen": "small",
    "reason": "scored",
    "cache_hit": False,
    "classifier_ms": 310.0,
    "classifier_tokens": 412,
    "classifier_error": None,
}
REQUEST = {
    "request_id": "3b40927319d140f6",
    "requested": "codex-auto",
    "slug": "small",
    "upstream_model": "small-model",
    "task": DECISION["task"],
    "status": "completed",
    "latency_ms": 1834.2,
    "ttft_ms": 412.5,
    "input_tokens": 18234,
    "cached_tokens": 12000,
    "output_tokens": 412,
    "reasoning_tokens": 128,
    "cost_usd": 0.00123,
}


def per_call_us(work: Callable[[], None]) -> float:
    rounds = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(CALLS):
            work()
        rounds.append((time.perf_counter() - started) / CALLS * 1e6)
    return statistics.median(rounds)


def main() -> None:
    metrics = Metrics()
    current_endpoint.set("responses")

    def observe() -> None:
        metrics.observe_decision(DECISION)
        metrics.observe_request(REQUEST)

    logger = structlog.wrap_logger(structlog.WriteLogger(io.StringIO()), processors=_PROCESSORS)

    def log_line() -> None:
        logger.info("request", **REQUEST)

    metrics_us = per_call_us(observe)
    log_us = per_call_us(log_line)
    print(f"metrics per request (a decision and a usage record): {metrics_us:.1f} us")
    print(f"one routing-log line, for scale:                      {log_us:.1f} us")
    print(f"ratio metrics / log line: {metrics_us / log_us:.2f}")
    print("target: at most 20 us per request")


if __name__ == "__main__":
    main()
