"""The Auto router: one decision per task, explained, cached, and resilient.

For a new task: drop the candidates that cannot take the request (images, context),
ask the classifier to score the rest, and let the policy pick the cheapest one that
clears the threshold. Later requests of the task get the cached decision. Concurrent
requests of a task that is still being decided share one classifier call. If the
classifier fails in any way, the task goes to the configured default (or the cheapest
eligible candidate) and the request itself never fails because of it. Compaction never
calls the classifier.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from router.routing.auto.cache import DecisionCache
from router.routing.auto.candidates import candidate_specs, decision_inputs, router_config
from router.routing.auto.classifier import CallModel, CardedCandidate, ClassifierError, classify
from router.routing.auto.cooldown import Cooldowns
from router.routing.auto.eligibility import assess
from router.routing.auto.escalation import escalate
from router.routing.auto.local.service import LocalScoring, scoring_for, signature
from router.routing.auto.policy import (
    PolicyResult,
    choose,
    choose_without_scores,
    no_eligible_reason,
)
from router.routing.auto.tokens import estimate_tokens
from router.routing.auto.types import NoEligibleCandidate, Reason, RouteDecision, ScoredCandidate
from router.routing.task import TaskKey, has_image, latest_user_text
from router.settings import LOCAL_CLASSIFIER, RouterConfig, Settings

if TYPE_CHECKING:
    from router.learning.recorder import Learning, PreviousFailure

_log = structlog.get_logger(__name__)

PREVIEW_TASK = "preview"
"""The task name of decisions made by `preview` (they are never cached)."""


class AutoRouter:
    def __init__(
        self,
        settings: Settings,
        call_model: CallModel,
        *,
        clock: Callable[[], float] = time.monotonic,
        learning: Learning | None = None,
        local: LocalScoring | None = None,
    ) -> None:
        self._call_model = call_model
        self._learning = learning
        self._clock = clock
        self._settings = settings
        self._config = router_config(settings)
        self._cooldowns = Cooldowns(self._config.cooldown, clock)
        self._cache = self._new_cache()
        self._inflight: dict[str, asyncio.Future[RouteDecision]] = {}
        self._generation = 0
        self._local = local if local is not None else scoring_for(self._config, self._learned())
        if self._local is not None:
            self._local.start()

    @property
    def config(self) -> RouterConfig:
        return self._config

    @property
    def local(self) -> LocalScoring | None:
        """The local scorer's state (where outcomes are recorded), when the settings use it."""
        return self._local

    @property
    def cooldowns(self) -> Cooldowns:
        return self._cooldowns

    def cached(self, task: str) -> RouteDecision | None:
        """The task's remembered decision, if any (shared state compares it)."""
        return self._cache.get(task)

    def remember(self, task: str, decision: RouteDecision) -> None:
        """Take a decision made elsewhere (another instance) as this task's own."""
        self._cache.put(task, decision)

    # -- decisions ---------------------------------------------------------------------

    async def decide(self, key: TaskKey, body: Mapping[str, Any]) -> RouteDecision:
        """The model for this request's task. Raises `NoEligibleCandidate`."""
        if key.kind == "compaction":
            return await self.decide_compaction(key, body)
        cached = self._cache.get(key.value)
        if cached is not None:
            return self._from_cache(key.value, cached)
        pending = self._inflight.get(key.value)
        if pending is None:
            pending = asyncio.ensure_future(self._decide_and_remember(key, body))
            self._inflight[key.value] = pending
            pending.add_done_callback(lambda done: self._forget_inflight(key.value, done))
            # Shielded: a client that goes away must not cancel the decision other
            # requests of the same task are waiting for.
            return await asyncio.shield(pending)
        return (await asyncio.shield(pending)).as_cache_hit()

    async def decide_compaction(self, key: TaskKey, body: Mapping[str, Any]) -> RouteDecision:
        """The model for a compaction request: the task's model if it has one, else
        `compaction_model`, else `default`, else the cheapest eligible. No classifier."""
        cached = self._cache.get(key.value)
        if cached is not None:
            chosen = self._available(cached)
            order = (chosen, *(s for s in cached.order if s != chosen))
            return dataclasses.replace(
                cached, chosen=chosen, order=order, reason="compaction", cache_hit=True
            )
        config = self._config
        preferred = config.compaction_model or config.default
        rows = self._assess(body, extra=preferred)
        result = choose_without_scores(rows, preferred)
        return self._decision(key.value, rows, result, "compaction")

    async def preview(self, body: Mapping[str, Any]) -> RouteDecision:
        """Decide for `body` as if it were a new task, without reading or filling the
        cache (for `autorouter route`). Makes a real classifier call, or waits for the
        local scorer's first fit."""
        if self._local is not None:
            await self._local.wait_fitted()
        return await self._decide_new(PREVIEW_TASK, body)

    def fallbacks(self, decision: RouteDecision) -> list[str]:
        """The next slugs to try after `decision.chosen`, at most `fallback_attempts`.

        Cooling models are left out, unless every fallback is cooling down."""
        rest = [slug for slug in decision.order if slug != decision.chosen]
        ready = [slug for slug in rest if not self._cooldowns.cooling(slug)]
        return (ready or rest)[: self._config.fallback_attempts]

    # -- reports and settings ----------------------------------------------------------

    def report_failure(self, slug: str) -> None:
        """`slug` failed before its first byte; prefer other models for `cooldown` s."""
        self._cooldowns.report_failure(slug)
        _log.info("model_cooling_down", slug=slug, seconds=self._cooldowns.seconds)

    def report_success(self, slug: str) -> None:
        self._cooldowns.report_success(slug)

    def update_settings(self, settings: Settings) -> None:
        """Take reloaded settings. Decisions survive only if nothing they depend on
        changed: the router block and the candidates' model limits."""
        unchanged = decision_inputs(settings) == decision_inputs(self._settings)
        before = self._config
        self._settings = settings
        self._config = router_config(settings)
        self._cooldowns.seconds = self._config.cooldown
        if signature(before) != signature(self._config):
            self._local = scoring_for(self._config, self._learned())
            if self._local is not None:
                self._local.start()
        if not unchanged:
            self._cache = self._new_cache()
            self._inflight.clear()
            self._generation += 1
            _log.info("auto_router_reconfigured")

    # -- internals ---------------------------------------------------------------------

    def _new_cache(self) -> DecisionCache:
        config = self._config
        return DecisionCache(
            size=config.cache_size, ttl=config.cache_ttl, keep=config.cache, clock=self._clock
        )

    def _forget_inflight(self, task: str, done: asyncio.Future[RouteDecision]) -> None:
        if self._inflight.get(task) is done:
            del self._inflight[task]
        if not done.cancelled():
            done.exception()  # retrieved here so an unawaited failure is not reported twice

    async def _decide_and_remember(self, key: TaskKey, body: Mapping[str, Any]) -> RouteDecision:
        generation = self._generation
        thread = key.thread or key.session
        failure = None
        prompt = latest_user_text(body) if self._learning is not None else ""
        if self._learning is not None:
            failure = await self._learning.previous_failure(thread, body, prompt)
        decision = await self._decide_new(key.value, body, failure)
        if generation == self._generation:
            self._cache.put(key.value, decision)
        if self._learning is not None:
            self._learning.decided(decision.log_fields(), thread, prompt)
        return decision

    def _from_cache(self, task: str, cached: RouteDecision) -> RouteDecision:
        chosen = self._available(cached)
        if chosen == cached.chosen:
            return cached.as_cache_hit()
        # The task's model failed and is cooling down: the task moves to the next one
        # for good, so its later round trips stay on the model that now serves it.
        moved = dataclasses.replace(cached.with_fallback(chosen), cache_hit=True)
        self._cache.put(task, moved)
        return moved

    def _available(self, decision: RouteDecision) -> str:
        """The decision's model, or the first of its order that is not cooling down."""
        return self._cooldowns.available_first(decision.order)[0]

    async def _decide_new(
        self, task: str, body: Mapping[str, Any], failure: PreviousFailure | None = None
    ) -> RouteDecision:
        config = self._config
        # The default joins the table only for the classifier-failure path, and only
        # when it is not a candidate already; the classifier sees candidates alone.
        with_default = self._assess(body, extra=config.default)
        cards = {c.slug: c.card for c in config.candidates}
        rows = tuple(row for row in with_default if row.slug in cards)
        if not any(row.eligible for row in rows):
            raise NoEligibleCandidate(no_eligible_reason(rows))
        escalated_from = None
        if failure is not None and config.escalation > 0:
            escalated_from = failure.slug
            rows = escalate(rows, failure.slug, config.escalation)
            with_default = escalate(with_default, failure.slug, config.escalation)
        eligible = [row for row in rows if row.eligible]
        calibration = self._learning.calibration() if self._learning and config.calibrate else None
        version = calibration.version if calibration is not None else 0
        if len(eligible) == 1:
            # Nothing to choose between (an image task with one image-capable
            # candidate, say): asking the classifier would only cost time and tokens.
            return self._decision(
                task,
                rows,
                choose_without_scores(rows, eligible[0].slug),
                "escalated" if escalated_from else "only_eligible",
                calibration=version,
                escalated_from=escalated_from,
            )
        slugs = [row.slug for row in eligible]
        # Scored up front only when the local scorer may decide before the classifier.
        local = self._local_scores(body, slugs) if config.uses_local else None
        if local is not None and config.local_first:
            cheapest = choose_without_scores(rows, None)
            if local.get(cheapest.chosen, 0.0) >= config.local_first_confidence:
                # Confident that the cheapest will do: the classifier call is skipped.
                order = choose(_with_local(rows, local), config.threshold).order
                rest = tuple(slug for slug in order if slug != cheapest.chosen)
                result = PolicyResult(cheapest.chosen, (cheapest.chosen, *rest), True)
                return self._decision(
                    task,
                    _with_local(rows, local),
                    result,
                    "local",
                    escalated_from=escalated_from,
                    scorer="local",
                )
        if config.classifier == LOCAL_CLASSIFIER:
            if local is None:
                return self._decision(
                    task,
                    with_default,
                    choose_without_scores(with_default, config.default),
                    "classifier_failed",
                    classifier_error=self._local_unready(),
                    escalated_from=escalated_from,
                )
            scored = _with_local(rows, local)
            return self._decision(
                task,
                scored,
                choose(scored, config.threshold),
                "escalated" if escalated_from else None,
                escalated_from=escalated_from,
                scorer="local",
            )
        try:
            scores = await classify(
                self._call_model,
                config.classifier or "",
                body,
                [CardedCandidate(row.slug, cards[row.slug]) for row in eligible],
                prompt_tokens=config.classifier_prompt_tokens,
                timeout=config.classifier_timeout,
            )
        except ClassifierError as exc:
            _log.warning("classifier_failed", task=task, error=str(exc))
            local = self._local_scores(body, slugs)
            if local is not None:
                # Enough outcomes: the local scorer decides instead of the fixed default.
                scored = _with_local(rows, local)
                return self._decision(
                    task,
                    scored,
                    choose(scored, config.threshold),
                    "classifier_failed",
                    classifier_ms=exc.elapsed_ms,
                    classifier_tokens=exc.tokens,
                    classifier_error=str(exc),
                    escalated_from=escalated_from,
                    scorer="local",
                )
            return self._decision(
                task,
                with_default,
                choose_without_scores(with_default, config.default),
                "classifier_failed",
                classifier_ms=exc.elapsed_ms,
                classifier_tokens=exc.tokens,
                classifier_error=str(exc),
                calibration=version,
                escalated_from=escalated_from,
            )
        scored = tuple(
            _scored(row, scores.scores.get(row.slug), calibration) if row.eligible else row
            for row in rows
        )
        return self._decision(
            task,
            scored,
            choose(scored, config.threshold),
            "escalated" if escalated_from else None,
            classifier_ms=scores.elapsed_ms,
            classifier_tokens=scores.tokens,
            calibration=version,
            escalated_from=escalated_from,
            scorer="classifier",
        )

    def _local_scores(
        self, body: Mapping[str, Any], slugs: Sequence[str]
    ) -> Mapping[str, float] | None:
        if self._local is None:
            return None
        return self._local.scores_for(latest_user_text(body), slugs)

    def _local_unready(self) -> str:
        return self._local.why_not() if self._local is not None else "no local scorer"

    def _learned(self) -> Path | None:
        return self._learning.store_path if self._learning is not None else None

    def _decision(
        self,
        task: str,
        rows: Sequence[ScoredCandidate],
        result: PolicyResult,
        reason: Reason | None,
        **classifier: Any,
    ) -> RouteDecision:
        """The decision for `result`, with cooling models moved behind the others.

        Moving them keeps the policy's ranking among the rest, so the first model that
        is not cooling is exactly what the policy would choose without the cooling ones.
        `reason` None means "scored or below_threshold, whichever the choice is".
        """
        order = tuple(self._cooldowns.available_first(result.order))
        chosen = order[0]
        table = tuple(
            dataclasses.replace(row, why_not="cooling down after a failure")
            if row.eligible and row.slug != chosen and self._cooldowns.cooling(row.slug)
            else row
            for row in rows
        )
        if reason is None:
            score = next((row.score for row in rows if row.slug == chosen), None)
            cleared = score is not None and score >= self._config.threshold
            reason = "scored" if cleared else "below_threshold"
        return RouteDecision(
            task=task,
            chosen=chosen,
            reason=reason,
            candidates=table,
            threshold=self._config.threshold,
            order=order,
            **classifier,
        )

    def _assess(
        self, body: Mapping[str, Any], extra: str | None = None
    ) -> tuple[ScoredCandidate, ...]:
        """Eligibility of every candidate, plus `extra` (a default or compaction model
        that is not a candidate; it has no relative cost, shown as infinite)."""
        specs = candidate_specs(self._settings, self._config, extra)
        return assess(specs, image=has_image(body), request_tokens=estimate_tokens(body))


def _scored(row: ScoredCandidate, raw: float | None, calibration: Any) -> ScoredCandidate:
    """The row with the classifier's raw score and, under a calibration, the calibrated
    one the threshold rule reads."""
    if raw is None:
        return row
    score = calibration.apply(row.slug, raw) if calibration is not None else raw
    return dataclasses.replace(row, score=round(score, 4), raw_score=raw)


def _with_local(
    rows: Sequence[ScoredCandidate], scores: Mapping[str, float]
) -> tuple[ScoredCandidate, ...]:
    """The rows with the local scorer's chances of success (already fitted on outcomes,
    so the classifier's calibration does not apply to them)."""
    return tuple(
        dataclasses.replace(row, score=round(scores[row.slug], 4))
        if row.eligible and row.slug in scores
        else row
        for row in rows
    )
