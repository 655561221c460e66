"""The seam: what an instance may keep in, and read back from, state shared with others.

Every operation is best effort by contract: an implementation never raises for its
store being away and never blocks for long; it answers from what it knows instead.
Deadlines are wall-clock seconds (`time.time()`), the one clock instances share.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Literal, Protocol

from cachetools import LRUCache

Health = Literal["ok", "degraded"]

MIRROR_SIZE = 8192
"""Values (task decisions) one instance remembers by itself; older ones are forgotten."""


class SharedState(Protocol):
    kind: str
    """"local" or "redis" (shown by /health)."""
    distributed: bool
    """True when other instances see what this one writes."""

    def health(self) -> Health: ...

    async def get(self, key: str, ttl: float) -> bytes | None:
        """The value under `key`, its lifetime restarted at `ttl` seconds."""

    async def get_with_deadlines(
        self, key: str, ttl: float, table: str
    ) -> tuple[bytes | None, dict[str, float]]:
        """`get(key, ttl)` and `deadlines(table)` in one round trip (every routed request)."""

    async def put(self, key: str, value: bytes, ttl: float) -> None: ...

    async def claim(self, key: str, ttl: float) -> bool:
        """Take the lock `key` for `ttl` seconds unless someone holds it (SET NX PX)."""

    async def release(self, key: str) -> None: ...

    async def deadlines(self, key: str) -> dict[str, float]:
        """The live entries of the deadline table `key` (name -> wall-clock deadline)."""

    async def set_deadline(self, key: str, name: str, until: float) -> None: ...

    async def clear_deadline(self, key: str, name: str) -> None: ...

    async def add(self, key: str, amount: float, ttl: float) -> float:
        """Add to the counter `key` (created with a lifetime of `ttl` s); its new total."""

    async def total(self, key: str) -> float: ...

    async def add_fields(self, rows: Mapping[str, Mapping[str, float]]) -> None:
        """Add to counters of several tables at once (table -> counter -> amount)."""

    async def fields(self, key: str) -> dict[str, float]: ...

    async def aclose(self) -> None: ...


class LocalState:
    """One process's memory. Also the mirror `RedisState` serves from while Redis is away."""

    kind = "local"
    distributed = False

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._values: LRUCache[str, tuple[bytes, float]] = LRUCache(maxsize=MIRROR_SIZE)
        self._locks: dict[str, float] = {}
        self._deadlines: dict[str, dict[str, float]] = {}
        self._counters: dict[str, tuple[float, float]] = {}
        self._tables: dict[str, dict[str, float]] = {}

    def health(self) -> Health:
        return "ok"

    async def get(self, key: str, ttl: float) -> bytes | None:
        return self.get_now(key, ttl)

    def get_now(self, key: str, ttl: float) -> bytes | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        value, until = entry
        now = self._clock()
        if until <= now:
            del self._values[key]
            return None
        self._values[key] = (value, now + ttl)
        return value

    async def get_with_deadlines(
        self, key: str, ttl: float, table: str
    ) -> tuple[bytes | None, dict[str, float]]:
        return self.get_now(key, ttl), self.deadlines_now(table)

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        self.put_now(key, value, ttl)

    def put_now(self, key: str, value: bytes, ttl: float) -> None:
        self._values[key] = (value, self._clock() + ttl)

    async def claim(self, key: str, ttl: float) -> bool:
        now = self._clock()
        if self._locks.get(key, 0.0) > now:
            return False
        self._locks[key] = now + ttl
        return True

    async def release(self, key: str) -> None:
        self._locks.pop(key, None)

    async def deadlines(self, key: str) -> dict[str, float]:
        return self.deadlines_now(key)

    def deadlines_now(self, key: str) -> dict[str, float]:
        now = self._clock()
        table = self._deadlines.get(key, {})
        for name in [name for name, until in table.items() if until <= now]:
            del table[name]
        return dict(table)

    async def set_deadline(self, key: str, name: str, until: float) -> None:
        self._deadlines.setdefault(key, {})[name] = until

    def replace_deadlines(self, key: str, table: Mapping[str, float]) -> None:
        self._deadlines[key] = dict(table)

    async def clear_deadline(self, key: str, name: str) -> None:
        self._deadlines.get(key, {}).pop(name, None)

    async def add(self, key: str, amount: float, ttl: float) -> float:
        return self.add_now(key, amount, ttl)

    def add_now(self, key: str, amount: float, ttl: float) -> float:
        now = self._clock()
        total, until = self._counters.get(key, (0.0, now + ttl))
        if until <= now:
            total, until = 0.0, now + ttl
        self._counters[key] = (total + amount, until)
        return total + amount

    def set_total(self, key: str, total: float, ttl: float) -> None:
        self._counters[key] = (total, self._clock() + ttl)

    async def total(self, key: str) -> float:
        return self.total_now(key)

    def total_now(self, key: str) -> float:
        total, until = self._counters.get(key, (0.0, 0.0))
        return total if until > self._clock() else 0.0

    async def add_fields(self, rows: Mapping[str, Mapping[str, float]]) -> None:
        for key, amounts in rows.items():
            table = self._tables.setdefault(key, {})
            for name, amount in amounts.items():
                table[name] = table.get(name, 0.0) + amount

    async def fields(self, key: str) -> dict[str, float]:
        return dict(self._tables.get(key, {}))

    async def aclose(self) -> None:
        return None
