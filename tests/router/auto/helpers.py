"""Stand-ins shared by the Auto router tests: settings, a scripted classifier, a clock."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from adapters.base import UpstreamError
from router.routing.task import TaskKey
from router.settings import Settings, parse_settings

CARDS = {
    "mini": "Small fast model for simple edits and questions.",
    "mid": "Solid general coding model for everyday work.",
    "max": "Strongest model for hard multi-file refactors and tricky debugging.",
}


COSTS = {"mini": 1.0, "mid": 4.0, "max": 20.0}


def make_settings(costs: dict[str, float] | None = None, **router: Any) -> Settings:
    """Three candidates (mini < mid < max in cost) and a separate classifier model."""
    cost = costs or COSTS
    data: dict[str, Any] = {
        "models": [
            {
                "model": "mini",
                "provider": "openai",
                "no_image_support": True,
                "max_context_limit": 32000,
                "price": {"input": 0.25, "output": 2.0},
            },
            {
                "model": "mid",
                "provider": "openai",
                "max_context_limit": 200000,
                "price": {"input": 1.25, "output": 10.0},
            },
            {"model": "max", "provider": "anthropic", "price": {"input": 5.0, "output": 25.0}},
            {"model": "judge", "provider": "openai", "price": {"input": 0.1, "output": 0.4}},
        ],
        "router": {
            "classifier": "judge",
            "candidates": [
                {"slug": slug, "cost": cost[slug], "card": card} for slug, card in CARDS.items()
            ],
            **router,
        },
    }
    return parse_settings(data)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def response(text: str, *, input_tokens: int = 120, output_tokens: int = 30) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "output": [
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text}],
            }
        ],
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
    }


class ScriptedClassifier:
    """A `call_model` that scores by slug, answering under the labels it was shown.

    `scores` maps slug -> score; a slug left out is left out of the answer too. `text`
    replaces the answer verbatim; `error` is raised instead; `hang` never answers.
    """

    def __init__(
        self,
        scores: dict[str, float] | None = None,
        *,
        text: str | None = None,
        error: Exception | None = None,
        hang: bool = False,
    ) -> None:
        self.scores = scores or {}
        self.text = text
        self.error = error
        self.hang = hang
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.gate: asyncio.Event | None = None

    async def __call__(self, slug: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((slug, body))
        if self.hang:
            await asyncio.Event().wait()
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        if self.text is not None:
            return response(self.text)
        labels = shown_labels(body)
        answer = {label: self.scores[slug] for label, slug in labels.items() if slug in self.scores}
        return response(json.dumps({"scores": answer}))


def shown_labels(body: dict[str, Any]) -> dict[str, str]:
    """label -> slug, read back from the cards in the classifier request."""
    prompt = body["input"][-1]["content"][0]["text"]
    by_card = {card: slug for slug, card in CARDS.items()}
    found = {}
    for label, card in re.findall(r"^([A-Z]+): (.+)$", prompt, re.MULTILINE):
        if card in by_card:
            found[label] = by_card[card]
    return found


def server_error() -> UpstreamError:
    return UpstreamError(500, "server_error", "upstream exploded", fallback_ok=True)


def user_body(text: str = "rename a variable", *, image: bool = False) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "input_text", "text": text}]
    if image:
        content.append({"type": "input_image", "image_url": "data:image/png;base64,AAAA"})
    return {
        "model": "codex-auto",
        "input": [{"type": "message", "role": "user", "content": content}],
    }


def fresh_key(turn: str = "turn-1", *, kind: str = "turn") -> TaskKey:
    return TaskKey(f"codex:session:{turn}", "session", "session", turn, kind, "codex")  # type: ignore[arg-type]
