"""Task folders: they load, the oracle is judged cleanly, and every reference solution
solves its task while the pristine repository and the wrong edit do not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.check_tasks import check
from benchmarks.harness.oracle import judge, prepare
from benchmarks.harness.patches import native_codex
from benchmarks.harness.tasks import load_tasks

ALL = load_tasks()


def test_there_are_at_least_ten_hand_written_tasks_and_some_imported_ones() -> None:
    names = [task.name for task in ALL]
    assert len([n for n in names if not n.startswith("humaneval-")]) >= 10
    assert any(n.startswith("humaneval-") for n in names)
    assert all(0 <= task.spec.difficulty <= 1 for task in ALL)


def test_patterns_select_and_a_typo_is_an_error() -> None:
    assert [t.name for t in load_tasks(["fix-*", "last-n-off-by-one"])] == [
        "fix-greeting-typo",
        "last-n-off-by-one",
    ]
    assert all(not t.name.startswith("humaneval") for t in load_tasks(exclude=["humaneval-*"]))
    with pytest.raises(ValueError, match="no task matches"):
        load_tasks(["fix-greting-*"])


def test_the_oracle_restores_the_tests_and_adds_the_hidden_ones(tmp_path: Path) -> None:
    [task] = load_tasks(["fix-greeting-typo"])
    workspace = task.copy_repo(tmp_path / "ws")
    (workspace / "tests" / "test_greeting.py").write_text("def test_nothing():\n    pass\n")
    prepare(task, workspace)
    assert (workspace / "tests" / "test_greeting.py").read_text() == (
        task.repo / "tests" / "test_greeting.py"
    ).read_text()
    [imported] = load_tasks(["humaneval-000"])
    workspace = imported.copy_repo(tmp_path / "he")
    prepare(imported, workspace)
    assert (workspace / "test_humaneval.py").exists()


async def test_an_agent_that_edited_the_tests_to_pass_still_fails(tmp_path: Path) -> None:
    [task] = load_tasks(["fix-greeting-typo"])
    workspace = task.copy_repo(tmp_path / "ws")
    shutil.rmtree(workspace / "tests")
    verdict = await judge(task, workspace, tmp_path / "home")
    assert not verdict.passed and verdict.exit_code != 0


@pytest.mark.e2e
@pytest.mark.parametrize("task", ALL, ids=[task.name for task in ALL])
async def test_the_reference_solution_solves_the_task(task, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binary = native_codex()
    if binary is None:
        pytest.skip("the Codex CLI is not installed (`make setup`)")
    assert await check(task, binary, tmp_path) == []
