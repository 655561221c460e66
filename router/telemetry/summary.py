"""What the routing log says over a window: decisions, spend against the priciest
eligible candidate, per-model usage and latency, the latest tasks, the classifier's share.

One pure function over the log's records serves `autorouter stats` (text and plot) and
the dashboard, so the three always agree. A request's cost is the one its record carries
(the price in force when it was served), else today's configured price.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from router.settings import Settings

LATEST_TASKS = 25


@dataclass(slots=True)
class _ModelRow:
    requests: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = 0.0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    ttfts: list[float] = field(default_factory=list)


@dataclass(slots=True)
class _TaskRow:
    time: str
    task: str
    thread: str | None
    chosen: str
    reason: str
    scores: dict[str, float | None]
    eligible: list[str]
    requests: int = 0
    tokens: int = 0
    cost_usd: float | None = 0.0
    outcome: str | None = None


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_duration(text: str) -> timedelta:
    """`30m`, `12h`, `7d`, `2w` (or a bare number of hours). Raises ValueError."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    unit = units.get(text[-1:]) if text else None
    number = text[:-1] if unit else text
    try:
        amount = float(number)
    except ValueError:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30m, 12h, 7d)") from None
    if not math.isfinite(amount) or amount <= 0:
        raise ValueError(f"not a positive duration: {text!r}")
    return timedelta(seconds=amount * (unit or 3600))


def summarize(
    records: Iterable[Mapping[str, Any]],
    settings: Settings,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    buckets: int = 24,
) -> dict[str, Any]:
    """The routing log's records from `since` (all of them when None) as plain data."""
    now = now or datetime.now(UTC)
    routes: list[tuple[datetime | None, Mapping[str, Any]]] = []
    requests: list[tuple[datetime | None, Mapping[str, Any]]] = []
    for record in records:
        when = parse_time(record.get("timestamp"))
        if since is not None and (when is None or when < since):
            continue
        event = record.get("event")
        if event == "route":
            routes.append((when, record))
        elif event == "request":
            requests.append((when, record))

    times = [when for when, _ in routes + requests if when is not None]
    start = since or (min(times) if times else now - timedelta(hours=1))
    width = max((now - start).total_seconds() / buckets, 1.0)

    def bucket(when: datetime | None) -> int:
        if when is None:
            return buckets - 1
        return min(max(int((when - start).total_seconds() // width), 0), buckets - 1)

    by_model: dict[str, list[int]] = defaultdict(lambda: [0] * buckets)
    by_reason: dict[str, list[int]] = defaultdict(lambda: [0] * buckets)
    chosen: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    tasks: dict[str, _TaskRow] = {}
    classifier_calls = classifier_errors = classifier_tokens = 0
    for when, record in routes:
        slot = bucket(when)
        model, reason = str(record.get("chosen")), str(record.get("reason"))
        by_model[model][slot] += 1
        by_reason[reason][slot] += 1
        chosen[model] += 1
        reasons[reason] += 1
        if record.get("classifier_ms") is not None and not record.get("cache_hit"):
            classifier_calls += 1
            classifier_errors += bool(record.get("classifier_error"))
            classifier_tokens += _int(record.get("classifier_tokens"))
        task = record.get("task")
        if isinstance(task, str) and not record.get("cache_hit"):
            candidates = [c for c in record.get("candidates") or [] if isinstance(c, Mapping)]
            tasks[task] = _TaskRow(
                time=str(record.get("timestamp")),
                task=task,
                thread=record.get("thread") if isinstance(record.get("thread"), str) else None,
                chosen=model,
                reason=reason,
                scores={str(c.get("slug")): _score(c.get("score")) for c in candidates},
                eligible=[str(c.get("slug")) for c in candidates if c.get("eligible")],
            )

    models: dict[str, _ModelRow] = defaultdict(_ModelRow)
    actual = [0.0] * buckets
    baseline = [0.0] * buckets
    actual_total = baseline_total = 0.0
    compared = 0
    for when, record in requests:
        slug = str(record.get("slug"))
        counts = _counts(record)
        row = models[slug]
        row.requests += 1
        row.input_tokens += counts[0]
        row.cached_tokens += counts[1]
        row.output_tokens += counts[2]
        row.reasoning_tokens += _int(record.get("reasoning_tokens"))
        cost = _recorded_cost(record, settings, slug, counts)
        row.cost_usd = None if cost is None or row.cost_usd is None else row.cost_usd + cost
        row.errors += bool(record.get("error"))
        if isinstance(record.get("latency_ms"), int | float):
            row.latencies.append(float(record["latency_ms"]))
        if isinstance(record.get("ttft_ms"), int | float):
            row.ttfts.append(float(record["ttft_ms"]))
        task = tasks.get(str(record.get("task")))
        if task is not None:
            task.requests += 1
            task.tokens += counts[0] + counts[2]
            task.cost_usd = None if cost is None or task.cost_usd is None else task.cost_usd + cost
        if record.get("requested") == settings.auto_slug and task and cost is not None:
            prices = [
                p for p in (_price(settings, s, counts) for s in task.eligible) if p is not None
            ]
            if prices:
                slot = bucket(when)
                actual[slot] += cost
                baseline[slot] += max(prices)
                actual_total += cost
                baseline_total += max(prices)
                compared += 1

    classifier_cost = _classifier_cost(settings, classifier_tokens)
    spend = sum(row.cost_usd or 0.0 for row in models.values())
    return {
        "window": {"since": start.isoformat(), "until": now.isoformat()},
        "bucket_seconds": width,
        "buckets": [(start + timedelta(seconds=width * i)).isoformat() for i in range(buckets)],
        "decisions": {
            "total": len(routes),
            "by_model": dict(chosen.most_common()),
            "by_reason": dict(reasons.most_common()),
            "over_time_by_model": dict(by_model),
            "over_time_by_reason": dict(by_reason),
        },
        "spend": {
            "actual_cumulative": _cumulative(actual),
            "baseline_cumulative": _cumulative(baseline),
            "actual_usd": actual_total,
            "baseline_usd": baseline_total,
            "saving_usd": baseline_total - actual_total,
            "saving_share": (baseline_total - actual_total) / baseline_total
            if baseline_total > 0
            else None,
            "compared_requests": compared,
        },
        "models": [_model_row(slug, row) for slug, row in sorted(models.items())],
        "tasks": [
            _task_row(row)
            for row in sorted(tasks.values(), key=lambda t: t.time, reverse=True)[:LATEST_TASKS]
        ],
        "classifier": {
            "model": settings.router.classifier if settings.router else None,
            "calls": classifier_calls,
            "errors": classifier_errors,
            "tokens": classifier_tokens,
            "cost_usd": classifier_cost,
            "share_of_spend": classifier_cost / (spend + classifier_cost)
            if classifier_cost and spend + classifier_cost > 0
            else None,
        },
        "totals": {"requests": len(requests), "cost_usd": spend},
    }


def _model_row(slug: str, row: _ModelRow) -> dict[str, Any]:
    return {
        "model": slug,
        "requests": row.requests,
        "input_tokens": row.input_tokens,
        "cached_tokens": row.cached_tokens,
        "output_tokens": row.output_tokens,
        "reasoning_tokens": row.reasoning_tokens,
        "cost_usd": row.cost_usd,
        "errors": row.errors,
        "error_rate": row.errors / row.requests if row.requests else 0.0,
        "latency_p50_ms": percentile(row.latencies, 50),
        "latency_p95_ms": percentile(row.latencies, 95),
        "ttft_p50_ms": percentile(row.ttfts, 50),
        "ttft_p95_ms": percentile(row.ttfts, 95),
    }


def _task_row(row: _TaskRow) -> dict[str, Any]:
    return {
        "time": row.time,
        "task": row.task,
        "thread": row.thread,
        "chosen": row.chosen,
        "reason": row.reason,
        "scores": row.scores,
        "requests": row.requests,
        "tokens": row.tokens,
        "cost_usd": row.cost_usd,
        "outcome": row.outcome,
    }


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(pct / 100.0 * len(ordered)), 1)
    return ordered[rank - 1]


def _cumulative(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(round(total, 8))
    return out


def _classifier_cost(settings: Settings, tokens: int) -> float | None:
    # The log keeps the classifier's total tokens; nearly all of them are its prompt (the
    # answer is a line of scores), so they are priced as input.
    if not tokens or settings.router is None or not settings.router.classifier:
        return None
    model = settings.model(settings.router.classifier)
    if model is None or model.price is None:
        return None
    return model.price.cost(tokens, 0, 0)


def _recorded_cost(
    record: Mapping[str, Any], settings: Settings, slug: str, counts: tuple[int, int, int]
) -> float | None:
    cost = record.get("cost_usd")
    if isinstance(cost, int | float) and not isinstance(cost, bool):
        return float(cost)
    return _price(settings, slug, counts)


def _price(settings: Settings, slug: str, counts: tuple[int, int, int]) -> float | None:
    model = settings.model(slug)
    if model is None or model.price is None:
        return None
    return model.price.cost(*counts)


def _score(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _counts(record: Mapping[str, Any]) -> tuple[int, int, int]:
    return (
        _int(record.get("input_tokens")),
        _int(record.get("cached_tokens")),
        _int(record.get("output_tokens")),
    )
