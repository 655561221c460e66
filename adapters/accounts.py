"""Credential pools: which account or key serves the next request, and rotation.

A pool holds members by id (an account id, or `key1`, `key2`... for API keys: never the
secret itself). Two strategies share the same bookkeeping:

- `usage` (Codex accounts): the pinned account first, then accounts that have not yet
  started any usage window (starting one costs nothing we could save), then the others by
  how soon their weekly window resets (capacity that is about to be renewed anyway is the
  cheapest to spend).
- `round_robin` (several API keys of one BYOK model): each request starts one member
  further along.

A member that answers with a quota or rate-limit error before the first byte is exhausted
until its reset time and the request moves on to the next member (`rotate`); an
exhausted member comes back by itself once the clock passes its reset. Everything here is
pure bookkeeping over an injected clock, so tests need no sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

from adapters.base import UpstreamError
from adapters.codex.limits import RateLimits

Strategy = Literal["usage", "round_robin"]
Clock = Callable[[], float]
T = TypeVar("T")

MAX_ATTEMPTS = 5


@dataclass(slots=True)
class MemberState:
    limits: RateLimits | None = None
    exhausted_until: float | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one failed attempt means for the pool."""

    rotate: bool
    """Try the next member."""
    exhausted_until: float | None = None
    """Leave this member alone until then (epoch seconds)."""


class CredentialPool:
    def __init__(self, strategy: Strategy, clock: Clock = time.time) -> None:
        self.strategy: Strategy = strategy
        self._clock = clock
        self._order: list[str] = []
        self._states: dict[str, MemberState] = {}
        self._cursor = 0
        self.pinned: str | None = None

    @property
    def members(self) -> list[str]:
        return list(self._order)

    def sync(self, members: Iterable[str]) -> None:
        """Make the pool exactly `members`, in that order, keeping known members' state."""
        self._order = list(dict.fromkeys(members))
        self._states = {m: self._states.get(m, MemberState()) for m in self._order}
        if self.pinned not in self._states:
            self.pinned = None

    def state(self, member: str) -> MemberState:
        return self._states.setdefault(member, MemberState())

    def available(self, member: str) -> bool:
        until = self.state(member).exhausted_until
        return until is None or until <= self._clock()

    def record_limits(self, member: str, limits: RateLimits) -> None:
        """Usage an answer reported; a full window exhausts the member until it resets."""
        state = self.state(member)
        state.limits = limits
        state.exhausted_until = limits.exhausted_until(self._clock())

    def mark_exhausted(self, member: str, until: float) -> None:
        self.state(member).exhausted_until = until

    def earliest_reset(self) -> float | None:
        """When the first exhausted member comes back."""
        now = self._clock()
        times = [
            s.exhausted_until
            for m, s in self._states.items()
            if m in self._order and s.exhausted_until is not None and s.exhausted_until > now
        ]
        return min(times) if times else None

    def candidates(self) -> list[str]:
        """Available members, best first. For round robin, each call moves the start."""
        available = [m for m in self._order if self.available(m)]
        if not available:
            return []
        if self.strategy == "round_robin":
            start = self._cursor % len(available)
            self._cursor += 1
            return available[start:] + available[:start]
        position = {m: i for i, m in enumerate(self._order)}
        ranked = sorted(available, key=lambda m: (*self._rank(m), position[m]))
        if self.pinned in ranked:
            ranked.remove(self.pinned)
            ranked.insert(0, self.pinned)
        return ranked

    def _rank(self, member: str) -> tuple[int, float]:
        limits = self.state(member).limits
        if limits is None or limits.unused:
            return (0, 0.0)
        weekly = limits.secondary or limits.primary
        resets = weekly.resets_at if weekly is not None else None
        return (1, resets if resets is not None else float("inf"))


async def rotate(
    pool: CredentialPool,
    attempt: Callable[[str], Awaitable[T]],
    judge: Callable[[UpstreamError], Verdict],
    exhausted: Callable[[float | None], UpstreamError],
    *,
    max_attempts: int = MAX_ATTEMPTS,
) -> T:
    """Run `attempt` with the best member, moving on while `judge` says so.

    `attempt` must raise `UpstreamError` only before its first byte: whatever it returns
    is the answer. When no member is left, the error is `exhausted(earliest reset)` if
    every member is out of quota, else the last member's own error.
    """
    tried: set[str] = set()
    last_error: UpstreamError | None = None
    for _ in range(max_attempts):
        choices = [m for m in pool.candidates() if m not in tried]
        if not choices:
            break
        member = choices[0]
        tried.add(member)
        try:
            return await attempt(member)
        except UpstreamError as exc:
            verdict = judge(exc)
            if verdict.exhausted_until is not None:
                pool.mark_exhausted(member, verdict.exhausted_until)
            if not verdict.rotate:
                raise
            last_error = exc
    if all(not pool.available(m) for m in pool.members) and pool.members:
        raise exhausted(pool.earliest_reset())
    if last_error is not None:
        raise last_error
    raise exhausted(pool.earliest_reset())
