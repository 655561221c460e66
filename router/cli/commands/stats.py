"""`autorouter stats`: what Auto chose, what it cost and saved, over a window; `--plot`
draws the dashboard's two main charts into a PNG for a report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from router.cli.settings_source import load_for
from router.settings.paths import state_dir

Command = Callable[..., argparse.ArgumentParser]


def cmd_stats(args: argparse.Namespace) -> int:
    from router.routing.auto.explain import summarize_routing_log
    from router.telemetry.log_reader import read_records
    from router.telemetry.logs import routing_log_path
    from router.telemetry.summary import parse_duration

    settings = load_for(args)
    path = routing_log_path(args.routing_log, state_dir())
    fleet = _fleet(settings)
    if fleet is not None:
        print(fleet + "\n")
    if not path.exists():
        print(f"no routing log at {path} yet", file=sys.stderr)
        return 0 if fleet is not None else 1
    since = None
    if args.since:
        try:
            since = datetime.now(UTC) - parse_duration(args.since)
        except ValueError as exc:
            print(f"stats: --since: {exc}", file=sys.stderr)
            return 2
    records = list(read_records(path))
    if args.since:
        print(f"Since {since:%Y-%m-%d %H:%M} UTC ({args.since}):\n")
    print(summarize_routing_log(records, settings, since=since))
    if args.plot:
        return _plot(records, settings, since, Path(args.plot).expanduser())
    return 0


def _fleet(settings: Any) -> str | None:
    """The shared ledger's totals, when the settings name a Redis (None otherwise)."""
    if settings.state.effective_url() is None:
        return None
    import asyncio

    from router.shared.budgets import Budgets
    from router.shared.ledger import CLIENTS, MODELS, format_fleet, read_table
    from router.shared.open import open_shared_state

    async def read() -> str:
        shared = open_shared_state(settings)
        try:
            models = await read_table(shared, MODELS)
            clients = await read_table(shared, CLIENTS)
            budgets = Budgets(shared)
            spent = [
                f"  {client.name}: {await budgets.spent(client):.4f} of "
                f"{client.budget_usd:.2f} USD this {client.period}"
                for client in settings.clients
                if client.budget_usd is not None
            ]
            if shared.health() == "degraded":
                return "All instances: the shared state (Redis) does not answer"
            text = format_fleet(models, clients)
            return "\n".join([text, *(["Budgets:", *spent] if spent else [])])
        finally:
            await shared.aclose()

    return asyncio.run(read())


def _plot(records: list[dict[str, Any]], settings: Any, since: datetime | None, out: Path) -> int:
    try:
        from router.cli.stats_plot import write_plot
    except ImportError:
        print(
            "stats: --plot needs matplotlib: pip install 'codex-autorouter[plot]'",
            file=sys.stderr,
        )
        return 1
    from router.telemetry.summary import summarize

    write_plot(summarize(records, settings, since=since), out)
    print(f"\nPlot written to {out}")
    return 0


def add_commands(command: Command) -> None:
    stats = command("stats", cmd_stats, "summarise the routing log: models, tokens, cost, saving")
    stats.add_argument("--routing-log", help="routing log file (default: state dir routing.jsonl)")
    stats.add_argument("--since", metavar="DURATION", help="only the last 30m, 12h, 7d, ...")
    stats.add_argument("--plot", metavar="FILE.png", help="also draw decisions and spend to a PNG")
