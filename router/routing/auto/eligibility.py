"""Which Auto candidates can serve a request at all, and why the others cannot.

Two hard limits, checked before the classifier is asked anything: an image task needs
an image-capable model, and the request must fit the model's context window. A window
of None means unknown, and unknown is given the benefit of the doubt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from router.routing.auto.policy import IMAGE_REASON
from router.routing.auto.types import ScoredCandidate


@dataclass(frozen=True, slots=True)
class CandidateSpec:
    """What the router knows about one configured candidate, in configuration order."""

    slug: str
    cost: float
    supports_images: bool
    context_limit: int | None
    card: str


def assess(
    specs: Sequence[CandidateSpec], *, image: bool, request_tokens: int
) -> tuple[ScoredCandidate, ...]:
    """One unscored row per candidate, ineligible ones carrying every reason they fail."""
    return tuple(_assess_one(spec, image, request_tokens) for spec in specs)


def _assess_one(spec: CandidateSpec, image: bool, request_tokens: int) -> ScoredCandidate:
    reasons = []
    if image and not spec.supports_images:
        reasons.append(IMAGE_REASON)
    if spec.context_limit is not None and spec.context_limit < request_tokens:
        reasons.append(f"context {spec.context_limit} < request ~{request_tokens} tokens")
    return ScoredCandidate(
        slug=spec.slug,
        cost=spec.cost,
        eligible=not reasons,
        why_not="; ".join(reasons) or None,
    )
