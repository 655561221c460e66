"""What sharing state through Redis costs a request, and what a second instance buys.

    python -m benchmarks.team [--quick]

Processes: a real `redis-server`, the overhead benchmark's mock upstream, and proxies
(`python -m router serve`) with Auto routing and a client key, i.e. a team gateway's
per-request work: the client's budget check, the task's decision and the cooldowns,
and the usage ledger and spend written after the answer. Every request is a round trip
of one task (the captured Codex request), so all but the first are cache hits.

1. Added latency: the Redis calls a routed request waits for, timed alone (the
   target: p50 <= 0.5 ms); and end to end, one proxy with in-process state and one
   with Redis getting the same request alternately at concurrency 1 (Redis minus
   local; on a shared machine this difference is within the noise of a 10 ms stream).
2. Throughput: streams/s at a fixed concurrency against one Redis-backed instance, then
   against two sharing the Redis (the load split between them), in the same run.

Prints a table and writes `benchmarks/results/team.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from adapters.http import encode_body
from benchmarks.overhead import processes
from benchmarks.overhead.load import Endpoint, StreamResult, new_session, run_batch, stream_once
from benchmarks.overhead.report import Figure, table, write_json
from benchmarks.overhead.run import PROXY_END, PROXY_FIRST_TEXT, captured_request, percentile
from examples.redis_server import REDIS_SERVER, RedisServer

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "team.json"
KEY = "bench-client-key"
TARGET_ADDED_P50_MS = 0.5


def write_settings(path: Path, upstream: str, redis_url: str | None) -> None:
    model = {
        "slug": "bench-fast",
        "model": "bench-fast",
        "provider": "generic-chat-completion-api",
        "base_url": f"{upstream}/v1",
        "api_key": "bench-key-not-secret",
        "price": {"input": 0.1, "output": 0.4},
    }
    settings: dict[str, Any] = {
        "models": [model, {**model, "slug": "bench-other", "model": "bench-other"}],
        "router": {
            "classifier": "bench-fast",
            "default": "bench-fast",
            "candidates": [
                {"slug": "bench-fast", "cost": 1, "card": "fast"},
                {"slug": "bench-other", "cost": 2, "card": "other"},
            ],
        },
        "clients": [{"name": "bench", "key_env": "BENCH_CLIENT_KEY", "budget_usd": 1e9}],
    }
    if redis_url is not None:
        settings["state"] = {"redis_url": redis_url}
    path.write_text(json.dumps(settings))


def endpoint(name: str, port: int) -> Endpoint:
    body, headers = captured_request()
    return Endpoint(
        name,
        f"http://127.0.0.1:{port}/v1/responses",
        encode_body({**body, "model": "codex-auto", "stream": True}),
        {**headers, "content-type": "application/json", "authorization": f"Bearer {KEY}"},
        PROXY_FIRST_TEXT,
        PROXY_END,
    )


def ms(seconds: float) -> float:
    return seconds * 1000


async def alternate(local: Endpoint, shared: Endpoint, pairs: int) -> dict[str, float]:
    a: list[StreamResult] = []
    b: list[StreamResult] = []
    async with new_session(1) as session:
        for _ in range(pairs):
            a.append(await stream_once(session, local))
            b.append(await stream_once(session, shared))
    if not all(r.ok for r in a + b):
        failed = next(r for r in a + b if not r.ok)
        raise SystemExit(f"a stream failed: {failed.error}")
    la, lb = [r.total for r in a], [r.total for r in b]
    return {
        "pairs": pairs,
        "local_p50_ms": ms(percentile(la, 50)),
        "redis_p50_ms": ms(percentile(lb, 50)),
        "added_p50_ms": ms(percentile(lb, 50) - percentile(la, 50)),
        "added_p95_ms": ms(percentile(lb, 95) - percentile(la, 95)),
    }


async def shared_calls(redis_url: str, count: int) -> dict[str, float]:
    """The Redis calls a routed request waits for (the budget's total, then the task's
    decision with the cooldowns), timed in this process on an idle machine."""
    from router.shared.redis_state import RedisState

    state = RedisState(redis_url)
    await state.put("bench:decision", b"x" * 600, 60)
    timings = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            await state.total("bench:spend")
            await state.get_with_deadlines("bench:decision", 60, "bench:cooldowns")
            timings.append(time.perf_counter() - started)
    finally:
        await state.aclose()
    return {
        "calls": count,
        "p50_ms": ms(percentile(timings, 50)),
        "p95_ms": ms(percentile(timings, 95)),
    }


async def streams_per_s(targets: list[Endpoint], concurrency: int, seconds: float) -> float:
    share = concurrency // len(targets)

    async def one(target: Endpoint) -> tuple[int, int]:
        async with new_session(share) as session:
            batch = await run_batch(
                session, target, concurrency=share, count=10**9, time_limit=seconds
            )
        return len(batch.ok), batch.errors

    started = time.perf_counter()
    results = await asyncio.gather(*(one(t) for t in targets))
    elapsed = time.perf_counter() - started
    errors = sum(e for _, e in results)
    if errors:
        raise SystemExit(f"{errors} streams failed during the throughput phase")
    return sum(ok for ok, _ in results) / elapsed


async def main(quick: bool) -> int:
    import os

    os.environ["BENCH_CLIENT_KEY"] = KEY
    pairs, seconds, concurrency = (100, 3.0, 16) if quick else (400, 8.0, 32)
    work = Path(tempfile.mkdtemp(prefix="autorouter-bench-team-"))
    (work / "redis").mkdir()
    if REDIS_SERVER is None:
        raise SystemExit("redis-server is not installed (make test installs it as root)")
    redis = RedisServer(work / "redis")
    redis.start()
    redis_url = redis.url
    upstream, upstream_url = processes.start_upstream(0.0, work / "upstream.log")
    started: list[subprocess.Popen[bytes]] = []
    try:
        ports = {}
        for name, url in (("local", None), ("redis-a", redis_url), ("redis-b", redis_url)):
            settings = work / f"{name}.json"
            write_settings(settings, upstream_url, url)
            ports[name] = processes.free_port()
            state = work / name
            state.mkdir()
            proc, _ = processes.start_proxy(settings, ports[name], state, work / f"{name}.log")
            started.append(proc)
        local, a, b = (endpoint(n, ports[n]) for n in ("local", "redis-a", "redis-b"))
        print(f"warm-up, then {pairs} alternating pairs at concurrency 1 ...", flush=True)
        await alternate(local, a, 30)
        await alternate(local, b, 10)
        latency = await alternate(local, a, pairs)
        print(f"throughput at concurrency {concurrency}, {seconds:.0f} s each ...", flush=True)
        one = await streams_per_s([a], concurrency, seconds)
        two = await streams_per_s([a, b], concurrency, seconds)
        print("the shared-state calls of one request, alone ...", flush=True)
        calls = await shared_calls(redis_url, 2000)
    finally:
        for proc in started:
            processes.stop(proc)
        processes.stop(upstream)
        redis.stop()
    figures = [
        Figure(
            "shared_calls_p50_ms",
            "Redis calls a request waits for, p50",
            calls["p50_ms"],
            "ms",
            TARGET_ADDED_P50_MS,
        ),
        Figure(
            "shared_calls_p95_ms", "Redis calls a request waits for, p95", calls["p95_ms"], "ms"
        ),
        Figure("local_p50_ms", "request p50, in-process state, c=1", latency["local_p50_ms"], "ms"),
        Figure("redis_p50_ms", "request p50, state in Redis, c=1", latency["redis_p50_ms"], "ms"),
        Figure(
            "added_p50_ms",
            "added by the shared state end to end, p50",
            latency["added_p50_ms"],
            "ms",
        ),
        Figure(
            "added_p95_ms",
            "added by the shared state end to end, p95",
            latency["added_p95_ms"],
            "ms",
        ),
        Figure(
            "one_instance_streams_per_s", f"streams/s, one instance, c={concurrency}", one, "/s"
        ),
        Figure(
            "two_instances_streams_per_s", f"streams/s, two instances, c={concurrency}", two, "/s"
        ),
    ]
    details = {
        "latency": latency,
        "shared_calls": calls,
        "concurrency": concurrency,
        "seconds": seconds,
    }
    write_json(RESULTS, figures, details)
    print("\n" + table(figures))
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer streams, shorter phases")
    raise SystemExit(asyncio.run(main(parser.parse_args().quick)))
