"""Several API keys for one BYOK model: round robin, and a cooldown for a key that hits 429.

A model whose `api_keys` resolves to two or more keys spreads its requests over them,
one key further along per request. A key answered with HTTP 429 (or a quota refusal)
before the first byte rests until `Retry-After` says (a minute when it does not) and the
same request is retried with the next key. Pool members are named `key1`, `key2`...,
never by the key, so nothing secret reaches a log line.

With a distributed shared state, a key put to rest is written there under a prefix of
its SHA-256, and every instance reads those rests before choosing a key, so a key
refused on one instance is skipped by all of them.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from adapters.accounts import CredentialPool, Verdict, rotate
from adapters.base import Target, UpstreamError
from router.settings import ModelConfig

if TYPE_CHECKING:
    from router.shared.state import SharedState

from router.shared.rests import SharedRests

DEFAULT_COOLDOWN_SECONDS = 60.0
T = TypeVar("T")


def resolved_keys(model: ModelConfig, environ: Mapping[str, str]) -> list[str]:
    """Every key of `api_keys` that resolves now (unset `${VAR}`s are skipped)."""
    keys: list[str] = []
    for template in model.api_keys:
        single = model.model_copy(update={"api_key": template, "api_key_env": None, "api_keys": []})
        key = single.resolve_api_key(environ)
        if key and key not in keys:
            keys.append(key)
    return keys


def _cooldown(exc: UpstreamError, now: float) -> float | None:
    if exc.status != 429 and exc.code not in ("rate_limit_exceeded", "insufficient_quota"):
        return None
    try:
        seconds = float(exc.retry_after) if exc.retry_after else DEFAULT_COOLDOWN_SECONDS
    except ValueError:
        seconds = DEFAULT_COOLDOWN_SECONDS
    return now + max(seconds, 1.0)


class KeyRotation:
    def __init__(
        self,
        environ: Mapping[str, str],
        clock: Callable[[], float] = time.time,
        shared: SharedState | None = None,
    ) -> None:
        self._environ = environ
        self._clock = clock
        self._shared = shared if shared is not None and shared.distributed else None
        self._pools: dict[str, tuple[tuple[str, ...], CredentialPool]] = {}

    def _pool(self, slug: str, keys: list[str]) -> CredentialPool:
        digests = tuple(hashlib.sha256(key.encode()).hexdigest() for key in keys)
        known = self._pools.get(slug)
        if known is not None and known[0] == digests:
            return known[1]
        pool = CredentialPool("round_robin", self._clock)
        pool.sync(f"key{i + 1}" for i in range(len(keys)))
        self._pools[slug] = (digests, pool)
        return pool

    async def run(
        self, model: ModelConfig, target: Target, op: Callable[[Target], Awaitable[T]]
    ) -> T:
        """`op(target)` with this model's next key; other keys on a rate-limit refusal."""
        keys = resolved_keys(model, self._environ)
        if len(keys) < 2 or model.api_key is not None or model.api_key_env is not None:
            return await op(target)
        pool = self._pool(model.slug, keys)
        before = await self._pull_rests(model.slug, pool)

        async def attempt(member: str) -> T:
            return await op(replace(target, api_key=keys[int(member[3:]) - 1]))

        def judge(exc: UpstreamError) -> Verdict:
            until = _cooldown(exc, self._clock())
            return Verdict(rotate=until is not None, exhausted_until=until)

        def exhausted(earliest: float | None) -> UpstreamError:
            wait = math.ceil(max((earliest or self._clock()) - self._clock(), 1.0))
            return UpstreamError(
                429,
                "rate_limit_exceeded",
                f"every API key of {model.slug!r} is rate limited; the first is free again "
                f"in {wait} s",
                retry_after=str(wait),
                fallback_ok=True,
            )

        try:
            return await rotate(pool, attempt, judge, exhausted)
        finally:
            await self._push_rests(model.slug, pool, before)

    def _names(self, slug: str) -> dict[str, str]:
        """Pool member -> the shared name of its key (a prefix of the key's SHA-256)."""
        return {f"key{i + 1}": digest[:16] for i, digest in enumerate(self._pools[slug][0])}

    async def _pull_rests(self, slug: str, pool: CredentialPool) -> dict[str, float]:
        if self._shared is None:
            return {}
        return await SharedRests(self._shared, f"keys:{slug}").pull(pool, self._names(slug))

    async def _push_rests(self, slug: str, pool: CredentialPool, before: dict[str, float]) -> None:
        if self._shared is not None:
            await SharedRests(self._shared, f"keys:{slug}").push(pool, self._names(slug), before)
