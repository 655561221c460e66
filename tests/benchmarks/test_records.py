"""A run's share of the routing log: found by position and session, summed exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.harness.codex_runner import CodexUsage
from benchmarks.harness.records import LogCursor, belongs, summarize, task_session
from benchmarks.harness.runner import usage_check

SESSION = "01a1ffd1-abc8-75c2-97b8-86d6f78e6e00"
OTHER = "0199aaaa-0000-7000-8000-000000000000"


def request(
    task: str | None, slug: str, tokens: tuple[int, int, int, int], cost: float | None
) -> dict[str, Any]:
    input_tokens, cached, output, reasoning = tokens
    return {
        "event": "request",
        "task": task,
        "slug": slug,
        "status": "completed",
        "input_tokens": input_tokens,
        "cached_tokens": cached,
        "output_tokens": output,
        "reasoning_tokens": reasoning,
        "cost_usd": cost,
    }


def route(task: str, *, cache_hit: bool, tokens: int = 300) -> dict[str, Any]:
    return {
        "event": "route",
        "task": task,
        "chosen": "cheap",
        "cache_hit": cache_hit,
        "classifier_ms": 12.0,
        "classifier_tokens": tokens,
    }


def write(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("a") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")


def test_task_keys_name_their_session() -> None:
    assert task_session(f"codex:{SESSION}:turn-1") == SESSION
    assert task_session(f"codex:{SESSION}/child-thread:turn-1") == SESSION
    assert task_session(f"fp:{SESSION}:abcdef") == SESSION
    assert belongs({"task": None}, SESSION)
    assert not belongs({"task": f"codex:{OTHER}:t"}, SESSION)


def test_token_sums_match_the_proxy_records_of_the_run(tmp_path: Path) -> None:
    log = tmp_path / "routing.jsonl"
    write(log, [request(None, "strong", (999, 0, 9, 0), 1.0)])  # an earlier run
    cursor = LogCursor(log)
    start = cursor.position()
    task = f"codex:{SESSION}:turn-1"
    mine = [
        route(task, cache_hit=False, tokens=346),
        request(task, "cheap", (5796, 1000, 4, 0), 0.0005),
        route(task, cache_hit=True),
        request(task, "cheap", (5985, 2000, 97, 70), 0.0006),
        request(f"codex:{OTHER}:t", "cheap", (50, 0, 5, 0), 0.5),  # not this session
    ]
    write(log, mine)
    usage = summarize(cursor.read_since(start), SESSION, classifier_usd_per_token=0.05e-6)
    assert (usage.requests, usage.input_tokens, usage.cached_tokens) == (2, 11781, 3000)
    assert (usage.output_tokens, usage.reasoning_tokens) == (101, 70)
    assert usage.model_cost_usd == pytest.approx(0.0011)
    assert (usage.classifier_calls, usage.classifier_tokens) == (1, 346)
    assert usage.classifier_cost_usd == pytest.approx(346 * 0.05e-6)
    assert usage.cost_usd == pytest.approx(0.0011 + 346 * 0.05e-6)
    assert usage.models == ["cheap"]


def test_requests_without_a_task_count_by_position(tmp_path: Path) -> None:
    """A concrete slug's requests are logged with `task: null`: the run owns them all."""
    log = tmp_path / "routing.jsonl"
    cursor = LogCursor(log)
    write(log, [request(None, "mid", (100, 0, 10, 0), 0.01)] * 3)
    usage = summarize(cursor.read_since(0), SESSION, None)
    assert (usage.requests, usage.input_tokens, usage.classifier_calls) == (3, 300, 0)


def test_a_half_written_line_is_not_read_yet(tmp_path: Path) -> None:
    log = tmp_path / "routing.jsonl"
    write(log, [request(None, "mid", (1, 0, 1, 0), 0.0)])
    with log.open("a") as handle:
        handle.write('{"event": "request", "inp')
    assert len(LogCursor(log).read_since(0)) == 1


def test_unpriced_models_are_counted_not_guessed(tmp_path: Path) -> None:
    usage = summarize([request(None, "local", (10, 0, 1, 0), None)], None, None)
    assert usage.unpriced_requests == 1 and usage.cost_usd == 0


def test_the_usage_check_compares_with_what_codex_reports() -> None:
    proxy = summarize([request(None, "cheap", (100, 10, 5, 2), 0.0)], None, None)
    assert usage_check(proxy, CodexUsage(100, 10, 5, 2, turns=1)) == "match"
    assert usage_check(proxy, CodexUsage(101, 10, 5, 2, turns=1)) == "mismatch"
    assert usage_check(proxy, CodexUsage()) == "no_codex_usage"
