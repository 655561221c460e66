"""The benchmark's upstream: `examples.mockupstream` in its own process.

    python -m benchmarks.overhead.upstream --event-delay 0.005

Every chat-completions request, whatever its model, gets the same answer: `TEXT_DELTAS`
content deltas, then one `exec_command` tool call (the shape of a typical Codex turn).
Prints `READY http://127.0.0.1:PORT` once listening; serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

from examples.mockupstream import MockUpstream, Reply, ToolCall, ToolCalls

TEXT_DELTAS = 200
"""Content deltas per answer; the mock streams one per word."""

_TEXT = "".join(f"word{i} " for i in range(TEXT_DELTAS))
_CALL = ToolCall("exec_command", {"cmd": "ls -la", "workdir": "/tmp"}, call_id="call_bench")


def install(mock: MockUpstream) -> None:
    def answer(_: dict[str, Any]) -> Reply:
        # The mock records every request; a benchmark sends thousands of 19 kB bodies
        # and reads none back, so drop them rather than let the mock's heap grow.
        mock.requests.clear()
        return ToolCalls([_CALL], text=_TEXT)

    mock.on("*", answer)


async def _serve(port: int, event_delay: float) -> None:
    mock = MockUpstream(port=port, event_delay=event_delay)
    install(mock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with mock:
        print(f"READY {mock.root_url}", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overhead.upstream")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--event-delay", type=float, default=0.0, help="seconds per event")
    args = parser.parse_args()
    asyncio.run(_serve(args.port, args.event_delay))


if __name__ == "__main__":
    main()
