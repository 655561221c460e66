"""The simulated backends and the settings that point the proxy at them."""

from __future__ import annotations

from typing import Any

from benchmarks.harness.tasks import Task
from benchmarks.sim.agent import SimAgent
from benchmarks.sim.world import MODELS, HiddenWorld
from examples.mockupstream import MockUpstream, classifier_handler

CLASSIFIER = "sim-classifier"
AUTO = "codex-auto"
THRESHOLD = 0.7


def sim_settings(mock: MockUpstream) -> dict[str, Any]:
    """Settings for the proxy: the sim models with rising prices, a classifier, Auto."""

    def chat(slug: str, price_input: float, price_output: float) -> dict[str, Any]:
        return {
            "slug": slug,
            "model": slug,
            "provider": "generic-chat-completion-api",
            "base_url": mock.base_url,
            "api_key": "sim-no-key",
            "no_image_support": True,
            "price": {"input": price_input, "output": price_output},
        }

    models = [chat(m.slug, m.price_input, m.price_output) for m in MODELS]
    models.append(chat(CLASSIFIER, 0.05, 0.2))
    return {
        "models": models,
        "router": {
            "enabled": True,
            "slug": AUTO,
            "classifier": CLASSIFIER,
            "threshold": THRESHOLD,
            "default": MODELS[1].slug,
            "candidates": [{"slug": m.slug, "cost": m.price_input, "card": m.card} for m in MODELS],
        },
    }


def install(mock: MockUpstream, tasks: list[Task], seed: int) -> HiddenWorld:
    """Register the classifier persona and one `SimAgent` per model on `mock`."""
    world = HiddenWorld(tasks, seed)
    mock.on(CLASSIFIER, classifier_handler)
    for model in MODELS:
        mock.on(model.slug, SimAgent(world, model))
    return world
