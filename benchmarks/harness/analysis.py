"""From run results to the report's numbers: per route, and the baselines beside them.

An *instance* is a (task, repeat) pair; routes are compared on the instances they ran.
Baselines are computed from the single-model routes' runs, no extra runs:

- always-cheapest / always-strongest: the single-model route with the lowest / highest
  price (output price first, then input price);
- random: the expectation of sending each instance to a uniformly random single-model
  route (mean pass and mean cost over the models, per instance);
- oracle: per instance, the cheapest run that passed among the single-model routes; when
  none passed, the cheapest run (somebody had to try). Its pass rate is therefore at
  least that of every single-model route, and it is an upper bound no router can beat
  with these models.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace

from benchmarks.harness.results import RunResult

Instance = tuple[str, int]


@dataclass(frozen=True)
class Row:
    """One line of the report: a route or a baseline."""

    name: str
    kind: str
    """"auto", "model" or "baseline"."""
    runs: int
    solved: float
    pass_rate: float
    cost_usd: float
    cost_per_run: float
    cost_per_solved: float | None
    input_tokens: float = 0.0
    cached_tokens: float = 0.0
    output_tokens: float = 0.0
    reasoning_tokens: float = 0.0
    requests: float = 0.0
    tool_calls: float = 0.0
    classifier_calls: float = 0.0
    wall_s: float = 0.0
    saving_vs_strongest: float | None = None
    """Fraction of the strongest route's cost per run saved (negative: more expensive)."""
    pass_change_vs_strongest: float | None = None
    """Pass rate minus the strongest route's, in percentage points."""
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def route_row(name: str, runs: Sequence[RunResult]) -> Row:
    solved = sum(r.passed for r in runs)
    cost = sum(r.cost_usd for r in runs)
    return Row(
        name=name,
        kind=runs[0].route_kind if runs else "model",
        runs=len(runs),
        solved=solved,
        pass_rate=solved / len(runs) if runs else 0.0,
        cost_usd=cost,
        cost_per_run=cost / len(runs) if runs else 0.0,
        cost_per_solved=cost / solved if solved else None,
        input_tokens=_mean([r.input_tokens for r in runs]),
        cached_tokens=_mean([r.cached_tokens for r in runs]),
        output_tokens=_mean([r.output_tokens for r in runs]),
        reasoning_tokens=_mean([r.reasoning_tokens for r in runs]),
        requests=_mean([r.requests for r in runs]),
        tool_calls=_mean([r.tool_calls for r in runs]),
        classifier_calls=_mean([r.classifier_calls for r in runs]),
        wall_s=_mean([r.wall_s for r in runs]),
        note=_models_mix(runs),
    )


def _models_mix(runs: Sequence[RunResult]) -> str:
    """Which models served the runs, e.g. "cheap 6, strong 2" (what Auto chose)."""
    counts: dict[str, int] = defaultdict(int)
    for run in runs:
        for model in run.models:
            counts[model] += 1
    return ", ".join(f"{model} {count}" for model, count in sorted(counts.items()))


def _summary_row(name: str, passes: Sequence[float], costs: Sequence[float], note: str) -> Row:
    solved = sum(passes)
    cost = sum(costs)
    return Row(
        name=name,
        kind="baseline",
        runs=len(passes),
        solved=solved,
        pass_rate=solved / len(passes) if passes else 0.0,
        cost_usd=cost,
        cost_per_run=cost / len(passes) if passes else 0.0,
        cost_per_solved=cost / solved if solved else None,
        note=note,
    )


def by_route(results: Iterable[RunResult]) -> dict[str, list[RunResult]]:
    grouped: dict[str, list[RunResult]] = defaultdict(list)
    for result in results:
        grouped[result.route].append(result)
    return dict(grouped)


def price_rank(runs: Sequence[RunResult]) -> tuple[float, float]:
    price = runs[0].route_price
    return (price.output, price.input) if price else (0.0, 0.0)


def model_routes(grouped: dict[str, list[RunResult]]) -> list[str]:
    """Single-model routes with a price, cheapest first."""
    priced = [
        r for r, runs in grouped.items() if runs[0].route_kind == "model" and runs[0].route_price
    ]
    return sorted(priced, key=lambda route: (price_rank(grouped[route]), route))


def per_instance(runs: Iterable[RunResult]) -> dict[Instance, RunResult]:
    return {run.instance: run for run in runs}


def shared_instances(grouped: dict[str, list[RunResult]], routes: Sequence[str]) -> list[Instance]:
    """Instances every one of `routes` ran, in a stable order."""
    sets = [set(per_instance(grouped[route])) for route in routes]
    return sorted(set.intersection(*sets)) if sets else []


def oracle_row(grouped: dict[str, list[RunResult]], models: Sequence[str]) -> Row | None:
    instances = shared_instances(grouped, models)
    if not instances:
        return None
    tables = {route: per_instance(grouped[route]) for route in models}
    passes: list[float] = []
    costs: list[float] = []
    picks: dict[str, int] = defaultdict(int)
    for instance in instances:
        runs = [tables[route][instance] for route in models]
        passing = [run for run in runs if run.passed]
        pick = min(passing or runs, key=lambda run: run.cost_usd)
        passes.append(1.0 if passing else 0.0)
        costs.append(pick.cost_usd)
        picks[pick.route] += 1
    mix = ", ".join(f"{route} {count}" for route, count in sorted(picks.items()))
    return _summary_row("oracle", passes, costs, f"cheapest passing model per task ({mix})")


def random_row(grouped: dict[str, list[RunResult]], models: Sequence[str]) -> Row | None:
    instances = shared_instances(grouped, models)
    if not instances:
        return None
    tables = {route: per_instance(grouped[route]) for route in models}
    passes = [_mean([float(tables[r][i].passed) for r in models]) for i in instances]
    costs = [_mean([tables[r][i].cost_usd for r in models]) for i in instances]
    return _summary_row(
        "random", passes, costs, f"expected value, uniform over {len(models)} models"
    )


def _with_comparison(row: Row, strongest: Row | None) -> Row:
    if strongest is None or strongest.runs == 0:
        return row
    saving = 1 - row.cost_per_run / strongest.cost_per_run if strongest.cost_per_run > 0 else None
    return replace(
        row,
        saving_vs_strongest=saving,
        pass_change_vs_strongest=(row.pass_rate - strongest.pass_rate) * 100,
    )


@dataclass(frozen=True)
class Report:
    routes: list[Row]
    baselines: list[Row]
    strongest: str | None
    cheapest: str | None
    simulation: bool
    runs: int
    usage_checks: dict[str, int]
    unpriced_requests: int

    def as_dict(self) -> dict[str, object]:
        return {
            "simulation": self.simulation,
            "runs": self.runs,
            "strongest": self.strongest,
            "cheapest": self.cheapest,
            "routes": [row.as_dict() for row in self.routes],
            "baselines": [row.as_dict() for row in self.baselines],
            "usage_checks": self.usage_checks,
            "unpriced_requests": self.unpriced_requests,
        }


def analyze(results: Sequence[RunResult]) -> Report:
    grouped = by_route(results)
    models = model_routes(grouped)
    cheapest = models[0] if models else None
    strongest = models[-1] if models else None
    strongest_row = route_row(strongest, grouped[strongest]) if strongest else None
    routes = [
        _with_comparison(route_row(name, runs), strongest_row) for name, runs in grouped.items()
    ]
    routes.sort(key=lambda row: (row.kind != "auto", row.cost_per_run))
    baselines: list[Row] = []
    if cheapest and strongest:
        for label, route in (("always-cheapest", cheapest), ("always-strongest", strongest)):
            base = route_row(route, grouped[route])
            baselines.append(replace(base, name=label, kind="baseline", note=f"= route {route}"))
        for extra in (random_row(grouped, models), oracle_row(grouped, models)):
            if extra is not None:
                baselines.append(extra)
    baselines = [_with_comparison(row, strongest_row) for row in baselines]
    checks: dict[str, int] = defaultdict(int)
    for result in results:
        checks[result.usage_check] += 1
    return Report(
        routes=routes,
        baselines=baselines,
        strongest=strongest,
        cheapest=cheapest,
        simulation=any(r.simulation for r in results),
        runs=len(results),
        usage_checks=dict(checks),
        unpriced_requests=sum(r.unpriced_requests for r in results),
    )
