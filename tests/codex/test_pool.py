"""The pure pool logic and the backend's usage headers, on a fake clock."""

from __future__ import annotations

import json

import pytest

from adapters.accounts import CredentialPool, Verdict, rotate
from adapters.base import UpstreamError
from adapters.codex.limits import (
    DEFAULT_COOLDOWN_SECONDS,
    RateLimits,
    Window,
    is_quota_answer,
    parse_rate_limits,
    quota_resets_in,
)
from tests.codex.conftest import FakeClock

NOW = 1_000_000.0


def limits(primary: float, secondary: float, weekly_reset: float) -> RateLimits:
    return RateLimits(Window(primary, NOW + 3600, 300), Window(secondary, weekly_reset, 10080))


def test_unused_accounts_come_first_then_the_weekly_window_that_resets_soonest() -> None:
    pool = CredentialPool("usage", FakeClock(NOW))
    pool.sync(["late", "soon", "fresh", "unknown"])
    pool.record_limits("late", limits(50, 50, NOW + 5 * 86400))
    pool.record_limits("soon", limits(80, 90, NOW + 86400))
    pool.record_limits("fresh", limits(0, 0, NOW + 7 * 86400))
    assert pool.candidates() == ["fresh", "unknown", "soon", "late"]


def test_the_pinned_account_goes_first_while_it_is_available() -> None:
    clock = FakeClock(NOW)
    pool = CredentialPool("usage", clock)
    pool.sync(["a", "b"])
    pool.pinned = "b"
    assert pool.candidates() == ["b", "a"]
    pool.mark_exhausted("b", NOW + 60)
    assert pool.candidates() == ["a"]
    clock.advance(60)
    assert pool.candidates() == ["b", "a"]


def test_a_full_window_exhausts_the_account_until_it_resets() -> None:
    clock = FakeClock(NOW)
    pool = CredentialPool("usage", clock)
    pool.sync(["a", "b"])
    pool.record_limits("a", RateLimits(Window(100.0, NOW + 300, 300), None))
    assert pool.candidates() == ["b"]
    assert pool.earliest_reset() == NOW + 300
    clock.advance(300)
    assert "a" in pool.candidates()


def test_round_robin_starts_one_further_each_time_and_skips_cooling_keys() -> None:
    clock = FakeClock(NOW)
    pool = CredentialPool("round_robin", clock)
    pool.sync(["key1", "key2", "key3"])
    assert [pool.candidates()[0] for _ in range(4)] == ["key1", "key2", "key3", "key1"]
    pool.mark_exhausted("key3", NOW + 30)
    assert {pool.candidates()[0] for _ in range(4)} == {"key1", "key2"}
    clock.advance(30)
    assert "key3" in pool.candidates()


def test_sync_keeps_the_state_of_members_that_stay() -> None:
    pool = CredentialPool("usage", FakeClock(NOW))
    pool.sync(["a", "b"])
    pool.mark_exhausted("a", NOW + 100)
    pool.pinned = "b"
    pool.sync(["a", "c"])
    assert pool.members == ["a", "c"]
    assert pool.state("a").exhausted_until == NOW + 100
    assert pool.pinned is None


def quota(status: int = 429) -> UpstreamError:
    return UpstreamError(status, "insufficient_quota", "limit")


async def test_rotate_moves_on_only_when_the_judge_says_so() -> None:
    pool = CredentialPool("usage", FakeClock(NOW))
    pool.sync(["a", "b", "c"])
    tried: list[str] = []

    async def attempt(member: str) -> str:
        tried.append(member)
        if member == "a":
            raise quota()
        raise UpstreamError(400, "invalid_request_error", "bad request")

    def judge(exc: UpstreamError) -> Verdict:
        if exc.status == 429:
            return Verdict(rotate=True, exhausted_until=NOW + 60)
        return Verdict(rotate=False)

    with pytest.raises(UpstreamError) as caught:
        await rotate(pool, attempt, judge, lambda _: quota())
    assert caught.value.status == 400
    assert tried == ["a", "b"]
    assert not pool.available("a")


async def test_rotate_reports_the_earliest_reset_when_every_member_is_exhausted() -> None:
    pool = CredentialPool("usage", FakeClock(NOW))
    pool.sync(["a", "b"])
    resets = {"a": NOW + 500, "b": NOW + 200}
    current: list[str] = []

    async def attempt(member: str) -> str:
        current.append(member)
        raise quota()

    def judge(exc: UpstreamError) -> Verdict:
        return Verdict(rotate=True, exhausted_until=resets[current[-1]])

    seen: list[float | None] = []

    def exhausted(earliest: float | None) -> UpstreamError:
        seen.append(earliest)
        return UpstreamError(429, "usage_limit_reached", "all out")

    with pytest.raises(UpstreamError) as caught:
        await rotate(pool, attempt, judge, exhausted)
    assert caught.value.code == "usage_limit_reached"
    assert seen == [NOW + 200]


def test_usage_headers_prefer_an_absolute_reset_time() -> None:
    headers = {
        "x-codex-primary-used-percent": "12.5",
        "x-codex-primary-reset-at": str(NOW + 99),
        "x-codex-primary-reset-after-seconds": "5",
        "x-codex-primary-window-minutes": "300",
        "x-codex-secondary-used-percent": "40",
        "x-codex-secondary-reset-after-seconds": "7200",
    }
    parsed = parse_rate_limits(headers, NOW)
    assert parsed == RateLimits(Window(12.5, NOW + 99, 300), Window(40.0, NOW + 7200, None))
    assert parse_rate_limits({"content-type": "text/event-stream"}, NOW) is None
    assert RateLimits.from_json(json.loads(json.dumps(parsed.to_json()))) == parsed  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (429, {"error": {"code": "usage_limit_reached", "resets_in_seconds": 120}}, {}, 120.0),
        (429, {"error": {"resets_at": NOW + 300}}, {"retry-after": "5"}, 300.0),
        (429, {"error": {"message": "slow down"}}, {"retry-after": "7"}, 7.0),
        (
            429,
            {},
            {
                "x-codex-secondary-used-percent": "100",
                "x-codex-secondary-reset-after-seconds": "900",
            },
            900.0,
        ),
        (429, {}, {}, DEFAULT_COOLDOWN_SECONDS),
    ],
)
def test_a_quota_answer_says_when_to_try_again(
    status: int, body: dict[str, object], headers: dict[str, str], expected: float
) -> None:
    raw = json.dumps(body).encode()
    assert is_quota_answer(status, raw)
    assert quota_resets_in(raw, headers, NOW) == expected


@pytest.mark.parametrize(
    ("status", "message", "quota_like"),
    [
        (403, "You exceeded your current quota", True),
        (400, "Rate limit reached for requests", True),
        (503, "Too Many Requests", True),
        (400, "context length exceeded", False),
        (500, "internal error", False),
    ],
)
def test_quota_answers_are_recognised_by_status_or_wording(
    status: int, message: str, quota_like: bool
) -> None:
    raw = json.dumps({"error": {"message": message}}).encode()
    assert is_quota_answer(status, raw) is quota_like
