"""Outcome records for the local scorer's tests: easy tasks every model solves, hard
ones only `max`/`strong` solves."""

from __future__ import annotations

import random

from router.learning.outcomes import OutcomeRecord

EASY = ["rename the variable", "fix the typo in the greeting", "say hi", "update the readme line"]
HARD = [
    "redesign the concurrency layer to remove the deadlock",
    "find the race condition in the distributed scheduler",
    "rewrite the parser for the whole grammar with error recovery",
]


def records(slugs: tuple[str, str, str], count: int = 120, seed: int = 1) -> list[OutcomeRecord]:
    cheap, mid, strong = slugs
    rng = random.Random(seed)
    out = []
    for n in range(count):
        hard = n % 2 == 1
        text = f"{rng.choice(HARD if hard else EASY)} in module {rng.randint(1, 50)}"
        outcomes = {cheap: not hard, mid: not hard or rng.random() < 0.3, strong: True}
        out.append(OutcomeRecord.from_text(f"task-{n}", text, cheap, outcomes, at=float(n)))
    return out
