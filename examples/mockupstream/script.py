"""Which reply a model gives to the next request.

Per model, in order: the next queued reply (FIFO, consumed), the model's handler, the
catch-all `"*"` handler, and finally a default that lets an agent loop end on its own:
"done" after a tool result, "ok" otherwise.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from examples.mockupstream.replies import Handler, Reply, Text

CATCH_ALL = "*"


class Script:
    """Queued replies and handlers, keyed by the request's `model`."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Reply]] = {}
        self._handlers: dict[str, Handler] = {}

    def add(self, model: str, replies: tuple[Reply, ...]) -> None:
        self._queues.setdefault(model, deque()).extend(replies)

    def on(self, model: str, handler: Handler) -> None:
        self._handlers[model] = handler

    def pending(self, model: str) -> int:
        """How many queued replies `model` has not used yet."""
        return len(self._queues.get(model, ()))

    def reset(self) -> None:
        self._queues.clear()
        self._handlers.clear()

    @property
    def models(self) -> list[str]:
        """Every model named in a queue or a handler, in first-seen order."""
        names = dict.fromkeys([*self._queues, *self._handlers])
        names.pop(CATCH_ALL, None)
        return list(names)

    def next_reply(self, model: str, body: dict[str, Any], after_tool_result: bool) -> Reply:
        queue = self._queues.get(model)
        if queue:
            return queue.popleft()
        handler = self._handlers.get(model) or self._handlers.get(CATCH_ALL)
        if handler is not None:
            return handler(body)
        return Text("done") if after_tool_result else Text("ok")
