"""Per (task, repeat) outcomes of every route: the run ones as they ran, the others
derived from the model runs of the same instance, with no extra Codex run.

A model's outcome on an instance is a deterministic draw (benchmarks/sim/world.py), so
a route that only ever sends a task to fixed models meets exactly what that model's own
run met. The derived routes, per instance:

- cheapest / strongest: the cheapest / priciest model's trial, both attempts;
- random: one model drawn uniformly for the thread (both attempts), as its expectation:
  the mean of the models' pass and cost;
- oracle: the cheapest model trial that passes within two attempts (the cheapest trial
  when none does): what a router that knew every outcome in advance would pay.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from benchmarks.bench.trials import Trial

Instance = tuple[str, int]


@dataclass(frozen=True)
class Outcome:
    """One route on one instance. Floats, so an expectation (random) fits too."""

    task: str
    repeat: int
    pass_at_1: float
    pass_at_2: float
    cost: float


def of_trial(trial: Trial) -> Outcome:
    return Outcome(
        trial.task,
        trial.repeat,
        float(trial.pass_at_1),
        float(trial.pass_at_2),
        trial.cost_usd,
    )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def derive(trials: Iterable[Trial], models: Sequence[str]) -> dict[str, list[Outcome]]:
    """Outcomes per route on the instances every model and every run route completed.
    `models` are the model routes, cheapest first."""
    table: dict[str, dict[Instance, Trial]] = defaultdict(dict)
    for trial in trials:
        table[trial.route][trial.instance] = trial
    run_routes = [route for route in table if route not in models]
    wanted = [*models, *run_routes]
    shared = set.intersection(*(set(table[route]) for route in wanted)) if table else set()
    for route in models:
        if route not in table:
            shared = set()
    instances = sorted(shared)
    result: dict[str, list[Outcome]] = {route: [] for route in run_routes}
    result.update({"cheapest": [], "strongest": [], "random": [], "oracle": []})
    for instance in instances:
        for route in run_routes:
            result[route].append(of_trial(table[route][instance]))
        own = [of_trial(table[model][instance]) for model in models]
        result["cheapest"].append(own[0])
        result["strongest"].append(own[-1])
        task, repeat = instance
        result["random"].append(
            Outcome(
                task,
                repeat,
                _mean([o.pass_at_1 for o in own]),
                _mean([o.pass_at_2 for o in own]),
                _mean([o.cost for o in own]),
            )
        )
        solving = [o for o in own if o.pass_at_2]
        result["oracle"].append(min(solving or own, key=lambda o: o.cost))
    return result
