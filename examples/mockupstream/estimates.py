"""A realistic classifier persona: noisy, biased estimates of a hidden chance of success.

The honest word-rule persona (`classifier.py`) knows only the prompt. A real LLM judge is
neither that simple nor that fair: it roughly senses how likely a model is to solve a
task, with noise, and it overrates small models. This persona plays that judge for a
harness that knows the truth (the offline benchmark's hidden difficulty model): the
harness passes a `hint`, `(task text, card) -> (probability, bias)`, and the score is

    sigmoid(logit(p) + bias + noise * z), within [0.01, 0.99]

where `z` is a standard normal draw fixed by the seed, the task text and the card, so a
rerun gets the same scores. Bias and noise are in log-odds: a positive bias is
overconfidence, strongest around even chances (a 0.4 read as 0.75 with bias 1.5), while a
hopeless task still reads as hopeless. When the hint knows nothing about a request (or no hint is given),
the persona falls back to the word rules, deterministic, which the tests and the demo
use. The model's reply is the same JSON either way: `{"scores": {"A": 0.81, ...}}`.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Callable
from typing import Any

from examples.mockupstream.classifier import IMAGE_TASK, card_score, read_prompt, task_difficulty
from examples.mockupstream.replies import Reply, Text

Hint = Callable[[str, str], tuple[float, float] | None]
"""(task text, card text) -> (hidden probability of success, the judge's bias), or None."""


def noisy_estimate(probability: float, bias: float, noise: float, z: float) -> float:
    p = min(1 - 1e-6, max(1e-6, probability))
    score = 1.0 / (1.0 + math.exp(-(math.log(p / (1 - p)) + bias + noise * z)))
    return round(min(0.99, max(0.01, score)), 4)


def normal_draw(seed: int, task: str, card: str) -> float:
    digest = hashlib.sha256(f"{seed}\x00{task}\x00{card}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big")).gauss(0.0, 1.0)


class EstimatingClassifier:
    """Register with `mock.on(classifier_slug, EstimatingClassifier(hint))`."""

    def __init__(self, hint: Hint | None = None, *, noise: float = 0.4, seed: int = 0) -> None:
        self.hint = hint
        self.noise = noise
        self.seed = seed

    def __call__(self, body: dict[str, Any]) -> Reply:
        task, cards = read_prompt(body)
        scores = {label: self.score(task, card) for label, card in cards.items()}
        return Text(json.dumps({"scores": scores}), chunks=1)

    def score(self, task: str, card: str) -> float:
        known = self.hint(task, card) if self.hint is not None else None
        if known is None:
            return card_score(task_difficulty(task), card, bool(IMAGE_TASK.search(task)))
        probability, bias = known
        return noisy_estimate(probability, bias, self.noise, normal_draw(self.seed, task, card))
