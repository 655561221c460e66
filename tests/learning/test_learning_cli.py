"""`autorouter feedback` and `autorouter calibrate` as a user runs them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from router.learning import calibration, store
from tests.router.test_cli import autorouter


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = dict(os.environ)
    environ["AUTOROUTER_STATE_DIR"] = str(tmp_path / "state")
    environ.pop("AUTOROUTER_ROUTING_LOG", None)
    return environ


def seed(directory: Path, tasks: int, *, chosen: str = "cheap", raw: float = 0.9) -> None:
    with store.connected(directory / store.FILE_NAME) as connection:
        for index in range(tasks):
            store.insert_decision(
                connection,
                {
                    "task": f"codex:s{index}:t{index}",
                    "thread": f"s{index}",
                    "decided_at": time.time() + index,
                    "chosen": chosen,
                    "reason": "scored",
                    "candidates": [
                        {"slug": chosen, "raw_score": raw, "score": raw, "eligible": True}
                    ],
                },
            )


async def test_feedback_marks_the_last_task_and_a_task_by_prefix(
    tmp_path: Path, env: dict[str, str]
) -> None:
    state = Path(env["AUTOROUTER_STATE_DIR"])
    seed(state, 3)
    code, out, err = await autorouter("feedback", "bad", "--last", env=env)
    assert code == 0, err
    assert "codex:s2:t2: bad (cheap, user)" in out
    code, out, err = await autorouter(
        "feedback", "good", "--task", "codex:s0", "--source", "oracle", env=env
    )
    assert code == 0, err
    with store.connected(state / store.FILE_NAME) as connection:
        assert store.find_task(connection, "codex:s0:t0").outcome == "pass"  # type: ignore[union-attr]
        assert store.find_task(connection, "codex:s2:t2").outcome == "fail"  # type: ignore[union-attr]


async def test_feedback_for_an_unknown_or_ambiguous_task_says_so(
    tmp_path: Path, env: dict[str, str]
) -> None:
    code, _, err = await autorouter("feedback", "bad", "--last", env=env)
    assert code == 2 and "no outcome store" in err
    seed(Path(env["AUTOROUTER_STATE_DIR"]), 2)
    code, _, err = await autorouter("feedback", "bad", "--task", "codex:nope", env=env)
    assert code == 2 and "no Auto task 'codex:nope'" in err
    code, _, err = await autorouter("feedback", "bad", "--task", "codex:s", env=env)
    assert code == 2 and "several tasks" in err


async def test_a_corrupt_store_is_reported_with_its_path_and_the_way_out(
    tmp_path: Path, env: dict[str, str]
) -> None:
    path = Path(env["AUTOROUTER_STATE_DIR"]) / store.FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    code, _, err = await autorouter("feedback", "bad", "--last", env=env)
    assert code == 2 and str(path) in err and "mv " in err
    assert path.read_bytes().startswith(b"this is not a database")
    code, _, err = await autorouter("calibrate", env=env)
    assert code == 2 and str(path) in err


async def test_calibrate_with_too_few_outcomes_keeps_the_identity(
    tmp_path: Path, env: dict[str, str]
) -> None:
    state = Path(env["AUTOROUTER_STATE_DIR"])
    code, out, err = await autorouter("calibrate", env=env)
    assert code == 0, err
    assert "identity" in out
    seed(state, 5)
    await autorouter("feedback", "bad", "--last", env=env)
    code, out, _ = await autorouter("calibrate", env=env)
    assert "fewer than 20 outcomes: identity kept for cheap" in out
    assert calibration.load(state / calibration.FILE_NAME).apply("cheap", 0.9) == 0.9


async def test_calibrate_fits_the_store_and_a_bench_runs_store(
    tmp_path: Path, env: dict[str, str]
) -> None:
    state = Path(env["AUTOROUTER_STATE_DIR"])
    bench = tmp_path / "bench-run"
    bench.mkdir()
    seed(bench, 30)
    with store.connected(bench / store.FILE_NAME) as connection:
        for index in range(30):
            store.set_outcome(connection, f"codex:s{index}:t{index}", "fail", "oracle")
    code, out, err = await autorouter("calibrate", "--from", str(bench), "--dry-run", env=env)
    assert code == 0, err
    assert "dry run" in out and not (state / calibration.FILE_NAME).exists()
    code, out, err = await autorouter("calibrate", "--from", str(bench), env=env)
    assert code == 0, err
    fitted = calibration.load(state / calibration.FILE_NAME)
    assert fitted.version == 1 and fitted.apply("cheap", 0.9) < 0.5
    assert "cheap" in out and "0.90 -> " in out
