"""The proxy's cost per stream in CPU instructions, counted by valgrind (callgrind).

    python -m benchmarks.overhead.instructions [--streams N]

Timings on a shared 2-vCPU VM move by 10-20% from one run to the next with whatever else
the machine is doing; an instruction count moves by well under 1%, so this is the figure
to compare two versions of the proxy by. It needs `valgrind` (not part of the project's
set-up; `apt-get install valgrind`), and counts user-space instructions only: the kernel's
share of the socket writes is not in it.

The proxy runs under callgrind with instrumentation off while it starts; it is switched on
for `N` streams at concurrency 1 (after a warm-up) and off again, so the count is the
streams' alone. Two answers are counted: one text delta (what every request costs) and the
benchmark's 200-delta stream; the difference, per delta, is what each streamed event costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.overhead import processes
from benchmarks.overhead.load import Endpoint, new_session, stream_once
from benchmarks.overhead.run import FAST, ROOT, compile_sources, endpoints, write_settings
from benchmarks.overhead.upstream import TEXT_DELTAS

WARMUP = 10


def _callgrind_control(*args: str) -> None:
    subprocess.run(
        ["callgrind_control", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _total_instructions(out: Path) -> int:
    for line in out.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise SystemExit(f"no instruction total in {out}")


async def _drive(proxy: Endpoint, pid: int, streams: int) -> None:
    async with new_session(1) as session:
        for _ in range(WARMUP):
            await stream_once(session, proxy)
        _callgrind_control("--instr=on", str(pid))
        for _ in range(streams):
            result = await stream_once(session, proxy)
            if not result.ok:
                raise SystemExit(f"a stream failed under valgrind: {result.error}")
        _callgrind_control("--instr=off", str(pid))


def count(upstream_url: str, work: Path, streams: int) -> float:
    """Instructions the proxy spends per stream against the upstream at `upstream_url`."""
    settings = work / "settings.json"
    write_settings(settings, upstream_url, upstream_url)
    port = processes.free_port()
    out = work / "callgrind.out"
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-m",
        "router",
        "serve",
        "--settings",
        str(settings),
        "--port",
        str(port),
    ]
    env = {**os.environ, "AUTOROUTER_STATE_DIR": str(work)}
    with open(work / "proxy.log", "ab") as log:
        proxy = subprocess.Popen(command, stdout=log, stderr=log, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while not processes.healthy(port):
            if proxy.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the proxy did not start under valgrind (see {work}/proxy.log)")
            time.sleep(0.2)
        _, endpoint = endpoints(settings, port, FAST)
        asyncio.run(_drive(endpoint, proxy.pid, streams))
    finally:
        processes.stop(proxy)
    return _total_instructions(out) / streams


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.overhead.instructions", description=__doc__
    )
    parser.add_argument("--streams", type=int, default=60, help="streams counted per answer")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    compile_sources()
    per_stream: dict[int, float] = {}
    for deltas in (1, TEXT_DELTAS):
        with tempfile.TemporaryDirectory(prefix="bench-instructions-") as tmp:
            work = Path(tmp)
            upstream, url = processes.start_upstream(0.0, work / "mock.log", text_deltas=deltas)
            try:
                per_stream[deltas] = count(url, work, args.streams)
            finally:
                processes.stop(upstream)
        print(f"{deltas:>4} text deltas: {per_stream[deltas] / 1e6:.2f} M instructions per stream")
    per_delta = (per_stream[TEXT_DELTAS] - per_stream[1]) / (TEXT_DELTAS - 1)
    print(f"each further delta: {per_delta / 1e3:.1f} k instructions")


if __name__ == "__main__":
    main()
