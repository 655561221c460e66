"""The simulated backends and the settings that point the proxy at them."""

from __future__ import annotations

from typing import Any

from benchmarks.harness.tasks import Task
from benchmarks.sim.agent import SimAgent
from benchmarks.sim.world import MODELS, HiddenWorld, model_for_card
from examples.mockupstream import EstimatingClassifier, MockUpstream

CLASSIFIER = "sim-classifier"
AUTO = "codex-auto"
THRESHOLD = 0.7
DEFAULT_BIAS = 1.5
"""How much the judge overrates the cheapest model, in log-odds added to its chance (see
examples/mockupstream/estimates.py); it falls linearly with the price rank to 0 for the
priciest model."""
DEFAULT_NOISE = 0.4
"""The judge's noise, in log-odds (standard deviation)."""


def sim_settings(
    mock: MockUpstream,
    *,
    calibrate: bool = False,
    escalation: int = 0,
    threshold: float = THRESHOLD,
) -> dict[str, Any]:
    """Settings for the proxy: the sim models with rising prices, a classifier, Auto.
    Calibration and escalation are off unless asked for: each bench route says which."""

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
            "threshold": threshold,
            "default": MODELS[1].slug,
            "candidates": [{"slug": m.slug, "cost": m.price_input, "card": m.card} for m in MODELS],
            "calibrate": calibrate,
            "escalation": escalation,
        },
    }


def bias_by_model(bias: float) -> dict[str, float]:
    """The judge's overconfidence per model: `bias` for the cheapest, 0 for the priciest."""
    ranked = sorted(MODELS, key=lambda m: (m.price_output, m.price_input))
    last = max(len(ranked) - 1, 1)
    return {m.slug: round(bias * (last - i) / last, 6) for i, m in enumerate(ranked)}


def judge(
    world: HiddenWorld, bias: float = DEFAULT_BIAS, noise: float = DEFAULT_NOISE
) -> EstimatingClassifier:
    """The classifier: noisy, biased estimates of the hidden chance each model succeeds."""
    biases = bias_by_model(bias)

    def hint(task_text: str, card: str) -> tuple[float, float] | None:
        task = world.task_starting(task_text)
        model = model_for_card(card)
        if task is None or model is None:
            return None
        return world.probability(task, model), biases[model.slug]

    return EstimatingClassifier(hint, noise=noise, seed=world.seed)


def install(
    mock: MockUpstream,
    tasks: list[Task],
    seed: int,
    *,
    bias: float = DEFAULT_BIAS,
    noise: float = DEFAULT_NOISE,
) -> HiddenWorld:
    """Register the classifier persona and one `SimAgent` per model on `mock`."""
    world = HiddenWorld(tasks, seed)
    mock.on(CLASSIFIER, judge(world, bias, noise))
    for model in MODELS:
        mock.on(model.slug, SimAgent(world, model))
    return world
