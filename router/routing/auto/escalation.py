"""Escalation: a task that follows a failed one in the same thread goes up in price.

A user who asks again after a failure should not land on the same cheap model. Only
candidates at least `steps` price steps above the model that failed stay eligible (a
step is one distinct candidate cost); when none is that far up, the priciest eligible
candidate serves. Pure, so the rule can be property-tested on its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from router.routing.auto.types import ScoredCandidate


def escalate(
    rows: Sequence[ScoredCandidate], failed: str, steps: int
) -> tuple[ScoredCandidate, ...]:
    """`rows` with every candidate below the escalation floor made ineligible."""
    eligible = [row for row in rows if row.eligible]
    if not eligible or steps <= 0:
        return tuple(rows)
    costs = sorted({row.cost for row in eligible})
    failed_cost = next((row.cost for row in rows if row.slug == failed), None)
    above = [cost for cost in costs if failed_cost is not None and cost > failed_cost]
    floor = above[steps - 1] if len(above) >= steps else costs[-1]
    why = f"escalated: {failed} failed the thread's previous task"
    return tuple(
        dataclasses.replace(row, eligible=False, why_not=f"{why}; this one is not priced above it")
        if row.eligible and row.cost < floor
        else row
        for row in rows
    )
