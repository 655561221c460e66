"""Explaining decisions: the table, the stats summary and `route`'s preview."""

from __future__ import annotations

from typing import Any

from router.routing.auto.explain import format_decision_table, route_prompt, summarize_routing_log
from router.routing.auto.router import AutoRouter
from router.routing.auto.types import RouteDecision, ScoredCandidate
from tests.router.auto.helpers import ScriptedClassifier, fresh_key, make_settings, user_body


def decision(**changes: Any) -> RouteDecision:
    base = RouteDecision(
        task="codex:s:t1",
        chosen="mid",
        reason="scored",
        candidates=(
            ScoredCandidate("mini", 1, None, False, "no image support"),
            ScoredCandidate("mid", 4, 0.82, True, None),
            ScoredCandidate("max", 20, 0.97, True, None),
        ),
        threshold=0.7,
        order=("mid", "max"),
        classifier_ms=812.4,
        classifier_tokens=431,
    )
    return RouteDecision(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})


def test_the_table_shows_each_candidate_and_marks_the_choice() -> None:
    table = format_decision_table(decision())
    lines = table.splitlines()
    assert lines[0].split() == ["candidate", "cost", "score", "eligible", "/", "why", "not"]
    assert lines[1].split() == ["mini", "1", "-", "no:", "no", "image", "support"]
    assert lines[2].split() == ["*", "mid", "4", "0.82", "yes"]
    assert lines[3].split() == ["max", "20", "0.97", "yes"]
    assert "reason:     scored (the cheapest eligible candidate" in table
    assert "threshold:  0.70" in table
    assert "fallbacks:  max" in table
    assert "classifier: 812 ms, 431 tokens" in table


def test_the_table_reports_a_classifier_failure() -> None:
    table = format_decision_table(
        decision(
            reason="classifier_failed",
            classifier_error="timed out after 5s",
            classifier_tokens=None,
        )
    )
    assert "classifier: 812 ms, failed: timed out after 5s" in table
    assert "reason:     classifier_failed" in table


def test_columns_line_up() -> None:
    lines = format_decision_table(decision()).splitlines()[:4]
    starts = {line.index("yes") if "yes" in line else line.index("no:") for line in lines[1:]}
    assert len(starts) == 1


async def test_route_prompt_decides_without_the_cache() -> None:
    call = ScriptedClassifier({"mini": 0.9, "mid": 0.9, "max": 0.9})
    auto = AutoRouter(make_settings(), call)
    text_only = await route_prompt(auto, "rename a variable", image=False)
    with_image = await route_prompt(auto, "what is in this screenshot?", image=True)
    assert text_only.chosen == "mini"
    assert with_image.chosen == "mid"
    assert not (await auto.decide(fresh_key(), user_body())).cache_hit


def route(task: str, eligible: list[str], chosen: str, reason: str = "scored") -> dict[str, Any]:
    return {
        "event": "route",
        "task": task,
        "chosen": chosen,
        "reason": reason,
        "candidates": [
            {"slug": s, "score": 0.9, "eligible": s in eligible, "why_not": None}
            for s in ("mini", "mid", "max")
        ],
    }


def request(task: str, slug: str, input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "event": "request",
        "requested": "codex-auto",
        "slug": slug,
        "task": task,
        "input_tokens": input_tokens,
        "cached_tokens": 0,
        "output_tokens": output_tokens,
        "reasoning_tokens": 5,
        "status": "completed",
    }


def test_stats_count_decisions_usage_cost_and_the_saving() -> None:
    records = [
        route("t1", ["mini", "mid", "max"], "mini"),
        request("t1", "mini", 1_000_000, 0),  # 0.25 USD; max would be 5.00
        route("t1", ["mini", "mid", "max"], "mini", "cache_hit"),
        request("t1", "mini", 1_000_000, 0),
        route("t2", ["mid"], "mid"),  # only mid was eligible: no saving possible
        request("t2", "mid", 0, 100_000),  # 1.00 USD
        {"event": "request", "requested": "mid", "slug": "mid", "task": None, "input_tokens": 7},
        {"event": "something_else"},
    ]
    summary = summarize_routing_log(records, make_settings())
    assert "  mini" in summary and "cache_hit" in summary
    lines = summary.splitlines()
    usage_table = lines[lines.index("Requests, tokens and cost per model:") + 1 :]
    assert usage_table[0].split() == [
        "model", "requests", "input", "cached", "output", "reasoning", "cost", "USD",
    ]  # fmt: skip
    assert usage_table[1].split() == ["mid", "2", "7", "0", "100000", "5", "1.0000"]
    assert usage_table[2].split() == ["mini", "2", "2000000", "0", "0", "10", "0.5000"]
    assert "priciest eligible candidate of each decision" in summary
    assert "the same token counts priced at that model's configured price" in summary
    # actual 0.25 + 0.25 + 1.00 = 1.50; baseline 5.00 + 5.00 + 1.00 = 11.00
    assert (
        "actual 1.5000 USD vs 11.0000 USD: saved 9.5000 USD (86%) over 3 Auto requests" in summary
    )


def test_stats_on_an_empty_log_say_so() -> None:
    summary = summarize_routing_log([], make_settings())
    assert "(no route decisions in the log)" in summary
    assert "(no requests in the log)" in summary
    assert "(no priced Auto requests with a logged decision)" in summary


def test_stats_mark_models_without_a_price() -> None:
    settings = make_settings()
    records = [{"event": "request", "requested": "x", "slug": "unknown", "input_tokens": 3}]
    assert "no price" in summarize_routing_log(records, settings)
