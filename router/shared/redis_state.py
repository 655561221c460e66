"""`SharedState` on one Redis, for several instances behind a load balancer.

Every operation has a tight timeout. The first one that fails marks Redis as away: from
then on the instance answers from its local mirror without waiting (decisions,
cooldowns, counters), remembers what it wrote, reports itself `degraded`, warns at most
once a minute, and pings in the background. When Redis answers again the writes it
missed are replayed (decisions only where no other instance made one meanwhile, counter
increments added to the shared totals) and sharing resumes.

redis-py's asyncio client is an optional dependency (`codex-autorouter[team]`); this
module is imported only when `state.redis_url` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from router.shared.state import Health, LocalState
from router.telemetry.logs import get_logger

log = get_logger("autorouter.shared")

WARNING_INTERVAL = 60.0
"""Seconds between two warnings that Redis is away."""
RECONNECT_INTERVAL = 1.0

_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
T = TypeVar("T")


class _Away(Exception):
    """Redis did not answer in time; the caller serves from the mirror."""


class RedisState:
    kind = "redis"
    distributed = True

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 0.25,
        prefix: str = "autorouter:",
        reconnect_interval: float = RECONNECT_INTERVAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
        self._timeout = timeout
        self._prefix = prefix
        self._reconnect_interval = reconnect_interval
        self._mirror = LocalState(clock)
        self._clock = clock
        self._token = uuid.uuid4().hex
        self._up = True
        self._last_warning = -math.inf
        self._reconnecting: asyncio.Task[None] | None = None
        self._missed_values: dict[str, tuple[bytes, float]] = {}
        self._missed_deadlines: dict[tuple[str, str], float | None] = {}
        self._missed_adds: dict[str, tuple[float, float]] = {}
        self._missed_fields: dict[str, dict[str, float]] = {}

    def health(self) -> Health:
        return "ok" if self._up else "degraded"

    # -- the operations ------------------------------------------------------------------

    async def get(self, key: str, ttl: float) -> bytes | None:
        try:
            raw = await self._run(lambda r: r.getex(self._prefix + key, px=_ms(ttl)))
        except _Away:
            return self._mirror.get_now(key, ttl)
        value = raw.encode() if isinstance(raw, str) else raw
        if value is not None:
            self._mirror.put_now(key, value, ttl)
        return value

    async def get_with_deadlines(
        self, key: str, ttl: float, table: str
    ) -> tuple[bytes | None, dict[str, float]]:
        async def both(r: Redis) -> list[Any]:
            pipe = r.pipeline(transaction=False)
            pipe.getex(self._prefix + key, px=_ms(ttl))
            pipe.hgetall(self._prefix + table)
            results: list[Any] = await pipe.execute()
            return results

        try:
            raw, deadlines = await self._run(both)
        except _Away:
            return self._mirror.get_now(key, ttl), self._mirror.deadlines_now(table)
        value = raw.encode() if isinstance(raw, str) else raw
        if value is not None:
            self._mirror.put_now(key, value, ttl)
        return value, self._mirror_deadlines(table, deadlines)

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        self._mirror.put_now(key, value, ttl)
        try:
            await self._run(lambda r: r.set(self._prefix + key, value, px=_ms(ttl)))
        except _Away:
            self._missed_values[key] = (value, ttl)

    async def claim(self, key: str, ttl: float) -> bool:
        try:
            taken = await self._run(
                lambda r: r.set(self._prefix + key, self._token, nx=True, px=_ms(ttl))
            )
        except _Away:
            return await self._mirror.claim(key, ttl)
        return bool(taken)

    async def release(self, key: str) -> None:
        await self._mirror.release(key)
        # Unreleased, the lock runs out by itself.
        with contextlib.suppress(_Away):
            await self._run(lambda r: r.eval(_RELEASE, 1, self._prefix + key, self._token))

    async def deadlines(self, key: str) -> dict[str, float]:
        try:
            raw = await self._run(lambda r: r.hgetall(self._prefix + key))
        except _Away:
            return self._mirror.deadlines_now(key)
        return self._mirror_deadlines(key, raw)

    def _mirror_deadlines(self, key: str, raw: Mapping[Any, Any]) -> dict[str, float]:
        """The live entries of a deadline table read from Redis, kept in the mirror too."""
        now = self._clock()
        table = {_text(name): float(until) for name, until in raw.items()}
        live = {name: until for name, until in table.items() if until > now}
        self._mirror.replace_deadlines(key, live)
        return live

    async def set_deadline(self, key: str, name: str, until: float) -> None:
        await self._mirror.set_deadline(key, name, until)
        try:
            await self._run(lambda r: r.hset(self._prefix + key, name, repr(until)))
        except _Away:
            self._missed_deadlines[(key, name)] = until

    async def clear_deadline(self, key: str, name: str) -> None:
        await self._mirror.clear_deadline(key, name)
        try:
            await self._run(lambda r: r.hdel(self._prefix + key, name))
        except _Away:
            self._missed_deadlines[(key, name)] = None

    async def add(self, key: str, amount: float, ttl: float) -> float:
        local = self._mirror.add_now(key, amount, ttl)
        try:
            total = await self._run(lambda r: _add(r, self._prefix + key, amount, ttl))
        except _Away:
            before, _ = self._missed_adds.get(key, (0.0, ttl))
            self._missed_adds[key] = (before + amount, ttl)
            return local
        self._mirror.set_total(key, total, ttl)
        return total

    async def total(self, key: str) -> float:
        try:
            raw = await self._run(lambda r: r.get(self._prefix + key))
        except _Away:
            return self._mirror.total_now(key)
        return float(raw) if raw is not None else 0.0

    async def add_fields(self, rows: Mapping[str, Mapping[str, float]]) -> None:
        await self._mirror.add_fields(rows)
        try:
            await self._run(lambda r: _add_fields(r, self._prefix, rows))
        except _Away:
            for key, amounts in rows.items():
                missed = self._missed_fields.setdefault(key, {})
                for name, amount in amounts.items():
                    missed[name] = missed.get(name, 0.0) + amount

    async def fields(self, key: str) -> dict[str, float]:
        try:
            raw = await self._run(lambda r: r.hgetall(self._prefix + key))
        except _Away:
            return await self._mirror.fields(key)
        return {_text(name): float(value) for name, value in raw.items()}

    async def aclose(self) -> None:
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        await self._client.aclose()

    # -- being away and coming back -----------------------------------------------------

    async def _run(self, op: Callable[[Redis], Awaitable[T]]) -> T:
        if not self._up:
            raise _Away
        try:
            # The socket timeouts bound each read and connect; this bounds the whole call.
            return await asyncio.wait_for(op(self._client), self._timeout * 2)
        except (RedisError, OSError, TimeoutError) as exc:
            self._went_away(exc)
            raise _Away from None

    def _went_away(self, exc: BaseException) -> None:
        self._up = False
        now = time.monotonic()
        if now - self._last_warning >= WARNING_INTERVAL:
            self._last_warning = now
            log.warning(
                "shared_state_unavailable",
                error=f"{type(exc).__name__}: {exc}",
                serving="from local state until Redis answers again",
            )
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.ensure_future(self._reconnect())

    async def _reconnect(self) -> None:
        while True:
            await asyncio.sleep(self._reconnect_interval)
            try:
                # Connections opened before Redis went away are dead; start afresh.
                await self._client.connection_pool.disconnect()
                await asyncio.wait_for(self._client.ping(), self._timeout * 2)
                await asyncio.wait_for(self._replay(), self._timeout * 4)
            except (RedisError, OSError, TimeoutError):
                continue
            self._up = True
            log.info("shared_state_restored")
            return

    async def _replay(self) -> None:
        """Send what was written while Redis was away; entries leave once sent."""
        for key, (value, ttl) in list(self._missed_values.items()):
            # Another instance may have decided meanwhile; its decision wins.
            await self._client.set(self._prefix + key, value, nx=True, px=_ms(ttl))
            del self._missed_values[key]
        for (key, name), until in list(self._missed_deadlines.items()):
            if until is None:
                await self._client.hdel(self._prefix + key, name)
            else:
                await self._client.hset(self._prefix + key, name, repr(until))
            del self._missed_deadlines[(key, name)]
        for key, (amount, ttl) in list(self._missed_adds.items()):
            await _add(self._client, self._prefix + key, amount, ttl)
            del self._missed_adds[key]
        if self._missed_fields:
            await _add_fields(self._client, self._prefix, self._missed_fields)
            self._missed_fields = {}


async def _add(client: Redis, key: str, amount: float, ttl: float) -> float:
    pipe = client.pipeline(transaction=True)
    pipe.incrbyfloat(key, amount)
    pipe.expire(key, max(int(ttl), 1), nx=True)
    results: list[Any] = await pipe.execute()
    return float(results[0])


async def _add_fields(client: Redis, prefix: str, rows: Mapping[str, Mapping[str, float]]) -> None:
    pipe = client.pipeline(transaction=False)
    for key, amounts in rows.items():
        for name, amount in amounts.items():
            pipe.hincrbyfloat(prefix + key, name, amount)
    await pipe.execute()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _ms(seconds: float) -> int:
    return max(int(seconds * 1000), 1)
