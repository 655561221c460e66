"""The report: routes, the baselines beside them, and what it says about simulations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import report as report_cli
from benchmarks.harness.analysis import analyze
from benchmarks.harness.render import SIMULATION_BANNER, markdown
from benchmarks.harness.results import append_result
from tests.benchmarks.toy import run

TOY = [
    run("toy-a", "cheap", True, 0.01),
    run("toy-b", "cheap", False, 0.02),
    run("toy-a", "strong", True, 0.30),
    run("toy-b", "strong", True, 0.50),
    run("toy-a", "codex-auto", True, 0.011, models=["cheap"], classifier_calls=1),
    run("toy-b", "codex-auto", True, 0.52, models=["strong"], classifier_calls=1),
    run("toy-a", "never", False, 0.05),
    run("toy-b", "never", False, 0.05),
]


def rows(results):  # type: ignore[no-untyped-def]
    report = analyze(results)
    return report, {row.name: row for row in [*report.routes, *report.baselines]}


def test_a_route_that_solves_nothing_scores_zero() -> None:
    _, by_name = rows(TOY)
    never = by_name["never"]
    assert never.pass_rate == 0 and never.solved == 0
    assert never.cost_per_solved is None
    assert never.cost_usd == pytest.approx(0.10)


def test_per_route_numbers_and_the_comparison_with_the_strongest() -> None:
    report, by_name = rows(TOY)
    assert report.strongest == "strong" and report.cheapest == "cheap"
    auto = by_name["codex-auto"]
    assert auto.kind == "auto" and auto.pass_rate == 1.0
    assert auto.cost_per_run == pytest.approx(0.2655)
    assert auto.saving_vs_strongest == pytest.approx(1 - 0.2655 / 0.40)
    assert auto.pass_change_vs_strongest == pytest.approx(0)
    assert by_name["cheap"].pass_change_vs_strongest == pytest.approx(-50)
    assert auto.note == "cheap 1, strong 1"
    assert auto.classifier_calls == 1


def test_baselines_cheapest_strongest_random_and_oracle() -> None:
    _, by_name = rows(TOY)
    assert by_name["always-cheapest"].pass_rate == 0.5
    assert by_name["always-strongest"].pass_rate == 1.0
    # Random: the expectation over the three priced single-model routes, per task.
    assert by_name["random"].pass_rate == pytest.approx((2 / 3 + 1 / 3) / 2)
    oracle = by_name["oracle"]
    assert oracle.pass_rate == 1.0
    assert oracle.cost_usd == pytest.approx(0.01 + 0.50)
    assert "cheap 1, strong 1" in oracle.note


def _results(matrix: list[list[tuple[bool, float]]]):  # type: ignore[no-untyped-def]
    routes = ["cheap", "mid", "strong"]
    return [
        run(f"task-{index}", route, passed, cost)
        for index, outcomes in enumerate(matrix)
        for route, (passed, cost) in zip(routes, outcomes, strict=True)
    ]


outcome = st.tuples(st.booleans(), st.floats(min_value=0, max_value=5, allow_nan=False))


@given(st.lists(st.lists(outcome, min_size=3, max_size=3), min_size=1, max_size=8))
def test_the_oracle_is_never_worse_than_any_single_route(matrix) -> None:  # type: ignore[no-untyped-def]
    results = _results(matrix)
    _, by_name = rows(results)
    oracle = by_name["oracle"]
    for route in ("cheap", "mid", "strong"):
        single = by_name[route]
        assert oracle.pass_rate >= single.pass_rate
        solved_everything_solvable = all(
            outcomes[i][0] or not any(p for p, _ in outcomes)
            for outcomes in matrix
            for i in [("cheap", "mid", "strong").index(route)]
        )
        if solved_everything_solvable:
            assert oracle.cost_usd <= single.cost_usd + 1e-9


def test_only_instances_every_model_ran_enter_the_baselines() -> None:
    partial = [*TOY, run("toy-c", "cheap", True, 0.01)]  # interrupted before strong ran it
    _, by_name = rows(partial)
    assert by_name["oracle"].runs == 2 and by_name["cheap"].runs == 3


def test_the_markdown_says_simulation_when_it_is_one() -> None:
    real = markdown(analyze(TOY), "toy")
    simulated = markdown(analyze([r.model_copy(update={"simulation": True}) for r in TOY]), "toy")
    assert SIMULATION_BANNER not in real
    assert simulated.startswith(SIMULATION_BANNER)
    assert "| codex-auto (auto) | 2 | 100% |" in simulated


def test_the_command_prints_markdown_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results.jsonl"
    for result in TOY:
        append_result(results, result)
    assert report_cli.main([str(results), "--plot", str(tmp_path / "plot.png")]) == 0
    assert "| never | 2 | 0% |" in capsys.readouterr().out
    written = json.loads((tmp_path / "results.report.json").read_text())
    assert {row["name"] for row in written["baselines"]} == {
        "always-cheapest",
        "always-strongest",
        "random",
        "oracle",
    }


def test_the_plot_is_a_png_when_matplotlib_is_there(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from benchmarks.harness.render import plot

    path = plot(analyze(TOY), tmp_path / "plot.png", "toy")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
