"""Synthetic results on a two-task toy set, for the report and records tests."""

from __future__ import annotations

from typing import Any

from benchmarks.harness.results import RoutePrice, RunResult

PRICES = {"cheap": RoutePrice(input=0.1, output=0.4), "strong": RoutePrice(input=3, output=15)}


def run(
    task: str, route: str, passed: bool, cost: float, repeat: int = 0, **extra: Any
) -> RunResult:
    kind = "auto" if route == "codex-auto" else "model"
    return RunResult(
        task=task,
        route=route,
        repeat=repeat,
        route_kind=kind,
        route_price=PRICES.get(route, RoutePrice(input=0.6, output=2.4))
        if kind == "model"
        else None,
        passed=passed,
        wall_s=1.0,
        cost_usd=cost,
        **extra,
    )
