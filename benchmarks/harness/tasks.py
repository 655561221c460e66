"""Task folders: `benchmarks/tasks/<name>/` with `task.json`, `repo/` and `solution.patch`.

`task.json` says what the agent is asked and how it is judged:

    {
      "prompt": "Fix the off-by-one in ...",
      "level": "one-line fix",
      "difficulty": 0.15,
      "time_limit_s": 300,
      "oracle": {"command": ["python", "-m", "pytest", "-q"], "restore": ["tests"],
                 "timeout_s": 120}
    }

`difficulty` (0 easy .. 1 hardest) is read only by the offline simulation's hidden skill
model; the router never sees it. The oracle runs after the agent: paths in `restore` are
copied back from the pristine repository first (an agent that edits the tests to pass
them has not solved the task), and files in the task's optional `hidden/` folder are laid
over the workspace (tests the agent never saw, as the HumanEval import uses).
`wrong.patch`, when present, is the simulation's plausible but wrong attempt.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

TASKS_DIR = Path(__file__).resolve().parents[1] / "tasks"


class Oracle(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    command: list[str] = Field(min_length=1)
    """argv; a leading `python` means the interpreter running the benchmark."""
    restore: list[str] = Field(default_factory=list)
    timeout_s: float = Field(default=120, gt=0)


class TaskSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str = Field(min_length=1)
    level: str = ""
    difficulty: float = Field(ge=0, le=1)
    time_limit_s: float = Field(default=300, gt=0)
    oracle: Oracle
    source: str = ""
    """Where an imported task came from (package, version, problem id, licence)."""


class Task:
    """One task folder, loaded and checked."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = folder.name
        self.spec = TaskSpec.model_validate(json.loads((folder / "task.json").read_text()))
        if not self.repo.is_dir():
            raise ValueError(f"task {self.name}: no repo/ folder")
        if not self.solution_path.is_file():
            raise ValueError(f"task {self.name}: no solution.patch")

    @property
    def repo(self) -> Path:
        return self.folder / "repo"

    @property
    def solution_path(self) -> Path:
        return self.folder / "solution.patch"

    @property
    def solution(self) -> str:
        return self.solution_path.read_text()

    @property
    def wrong_patch(self) -> str | None:
        path = self.folder / "wrong.patch"
        return path.read_text() if path.is_file() else None

    @property
    def hidden(self) -> Path:
        return self.folder / "hidden"

    def copy_repo(self, destination: Path) -> Path:
        """A fresh copy of the pristine repository at `destination` (which must not exist)."""
        shutil.copytree(self.repo, destination, ignore=_IGNORED)
        return destination

    def __repr__(self) -> str:
        return f"Task({self.name!r})"


_IGNORED = shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.pyc")


def load_tasks(
    patterns: list[str] | None = None,
    exclude: list[str] | None = None,
    root: Path = TASKS_DIR,
) -> list[Task]:
    """Tasks under `root` whose names match any of `patterns` (globs) and none of `exclude`,
    sorted by name. A pattern that matches nothing is an error: a typo must not shrink a
    benchmark silently."""
    folders = sorted(p for p in root.iterdir() if (p / "task.json").is_file())
    names = [p.name for p in folders]
    chosen: set[str] = set()
    for pattern in patterns or ["*"]:
        matched = fnmatch.filter(names, pattern)
        if not matched:
            raise ValueError(f"no task matches {pattern!r} under {root}")
        chosen.update(matched)
    for pattern in exclude or []:
        chosen.difference_update(fnmatch.filter(names, pattern))
    return [Task(folder) for folder in folders if folder.name in chosen]
