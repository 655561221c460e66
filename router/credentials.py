"""The credential step between a route and an adapter call.

The dispatcher asks this module instead of the adapter directly, so the choice of
credential per attempt (a ChatGPT account from the pool, one key of several) and the
rotation on quota refusals stay out of the routing loop. Models with one plain key go
straight to their adapter.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from adapters.base import EventBatch, Target
from router.codex_service import CodexService
from router.key_rotation import KeyRotation
from router.settings import ModelConfig, Settings


class Credentials:
    def __init__(self, environ: Mapping[str, str], clock: Callable[[], float] = time.time) -> None:
        self.codex = CodexService(environ, clock=clock)
        self.keys = KeyRotation(environ, clock=clock)

    def model(self, settings: Settings, slug: str) -> ModelConfig | None:
        """A configured model, or an automatic `codex/<model>` passthrough slug."""
        return settings.model(slug) or self.codex.model_config(slug)

    async def stream(
        self, adapter: Any, body: Mapping[str, Any], target: Target, model: ModelConfig
    ) -> AsyncIterator[EventBatch]:
        if target.kind == "codex":
            return await self.codex.stream(adapter, body, target)
        events: AsyncIterator[EventBatch] = await self.keys.run(
            model, target, lambda t: adapter.stream(body, t)
        )
        return events

    async def complete(
        self, adapter: Any, body: Mapping[str, Any], target: Target, model: ModelConfig
    ) -> dict[str, Any]:
        if target.kind == "codex":
            return await self.codex.complete(adapter, body, target)
        answer: dict[str, Any] = await self.keys.run(
            model, target, lambda t: adapter.complete(body, t)
        )
        return answer
