"""The local scorer: one linear model per candidate, fitted on outcome records.

Fitting reads every record once and takes seconds for thousands of them, so it runs
off the event loop (router/routing/auto/local/service.py); scoring one task is a
feature hash and a dot product per candidate, well under a millisecond.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from router.learning import features
from router.learning.outcomes import OutcomeRecord
from router.routing.auto.local import linear, require_numpy


@dataclass(frozen=True)
class LocalScorer:
    models: dict[str, linear.LinearModel]
    records: int
    """How many usable records the models were fitted on."""

    @classmethod
    def fit(cls, records: Iterable[OutcomeRecord], *, min_outcomes: int) -> LocalScorer:
        """A model for every slug with at least `min_outcomes` outcomes."""
        np = require_numpy()
        parts: list[tuple[Any, Any, Any]] = []
        chunk: list[Any] = []
        labels: dict[str, list[tuple[int, bool]]] = {}
        count = 0
        for record in records:
            hashes = record.feature_hashes()
            if hashes is None:
                continue
            for slug, success in record.outcomes.items():
                labels.setdefault(slug, []).append((count, success))
            chunk.append(hashes)
            count += 1
            if len(chunk) == _CHUNK:
                parts.append(_vectorized(chunk, count - len(chunk)))
                chunk = []
        if chunk:
            parts.append(_vectorized(chunk, count - len(chunk)))
        rows = linear.SparseRows(
            index=np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int32),
            value=np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.float32),
            row=np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int32),
            count=count,
        )
        del parts
        models = {}
        for slug, pairs in labels.items():
            if len(pairs) < min_outcomes:
                continue
            numbers = [row for row, _ in pairs]
            # Every record usually has the slug: its rows are then all of them, uncopied.
            subset = rows if len(numbers) == count else rows.take(numbers)
            models[slug] = linear.fit(subset, [float(ok) for _, ok in pairs])
        return cls(models, count)

    def knows(self, slugs: Sequence[str]) -> bool:
        return bool(slugs) and all(slug in self.models for slug in slugs)

    def scores(self, text: str, slugs: Sequence[str]) -> dict[str, float]:
        """Chance of success per slug that has a model, 0..1."""
        index, value = features.vectorize(features.text_hashes(text), linear.DIM)
        return {
            slug: self.models[slug].predict_one(index, value)
            for slug in slugs
            if slug in self.models
        }


_CHUNK = 500
"""Records vectorized at a time: bounds the fit's temporary arrays."""


def _vectorized(chunk: list[Any], first_row: int) -> tuple[Any, Any, Any]:
    rows, index, values = features.vectorize_many(chunk, linear.DIM)
    return rows + first_row, index, values
