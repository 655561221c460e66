"""Learning from an oracle under the real Codex CLI: a task fails its tests on the cheap
model, the verdict goes in through `autorouter feedback`, the user's follow-up in the same
thread (`codex exec resume`) is routed one price step up with reason `escalated`, and
`autorouter calibrate` fits from the judged tasks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.bench.trials import follow_up
from benchmarks.harness.codex_runner import run_codex
from benchmarks.harness.oracle import judge_copy
from benchmarks.harness.tasks import load_tasks
from benchmarks.sim.agent import SimAgent
from benchmarks.sim.setup import AUTO, CLASSIFIER, sim_settings
from benchmarks.sim.world import MODELS, HiddenWorld, SimModel
from examples.mockupstream import EstimatingClassifier, MockUpstream
from router.codex_setup.catalog import write_catalog
from router.settings import load_settings
from tests.proxy import ProxyFactory

pytestmark = pytest.mark.e2e

AUTOROUTER = Path(sys.executable).parent / "autorouter"


def autorouter(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AUTOROUTER), *args], capture_output=True, text=True, timeout=60, check=False
    )


async def test_a_failed_attempt_escalates_the_follow_up_and_feeds_calibration(
    codex_bin: Path, mock_upstream: MockUpstream, proxy_factory: ProxyFactory, tmp_path: Path
) -> None:
    task = load_tasks(["fix-greeting-typo"])[0]
    world = HiddenWorld([task])
    # cheap never solves it, mid always does; the judge rates every model 0.95, so
    # Auto's first pick is the cheapest.
    skills = {"cheap": -50.0, "mid": 50.0, "strong": 50.0}
    for model in MODELS:
        sim = SimModel(model.slug, skills[model.slug], 1, 1, 0, model.card)
        mock_upstream.on(model.slug, SimAgent(world, sim))
    mock_upstream.on(CLASSIFIER, EstimatingClassifier(lambda _task, _card: (0.95, 0.0), noise=0))
    proxy = await proxy_factory(sim_settings(mock_upstream, calibrate=True, escalation=1))
    log = str(proxy.routing_log)
    catalog = write_catalog(load_settings(proxy.settings_path), tmp_path / "catalog.json")
    workspace = task.copy_repo(tmp_path / "ws")
    world.register(workspace, 0)
    common = {
        "base_url": proxy.base_url,
        "catalog": catalog,
        "model": AUTO,
        "workspace": workspace,
        "codex_home": tmp_path / "home",
        "time_limit": 120.0,
    }

    first = await run_codex(codex_bin, prompt=task.spec.prompt, **common)  # type: ignore[arg-type]
    assert first.returncode == 0 and first.session_id, first.stderr[-2000:]
    verdict = await judge_copy(task, workspace, tmp_path / "oracle-1")
    assert not verdict.passed
    [decided] = [r for r in proxy.routing_records("route") if not r.get("cache_hit")]
    assert decided["chosen"] == "cheap" and decided["reason"] == "scored"

    marked = autorouter(
        "feedback", "bad", "--task", decided["task"], "--source", "oracle", "--routing-log", log
    )
    assert marked.returncode == 0, marked.stderr
    assert "bad (cheap, oracle)" in marked.stdout

    second = await run_codex(
        codex_bin,
        prompt=follow_up(task, verdict.output_tail),
        resume=first.session_id,
        **common,  # type: ignore[arg-type]
    )
    assert second.returncode == 0, second.stderr[-2000:]
    fresh = [r for r in proxy.routing_records("route") if not r.get("cache_hit")]
    assert len(fresh) == 2
    escalated = fresh[1]
    assert escalated["reason"] == "escalated" and escalated["escalated_from"] == "cheap"
    assert escalated["chosen"] == "mid"  # one price step up, not straight to the top
    mid_requests = [r for r in proxy.routing_records("request") if r.get("slug") == "mid"]
    assert mid_requests and all(r["task"] == escalated["task"] for r in mid_requests)
    assert (await judge_copy(task, workspace, tmp_path / "oracle-2")).passed

    good = autorouter(
        "feedback", "good", "--task", escalated["task"], "--source", "oracle", "--routing-log", log
    )
    assert good.returncode == 0, good.stderr
    fitted = autorouter("calibrate", "--routing-log", log, "--min-outcomes", "1")
    assert fitted.returncode == 0, fitted.stderr
    assert "cheap" in fitted.stdout and "mid" in fitted.stdout
    calibration = json.loads((proxy.routing_log.parent / "calibration.json").read_text())
    assert calibration["version"] == 1
    assert calibration["models"]["cheap"]["ys"] == [0.0]  # it failed at a raw 0.95
    assert calibration["models"]["mid"]["ys"] == [1.0]
