"""Check every task folder: the oracle fails on the pristine repository, passes after
`solution.patch`, and fails after `wrong.patch` (when there is one).

    python -m benchmarks.check_tasks [--tasks GLOBS]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from benchmarks.harness.oracle import judge
from benchmarks.harness.patches import apply_patch, native_codex
from benchmarks.harness.tasks import TASKS_DIR, Task, load_tasks


async def check(task: Task, binary: Path, scratch: Path) -> list[str]:
    """Problems with `task`, empty when it is sound."""
    problems = []
    cases: list[tuple[str, str | None, bool]] = [
        ("pristine", None, False),
        ("solution", task.solution, True),
    ]
    if task.wrong_patch is not None:
        cases.append(("wrong", task.wrong_patch, False))
    for label, patch, should_pass in cases:
        workspace = task.copy_repo(scratch / task.name / label)
        if patch is not None:
            applied = apply_patch(patch, workspace, binary)
            if applied.returncode != 0:
                problems.append(f"{label}.patch does not apply: {applied.stderr.strip()}")
                continue
        verdict = await judge(task, workspace, scratch / task.name / f"{label}-home")
        if verdict.passed != should_pass:
            expected = "pass" if should_pass else "fail"
            problems.append(f"{label}: the oracle should {expected}\n{verdict.output_tail}")
    return problems


async def amain(patterns: list[str], root: Path) -> int:
    binary = native_codex()
    if binary is None:
        print("the native Codex binary is missing: run `make setup`", file=sys.stderr)
        return 2
    failed = 0
    with tempfile.TemporaryDirectory(prefix="bench-check-") as scratch:
        for task in load_tasks(patterns, root=root):
            problems = await check(task, binary, Path(scratch))
            failed += bool(problems)
            print(f"{'ok  ' if not problems else 'FAIL'} {task.name}")
            for problem in problems:
                print(f"     {problem}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.check_tasks")
    parser.add_argument("--tasks", default="*")
    parser.add_argument("--tasks-dir", default=str(TASKS_DIR))
    args = parser.parse_args(argv)
    patterns = [p.strip() for p in args.tasks.split(",") if p.strip()]
    return asyncio.run(amain(patterns, Path(args.tasks_dir)))


if __name__ == "__main__":
    sys.exit(main())
