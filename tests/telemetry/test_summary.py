"""The routing log summarised over a window: the numbers `stats`, its plot and the
dashboard all show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from router.telemetry.summary import parse_duration, percentile, summarize
from tests.router.auto.helpers import make_settings

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")


def route(task: str, chosen: str, minutes_ago: float, **extra: Any) -> dict[str, Any]:
    return {
        "event": "route",
        "timestamp": at(minutes_ago),
        "task": task,
        "thread": f"thread-{task}",
        "chosen": chosen,
        "reason": "scored",
        "cache_hit": False,
        "classifier_ms": 20.0,
        "classifier_tokens": 1000,
        "classifier_error": None,
        "candidates": [
            {"slug": "mini", "score": 0.9, "eligible": True},
            {"slug": "max", "score": 0.95, "eligible": True},
        ],
        **extra,
    }


def request(task: str, slug: str, minutes_ago: float, **extra: Any) -> dict[str, Any]:
    return {
        "event": "request",
        "timestamp": at(minutes_ago),
        "requested": "codex-auto",
        "task": task,
        "slug": slug,
        "status": "completed",
        "latency_ms": 100.0,
        "input_tokens": 1_000_000,
        "cached_tokens": 0,
        "output_tokens": 0,
        "reasoning_tokens": 0,
        **extra,
    }


def test_a_window_counts_only_its_records_and_buckets_them_in_time() -> None:
    records = [
        route("old", "max", 300),
        request("old", "max", 300),
        route("a", "mini", 50),
        request("a", "mini", 50),
        route("a", "mini", 40, reason="cache_hit", cache_hit=True),
        request("a", "mini", 40, latency_ms=300.0, ttft_ms=50.0),
        route("b", "max", 5),
        request("b", "max", 5, error="rate_limited", status=429),
    ]
    summary = summarize(
        records, make_settings(), since=NOW - timedelta(hours=1), now=NOW, buckets=6
    )
    assert summary["totals"]["requests"] == 3
    assert summary["decisions"]["by_model"] == {"mini": 2, "max": 1}
    assert summary["decisions"]["by_reason"] == {"scored": 2, "cache_hit": 1}
    assert summary["decisions"]["over_time_by_model"]["mini"] == [0, 1, 1, 0, 0, 0]
    assert summary["decisions"]["over_time_by_model"]["max"] == [0, 0, 0, 0, 0, 1]
    mini = next(row for row in summary["models"] if row["model"] == "mini")
    assert mini["requests"] == 2 and mini["latency_p50_ms"] == 100.0
    assert mini["latency_p95_ms"] == 300.0 and mini["ttft_p50_ms"] == 50.0
    top = next(row for row in summary["models"] if row["model"] == "max")
    assert top["errors"] == 1 and top["error_rate"] == 1.0
    assert [t["task"] for t in summary["tasks"]] == ["b", "a"]
    assert summary["tasks"][1]["requests"] == 2 and summary["tasks"][1]["thread"] == "thread-a"
    # Two classifier calls in the window (the cache hit made none), priced as input.
    assert summary["classifier"]["calls"] == 2
    assert summary["classifier"]["cost_usd"] == pytest.approx(2 * 1000 * 0.1 / 1e6)


def test_the_saving_is_against_the_priciest_eligible_candidate() -> None:
    records = [
        route("a", "mini", 30),
        request("a", "mini", 30),
        request("a", "mini", 20),
        route("b", "max", 10),
        request("b", "max", 10),
    ]
    spend = summarize(records, make_settings(), now=NOW, buckets=3)["spend"]
    # 1M input tokens: mini 0.25, max 5.0 USD.
    assert spend["actual_usd"] == pytest.approx(0.25 * 2 + 5.0)
    assert spend["baseline_usd"] == pytest.approx(5.0 * 3)
    assert spend["saving_share"] == pytest.approx(1 - 5.5 / 15)
    assert spend["actual_cumulative"][-1] == pytest.approx(5.5)
    assert spend["baseline_cumulative"] == sorted(spend["baseline_cumulative"])


def test_a_recorded_cost_wins_over_todays_price() -> None:
    records = [route("a", "mini", 5), request("a", "mini", 5, cost_usd=0.125)]
    summary = summarize(records, make_settings(), now=NOW)
    assert summary["models"][0]["cost_usd"] == 0.125


def test_an_empty_log_summarises_to_zeros() -> None:
    summary = summarize([], make_settings(), now=NOW)
    assert summary["totals"] == {"requests": 0, "cost_usd": 0}
    assert summary["spend"]["saving_share"] is None and summary["tasks"] == []


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("12h", 43200), ("7d", 604800), ("2", 7200)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "soon", "-3h", "0d", "nanh"])
def test_bad_durations_say_so(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50), st.floats(1, 100))
def test_a_percentile_is_one_of_the_values_and_grows_with_the_rank(
    values: list[float], pct: float
) -> None:
    value = percentile(values, pct)
    assert value in values
    assert value is not None and value <= (percentile(values, 100) or 0)
