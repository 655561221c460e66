"""The bench's results file (`bench-sim.json`), its Markdown table and its plot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.bench.derive import Outcome
from benchmarks.bench.plan import ROUTES
from benchmarks.bench.stats import Numbers, bootstrap, numbers, saving_share

GOAL_ROUTE = "auto-escalation"
GOAL = {"pass_ratio": 0.98, "cost_ratio": 0.45, "saving_share": 0.6}
HOW = {
    "auto": "run: Auto, raw classifier scores",
    "auto-calibrated": "run: Auto, calibration fitted on the other half of the tasks",
    "auto-escalation": "run: calibrated Auto, escalation after a failed attempt",
    "cheapest": "derived: the cheapest model's runs",
    "strongest": "derived: the priciest model's runs",
    "random": "derived: a uniformly random model per thread (expectation)",
    "oracle": "derived: the cheapest model run that passes within two attempts",
}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def summarize(
    outcomes: Mapping[str, Sequence[Outcome]],
    *,
    repeats: int,
    resamples: int = 2000,
    seed: int = 0,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON document: per route the four numbers, their intervals and the share of
    the oracle's saving; the goal check; and whatever `extra` says about the run."""
    found = {route: numbers(rows) for route, rows in outcomes.items()}
    intervals = bootstrap(outcomes, resamples=resamples, seed=seed)
    strongest, oracle = found.get("strongest"), found.get("oracle")
    routes: dict[str, Any] = {}
    for route in [r for r in ROUTES if r in found] + [r for r in found if r not in ROUTES]:
        row = found[route]
        share = saving_share(row, strongest, oracle) if strongest and oracle else None
        routes[route] = {
            "pass_at_1": _round(row.pass_at_1),
            "pass_at_2": _round(row.pass_at_2),
            "cost_per_task": _round(row.cost_per_task),
            "cost_per_solved": _round(row.cost_per_solved),
            "oracle_saving_share": _round(share),
            "instances": len(outcomes[route]),
            "how": HOW.get(route, "run"),
            "ci95": intervals[route],
        }
    tasks = {o.task for rows in outcomes.values() for o in rows}
    return {
        "simulation": True,
        "tasks": len(tasks),
        "repeats": repeats,
        "routes": routes,
        "goal": goal(found),
        **dict(extra or {}),
    }


def goal(found: Mapping[str, Numbers]) -> dict[str, Any] | None:
    route, strongest, oracle = (found.get(n) for n in (GOAL_ROUTE, "strongest", "oracle"))
    if route is None or strongest is None or oracle is None:
        return None
    pass_ratio = route.pass_at_2 / strongest.pass_at_2 if strongest.pass_at_2 else None
    cost_ratio = route.cost_per_task / strongest.cost_per_task if strongest.cost_per_task else None
    share = saving_share(route, strongest, oracle)
    met = (
        pass_ratio is not None
        and cost_ratio is not None
        and share is not None
        and pass_ratio >= GOAL["pass_ratio"]
        and cost_ratio <= GOAL["cost_ratio"]
        and share >= GOAL["saving_share"]
    )
    return {
        "route": GOAL_ROUTE,
        "target": GOAL,
        "pass_ratio_vs_strongest": _round(pass_ratio),
        "cost_ratio_vs_strongest": _round(cost_ratio),
        "oracle_saving_share": _round(share),
        "met": met,
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _usd(value: float | None) -> str:
    return "-" if value is None else f"${value:.4f}"


def _span(values: list[float] | None, cell: Any) -> str:
    return "" if not values else f" [{cell(values[0])}, {cell(values[1])}]"


def markdown(document: Mapping[str, Any]) -> str:
    lines = [
        "| route | pass@1 | pass within 2 | cost per task | cost per solved | share of oracle's saving | how |",
        "|---|---|---|---|---|---|---|",
    ]
    for route, row in document["routes"].items():
        ci = row["ci95"]
        lines.append(
            f"| {route} | {_pct(row['pass_at_1'])}{_span(ci.get('pass_at_1'), _pct)} "
            f"| {_pct(row['pass_at_2'])}{_span(ci.get('pass_at_2'), _pct)} "
            f"| {_usd(row['cost_per_task'])}{_span(ci.get('cost_per_task'), _usd)} "
            f"| {_usd(row['cost_per_solved'])}{_span(ci.get('cost_per_solved'), _usd)} "
            f"| {_pct(row['oracle_saving_share'])}"
            f"{_span(ci.get('oracle_saving_share'), _pct)} | {row['how']} |"
        )
    return "\n".join(lines) + "\n"


def plot(document: Mapping[str, Any], path: Path) -> Path:
    """Cost per task (x) against pass within two attempts (y), 95% intervals as bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    for route, row in document["routes"].items():
        x, y = row["cost_per_task"], row["pass_at_2"] * 100
        ci = row["ci95"]
        xs, ys = ci.get("cost_per_task") or [x, x], ci.get("pass_at_2") or [y / 100, y / 100]
        marker = "*" if route.startswith("auto") else ("s" if route == "oracle" else "o")
        axes.errorbar(
            x,
            y,
            xerr=[[x - xs[0]], [xs[1] - x]],
            yerr=[[y - ys[0] * 100], [ys[1] * 100 - y]],
            fmt=marker,
            markersize=11 if marker == "*" else 7,
            capsize=3,
            label=route,
        )
    axes.set_xlabel("cost per task, both attempts (USD)")
    axes.set_ylabel("pass within two attempts (%)")
    axes.set_title(
        f"SIMULATION: {document['tasks']} tasks x {document['repeats']} repeats, 95% intervals",
        fontsize=10,
    )
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
