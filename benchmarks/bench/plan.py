"""What the bench runs: which trials, on which of a worker's proxies, in which phase.

Routes and how each is obtained:

- `cheap`, `mid`, `strong` (the models): run, each model on every (task, repeat);
- `auto`: run, through a proxy with raw classifier scores and no escalation;
- `auto-calibrated`: run, through a proxy whose calibration was fitted (by `autorouter
  calibrate`) on the `auto` route's oracle outcomes of the *other* half of the tasks;
- `auto-escalation`: run, the same calibration plus escalation after a failed attempt;
- `cheapest`, `strongest`, `random`, `oracle`: derived from the model runs (derive.py).

The tasks are split into two folds of about equal difficulty (sorted by difficulty,
alternating), so a calibration is always scored on tasks it never saw.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.bench.trials import TrialJob
from benchmarks.harness.tasks import Task
from benchmarks.sim.setup import AUTO
from benchmarks.sim.world import MODELS

AUTO_ROUTES = ("auto", "auto-calibrated", "auto-escalation")
DERIVED_ROUTES = ("cheapest", "strongest", "random", "oracle")
ROUTES = (*AUTO_ROUTES, *DERIVED_ROUTES)
FOLDS = (0, 1)


@dataclass(frozen=True)
class Profile:
    """One proxy configuration; a worker has one proxy per profile."""

    name: str
    calibrate: bool
    escalation: int
    fold: int | None = None
    """The fold whose tasks it serves, when it holds a fold's calibration or outcomes."""


def profiles() -> list[Profile]:
    found = [Profile("models", calibrate=False, escalation=0)]
    for fold in FOLDS:
        found.append(Profile(f"auto-f{fold}", calibrate=False, escalation=0, fold=fold))
        found.append(Profile(f"calibrated-f{fold}", calibrate=True, escalation=0, fold=fold))
        found.append(Profile(f"escalation-f{fold}", calibrate=True, escalation=1, fold=fold))
    return found


_PROFILE_PREFIX = {"auto": "auto", "auto-calibrated": "calibrated", "auto-escalation": "escalation"}


def folds(tasks: list[Task]) -> dict[str, int]:
    ordered = sorted(tasks, key=lambda task: (task.spec.difficulty, task.name))
    return {task.name: index % 2 for index, task in enumerate(ordered)}


def model_slugs() -> list[str]:
    """The sim models, cheapest first."""
    return [m.slug for m in sorted(MODELS, key=lambda m: (m.price_output, m.price_input))]


def phase_jobs(tasks: list[Task], repeats: int, phase: int) -> list[TrialJob]:
    """Phase 1: every model and raw Auto. Phase 2 (after the calibrations are fitted):
    calibrated Auto, with and without escalation. Repeat-major, so an interrupted phase
    leaves every route with about the same instances."""
    fold_of = folds(tasks)
    jobs: list[TrialJob] = []
    for repeat in range(repeats):
        for task in tasks:
            fold = fold_of[task.name]
            if phase == 1:
                for slug in model_slugs():
                    jobs.append(TrialJob(task, slug, slug, "models", repeat, fold))
                routes: tuple[str, ...] = ("auto",)
            else:
                routes = ("auto-calibrated", "auto-escalation")
            for route in routes:
                profile = f"{_PROFILE_PREFIX[route]}-f{fold}"
                jobs.append(TrialJob(task, route, AUTO, profile, repeat, fold))
    return jobs
