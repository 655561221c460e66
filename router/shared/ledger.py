"""The fleet's usage ledger: what every instance served, in shared atomic counters.

Each instance keeps writing its own routing log (JSON lines, joined by a log collector);
with a distributed shared state it also adds each request to two tables, per model and
per client (requests, tokens, cost), so `autorouter stats` against any instance can
report the whole fleet. A single instance has its routing log and writes nothing here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from router.shared.state import SharedState

MODELS = "ledger:models"
CLIENTS = "ledger:clients"
COUNTED = ("input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens", "cost_usd")


class UsageLedger:
    def __init__(self, shared: SharedState) -> None:
        self._shared = shared
        self._writes: set[asyncio.Future[None]] = set()

    def record(self, fields: Mapping[str, Any]) -> None:
        """Count one logged request (the request log line's fields), in the background."""
        if not self._shared.distributed:
            return
        amounts = {name: float(fields.get(name) or 0) for name in COUNTED}
        amounts["requests"] = 1.0
        rows = {MODELS: _row(str(fields.get("slug")), amounts)}
        client = fields.get("client")
        if client:
            rows[CLIENTS] = _row(str(client), amounts)
        future = asyncio.ensure_future(self._shared.add_fields(rows))
        self._writes.add(future)
        future.add_done_callback(self._writes.discard)

    async def aclose(self) -> None:
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)


async def read_table(shared: SharedState, key: str) -> dict[str, dict[str, float]]:
    """`{row: {counter: total}}` of the models or clients table."""
    rows: dict[str, dict[str, float]] = {}
    for name, total in (await shared.fields(key)).items():
        row, _, counter = name.rpartition("|")
        rows.setdefault(row, {})[counter] = total
    return rows


def format_fleet(models: Mapping[str, Mapping[str, float]], clients: Mapping[str, Any]) -> str:
    """The shared ledger as text, for `autorouter stats`."""
    lines = ["All instances (shared ledger, since it started):"]
    header = f"  {'model':<24} {'requests':>9} {'input':>10} {'output':>10} {'cost USD':>10}"
    lines.append(header)
    for slug, row in sorted(models.items()):
        lines.append(_line(slug, row))
    if clients:
        lines.append(
            f"  {'client':<24} {'requests':>9} {'input':>10} {'output':>10} {'cost USD':>10}"
        )
        for name, row in sorted(clients.items()):
            lines.append(_line(name, row))
    return "\n".join(lines)


def _line(name: str, row: Mapping[str, float]) -> str:
    return (
        f"  {name:<24} {int(row.get('requests', 0)):>9} {int(row.get('input_tokens', 0)):>10} "
        f"{int(row.get('output_tokens', 0)):>10} {row.get('cost_usd', 0.0):>10.4f}"
    )


def _row(name: str, amounts: Mapping[str, float]) -> dict[str, float]:
    return {f"{name}|{counter}": amount for counter, amount in amounts.items()}
