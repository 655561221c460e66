"""Client spend per budget period, counted in the shared state so every instance agrees.

A period is a calendar day, ISO week or month in UTC; its spend lives under a counter
named after the client and the period's start, so a new period starts from zero without
anyone resetting anything. While the shared state is degraded, the check uses this
instance's last known total plus its own spend since: it errs on the side of serving,
and says so in the log (at most once a minute).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from router.settings import ClientConfig
from router.settings.team import Period
from router.shared.state import SharedState
from router.telemetry.logs import get_logger

log = get_logger("autorouter.budgets")

WARNING_INTERVAL = 60.0
_PHRASES = {"day": "today", "week": "this week", "month": "this month"}


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    renews: datetime


@dataclass(frozen=True, slots=True)
class Spent:
    """A client over its budget: what it spent, its budget and when the period renews."""

    spent: float
    budget: float
    period: Period
    renews: datetime

    def message(self) -> str:
        return (
            f"budget exhausted: {self.spent:.2f} of {self.budget:.2f} USD spent "
            f"{_PHRASES[self.period]}; it renews at {self.renews.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        )

    def retry_after(self, now: float) -> int:
        return max(math.ceil(self.renews.timestamp() - now), 1)


def window(period: Period, now: datetime) -> Window:
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return Window(day, day + timedelta(days=1))
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return Window(start, start + timedelta(days=7))
    start = day.replace(day=1)
    renews = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return Window(start, renews)


class Budgets:
    def __init__(self, shared: SharedState, clock: Callable[[], float] = time.time) -> None:
        self._shared = shared
        self._clock = clock
        self._last_warning = -math.inf

    def _counter(self, client: ClientConfig) -> tuple[str, float]:
        """The counter's name for the current period, and how long it must live."""
        now = self._clock()
        current = window(client.period, datetime.fromtimestamp(now, UTC))
        key = f"spend:{client.name}:{client.period}:{current.start.date().isoformat()}"
        return key, current.renews.timestamp() - now + 86400

    async def spent(self, client: ClientConfig) -> float:
        key, _ = self._counter(client)
        return await self._shared.total(key)

    async def check(self, client: ClientConfig) -> Spent | None:
        """None while the client may spend; what it spent once its budget is used up."""
        if client.budget_usd is None:
            return None
        spent = await self.spent(client)
        if self._shared.health() == "degraded":
            self._warn(client, spent)
        if spent < client.budget_usd:
            return None
        now = datetime.fromtimestamp(self._clock(), UTC)
        return Spent(spent, client.budget_usd, client.period, window(client.period, now).renews)

    async def charge(self, client: ClientConfig, usd: float) -> float:
        key, ttl = self._counter(client)
        return await self._shared.add(key, usd, ttl)

    def _warn(self, client: ClientConfig, spent: float) -> None:
        now = time.monotonic()
        if now - self._last_warning < WARNING_INTERVAL:
            return
        self._last_warning = now
        log.warning(
            "budget_unverified",
            client=client.name,
            spent_known=round(spent, 6),
            serving="shared state is away: budgets use this instance's counts and err on "
            "the side of serving",
        )
