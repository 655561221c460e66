"""A route's numbers and their bootstrap 95% intervals.

The bootstrap resamples *tasks* (with all their repeats), not runs: repeats of one task
share its difficulty, so resampling runs would make the intervals too narrow. Every
route is resampled with the same draws, so differences between routes (the share of the
oracle's saving) get intervals of their own.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from benchmarks.bench.derive import Outcome

METRICS = ("pass_at_1", "pass_at_2", "cost_per_task", "cost_per_solved")


@dataclass(frozen=True)
class Numbers:
    pass_at_1: float
    pass_at_2: float
    cost_per_task: float
    cost_per_solved: float | None

    def get(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value


def numbers(outcomes: Sequence[Outcome]) -> Numbers:
    count = len(outcomes)
    if count == 0:
        return Numbers(0.0, 0.0, 0.0, None)
    solved = sum(o.pass_at_2 for o in outcomes)
    cost = sum(o.cost for o in outcomes)
    return Numbers(
        pass_at_1=sum(o.pass_at_1 for o in outcomes) / count,
        pass_at_2=solved / count,
        cost_per_task=cost / count,
        cost_per_solved=cost / solved if solved else None,
    )


def saving_share(route: Numbers, strongest: Numbers, oracle: Numbers) -> float | None:
    """How much of the oracle's saving over the strongest route this route captures:
    1 saves as much as the oracle, 0 costs what the strongest does."""
    possible = strongest.cost_per_task - oracle.cost_per_task
    if possible <= 0:
        return None
    return (strongest.cost_per_task - route.cost_per_task) / possible


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def interval(values: Sequence[float]) -> list[float] | None:
    if not values:
        return None
    return [round(percentile(values, 0.025), 6), round(percentile(values, 0.975), 6)]


def bootstrap(
    routes: Mapping[str, Sequence[Outcome]],
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, dict[str, list[float] | None]]:
    """Per route, per metric (and `oracle_saving_share` when the routes include
    `strongest` and `oracle`), the 95% percentile interval."""
    by_task: dict[str, dict[str, list[Outcome]]] = {}
    for route, outcomes in routes.items():
        grouped: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in outcomes:
            grouped[outcome.task].append(outcome)
        by_task[route] = grouped
    tasks = sorted({o.task for outcomes in routes.values() for o in outcomes})
    draws: dict[str, dict[str, list[float]]] = {route: defaultdict(list) for route in routes}
    rng = random.Random(seed)
    share = "strongest" in routes and "oracle" in routes
    for _ in range(resamples if tasks else 0):
        picked = [rng.choice(tasks) for _ in tasks]
        sample = {
            route: numbers([o for task in picked for o in by_task[route].get(task, [])])
            for route in routes
        }
        for route, found in sample.items():
            for metric in METRICS:
                value = found.get(metric)
                if value is not None:
                    draws[route][metric].append(value)
            if share:
                captured = saving_share(found, sample["strongest"], sample["oracle"])
                if captured is not None:
                    draws[route]["oracle_saving_share"].append(captured)
    names = [*METRICS, "oracle_saving_share"] if share else list(METRICS)
    return {
        route: {name: interval(draws[route].get(name, [])) for name in names} for route in routes
    }
