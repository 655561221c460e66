"""Reading decisions back: a table for one decision, a summary of the routing log.

`format_decision_table` serves `autorouter route` (and anyone debugging one decision);
`summarize_routing_log` serves `autorouter stats`; `route_prompt` decides for a typed
prompt without touching the task cache.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from router.routing.auto.router import AutoRouter
from router.routing.auto.types import RouteDecision
from router.settings import Settings
from router.telemetry.summary import summarize

# A 1x1 transparent PNG: enough for eligibility to see "an image", nothing more.
_TINY_PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)

_REASONS = {
    "cache_hit": "the task's earlier decision, from the cache",
    "scored": "the cheapest eligible candidate whose score reached the threshold",
    "below_threshold": "no score reached the threshold; the highest-scoring eligible candidate",
    "classifier_failed": "the classifier failed; the default (or cheapest eligible) candidate",
    "fallback": "the chosen model failed; the next candidate in the fallback order",
    "compaction": "compaction: the task's model, else the compaction model or default",
    "escalated": "the thread's previous task failed; the cheapest candidate priced above its model",
    "local": "the local scorer was confident the cheapest eligible candidate succeeds",
}


async def route_prompt(auto: AutoRouter, prompt: str, image: bool) -> RouteDecision:
    """How Auto would route `prompt` as a new task (with an image part if `image`).

    Calls the classifier for real, but neither reads nor fills the task cache."""
    content: list[dict[str, Any]] = [{"type": "input_text", "text": prompt}]
    if image:
        content.append({"type": "input_image", "image_url": _TINY_PNG, "detail": "auto"})
    body = {
        "model": auto.config.slug,
        "input": [{"type": "message", "role": "user", "content": content}],
        "stream": False,
    }
    return await auto.preview(body)


def format_decision_table(decision: RouteDecision) -> str:
    """A fixed-width table of one decision, then why, the threshold and the classifier."""
    calibrated = bool(decision.calibration)
    header: tuple[str, ...] = ("", "candidate", "cost", "score", "eligible / why not")
    if calibrated:
        header = ("", "candidate", "cost", "raw", "calibrated", "eligible / why not")
    rows = [header]
    for row in decision.candidates:
        scores = ["-" if row.score is None else f"{row.score:.2f}"]
        if calibrated:
            scores.insert(0, "-" if row.raw_score is None else f"{row.raw_score:.2f}")
        rows.append(
            (
                "*" if row.slug == decision.chosen else "",
                row.slug,
                _cost(row.cost),
                *scores,
                _why(row.eligible, row.why_not),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(r[:-1], widths, strict=False))
        + "  "
        + r[-1]
        for r in rows
    ]
    lines = [line.rstrip() for line in lines]
    lines.append("")
    lines.append(f"task:       {decision.task}")
    lines.append(f"chosen:     {decision.chosen}")
    lines.append(f"reason:     {decision.reason} ({_REASONS.get(decision.reason, '')})")
    lines.append(f"threshold:  {decision.threshold:.2f}")
    if calibrated:
        lines.append(
            f"calibration: version {decision.calibration} (the threshold reads calibrated)"
        )
    if decision.escalated_from:
        lines.append(f"escalated:  {decision.escalated_from} failed the thread's previous task")
    lines.append(f"fallbacks:  {', '.join(decision.order[1:]) or '(none)'}")
    lines.append(f"classifier: {_classifier(decision)}")
    lines.append(f"scorer:     {decision.scorer or 'none'}")
    return "\n".join(lines)


def summarize_routing_log(
    records: Iterable[Mapping[str, Any]], settings: Settings, *, since: datetime | None = None
) -> str:
    """Decisions per model and reason, usage and cost per model, and the saving.

    The saving compares each Auto request's actual cost with the same token counts
    priced at the priciest candidate that was eligible for its task's decision.
    """
    summary = summarize(records, settings, since=since)
    decisions = summary["decisions"]
    lines = ["Decisions per model:"]
    lines += _counter_lines(decisions["by_model"]) or ["  (no route decisions in the log)"]
    lines += ["", "Decisions per reason:"]
    lines += _counter_lines(decisions["by_reason"]) or ["  (none)"]
    lines += ["", "Requests, tokens and cost per model:"]
    if summary["models"]:
        lines.append(
            f"  {'model':<24} {'requests':>8} {'input':>10} {'cached':>10} "
            f"{'output':>10} {'reasoning':>10} {'cost USD':>10}"
        )
        for row in summary["models"]:
            cost = row["cost_usd"]
            cost_text = "no price" if cost is None else f"{cost:.4f}"
            lines.append(
                f"  {row['model']:<24} {row['requests']:>8} {row['input_tokens']:>10} "
                f"{row['cached_tokens']:>10} {row['output_tokens']:>10} "
                f"{row['reasoning_tokens']:>10} {cost_text:>10}"
            )
    else:
        lines.append("  (no requests in the log)")
    lines += ["", "Saving against always using the priciest eligible candidate of each decision"]
    lines.append("(the same token counts priced at that model's configured price):")
    spend = summary["spend"]
    if spend["compared_requests"]:
        share = f" ({spend['saving_share']:.0%})" if spend["saving_share"] is not None else ""
        lines.append(
            f"  actual {spend['actual_usd']:.4f} USD vs {spend['baseline_usd']:.4f} USD: "
            f"saved {spend['saving_usd']:.4f} USD{share} over {spend['compared_requests']} "
            "Auto requests"
        )
    else:
        lines.append("  (no priced Auto requests with a logged decision)")
    classifier = summary["classifier"]
    if classifier["calls"]:
        cost = classifier["cost_usd"]
        spent = "" if cost is None else f", about {cost:.4f} USD"
        share = classifier["share_of_spend"]
        of_spend = "" if share is None else f" ({share:.1%} of the spend)"
        lines += [
            "",
            f"Classifier: {classifier['calls']} calls, {classifier['errors']} failed, "
            f"{classifier['tokens']} tokens{spent}{of_spend}",
        ]
    return "\n".join(lines)


# -- helpers -------------------------------------------------------------------------


def _cost(cost: float) -> str:
    return f"{cost:g}" if math.isfinite(cost) else "-"


def _why(eligible: bool, why_not: str | None) -> str:
    if eligible:
        return f"yes ({why_not})" if why_not else "yes"
    return f"no: {why_not or 'not eligible'}"


def _classifier(decision: RouteDecision) -> str:
    parts = []
    if decision.classifier_ms is not None:
        parts.append(f"{decision.classifier_ms:.0f} ms")
    if decision.classifier_tokens is not None:
        parts.append(f"{decision.classifier_tokens} tokens")
    if decision.classifier_error:
        parts.append(f"failed: {decision.classifier_error}")
    if not parts:
        return "not called" if not decision.cache_hit else "not called (cached decision)"
    return ", ".join(parts)


def _counter_lines(counts: Mapping[str, int]) -> list[str]:
    return [f"  {name:<24} {count:>6}" for name, count in counts.items()]
