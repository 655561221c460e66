"""The routing policy: which candidate serves a task, and in which order to fall back.

Pure functions of the candidate rows (in configuration order) and the threshold, so the
rules can be property-tested on their own:

- the chosen model is the cheapest eligible candidate whose score clears the threshold
  (equal cost: the higher score, then configuration order);
- if no score clears it, the highest-scoring eligible candidate (equal score: the
  cheaper, then configuration order); an unscored candidate ranks below any score;
- the fallback order is the chosen one, then the other clearing candidates by cost,
  then the rest by score, highest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from router.routing.auto.types import NoEligibleCandidate, ScoredCandidate

IMAGE_REASON = "no image support"


@dataclass(frozen=True, slots=True)
class PolicyResult:
    chosen: str
    order: tuple[str, ...]
    """Every eligible candidate exactly once, `chosen` first."""
    cleared: bool
    """Whether the chosen candidate's score reached the threshold."""


def choose(candidates: Sequence[ScoredCandidate], threshold: float) -> PolicyResult:
    """Pick the candidate for a scored task. Raises `NoEligibleCandidate`."""
    ranked = _eligible(candidates)
    clearing = [(pos, c) for pos, c in ranked if c.score is not None and c.score >= threshold]
    rest = [(pos, c) for pos, c in ranked if c.score is None or c.score < threshold]
    clearing.sort(key=lambda pc: (pc[1].cost, -_score(pc[1]), pc[0]))
    rest.sort(key=lambda pc: (-_score(pc[1]), pc[1].cost, pc[0]))
    order = tuple(c.slug for _, c in clearing + rest)
    return PolicyResult(chosen=order[0], order=order, cleared=bool(clearing))


def choose_without_scores(
    candidates: Sequence[ScoredCandidate], preferred: str | None
) -> PolicyResult:
    """Pick without a classifier: `preferred` if eligible, else the cheapest eligible.

    The rest follow by cost (equal cost: configuration order). Raises
    `NoEligibleCandidate`.
    """
    ranked = _eligible(candidates)
    ranked.sort(key=lambda pc: (pc[1].slug != preferred, pc[1].cost, pc[0]))
    order = tuple(c.slug for _, c in ranked)
    return PolicyResult(chosen=order[0], order=order, cleared=False)


def no_eligible_reason(candidates: Sequence[ScoredCandidate]) -> str:
    """Why no candidate can serve, in words a user can act on."""
    if not candidates:
        return "no Auto candidates are configured"
    if all(IMAGE_REASON in (c.why_not or "") for c in candidates):
        return "the task includes an image and no Auto candidate supports images"
    details = "; ".join(f"{c.slug}: {c.why_not or 'not eligible'}" for c in candidates)
    return f"no Auto candidate can serve this request ({details})"


def _eligible(candidates: Sequence[ScoredCandidate]) -> list[tuple[int, ScoredCandidate]]:
    ranked = [(pos, c) for pos, c in enumerate(candidates) if c.eligible]
    if not ranked:
        raise NoEligibleCandidate(no_eligible_reason(candidates))
    return ranked


def _score(candidate: ScoredCandidate) -> float:
    return candidate.score if candidate.score is not None else -1.0
