"""The proxy's overhead, measured against the same mock upstream called directly.

    python -m benchmarks.overhead.run [--quick]

Three processes: the mock upstream (`benchmarks.overhead.upstream`), the proxy
(`python -m router serve`) and this driver, which is also the load generator. The proxy
gets a captured Codex request (`/v1/responses`, streaming); the direct baseline is the
chat-completions request the proxy itself would send, sent straight to the mock. Both
answers are the same 200-delta stream ending in a tool call, so proxy minus direct is
what the proxy adds. Prints a table and writes `benchmarks/results/overhead.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.chat.adapter import chat_headers
from adapters.chat.request import responses_to_chat
from adapters.http import encode_body, join_url
from benchmarks.overhead import processes
from benchmarks.overhead.load import (
    Endpoint,
    Session,
    StreamResult,
    fetch,
    new_session,
    run_batch,
    stream_once,
)
from benchmarks.overhead.procstat import cpu_seconds, peak_rss_mb, rss_mb
from benchmarks.overhead.report import Figure, table, write_json
from benchmarks.overhead.upstream import TEXT_DELTAS
from router.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "codex" / "exec_turn1_first_request.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "overhead.json"

FAST, PACED = "bench-fast", "bench-paced"
PACED_DELAY = 0.005
"""Seconds between the paced upstream's events: every event is its own read."""
SETTLE = 1.5
"""Seconds the fresh proxy sits idle before its idle RSS is read (its tokenizer loads
in a background thread at start-up)."""

PROXY_FIRST_TEXT = re.compile(rb"event: response\.output_text\.delta\n")
PROXY_END = b"event: response.completed\n"
# The mock's first chunk carries `"content": ""`; the first text is the first non-empty one.
DIRECT_FIRST_TEXT = re.compile(rb'"content": ?"[^"]')
DIRECT_END = b"data: [DONE]"

TARGETS: dict[str, tuple[str, float | None]] = {
    "startup_s": ("<=", 0.3),
    "idle_rss_mb": ("<=", 50.0),
    "cpu_ms_per_stream": ("<=", 3.0),
    "added_p50_ms": ("<=", 2.0),
    "added_first_text_ms": ("<=", 1.0),
    "paced_added_p50_ms": ("<=", 2.0),
    "paced_added_first_text_ms": ("<=", 1.0),
    "streams_per_s_64": (">=", 250.0),
    "errors_64": ("<=", 0.0),
}
"""The figures with a target: (how the value must compare, the target)."""


@dataclass(frozen=True)
class Plan:
    """How many of everything one run sends (every phase is bounded)."""

    startups: int = 5
    warmup: int = 30
    pairs: int = 300
    paced_pairs: int = 15
    throughput: dict[int, int] = field(default_factory=lambda: {1: 300, 8: 800, 64: 2500})
    time_limit: float = 15.0
    """No phase starts new streams after this many seconds."""


QUICK = Plan(
    startups=2,
    warmup=10,
    pairs=60,
    paced_pairs=4,
    throughput={1: 60, 8: 200, 64: 600},
    time_limit=5.0,
)


def captured_request() -> tuple[dict[str, Any], dict[str, str]]:
    """The body and headers of a real Codex request (turn 1 of `codex exec`)."""
    record = json.loads(FIXTURE.read_text().splitlines()[0])
    skip = {"host", "content-length"}
    headers = {k: v for k, v in record["headers"].items() if k.lower() not in skip}
    return record["body"], headers


def endpoints(settings: Path, proxy_port: int, slug: str) -> tuple[Endpoint, Endpoint]:
    """(direct, proxy) for one model: the same answer, with and without the proxy."""
    body, headers = captured_request()
    body = {**body, "model": slug, "stream": True}
    model = load_settings(settings).model(slug)
    assert model is not None
    target = model.target()
    direct = Endpoint(
        "direct",
        join_url(target.base_url, "chat/completions"),
        encode_body(responses_to_chat(body, target, stream=True)),
        chat_headers(target, stream=True),
        DIRECT_FIRST_TEXT,
        DIRECT_END,
    )
    proxy = Endpoint(
        "proxy",
        f"http://127.0.0.1:{proxy_port}/v1/responses",
        encode_body(body),
        {**headers, "content-type": "application/json"},
        PROXY_FIRST_TEXT,
        PROXY_END,
    )
    return direct, proxy


def write_settings(path: Path, fast_url: str, paced_url: str) -> None:
    def model(slug: str, url: str) -> dict[str, Any]:
        return {
            "slug": slug,
            "model": slug,
            "provider": "generic-chat-completion-api",
            "base_url": f"{url}/v1",
            "api_key": "bench-key-not-secret",
        }

    path.write_text(json.dumps({"models": [model(FAST, fast_url), model(PACED, paced_url)]}))


# -- checks and statistics ------------------------------------------------------------


async def check_translation(session: Session, proxy: Endpoint) -> None:
    """One proxied stream read in full: the benchmark must measure a correct translation."""
    status, raw = await fetch(session, proxy)
    if status != 200:
        raise SystemExit(f"the proxy answered {status}: {raw[:500]!r}")
    events = [
        json.loads(line[6:]) for line in raw.decode().split("\n") if line.startswith("data: ")
    ]
    deltas = sum(e["type"] == "response.output_text.delta" for e in events)
    calls = [
        e["item"]["name"]
        for e in events
        if e["type"] == "response.output_item.done" and e["item"]["type"] == "function_call"
    ]
    if (
        deltas != TEXT_DELTAS
        or calls != ["exec_command"]
        or events[-1]["type"] != "response.completed"
    ):
        raise SystemExit(
            f"unexpected translation: {deltas} text deltas, calls {calls}, last {events[-1]['type']}"
        )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = q / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _ms(seconds: float) -> float:
    return seconds * 1000


def _require_ok(name: str, results: list[StreamResult]) -> list[StreamResult]:
    failed = [r for r in results if not r.ok]
    if failed:
        raise SystemExit(
            f"{name}: {len(failed)} of {len(results)} streams failed: {failed[0].error}"
        )
    return results


@dataclass(frozen=True)
class Paired:
    """Direct and proxied streams sent alternately at concurrency 1."""

    direct: list[StreamResult]
    proxy: list[StreamResult]
    proxy_cpu: float
    """CPU seconds the proxy used over the whole phase (it is idle between its streams)."""

    def summary(self) -> dict[str, float]:
        d_total = [r.total for r in self.direct]
        p_total = [r.total for r in self.proxy]
        d_first = [r.first_text for r in self.direct if r.first_text is not None]
        p_first = [r.first_text for r in self.proxy if r.first_text is not None]
        return {
            "streams": len(self.proxy),
            "direct_p50_ms": _ms(percentile(d_total, 50)),
            "direct_p95_ms": _ms(percentile(d_total, 95)),
            "proxy_p50_ms": _ms(percentile(p_total, 50)),
            "proxy_p95_ms": _ms(percentile(p_total, 95)),
            "added_p50_ms": _ms(percentile(p_total, 50) - percentile(d_total, 50)),
            "added_p95_ms": _ms(percentile(p_total, 95) - percentile(d_total, 95)),
            "direct_first_text_p50_ms": _ms(percentile(d_first, 50)),
            "proxy_first_text_p50_ms": _ms(percentile(p_first, 50)),
            "added_first_text_ms": _ms(percentile(p_first, 50) - percentile(d_first, 50)),
            "cpu_ms_per_stream": _ms(self.proxy_cpu / len(self.proxy)),
        }


async def paired(direct: Endpoint, proxy: Endpoint, pairs: int, pid: int) -> Paired:
    d: list[StreamResult] = []
    p: list[StreamResult] = []
    async with new_session(1) as session:
        # Alternating cancels slow drifts (other load on the machine) out of the difference.
        cpu_before = cpu_seconds(pid)
        for _ in range(pairs):
            d.append(await stream_once(session, direct))
            p.append(await stream_once(session, proxy))
        cpu = cpu_seconds(pid) - cpu_before
    return Paired(_require_ok("direct", d), _require_ok("proxy", p), cpu)


async def throughput(
    endpoint: Endpoint, concurrency: int, count: int, time_limit: float, pid: int | None
) -> dict[str, float]:
    async with new_session(concurrency) as session:
        cpu_before = cpu_seconds(pid) if pid else 0.0
        batch = await run_batch(
            session, endpoint, concurrency=concurrency, count=count, time_limit=time_limit
        )
        cpu = cpu_seconds(pid) - cpu_before if pid else 0.0
    ok = batch.ok
    row: dict[str, Any] = {
        "concurrency": concurrency,
        "streams": len(batch.results),
        "errors": batch.errors,
        "streams_per_s": batch.rate,
        "p50_ms": _ms(percentile([r.total for r in ok], 50)) if ok else 0.0,
    }
    if pid:
        row["cpu_ms_per_stream"] = _ms(cpu / max(len(ok), 1))
    if batch.errors:
        row["first_error"] = next(r.error for r in batch.results if not r.ok)
    return row


# -- the run ------------------------------------------------------------------------------


async def measure(plan: Plan, settings: Path, port: int, pid: int) -> dict[str, Any]:
    fast_direct, fast_proxy = endpoints(settings, port, FAST)
    paced_direct, paced_proxy = endpoints(settings, port, PACED)
    async with new_session(1) as session:
        await check_translation(session, fast_proxy)
    # Connections, caches and lazy imports on both sides are warm before anything counts.
    await paired(fast_direct, fast_proxy, plan.warmup, pid)
    print(f"paired streams at concurrency 1: {plan.pairs} unpaced ...", flush=True)
    unpaced = (await paired(fast_direct, fast_proxy, plan.pairs, pid)).summary()
    print(f"paired streams at concurrency 1: {plan.paced_pairs} paced ...", flush=True)
    paced = (await paired(paced_direct, paced_proxy, plan.paced_pairs, pid)).summary()
    rows = []
    for concurrency, count in plan.throughput.items():
        print(f"throughput at concurrency {concurrency} ...", flush=True)
        rows.append(await throughput(fast_proxy, concurrency, count, plan.time_limit, pid))
    print("direct throughput at concurrency 64 (the mock's own ceiling) ...", flush=True)
    direct_64 = await throughput(fast_direct, 64, plan.throughput[64], plan.time_limit, None)
    return {"unpaced": unpaced, "paced": paced, "throughput": rows, "direct_64": direct_64}


def figures(details: dict[str, Any]) -> list[Figure]:
    u, p = details["unpaced"], details["paced"]
    paced = f"paced {PACED_DELAY * 1000:.0f} ms/event"
    rows: list[tuple[str, str, float, str]] = [
        ("startup_s", "start-up: spawn to healthy /health (median)", details["startup_s"], "s"),
        (
            "startup_cpu_s",
            "start-up: proxy CPU until healthy (median)",
            details["startup_cpu_s"],
            "s",
        ),
        ("idle_rss_mb", "idle RSS after start-up", details["idle_rss_mb"], "MB"),
        (
            "idle_rss_after_load_mb",
            "idle RSS after the load",
            details["idle_rss_after_load_mb"],
            "MB",
        ),
        ("peak_rss_mb", "peak RSS (VmHWM)", details["peak_rss_mb"], "MB"),
        ("cpu_ms_per_stream", "proxy CPU per stream, c=1", u["cpu_ms_per_stream"], "ms"),
        ("added_p50_ms", "added latency p50, c=1", u["added_p50_ms"], "ms"),
        ("added_p95_ms", "added latency p95, c=1", u["added_p95_ms"], "ms"),
        (
            "added_first_text_ms",
            "added time to first text (p50), c=1",
            u["added_first_text_ms"],
            "ms",
        ),
        ("paced_cpu_ms_per_stream", f"{paced}: proxy CPU per stream", p["cpu_ms_per_stream"], "ms"),
        ("paced_added_p50_ms", f"{paced}: added latency p50", p["added_p50_ms"], "ms"),
        ("paced_added_p95_ms", f"{paced}: added latency p95", p["added_p95_ms"], "ms"),
        ("paced_added_first_text_ms", f"{paced}: added first text", p["added_first_text_ms"], "ms"),
    ]
    for row in details["throughput"]:
        c = row["concurrency"]
        label = f"streams/s through the proxy, c={c}"
        rows.append((f"streams_per_s_{c}", label, row["streams_per_s"], "/s"))
        rows.append((f"errors_{c}", f"errors at c={c} (of {row['streams']})", row["errors"], ""))
    direct = details["direct_64"]["streams_per_s"]
    rows.append(("direct_streams_per_s_64", "streams/s straight to the mock, c=64", direct, "/s"))
    out = []
    for key, label, value, unit in rows:
        compare, target = TARGETS.get(key, ("<=", None))
        out.append(Figure(key, label, value, unit, target, compare))
    return out


def compile_sources() -> None:
    """Byte-compile the proxy's packages, as pip does when it installs one. Without it a
    checkout started with PYTHONDONTWRITEBYTECODE set (this VM sets it) compiles every
    module from source at each start: about 0.1 s and 1 MB of heap that an installed
    proxy never pays."""
    for package in ("router", "adapters"):
        compileall.compile_dir(ROOT / package, quiet=1)


def run(plan: Plan) -> list[Figure]:
    compile_sources()
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        work = Path(tmp)
        mock_log, proxy_log = work / "mock.log", work / "proxy.log"
        fast, fast_url = processes.start_upstream(0.0, mock_log)
        paced, paced_url = processes.start_upstream(PACED_DELAY, mock_log)
        proxy = None
        try:
            settings = work / "settings.json"
            write_settings(settings, fast_url, paced_url)
            port = processes.free_port()
            startups, startup_cpu = [], []
            for attempt in range(plan.startups):
                proxy, seconds = processes.start_proxy(settings, port, work, proxy_log)
                startup_cpu.append(cpu_seconds(proxy.pid))
                startups.append(seconds)
                if attempt < plan.startups - 1:
                    processes.stop(proxy)
            assert proxy is not None
            print(f"start-up: {', '.join(f'{s:.3f}' for s in startups)} s", flush=True)
            time.sleep(SETTLE)
            idle_rss = rss_mb(proxy.pid)
            details = asyncio.run(measure(plan, settings, port, proxy.pid))
            time.sleep(SETTLE)
            details.update(
                startup_s=statistics.median(startups),
                startup_all_s=startups,
                startup_cpu_s=statistics.median(startup_cpu),
                idle_rss_mb=idle_rss,
                idle_rss_after_load_mb=rss_mb(proxy.pid),
                peak_rss_mb=peak_rss_mb(proxy.pid),
            )
        finally:
            if proxy is not None:
                processes.stop(proxy)
            processes.stop(fast)
            processes.stop(paced)
    result = figures(details)
    write_json(RESULTS, result, {"plan": plan.__dict__, **details})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overhead.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer streams (a smoke run)")
    args = parser.parse_args()
    started = time.perf_counter()
    result = run(QUICK if args.quick else Plan())
    print()
    print(table(result))
    print(
        f"\n{RESULTS.relative_to(ROOT)} written; the run took {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
