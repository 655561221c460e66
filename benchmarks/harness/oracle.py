"""Judging a workspace: the task's oracle command in a clean process.

"Clean" means a fresh interpreter with a minimal environment (no keys, no PYTHONPATH,
no settings of the developer's), the pristine copies of the protected paths put back
and the hidden test files laid over the workspace first.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness.processes import run_process
from benchmarks.harness.tasks import Task

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class Verdict:
    passed: bool
    exit_code: int
    seconds: float
    timed_out: bool
    output_tail: str


def oracle_argv(command: list[str]) -> list[str]:
    """`python` means this interpreter, which has pytest; anything else runs as written."""
    if command[0] in ("python", "python3"):
        return [sys.executable, *command[1:]]
    return list(command)


def oracle_env(scratch: Path) -> dict[str, str]:
    return {
        "PATH": f"{Path(sys.executable).parent}:{SYSTEM_PATH}",
        "HOME": str(scratch),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        # Only the plugins a task asks for: the benchmark's own (hypothesis, asyncio) would
        # slow every oracle down and could change what a task's tests mean.
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }


def prepare(task: Task, workspace: Path) -> None:
    """Put back the protected paths and lay the hidden files over the workspace."""
    for relative in task.spec.oracle.restore:
        source, target = task.repo / relative, workspace / relative
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        if source.is_dir():
            shutil.copytree(source, target)
        elif source.exists():
            shutil.copy2(source, target)
    if task.hidden.is_dir():
        shutil.copytree(task.hidden, workspace, dirs_exist_ok=True)


async def judge(task: Task, workspace: Path, scratch: Path) -> Verdict:
    """Run the oracle on `workspace`; pass means exit code 0 within the oracle's timeout."""
    prepare(task, workspace)
    scratch.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    finished = await run_process(
        oracle_argv(task.spec.oracle.command),
        cwd=workspace,
        env=oracle_env(scratch),
        timeout=task.spec.oracle.timeout_s,
    )
    output = (finished.stdout + finished.stderr).strip()
    return Verdict(
        passed=finished.returncode == 0 and not finished.timed_out,
        exit_code=finished.returncode,
        seconds=round(time.perf_counter() - started, 3),
        timed_out=finished.timed_out,
        output_tail=output[-600:],
    )


async def judge_copy(task: Task, workspace: Path, scratch: Path) -> Verdict:
    """Judge a copy of `workspace`, which stays as the agent left it: the user's follow-up
    continues there, and the hidden tests must not appear in it."""
    tree = scratch / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(workspace, tree, symlinks=True)
    return await judge(task, tree, scratch / "home")
