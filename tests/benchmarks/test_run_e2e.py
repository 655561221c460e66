"""The runner end to end, offline: real Codex, the real proxy, simulated models, one task."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks import report, run
from benchmarks.harness.codex_runner import DEFAULT_CODEX
from benchmarks.harness.render import SIMULATION_BANNER
from benchmarks.harness.results import read_results
from benchmarks.harness.tasks import TASKS_DIR, load_tasks
from benchmarks.sim.world import MODELS, HiddenWorld

pytestmark = pytest.mark.e2e


def test_one_task_through_auto_and_a_fixed_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not DEFAULT_CODEX.exists():
        pytest.skip("the Codex CLI is not installed (`make setup`)")
    tasks_dir = tmp_path / "tasks"
    shutil.copytree(TASKS_DIR / "fix-greeting-typo", tasks_dir / "fix-greeting-typo")
    out = tmp_path / "results.jsonl"
    argv = ["--sim", "--routes", "codex-auto,cheap", "--tasks-dir", str(tasks_dir)]
    assert run.main([*argv, "--jobs", "2", "--out", str(out)]) == 0

    results = {r.route: r for r in read_results(out)}
    assert set(results) == {"codex-auto", "cheap"}
    [task] = load_tasks(root=tasks_dir)
    cheap_model = next(m for m in MODELS if m.slug == "cheap")
    expected = HiddenWorld([task], seed=0).succeeds(task, cheap_model, 0)
    for result in results.values():
        assert result.simulation and result.codex_exit == 0
        # The proxy's records of the session add up to what Codex itself was billed.
        assert result.usage_check == "match"
        assert result.input_tokens == result.codex_usage["input_tokens"] > 0
        assert result.requests == 4 and result.tool_calls == 3
        assert result.models == ["cheap"]
        assert result.passed is expected  # the oracle agrees with the hidden draw
        assert Path(str(result.events_path)).read_text().startswith("{")
    auto = results["codex-auto"]
    assert (auto.classifier_calls, auto.route_kind) == (1, "auto")
    assert auto.cost_usd > auto.model_cost_usd > 0
    assert results["cheap"].classifier_calls == 0

    # Everything is done: a second invocation with --resume has nothing left to run.
    assert run.main([*argv, "--out", str(out), "--resume"]) == 0
    assert len(read_results(out)) == 2

    assert report.main([str(out), "--plot", str(tmp_path / "p.png")]) == 0
    assert capsys.readouterr().out.startswith(SIMULATION_BANNER)
