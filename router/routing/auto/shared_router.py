"""The Auto router across instances: one decision per task, whichever instance asks.

Each instance keeps its own `AutoRouter` (its cache answers most requests); this wrapper
keeps them in step through the shared state. Before a request is routed it reads the
task's shared decision and the shared cooldowns (so a model put to rest anywhere is
skipped here). A task nobody has decided yet is decided under a short lock (SET NX PX):
the instance that takes it asks the classifier and publishes the decision; one that
finds the lock taken waits for that decision instead of asking again. If the holder
goes away, its lock runs out and the next waiter decides.

Decisions are stored under a hash of the router block, so instances running different
router settings never hand each other decisions. Used only when the shared state is
distributed; a single instance uses the `AutoRouter` as it is.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from router.routing.auto.cache import TURN_IDLE_SECONDS
from router.routing.auto.router import AutoRouter
from router.routing.auto.types import RouteDecision, ScoredCandidate
from router.routing.task import TaskKey
from router.settings import RouterConfig, Settings
from router.shared.state import SharedState
from router.telemetry.logs import get_logger

log = get_logger("autorouter.shared")

COOLDOWNS = "auto:cooldowns"
LOCK_MARGIN = 2.0
"""Seconds a decision lock outlives the classifier timeout (the holder's own work)."""
POLL_INTERVAL = 0.01
"""How often a waiting instance looks for the lock holder's decision."""


class SharedAutoRouter:
    def __init__(
        self, auto: AutoRouter, shared: SharedState, clock: Callable[[], float] = time.time
    ) -> None:
        self.inner = auto
        self._shared = shared
        self._clock = clock
        self._background: set[asyncio.Future[None]] = set()
        self._namespace_for: RouterConfig | None = None
        self._namespace = ""

    @property
    def config(self) -> RouterConfig:
        return self.inner.config

    # -- decisions ---------------------------------------------------------------------

    async def decide(self, key: TaskKey, body: Mapping[str, Any]) -> RouteDecision:
        # The common case, a task's later round trip, costs this one round trip.
        raw, cooldowns = await self._shared.get_with_deadlines(
            self._decision_key(key.value), self._ttl(), COOLDOWNS
        )
        self._load_cooldowns(cooldowns)
        known = self._remember(key.value, raw)
        if key.kind == "compaction":
            return await self.inner.decide_compaction(key, body)
        if known:
            decision = await self.inner.decide(key, body)
            if decision.reason == "fallback":
                # The task's model is cooling down and the task moved on for good (see
                # `AutoRouter._from_cache`): every instance must serve it from there.
                self._in_background(
                    self._shared.put(self._decision_key(key.value), _encode(decision), self._ttl())
                )
            return decision
        # Shielded: a client that goes away must not leave the lock held or the
        # decision unpublished for the instances waiting on it.
        return await asyncio.shield(asyncio.ensure_future(self._decide_once(key, body)))

    async def decide_compaction(self, key: TaskKey, body: Mapping[str, Any]) -> RouteDecision:
        await self._pull_cooldowns()
        await self._pull_decision(key.value)
        return await self.inner.decide_compaction(key, body)

    async def preview(self, body: Mapping[str, Any]) -> RouteDecision:
        return await self.inner.preview(body)

    def fallbacks(self, decision: RouteDecision) -> list[str]:
        return self.inner.fallbacks(decision)

    def report_failure(self, slug: str) -> None:
        self.inner.report_failure(slug)
        seconds = self.inner.cooldowns.seconds
        if seconds > 0:
            until = self._clock() + seconds
            self._in_background(self._shared.set_deadline(COOLDOWNS, slug, until))

    def report_success(self, slug: str) -> None:
        # Only a model that was resting costs a write; a success is the common case.
        was_cooling = self.inner.cooldowns.cooling(slug)
        self.inner.report_success(slug)
        if was_cooling:
            self._in_background(self._shared.clear_deadline(COOLDOWNS, slug))

    def update_settings(self, settings: Settings) -> None:
        self.inner.update_settings(settings)

    async def aclose(self) -> None:
        """Let the cooldown writes still in flight finish."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    # -- internals ---------------------------------------------------------------------

    async def _decide_once(self, key: TaskKey, body: Mapping[str, Any]) -> RouteDecision:
        task = key.value
        hold = self.config.classifier_timeout + LOCK_MARGIN
        lock = f"{self._space()}:lock:{task}"
        deadline = time.monotonic() + hold
        while time.monotonic() < deadline:
            if await self._shared.claim(lock, hold):
                try:
                    # The holder before us may have published between our read and claim.
                    if await self._pull_decision(task):
                        return await self.inner.decide(key, body)
                    decision = await self.inner.decide(key, body)
                    await self._shared.put(self._decision_key(task), _encode(decision), self._ttl())
                    return decision
                finally:
                    await self._shared.release(lock)
            await asyncio.sleep(POLL_INTERVAL)
            if await self._pull_decision(task):
                return await self.inner.decide(key, body)
        log.warning("shared_decision_wait_expired", task=task, waited_s=hold)
        return await self.inner.decide(key, body)

    async def _pull_decision(self, task: str) -> bool:
        """Take the task's shared decision into the local cache; False if there is none."""
        return self._remember(task, await self._shared.get(self._decision_key(task), self._ttl()))

    def _remember(self, task: str, raw: bytes | None) -> bool:
        decision = _decode(raw) if raw is not None else None
        if decision is None:
            return False
        self.inner.remember(task, decision)
        return True

    async def _pull_cooldowns(self) -> None:
        self._load_cooldowns(await self._shared.deadlines(COOLDOWNS))

    def _load_cooldowns(self, table: Mapping[str, float]) -> None:
        now = self._clock()
        self.inner.cooldowns.load({slug: until - now for slug, until in table.items()})

    def _decision_key(self, task: str) -> str:
        return f"{self._space()}:decision:{task}"

    def _space(self) -> str:
        config = self.config
        if config is not self._namespace_for:
            digest = hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:12]
            self._namespace, self._namespace_for = f"auto:{digest}", config
        return self._namespace

    def _ttl(self) -> float:
        config = self.config
        return config.cache_ttl if config.cache else min(config.cache_ttl, TURN_IDLE_SECONDS)

    def _in_background(self, write: Any) -> None:
        future = asyncio.ensure_future(write)
        self._background.add(future)
        future.add_done_callback(self._background.discard)


def _encode(decision: RouteDecision) -> bytes:
    return orjson.dumps(dataclasses.asdict(decision))


def _decode(raw: bytes) -> RouteDecision | None:
    try:
        data = orjson.loads(raw)
        data["candidates"] = tuple(ScoredCandidate(**row) for row in data["candidates"])
        data["order"] = tuple(data["order"])
        return RouteDecision(**data)
    except (ValueError, TypeError, KeyError):
        log.warning("shared_decision_unreadable")
        return None
