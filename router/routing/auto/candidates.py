"""What the settings say about Auto's candidates: the router block, each candidate's
eligibility facts, and what a cached decision depends on."""

from __future__ import annotations

import math
from typing import Any

from router.routing.auto.eligibility import CandidateSpec
from router.settings import RouterConfig, Settings


def router_config(settings: Settings) -> RouterConfig:
    """The Auto block, or a disabled one when the settings have none."""
    return settings.router if settings.router is not None else RouterConfig(enabled=False)


def candidate_specs(
    settings: Settings, config: RouterConfig, extra: str | None
) -> list[CandidateSpec]:
    """What eligibility needs of each candidate, plus `extra` (a default or compaction
    model that is not a candidate; it has no relative cost, shown as infinite)."""
    specs = []
    for candidate in config.candidates:
        model = settings.model(candidate.slug)
        specs.append(
            CandidateSpec(
                slug=candidate.slug,
                cost=candidate.cost,
                # Both must agree: the candidate entry may narrow what the model can do,
                # and a model configured without image support cannot take one anyway.
                supports_images=candidate.supports_images
                and (model is None or model.supports_images),
                context_limit=model.max_context_limit if model is not None else None,
                card=candidate.card,
            )
        )
    if extra is not None and all(spec.slug != extra for spec in specs):
        model = settings.model(extra)
        if model is not None:
            specs.append(
                CandidateSpec(
                    slug=extra,
                    cost=math.inf,
                    supports_images=model.supports_images,
                    context_limit=model.max_context_limit,
                    card="",
                )
            )
    return specs


def decision_inputs(settings: Settings) -> tuple[Any, ...]:
    """Everything a cached decision depends on: when it changes, the cache goes."""
    config = settings.router
    if config is None:
        return (None,)
    slugs = [c.slug for c in config.candidates]
    slugs += [s for s in (config.default, config.compaction_model) if s is not None]
    limits = []
    for slug in slugs:
        model = settings.model(slug)
        limits.append(
            (slug, model.max_context_limit, model.supports_images) if model is not None else slug
        )
    return (config, tuple(limits))
