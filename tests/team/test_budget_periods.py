"""Budget periods: UTC calendar windows, and spend that starts afresh in each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from router.settings import ClientConfig
from router.shared.budgets import Budgets, window
from router.shared.state import LocalState


@pytest.mark.parametrize(
    ("period", "now", "start", "renews"),
    [
        ("day", "2026-12-31T23:59:59", "2026-12-31", "2027-01-01"),
        ("week", "2026-12-02T10:00:00", "2026-11-30", "2026-12-07"),  # Wednesday -> Monday
        ("month", "2026-12-15T00:00:00", "2026-12-01", "2027-01-01"),
        ("month", "2026-02-28T12:00:00", "2026-02-01", "2026-03-01"),
    ],
)
def test_a_period_is_its_utc_calendar_window(
    period: str, now: str, start: str, renews: str
) -> None:
    got = window(period, datetime.fromisoformat(now).replace(tzinfo=UTC))  # type: ignore[arg-type]
    assert got.start.date().isoformat() == start
    assert got.renews.date().isoformat() == renews


async def test_spend_is_refused_once_the_budget_is_used_and_renews_with_the_period() -> None:
    clock = [datetime(2026, 12, 31, 12, tzinfo=UTC).timestamp()]
    shared = LocalState(lambda: clock[0])
    budgets = Budgets(shared, clock=lambda: clock[0])
    client = ClientConfig(name="alice", key_env="K", budget_usd=1.0, period="day")
    await budgets.charge(client, 0.6)
    assert await budgets.check(client) is None
    await budgets.charge(client, 0.6)
    spent = await budgets.check(client)
    assert spent is not None
    assert "1.20 of 1.00 USD spent today; it renews at 2027-01-01T00:00:00Z" in spent.message()
    assert spent.retry_after(clock[0]) == 12 * 3600
    clock[0] += 12 * 3600 + 1  # a new day
    assert await budgets.check(client) is None
