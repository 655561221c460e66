"""The values the Auto router passes around: candidate rows and route decisions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

Reason = Literal[
    "cache_hit",
    "scored",
    "below_threshold",
    "classifier_failed",
    "fallback",
    "compaction",
    "only_eligible",
    "escalated",
    "local",
]

Scorer = Literal["classifier", "local"]


class NoEligibleCandidate(Exception):
    """No Auto candidate can take this request; `reason` says why, for an HTTP 400."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ScoredCandidate:
    """One Auto candidate for one task: what it costs, whether it can serve, its score.

    `cost` is the relative cost from the router configuration; it is used by the policy
    and shown in explanations, never sent to the classifier. `score` is None when the
    classifier gave none (it failed, skipped the label, or the candidate was ineligible).
    """

    slug: str
    cost: float
    score: float | None = None
    eligible: bool = True
    why_not: str | None = None
    raw_score: float | None = None
    """The classifier's own score, before calibration (`score` is calibrated)."""


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """Which model serves a task, and everything needed to explain why."""

    task: str
    chosen: str
    reason: Reason
    candidates: tuple[ScoredCandidate, ...]
    threshold: float
    order: tuple[str, ...]
    """The chosen slug first, then the fallbacks in the order they should be tried."""
    cache_hit: bool = False
    classifier_ms: float | None = None
    classifier_tokens: int | None = None
    classifier_error: str | None = None
    calibration: int | None = None
    """The version of the calibration applied to the scores (0: none, identity)."""
    escalated_from: str | None = None
    """The model that failed the thread's previous task, when this one escalated."""
    scorer: Scorer | None = None
    """Whose scores decided: the classifier model, the local scorer, or none (default)."""

    @property
    def explained_reason(self) -> str:
        """The reason as `x-autorouter-reason` gives it: with the scorer when it was the
        local one (the reason `local` already says so)."""
        if self.scorer == "local" and self.reason != "local":
            return f"{self.reason}; scorer=local"
        return self.reason

    def as_cache_hit(self) -> RouteDecision:
        """The same decision, reported as served from the task's cache."""
        return dataclasses.replace(self, reason="cache_hit", cache_hit=True)

    def with_fallback(self, slug: str) -> RouteDecision:
        """The decision after the server moved on to `slug` because `chosen` failed."""
        rest = tuple(s for s in self.order if s != slug)
        return dataclasses.replace(self, chosen=slug, reason="fallback", order=(slug, *rest))

    def log_fields(self) -> dict[str, Any]:
        """The fields of the routing log line (the server adds the timestamp)."""
        return {
            "event": "route",
            "task": self.task,
            "candidates": [
                {
                    "slug": row.slug,
                    "score": row.score,
                    "raw_score": row.raw_score,
                    "eligible": row.eligible,
                    "why_not": row.why_not,
                }
                for row in self.candidates
            ],
            "threshold": self.threshold,
            "chosen": self.chosen,
            "reason": self.reason,
            "cache_hit": self.cache_hit,
            "classifier_ms": self.classifier_ms,
            "classifier_tokens": self.classifier_tokens,
            "classifier_error": self.classifier_error,
            "calibration": self.calibration,
            "escalated_from": self.escalated_from,
            "scorer": self.scorer,
        }
