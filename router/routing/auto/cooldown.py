"""Models that just failed are set aside for a while.

The server reports a model that failed before its first byte with an error another
model could avoid (rate limit, server error, timeout). For `cooldown` seconds the
router then prefers every other candidate, in fresh choices, in cached tasks and in
fallback order. A success ends the cooldown early. Cooling down is a preference, not a
ban: when nothing else is eligible, a cooling model is still used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping


class Cooldowns:
    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.seconds = seconds
        self._clock = clock
        self._until: dict[str, float] = {}

    def report_failure(self, slug: str) -> None:
        if self.seconds > 0:
            self._until[slug] = self._clock() + self.seconds

    def report_success(self, slug: str) -> None:
        self._until.pop(slug, None)

    def remaining(self, slug: str) -> float:
        """Seconds left in `slug`'s cooldown; 0 when it is available."""
        until = self._until.get(slug)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            del self._until[slug]
            return 0.0
        return left

    def load(self, remaining: Mapping[str, float]) -> None:
        """Replace every cooldown with `remaining` (slug -> seconds left), as another
        instance's shared state reports them."""
        now = self._clock()
        self._until = {slug: now + left for slug, left in remaining.items() if left > 0}

    def cooling(self, slug: str) -> bool:
        return self.remaining(slug) > 0

    def available_first(self, slugs: Iterable[str]) -> list[str]:
        """`slugs` with the cooling ones moved to the end, each part in its given order."""
        ordered = list(slugs)
        ready = [s for s in ordered if not self.cooling(s)]
        return ready + [s for s in ordered if s not in ready]
