"""The credential step between a route and an adapter call.

The dispatcher asks this module instead of the adapter directly, so the choice of
credential per attempt (a ChatGPT account from the pool, one key of several) and the
rotation on quota refusals stay out of the routing loop. Models with one plain key go
straight to their adapter.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from adapters.base import Adapter, EventBatch, Target, UpstreamStream
from router.chatgpt.models import SLUG_PREFIX
from router.routing.key_rotation import KeyRotation
from router.settings import ModelConfig, Settings

if TYPE_CHECKING:
    from router.chatgpt.service import CodexService
    from router.shared.state import SharedState


T = TypeVar("T")


class Credentials:
    def __init__(
        self,
        environ: Mapping[str, str],
        clock: Callable[[], float] = time.time,
        shared: SharedState | None = None,
    ) -> None:
        self._environ = environ
        self._clock = clock
        self._shared = shared
        self.keys = KeyRotation(environ, clock=clock, shared=shared)

    @cached_property
    def codex(self) -> CodexService:
        # Built at the first passthrough request: the ChatGPT account machinery (auth
        # files, the accounts store, the passthrough adapter) is start-up time and
        # memory a proxy without the passthrough never needs.
        from router.chatgpt.service import CodexService

        return CodexService(self._environ, clock=self._clock, shared=self._shared)

    def model(self, settings: Settings, slug: str) -> ModelConfig | None:
        """A configured model, or an automatic `codex/<model>` passthrough slug."""
        configured = settings.model(slug)
        if configured is not None or not slug.startswith(SLUG_PREFIX):
            return configured
        return self.codex.model_config(slug)

    async def stream(
        self, adapter: Adapter, body: Mapping[str, Any], target: Target, model: ModelConfig
    ) -> UpstreamStream[EventBatch]:
        if target.kind == "codex":
            return await self.codex.stream(adapter, body, target)
        return await self.keys.run(model, target, lambda t: adapter.stream(body, t))

    async def complete(
        self, adapter: Adapter, body: Mapping[str, Any], target: Target, model: ModelConfig
    ) -> dict[str, Any]:
        if target.kind == "codex":
            return await self.codex.complete(adapter, body, target)
        return await self.keys.run(model, target, lambda t: adapter.complete(body, t))

    async def with_key(
        self, model: ModelConfig, target: Target, op: Callable[[Target], Awaitable[T]]
    ) -> T:
        """`op` with this model's key (one of several, rotated on rate limits): for the
        passthroughs of a client's own dialect, which never go to the ChatGPT backend."""
        return await self.keys.run(model, target, op)
