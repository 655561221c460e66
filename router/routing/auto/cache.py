"""The per-task decision cache.

A task's decision is pinned for all its requests: tool round trips, Codex's retries and
compaction must never switch model mid-turn, so pinning is not optional. Every hit
refreshes the entry's lifetime (a sliding TTL), so a long task cannot outlive its own
decision while it keeps making requests.

What the router's `cache` setting changes is only how long a decision is remembered
once its task goes quiet. Keys are per task (a Codex turn id, or a fingerprint), so no
decision is ever shared between tasks that the key tells apart. With `cache: true` an
idle entry lives `cache_ttl` seconds; with `cache: false` it lives at most
`TURN_IDLE_SECONDS`, long enough for a slow tool call inside the turn, so the only
reuse left is within the live turn. That matters for fingerprinted clients, where an
identical new conversation would otherwise reuse an old decision.
"""

from __future__ import annotations

from collections.abc import Callable

from cachetools import TTLCache

from router.routing.auto.types import RouteDecision

TURN_IDLE_SECONDS = 1800.0
"""With `cache: false`, how long a quiet task keeps its decision (a long test run fits)."""


class DecisionCache:
    def __init__(self, *, size: int, ttl: float, keep: bool, clock: Callable[[], float]) -> None:
        lifetime = ttl if keep else min(ttl, TURN_IDLE_SECONDS)
        self._entries: TTLCache[str, RouteDecision] = TTLCache(
            maxsize=size, ttl=lifetime, timer=clock
        )

    def get(self, key: str) -> RouteDecision | None:
        """The task's decision, if still remembered; a hit restarts its lifetime."""
        decision = self._entries.get(key)
        if decision is not None:
            self._entries[key] = decision
        return decision

    def put(self, key: str, decision: RouteDecision) -> None:
        self._entries[key] = decision

    def __len__(self) -> int:
        return len(self._entries)
