"""Reading decisions back: a table for one decision, a summary of the routing log.

`format_decision_table` serves `autorouter route` (and anyone debugging one decision);
`summarize_routing_log` serves `autorouter stats`; `route_prompt` decides for a typed
prompt without touching the task cache.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from router.routing.auto.router import AutoRouter
from router.routing.auto.types import RouteDecision
from router.settings import Settings

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
    header = ("", "candidate", "cost", "score", "eligible / why not")
    rows = [header]
    for row in decision.candidates:
        rows.append(
            (
                "*" if row.slug == decision.chosen else "",
                row.slug,
                _cost(row.cost),
                "-" if row.score is None else f"{row.score:.2f}",
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
    lines.append(f"fallbacks:  {', '.join(decision.order[1:]) or '(none)'}")
    lines.append(f"classifier: {_classifier(decision)}")
    return "\n".join(lines)


@dataclass(slots=True)
class _ModelUsage:
    requests: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost: float | None = 0.0


def summarize_routing_log(records: Iterable[Mapping[str, Any]], settings: Settings) -> str:
    """Decisions per model and reason, usage and cost per model, and the saving.

    The saving compares each Auto request's actual cost with the same token counts
    priced at the priciest candidate that was eligible for its task's decision.
    """
    chosen: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    eligible_by_task: dict[str, list[str]] = {}
    requests: list[Mapping[str, Any]] = []
    for record in records:
        event = record.get("event")
        if event == "route":
            chosen[str(record.get("chosen"))] += 1
            reasons[str(record.get("reason"))] += 1
            task = record.get("task")
            if isinstance(task, str):
                eligible_by_task[task] = [
                    str(c.get("slug"))
                    for c in record.get("candidates") or []
                    if isinstance(c, Mapping) and c.get("eligible")
                ]
        elif event == "request":
            requests.append(record)

    usage: dict[str, _ModelUsage] = defaultdict(_ModelUsage)
    actual_total = baseline_total = 0.0
    compared = 0
    for record in requests:
        slug = str(record.get("slug"))
        counts = _counts(record)
        entry = usage[slug]
        entry.requests += 1
        entry.input_tokens += counts[0]
        entry.cached_tokens += counts[1]
        entry.output_tokens += counts[2]
        entry.reasoning_tokens += _int(record.get("reasoning_tokens"))
        cost = _price(settings, slug, counts)
        entry.cost = None if cost is None or entry.cost is None else entry.cost + cost
        eligible = eligible_by_task.get(str(record.get("task")))
        if record.get("requested") == settings.auto_slug and eligible and cost is not None:
            prices = [p for p in (_price(settings, s, counts) for s in eligible) if p is not None]
            if prices:
                actual_total += cost
                baseline_total += max(prices)
                compared += 1

    lines = ["Decisions per model:"]
    lines += _counter_lines(chosen) or ["  (no route decisions in the log)"]
    lines += ["", "Decisions per reason:"]
    lines += _counter_lines(reasons) or ["  (none)"]
    lines += ["", "Requests, tokens and cost per model:"]
    if usage:
        lines.append(
            f"  {'model':<24} {'requests':>8} {'input':>10} {'cached':>10} "
            f"{'output':>10} {'reasoning':>10} {'cost USD':>10}"
        )
        for slug, entry in sorted(usage.items()):
            cost_text = "no price" if entry.cost is None else f"{entry.cost:.4f}"
            lines.append(
                f"  {slug:<24} {entry.requests:>8} {entry.input_tokens:>10} "
                f"{entry.cached_tokens:>10} {entry.output_tokens:>10} "
                f"{entry.reasoning_tokens:>10} {cost_text:>10}"
            )
    else:
        lines.append("  (no requests in the log)")
    lines += ["", "Saving against always using the priciest eligible candidate of each decision"]
    lines.append("(the same token counts priced at that model's configured price):")
    if compared:
        saving = baseline_total - actual_total
        share = f" ({saving / baseline_total:.0%})" if baseline_total > 0 else ""
        lines.append(
            f"  actual {actual_total:.4f} USD vs {baseline_total:.4f} USD: "
            f"saved {saving:.4f} USD{share} over {compared} Auto requests"
        )
    else:
        lines.append("  (no priced Auto requests with a logged decision)")
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


def _counter_lines(counter: Counter[str]) -> list[str]:
    return [f"  {name:<24} {count:>6}" for name, count in counter.most_common()]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _counts(record: Mapping[str, Any]) -> tuple[int, int, int]:
    return (
        _int(record.get("input_tokens")),
        _int(record.get("cached_tokens")),
        _int(record.get("output_tokens")),
    )


def _price(settings: Settings, slug: str, counts: tuple[int, int, int]) -> float | None:
    model = settings.model(slug)
    if model is None or model.price is None:
        return None
    return model.price.cost(*counts)
