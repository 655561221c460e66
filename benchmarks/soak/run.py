"""Soak the proxy: many streamed requests through Auto against a fault-injecting upstream.

    python -m benchmarks.soak.run            # short run (2,000 requests, a few minutes)
    python -m benchmarks.soak.run --long     # 10,000 requests

Three processes: the fault-injecting mock upstream (`benchmarks.soak.upstream`), the
real proxy (`python -m router serve`), and this one, the client. Auto has three
candidates (`edge` behind a blackhole, `cheap` over chat completions, `strong` over
Anthropic Messages) and a classifier model. Each injected fault hits about
`--fault-rate` of the requests. Prints a table and writes `benchmarks/results/soak.json`.

Cooldown is 0 by default, so every injected fault reaches the model it was aimed at
(with a cooldown, `edge` would be tried once per cooldown period and the connect-timeout
fault would all but vanish); the cooldown itself is covered by the Auto router's tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from benchmarks.soak.faults import FaultPlan
from benchmarks.soak.load import run_load
from benchmarks.soak.procstat import cpu_seconds, rss_bytes, sockets_to
from benchmarks.soak.report import summarize, table
from benchmarks.soak.upstream import CLASSIFIER_MODEL, KEEPALIVE_SECONDS

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "soak.json"
TIMEOUTS = {"connect_timeout": 0.5, "first_byte_timeout": 2.0, "idle_timeout": 2.0}
SHORT_RUN, LONG_RUN = 2_000, 10_000
SETTLE_SECONDS = 20.0
"""After the load, how long in-flight upstream streams get to wind down."""


def proxy_settings(mock_port: int, hole_port: int, cooldown: float) -> dict[str, Any]:
    mock = f"http://127.0.0.1:{mock_port}"

    def model(slug: str, provider: str, base_url: str, **extra: Any) -> dict[str, Any]:
        return {"slug": slug, "model": slug, "provider": provider, "base_url": base_url, **extra}

    return {
        "models": [
            model(
                "edge",
                "generic-chat-completion-api",
                f"http://127.0.0.1:{hole_port}/v1",
                max_context_limit=200,
                **TIMEOUTS,
            ),
            model("cheap", "generic-chat-completion-api", f"{mock}/v1", **TIMEOUTS),
            model("strong", "anthropic", mock, **TIMEOUTS),
            model(CLASSIFIER_MODEL, "generic-chat-completion-api", f"{mock}/v1"),
        ],
        "router": {
            "classifier": CLASSIFIER_MODEL,
            "cooldown": cooldown,
            "candidates": [
                {"slug": "edge", "cost": 0.1, "card": "Cheap and fast. Simple edits."},
                {"slug": "cheap", "cost": 1.0, "card": "Solid coder for refactors and tests."},
                {"slug": "strong", "cost": 5.0, "card": "Strong reasoning, frontier, hard."},
            ],
        },
    }


def start_mock(workdir: Path, keepalive: float) -> tuple[subprocess.Popen[str], int, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.soak.upstream", "--keepalive", str(keepalive)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=open(workdir / "mock.log", "w"),  # noqa: SIM115 (lives as long as the process)
        text=True,
    )
    assert process.stdout is not None
    ready = process.stdout.readline().split()
    if not ready or ready[0] != "READY":
        process.kill()
        raise RuntimeError(f"the mock upstream did not start; see {workdir / 'mock.log'}")
    return process, int(ready[1]), int(ready[2])


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_proxy(workdir: Path, settings: dict[str, Any]) -> tuple[subprocess.Popen[bytes], int]:
    path = workdir / "settings.json"
    path.write_text(json.dumps(settings))
    port = free_port()
    env = {**os.environ, "AUTOROUTER_STATE_DIR": str(workdir / "state")}
    command = [sys.executable, "-m", "router", "serve", "--settings", str(path)]
    command += ["--port", str(port), "--routing-log", str(workdir / "routing.jsonl")]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "service.log", "w"),  # noqa: SIM115
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the proxy exited; see {workdir / 'service.log'}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", trust_env=False).status_code == 200:
                return process, port
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the proxy never became healthy")


class PeakRss:
    """Samples a process's RSS every half second in a thread; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss_bytes(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, rss_bytes(self.pid))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def mock_stats(mock_port: int) -> dict[str, Any]:
    response = httpx.get(f"http://127.0.0.1:{mock_port}/_soak/stats", trust_env=False)
    return dict(response.json())


def settle(mock_port: int, keepalive: float) -> dict[str, Any]:
    """Wait for the upstream to see every stream end, then out-wait its keep-alive."""
    deadline = time.monotonic() + SETTLE_SECONDS
    stats = mock_stats(mock_port)
    while time.monotonic() < deadline and (stats["open_streams"] or stats["hanging"]):
        time.sleep(0.2)
        stats = mock_stats(mock_port)
    time.sleep(keepalive + 1.5)
    return mock_stats(mock_port)


def log_counts(workdir: Path) -> dict[str, Any]:
    """Proxy-side figures: request statuses from the routing log, errors in the service log."""
    statuses: Counter[str] = Counter()
    for line in (workdir / "routing.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("event") == "request":
            statuses[str(record.get("status"))] += 1
    levels: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    for line in (workdir / "service.log").read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            levels["not_json"] += 1
            continue
        level = record.get("level", "?")
        levels[level] += 1
        if level in ("warning", "error"):
            detail = [record.get(key) for key in ("slug", "status", "code", "error")]
            words = [str(record.get("event")), *(str(d) for d in detail if d is not None)]
            warnings[" ".join(words)] += 1
    return {
        "routing_log_status": dict(statuses),
        "service_log_levels": dict(levels),
        "service_log_warnings": dict(warnings),
    }


def stop(process: subprocess.Popen[Any], timeout: float = 30) -> tuple[int | None, float]:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        code = None
    return code, round(time.monotonic() - started, 2)


def run(args: argparse.Namespace) -> dict[str, Any]:
    count = args.requests or (LONG_RUN if args.long else SHORT_RUN)
    plan = FaultPlan(args.fault_rate)
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        workdir = Path(tmp)
        mock, mock_port, hole_port = start_mock(workdir, args.upstream_keepalive)
        proxy = None
        try:
            proxy, port = start_proxy(workdir, proxy_settings(mock_port, hole_port, args.cooldown))
            base_url = f"http://127.0.0.1:{port}/v1"
            cold = rss_bytes(proxy.pid)
            warmup = max(100, count // 10)
            print(f"warm-up: {warmup} requests", flush=True)
            asyncio.run(
                run_load(base_url, warmup, args.concurrency, plan, seed=args.seed + 1, deadline=30)
            )
            start_rss = rss_bytes(proxy.pid)
            sampler = PeakRss(proxy.pid)
            print(f"load: {count} requests at concurrency {args.concurrency}", flush=True)
            began = time.perf_counter()
            cpu_before = {"proxy": cpu_seconds(proxy.pid), "mock": cpu_seconds(mock.pid)}
            outcomes = asyncio.run(
                run_load(
                    base_url,
                    count,
                    args.concurrency,
                    plan,
                    seed=args.seed,
                    deadline=args.deadline,
                )
            )
            elapsed = time.perf_counter() - began
            cpu = {
                "proxy": cpu_seconds(proxy.pid) - cpu_before["proxy"],
                "mock": cpu_seconds(mock.pid) - cpu_before["mock"],
            }
            peak = sampler.stop()
            upstream = settle(mock_port, args.upstream_keepalive)
            sockets = {
                "mock": sockets_to(proxy.pid, mock_port),
                "blackhole": sockets_to(proxy.pid, hole_port),
            }
            end_rss = rss_bytes(proxy.pid)
            exit_code, shutdown_s = stop(proxy)
            extra = {
                "concurrency": args.concurrency,
                "fault_rate_each": args.fault_rate,
                "cooldown": args.cooldown,
                "upstream_keepalive_s": args.upstream_keepalive,
                "timeouts": TIMEOUTS,
                "deadline_s": args.deadline,
                "warmup_requests": warmup,
                "cpu_ms_per_request": {k: round(v * 1000 / count, 2) for k, v in cpu.items()},
                "rss": {"cold": cold, "start": start_rss, "end": end_rss, "peak": peak},
                "upstream_sockets_end": {k: dict(v) for k, v in sockets.items()},
                "mock_end": upstream,
                "proxy_exit": {"code": exit_code, "shutdown_s": shutdown_s},
                **log_counts(workdir),
            }
        finally:
            if proxy is not None and proxy.poll() is None:
                proxy.kill()
            stop(mock, 10)
    return summarize(outcomes, elapsed, extra)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak.run", description=__doc__)
    parser.add_argument("--long", action="store_true", help=f"{LONG_RUN} requests")
    parser.add_argument("--requests", type=int, help=f"override (default {SHORT_RUN})")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--fault-rate", type=float, default=0.05, help="per injected fault")
    parser.add_argument("--cooldown", type=float, default=0.0, help="Auto cooldown, seconds")
    parser.add_argument("--deadline", type=float, default=30.0, help="per request, seconds")
    parser.add_argument(
        "--upstream-keepalive",
        type=float,
        default=KEEPALIVE_SECONDS,
        help="seconds the mock keeps an idle connection open",
    )
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    summary = run(args)
    print(table(summary))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0 if all(summary["goals"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
