"""Keeping the local scorer fitted: loaded from the outcome store off the event loop,
refitted in a worker thread after every `refit_every` new outcomes recorded here, and
at most every `refit_seconds` while outcomes arrive through the proxy's learning store.

The router asks `current()` for the scorer it may use right now: None until the first
fit has finished (a decision never waits for a fit), or when numpy is missing, in which
case `unavailable` says why and names the extra to install.
"""

from __future__ import annotations

import asyncio
import ctypes
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import structlog

from router.learning.outcomes import JsonlOutcomeStore, OutcomeRecord, OutcomeStore
from router.routing.auto.local import numpy_missing
from router.routing.auto.local.scorer import LocalScorer
from router.settings import RouterConfig

_log = structlog.get_logger(__name__)

REFIT_EVERY = 25
REFIT_SECONDS = 300.0


class LocalScoring:
    def __init__(
        self,
        store: OutcomeStore,
        *,
        min_outcomes: int,
        required: bool = True,
        refit_every: int = REFIT_EVERY,
        refit_seconds: float = REFIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.min_outcomes = min_outcomes
        self.refit_every = refit_every
        self.refit_seconds = refit_seconds
        self.unavailable: str | None = None
        self._clock = clock
        self._scorer: LocalScorer | None = None
        self._fitted_at: float | None = None
        self._fitted_size: int | None = None
        self._pending = 0
        self._fitting: asyncio.Task[None] | None = None
        self._again = False
        # Checked without importing numpy: a proxy whose store is still empty never
        # loads it (start-up time, memory).
        self.unavailable = numpy_missing()
        if self.unavailable is not None:
            # Asked for (classifier local, local_first): an error. Only the fallback, on
            # by default: a note, since nobody chose it.
            log = _log.error if required else _log.info
            log("local_scorer_unavailable", error=self.unavailable)

    def start(self) -> None:
        """Begin the first fit now, when there is an event loop to run it."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._scorer is None and self._fitting is None:
            self.refit()

    def current(self) -> LocalScorer | None:
        stale = self._fitted_at is None or self._clock() - self._fitted_at > self.refit_seconds
        if stale and self.unavailable is None and not self.fitting:
            self.refit()
        return self._scorer

    def scores_for(self, text: str, slugs: Sequence[str]) -> Mapping[str, float] | None:
        """The scores of `slugs` for `text`, when every one of them has enough outcomes."""
        scorer = self.current()
        if scorer is None or not scorer.knows(slugs):
            return None
        return scorer.scores(text, slugs)

    def why_not(self) -> str:
        """Why `scores_for` gave nothing, in words for the decision's error field."""
        if self.unavailable:
            return self.unavailable
        if self._scorer is None and self.fitting:
            return "the local scorer is still fitting on the outcome store"
        return (
            "the local scorer has too few outcomes yet "
            f"(it needs {self.min_outcomes} per candidate)"
        )

    @property
    def fitting(self) -> bool:
        return self._fitting is not None and not self._fitting.done()

    def use(self, scorer: LocalScorer) -> None:
        """Take a scorer fitted elsewhere (tests, the task bench)."""
        self._scorer = scorer
        self._fitted_at = self._clock()

    def record(self, record: OutcomeRecord) -> None:
        """Store an outcome; refit once enough new ones have come in."""
        self.store.append(record)
        self._pending += 1
        if self._pending >= self.refit_every:
            self.refit()

    def refit(self) -> None:
        """Start a fit in a worker thread (or queue one behind the running fit)."""
        if self.unavailable is not None:
            return
        if self.fitting:
            self._again = True
            return
        self._pending = 0
        self._fitting = asyncio.get_running_loop().create_task(self._fit())

    async def wait_fitted(self) -> LocalScorer | None:
        """The scorer once the running fit (if any) is done (tests, start-up tools)."""
        while self._fitting is not None and not self._fitting.done():
            await asyncio.shield(self._fitting)
        return self._scorer

    async def _fit(self) -> None:
        try:
            scorer = await asyncio.to_thread(self._fit_now)
        except Exception as exc:  # a broken store must not take routing down
            _log.warning("local_scorer_fit_failed", error=str(exc))
        else:
            self._scorer = scorer
            _log.info("local_scorer_fitted", records=scorer.records, models=len(scorer.models))
        self._fitted_at = self._clock()
        if self._again:
            self._again = False
            self._fitting = asyncio.get_running_loop().create_task(self._fit())

    def _fit_now(self) -> LocalScorer:
        size = self.store.size()
        if self._scorer is not None and size == self._fitted_size:
            return self._scorer  # nothing new since the last fit
        if size == 0:
            return LocalScorer({}, 0)
        scorer = LocalScorer.fit(self.store.records(), min_outcomes=self.min_outcomes)
        _release_freed_memory()
        self._fitted_size = size
        return scorer


def _release_freed_memory() -> None:
    """Hand the fit's freed temporaries back to the OS. glibc keeps freed heap memory
    of the worker thread's arena otherwise, and the proxy's RSS would stay at the fit's
    peak; elsewhere this is a no-op."""
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def scoring_for(config: RouterConfig, learned: Path | None) -> LocalScoring | None:
    """The local scoring these settings ask for: over `router.outcomes_path` (a JSONL
    store) when it is set, else over the proxy's learning store at `learned`. Always
    when the classifier is local or local_first is on; as the fallback only when there
    is a store to learn from (the learning store may still be created: it is read
    again at each refit)."""
    if not (config.uses_local or config.local_fallback):
        return None
    store: Any
    if config.outcomes_path:
        store = JsonlOutcomeStore(Path(config.outcomes_path).expanduser())
        exists = store.path.exists()
    elif learned is not None:
        from router.learning.local_source import LearnedOutcomes

        store = LearnedOutcomes(learned)
        exists = True
    else:
        return None
    if not config.uses_local and not exists:
        return None
    return LocalScoring(store, min_outcomes=config.local_min_outcomes, required=config.uses_local)


def signature(config: RouterConfig) -> tuple[Any, ...]:
    """What `scoring_for` depends on: a change means a new LocalScoring."""
    return (
        config.uses_local,
        config.local_fallback,
        config.local_min_outcomes,
        config.outcomes_path,
    )
