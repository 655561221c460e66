"""Figures from the soak's outcomes: per-fault table, goals, and the JSON record."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from benchmarks.soak.faults import MID_STREAM, PRE_FIRST_BYTE, Fault
from benchmarks.soak.load import Outcome

RETRYABLE = frozenset({"server_error", "rate_limit_exceeded"})
LOST = frozenset({"lost", "malformed", "untyped_error"})
"""Outcomes without a well-formed terminal event or a typed error."""
RSS_GROWTH_GOAL = 0.10


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def expected(outcome: Outcome) -> bool:
    """Whether a request ended the way its fault should make it end."""
    if outcome.fault in MID_STREAM:
        return outcome.outcome == "failed" and outcome.code in RETRYABLE
    return outcome.outcome == "completed"


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def fault_rows(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    rows = []
    for fault in Fault:
        mine = [o for o in outcomes if o.fault is fault]
        if not mine:
            continue
        kinds = Counter(o.outcome for o in mine)
        latencies = [o.latency for o in mine]
        rows.append(
            {
                "fault": fault.value,
                "requests": len(mine),
                "completed": kinds["completed"],
                "failed_retryable": sum(
                    1 for o in mine if o.outcome == "failed" and o.code in RETRYABLE
                ),
                "other_typed": sum(
                    1
                    for o in mine
                    if o.outcome in ("failed", "incomplete", "http_error")
                    and not (o.outcome == "failed" and o.code in RETRYABLE)
                ),
                "via_fallback": sum(1 for o in mine if o.reason == "fallback"),
                "lost": sum(kinds[k] for k in LOST),
                "hung": kinds["hung"],
                "as_expected": sum(1 for o in mine if expected(o)),
                "p50_ms": _ms(percentile(latencies, 50)),
                "p95_ms": _ms(percentile(latencies, 95)),
            }
        )
    return rows


def summarize(outcomes: Sequence[Outcome], elapsed: float, extra: dict[str, Any]) -> dict[str, Any]:
    clean = [o.latency for o in outcomes if o.fault is Fault.NONE]
    faulty = [o.latency for o in outcomes if o.fault is not Fault.NONE]
    pre = [o for o in outcomes if o.fault in PRE_FIRST_BYTE]
    recovered = sum(1 for o in pre if o.outcome == "completed")
    kinds = Counter(o.outcome for o in outcomes)
    rss = extra["rss"]
    growth = (rss["end"] - rss["start"]) / rss["start"]
    established = sum(
        states.get("ESTABLISHED", 0) for states in extra["upstream_sockets_end"].values()
    )
    goals = {
        "hung == 0": kinds["hung"] == 0,
        "lost == 0": sum(kinds[k] for k in LOST) == 0,
        "pre-first-byte recovered 100%": recovered == len(pre),
        "upstream ESTABLISHED at end == 0": established == 0,
        f"RSS growth < {RSS_GROWTH_GOAL:.0%}": growth < RSS_GROWTH_GOAL,
        "every request ended as its fault should": all(expected(o) for o in outcomes),
    }
    return {
        "requests": len(outcomes),
        "elapsed_s": round(elapsed, 1),
        "requests_per_s": round(len(outcomes) / elapsed, 1),
        "outcomes": dict(kinds),
        "hung": kinds["hung"],
        "lost": sum(kinds[k] for k in LOST),
        "pre_first_byte": {"faults": len(pre), "recovered": recovered},
        "latency_ms": {
            "without_faults": {
                "p50": _ms(percentile(clean, 50)),
                "p95": _ms(percentile(clean, 95)),
            },
            "with_faults": {"p50": _ms(percentile(faulty, 50)), "p95": _ms(percentile(faulty, 95))},
        },
        "rss_mb": {key: round(value / 2**20, 1) for key, value in rss.items()},
        "rss_growth": round(growth, 4),
        "upstream_established_end": established,
        "by_fault": fault_rows(outcomes),
        "unexpected_sample": [
            {
                "fault": o.fault.value,
                "outcome": o.outcome,
                "status": o.status,
                "code": o.code,
                "model": o.model,
                "reason": o.reason,
            }
            for o in outcomes
            if not expected(o)
        ][:20],
        "goals": goals,
        **{key: value for key, value in extra.items() if key != "rss"},
    }


def table(summary: dict[str, Any]) -> str:
    columns = [
        ("fault", 9),
        ("requests", 8),
        ("completed", 9),
        ("failed_retryable", 16),
        ("other_typed", 11),
        ("via_fallback", 12),
        ("lost", 4),
        ("hung", 4),
        ("as_expected", 11),
        ("p50_ms", 8),
        ("p95_ms", 8),
    ]
    lines = ["  ".join(name.rjust(width) for name, width in columns)]
    for row in summary["by_fault"]:
        lines.append("  ".join(str(row[name]).rjust(width) for name, width in columns))
    latency = summary["latency_ms"]
    rss = summary["rss_mb"]
    pre = summary["pre_first_byte"]
    sockets = summary["upstream_sockets_end"]
    lines += [
        "",
        f"requests {summary['requests']} in {summary['elapsed_s']} s "
        f"({summary['requests_per_s']} req/s), concurrency {summary['concurrency']}",
        f"hung {summary['hung']}   lost (no terminal event / malformed / untyped) "
        f"{summary['lost']}",
        f"pre-first-byte faults recovered through fallback: {pre['recovered']}/{pre['faults']}",
        f"latency p50/p95 ms: without faults {latency['without_faults']['p50']}/"
        f"{latency['without_faults']['p95']}, with faults {latency['with_faults']['p50']}/"
        f"{latency['with_faults']['p95']}",
        f"CPU ms per request: proxy {summary['cpu_ms_per_request']['proxy']}, "
        f"mock upstream {summary['cpu_ms_per_request']['mock']}",
        f"proxy RSS MB: cold {rss['cold']}, start {rss['start']}, end {rss['end']}, "
        f"peak {rss['peak']} (growth start->end {summary['rss_growth']:.1%})",
        "proxy sockets to upstreams at end: "
        + ", ".join(f"{name} {dict(states) or 0}" for name, states in sockets.items()),
        "",
    ]
    for goal, met in summary["goals"].items():
        lines.append(f"  [{'ok' if met else 'MISSED'}] {goal}")
    return "\n".join(lines)
