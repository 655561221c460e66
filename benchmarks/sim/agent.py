"""A mock coding model for the simulation: look, edit, check, report.

It reads the chat-completions request the proxy sends it (Codex's conversation), finds
the task by the user's prompt and the repeat by the workspace Codex names in its
environment context, and plays four steps, one per request:

1. `exec_command`: read the first file the fix touches;
2. `apply_patch` with the reference solution, or with the task's wrong edit when the
   hidden draw says this model fails this time (a generic note file when the task has
   no `wrong.patch`);
3. `exec_command`: run the tests, as an agent would;
4. a closing message.

Codex executes every call for real; the oracle judges the result afterwards.
"""

from __future__ import annotations

import re
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


def _texts(message: dict[str, Any]) -> list[str]:
    content = message.get("content")
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        ]
    return []


def _prompt_and_steps(messages: list[dict[str, Any]]) -> tuple[str, int]:
    """The latest prompt the user typed, and how many tool results followed it."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.get("role") != "user":
            continue
        texts = _texts(message)
        typed = [t for t in texts if not t.lstrip().startswith(_CONTEXT_PREFIXES)] or texts
        if typed:
            steps = sum(1 for m in messages[index + 1 :] if m.get("role") == "tool")
            return "\n".join(typed), steps
    return "", 0


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
        prompt, steps = _prompt_and_steps(messages)
        task = self.world.task_for(prompt)
        if task is None:
            return Text("I could not find a task I know in this conversation.")
        solves = self.world.succeeds(task, self.model, self.world.repeat_for(_cwd(messages)))
        return self._step(task, steps, solves)

    def _step(self, task: Task, step: int, solves: bool) -> Reply:
        reasoning = self._reasoning(task) if self.model.reasoning_chars else None
        if step == 0:
            first = _FIRST_FILE.search(task.solution)
            command = f"cat {first.group(1).strip()}" if first else "ls -R"
            return ToolCall("exec_command", {"cmd": command}, reasoning=reasoning)
        if step == 1:
            patch = task.solution if solves else (task.wrong_patch or GIVE_UP_PATCH)
            return ToolCall("apply_patch", {"input": patch}, reasoning=reasoning)
        if step == 2:
            has_tests = (task.repo / "tests").is_dir()
            command = TEST_COMMAND if has_tests else "python -c 'print(\"no tests here\")'"
            return ToolCall("exec_command", {"cmd": command}, reasoning=reasoning)
        return Text("I made the change and ran the checks; see the diff above.")

    def _reasoning(self, task: Task) -> str:
        thought = f"Working on {task.name}: reading the code, planning the edit, checking it. "
        return (thought * (self.model.reasoning_chars // len(thought) + 1))[
            : self.model.reasoning_chars
        ]
