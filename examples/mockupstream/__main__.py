"""Run the mock upstreams in their own process.

    python -m examples.mockupstream --port 0 --scenario demo

Prints `READY http://127.0.0.1:PORT` once listening and serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from examples.mockupstream.scenarios import SCENARIOS
from examples.mockupstream.server import MockUpstream


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m examples.mockupstream")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default=None)
    parser.add_argument(
        "--event-delay", type=float, default=0.0, help="seconds before each streamed event"
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    mock = MockUpstream(host=args.host, port=args.port, event_delay=args.event_delay)
    if args.scenario:
        SCENARIOS[args.scenario](mock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with mock:
        print(f"READY {mock.root_url}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(_serve(_parse_args(argv)))


if __name__ == "__main__":
    main()
