"""Usage and cost of each upstream request, for the logs and cost reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router.settings import Settings


def usage_counts(usage: Mapping[str, Any] | None) -> dict[str, int]:
    """Token counts from a Responses `usage` object (zeros when absent)."""
    if not usage:
        return {"input_tokens": 0, "cached_tokens": 0, "output_tokens": 0, "reasoning_tokens": 0}
    input_details = usage.get("input_tokens_details") or {}
    output_details = usage.get("output_tokens_details") or {}
    return {
        "input_tokens": int(usage.get("input_tokens") or 0),
        "cached_tokens": int(input_details.get("cached_tokens") or 0),
        "output_tokens": int(usage.get("output_tokens") or 0),
        "reasoning_tokens": int(output_details.get("reasoning_tokens") or 0),
    }


def cost_usd(settings: Settings, slug: str, counts: Mapping[str, int]) -> float | None:
    """The request's cost from the model's configured price, or None if it has none."""
    model = settings.model(slug)
    if model is None or model.price is None:
        return None
    return round(
        model.price.cost(counts["input_tokens"], counts["cached_tokens"], counts["output_tokens"]),
        8,
    )
