"""Rests of credential pool members (API keys, ChatGPT accounts), shared across instances.

A member put to rest (a 429, a spent quota) is written to a deadline table under a name
that is no secret (an account id, a prefix of a key's SHA-256); before choosing, every
instance takes the rests the others wrote, so a member refused anywhere is skipped
everywhere until its reset.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from adapters.accounts import CredentialPool
from router.shared.state import SharedState


class SharedRests:
    def __init__(
        self, shared: SharedState, table: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._shared = shared
        self._table = table
        self._clock = clock

    async def pull(self, pool: CredentialPool, names: Mapping[str, str]) -> dict[str, float]:
        """Take the shared rests of `names` (pool member -> shared name) into `pool`;
        returns every member's rest as now known, for `push`."""
        rests = await self._shared.deadlines(self._table)
        known: dict[str, float] = {}
        for member, name in names.items():
            mine = pool.state(member).exhausted_until or 0.0
            until = rests.get(name, 0.0)
            if until > mine:
                pool.mark_exhausted(member, until)
            known[member] = max(mine, until)
        return known

    async def push(
        self, pool: CredentialPool, names: Mapping[str, str], before: Mapping[str, float]
    ) -> None:
        """Share the rests given out since `pull`."""
        now = self._clock()
        for member, name in names.items():
            until = pool.state(member).exhausted_until
            if until is not None and until > max(before.get(member, 0.0), now):
                await self._shared.set_deadline(self._table, name, until)
