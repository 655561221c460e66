"""The hidden difficulty model: whether a model of some skill solves a task this time.

P(success) = sigmoid(SLOPE * (skill - difficulty)), with `difficulty` from the task's
task.json (never shown to the router) and `skill` per mock model. The draw for one
(task, repeat, model, attempt) is a hash of the seed and those, so it is reproducible and
the same whichever route sent the task there: Auto sending a task to `cheap` meets
exactly the luck the `cheap` route met on that task and repeat. Different models draw
independently, so a strong model can fail where a weak one got lucky, as in life. A
second attempt (the user's follow-up after a failed one) draws again, with the same
chance: the failing test output helps a real model a little, which the simulation leaves
out.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness.tasks import Task

SLOPE = 10.0


@dataclass(frozen=True)
class SimModel:
    slug: str
    skill: float
    price_input: float
    """USD per million input tokens."""
    price_output: float
    reasoning_chars: int
    """How much the model thinks aloud before each call (billed as reasoning tokens)."""
    card: str
    """What the router's classifier reads about the model (never the skill)."""


MODELS: tuple[SimModel, ...] = (
    SimModel("cheap", 0.35, 0.1, 0.4, 0, "Cheap, fast and small. Simple single-file edits."),
    SimModel("mid", 0.65, 0.6, 2.4, 400, "Solid general coder. Refactors, bug fixes, tests."),
    SimModel(
        "strong",
        0.9,
        3.0,
        15.0,
        1600,
        "Strong reasoning, frontier. Hard multi-file and concurrency work.",
    ),
)


def success_probability(skill: float, difficulty: float, slope: float = SLOPE) -> float:
    return 1.0 / (1.0 + math.exp(-slope * (skill - difficulty)))


def uniform_draw(seed: int, task: str, repeat: int, model: str, attempt: int = 1) -> float:
    """A number in [0, 1) fixed by its arguments (attempt 1 keeps the original key)."""
    key = f"{seed}\x00{task}\x00{repeat}\x00{model}"
    if attempt > 1:
        key += f"\x00attempt{attempt}"
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def model_for_card(card: str) -> SimModel | None:
    """The sim model a classifier card describes (the classifier sees cards, not slugs)."""
    return next((model for model in MODELS if model.card.strip() == card.strip()), None)


class HiddenWorld:
    """The tasks, their difficulties and the seed: what only the mock models know."""

    def __init__(self, tasks: list[Task], seed: int = 0, slope: float = SLOPE) -> None:
        self.seed = seed
        self.slope = slope
        self._by_prompt = {task.spec.prompt.strip(): task for task in tasks}
        self._repeat_of: dict[str, int] = {}

    def register(self, workspace: Path, repeat: int) -> None:
        """Tell the models which repeat runs in `workspace` (Codex shows them its cwd)."""
        self._repeat_of[str(workspace)] = repeat

    def repeat_for(self, cwd: str | None) -> int:
        return self._repeat_of.get(cwd or "", 0)

    def task_for(self, prompt: str) -> Task | None:
        """The task whose prompt this is; a strict chat upstream's messages may have the
        prompt merged behind Codex's context blocks, so a known prompt inside counts."""
        exact = self._by_prompt.get(prompt.strip())
        if exact is not None:
            return exact
        inside = [known for known in self._by_prompt if known and known in prompt]
        return self._by_prompt[max(inside, key=len)] if inside else None

    def task_starting(self, text: str) -> Task | None:
        """The task whose prompt `text` starts with (a follow-up quotes it first; the
        classifier's view adds a note after it)."""
        text = text.strip()
        found = [p for p in self._by_prompt if text.startswith(p)]
        return self._by_prompt[max(found, key=len)] if found else None

    def probability(self, task: Task, model: SimModel) -> float:
        return success_probability(model.skill, task.spec.difficulty, self.slope)

    def succeeds(self, task: Task, model: SimModel, repeat: int, attempt: int = 1) -> bool:
        draw = uniform_draw(self.seed, task.name, repeat, model.slug, attempt)
        return draw < self.probability(task, model)
