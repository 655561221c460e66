"""A mock coding model for the simulation: look, edit, check, report.

It reads the chat-completions request the proxy sends it (Codex's conversation), finds
the task by the user's first prompt, the attempt by how many prompts the user typed (a
follow-up after failing tests is the second) and the repeat by the workspace Codex names
in its environment context, and plays one step per request:

1. `exec_command`: read the first file the fix touches;
2. `apply_patch` with the reference solution, or with the task's wrong edit when the
   hidden draw says this model fails this time (a generic note file when the task has
   no `wrong.patch`); on a second attempt that succeeds, the earlier wrong edit is
   undone first (its reverse, one more `apply_patch`), and one that fails adds a note;
3. `exec_command`: run the tests, as an agent would;
4. a closing message.

Codex executes every call for real; the oracle judges the result afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from benchmarks.harness.tasks import Task
from benchmarks.sim.world import HiddenWorld, SimModel
from examples.mockupstream import Reply, Text, ToolCall

_CWD = re.compile(r"<cwd>(.*?)</cwd>", re.DOTALL)
_FIRST_FILE = re.compile(r"^\*\*\* (?:Update|Add) File: (.+)$", re.MULTILINE)
_CONTEXT_PREFIXES = ("<environment_context>", "<user_instructions>", "# AGENTS.md")
TEST_COMMAND = "python -m pytest -q -p no:cacheprovider"

GIVE_UP_PATCH = """*** Begin Patch
*** Add File: NOTES.md
+Looked into the request; the change below is a first attempt and may be incomplete.
*** End Patch"""
RETRY_NOTE_PATCH = """*** Begin Patch
*** Add File: NOTES-retry.md
+Looked at the failing tests again; this still needs work.
*** End Patch"""


def reverse_patch(patch: str) -> str:
    """The apply_patch edit that undoes `patch`: added files deleted, changed lines swapped."""
    out: list[str] = []
    adding = False
    for line in patch.splitlines():
        if line.startswith("*** Add File: "):
            out.append("*** Delete File: " + line.removeprefix("*** Add File: "))
            adding = True
        elif line.startswith("***"):
            out.append(line)
            adding = False
        elif adding:
            continue
        elif line.startswith("+"):
            out.append("-" + line[1:])
        elif line.startswith("-"):
            out.append("+" + line[1:])
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def _texts(message: dict[str, Any]) -> list[str]:
    content = message.get("content")
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        ]
    return []


def _prompts_and_steps(
    messages: list[dict[str, Any]], knows: Callable[[str], object]
) -> tuple[list[str], int]:
    """Every prompt the user typed, in order, and how many tool results followed the last.
    A message of context blocks alone is no prompt, unless a strict chat upstream merged
    a prompt `knows` (the world's task lookup) behind them."""
    prompts: list[str] = []
    last = -1
    for index, message in enumerate(messages):
        if message.get("role") != "user":
            continue
        texts = _texts(message)
        typed = [t for t in texts if not t.lstrip().startswith(_CONTEXT_PREFIXES)]
        if not typed and knows("\n".join(texts)) is not None:
            typed = texts
        if typed:
            prompts.append("\n".join(typed))
            last = index
    steps = sum(1 for m in messages[last + 1 :] if m.get("role") == "tool") if prompts else 0
    return prompts, steps


def _cwd(messages: list[dict[str, Any]]) -> str | None:
    for message in messages:
        for text in _texts(message):
            found = _CWD.search(text)
            if found:
                return found.group(1).strip()
    return None


class SimAgent:
    """The handler of one mock model: `mock.on(model.slug, SimAgent(world, model))`."""

    def __init__(self, world: HiddenWorld, model: SimModel) -> None:
        self.world = world
        self.model = model

    def __call__(self, body: dict[str, Any]) -> Reply:
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        prompts, steps = _prompts_and_steps(messages, self.world.task_for)
        task = self.world.task_for(prompts[0]) if prompts else None
        if task is None:
            return Text("I could not find a task I know in this conversation.")
        attempt = len(prompts)
        repeat = self.world.repeat_for(_cwd(messages))
        solves = self.world.succeeds(task, self.model, repeat, attempt)
        plan = self._plan(task, attempt, solves)
        return plan[min(steps, len(plan) - 1)]

    def _plan(self, task: Task, attempt: int, solves: bool) -> list[Reply]:
        reasoning = self._reasoning(task) if self.model.reasoning_chars else None
        first = _FIRST_FILE.search(task.solution)
        look = f"cat {first.group(1).strip()}" if first else "ls -R"
        if solves:
            undo = reverse_patch(task.wrong_patch) if attempt > 1 and task.wrong_patch else None
            edits = [undo, task.solution] if undo else [task.solution]
        elif attempt > 1:
            edits = [RETRY_NOTE_PATCH]
        else:
            edits = [task.wrong_patch or GIVE_UP_PATCH]
        has_tests = (task.repo / "tests").is_dir()
        check = TEST_COMMAND if has_tests else "python -c 'print(\"no tests here\")'"
        return [
            ToolCall("exec_command", {"cmd": look}, reasoning=reasoning),
            *(ToolCall("apply_patch", {"input": edit}, reasoning=reasoning) for edit in edits),
            ToolCall("exec_command", {"cmd": check}, reasoning=reasoning),
            Text("I made the change and ran the checks; see the diff above."),
        ]

    def _reasoning(self, task: Task) -> str:
        thought = f"Working on {task.name}: reading the code, planning the edit, checking it. "
        return (thought * (self.model.reasoning_chars // len(thought) + 1))[
            : self.model.reasoning_chars
        ]
