"""Ridge regression over sparse hashed features, solved by conjugate gradients.

One model per candidate predicts its chance of success (the fraction of similar tasks
it solved): a linear probability model, clipped to 0..1. Ridge rather than logistic
regression because its normal equations are solved in a few dozen sparse passes
without a learning rate to tune, and the ranking it gives is what routing needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from router.routing.auto.local import require_numpy

DIM = 1 << 18
"""Hash buckets: 1 MB of float32 weights per candidate."""

RIDGE = 3.0
"""The L2 penalty, chosen on RouteLLM's tables (benchmarks/routellm)."""

_ITERATIONS = 80
_SLICE = 1 << 19
"""Entries per sparse product: bounds the temporaries of a fit over many records."""
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class SparseRows:
    """Rows of unit feature vectors, CSR-style: row r is entries rows[r]..rows[r+1]."""

    index: Any  # int32 bucket per entry
    value: Any  # float32 value per entry
    row: Any  # int32 row number per entry
    count: int

    def take(self, rows: Any) -> SparseRows:
        """The rows whose numbers are in `rows` (ascending), renumbered from 0."""
        np = require_numpy()
        keep = np.zeros(self.count, dtype=bool)
        keep[rows] = True
        renumber = np.cumsum(keep, dtype=np.int32) - 1
        mask = keep[self.row]
        return SparseRows(
            self.index[mask], self.value[mask], renumber[self.row[mask]], int(keep.sum())
        )

    def times(self, weights: Any) -> Any:
        np = require_numpy()
        out = np.zeros(self.count)
        for at in range(0, len(self.index), _SLICE):
            part = slice(at, at + _SLICE)
            products = weights[self.index[part]] * self.value[part]
            out += np.bincount(self.row[part], weights=products, minlength=self.count)
        return out

    def transposed_times(self, residual: Any, dim: int) -> Any:
        np = require_numpy()
        out = np.zeros(dim)
        for at in range(0, len(self.index), _SLICE):
            part = slice(at, at + _SLICE)
            products = residual[self.row[part]] * self.value[part]
            out += np.bincount(self.index[part], weights=products, minlength=dim)
        return out


@dataclass(frozen=True)
class LinearModel:
    weights: Any  # float32[dim]
    bias: float
    examples: int

    def predict_one(self, index: Any, value: Any) -> float:
        raw = float(self.weights[index] @ value) + self.bias
        return min(1.0, max(0.0, raw))

    def predict(self, rows: SparseRows) -> Any:
        """Unclipped predictions for many rows (the benchmark ranks by them)."""
        return rows.times(self.weights) + self.bias


def fit(rows: SparseRows, targets: Any, *, ridge: float = RIDGE, dim: int = DIM) -> LinearModel:
    """Minimise |X w + b - y|^2 + ridge |w|^2, with b the mean of y."""
    np = require_numpy()
    y = np.asarray(targets, dtype=np.float64)
    bias = float(y.mean()) if len(y) else 0.0
    weights = np.zeros(dim)
    residual = rows.transposed_times(y - bias, dim)
    direction = residual.copy()
    norm = float(residual @ residual)
    stop = norm * _TOLERANCE**2
    for _ in range(_ITERATIONS):
        if norm <= stop or norm == 0.0:
            break
        product = rows.transposed_times(rows.times(direction), dim) + ridge * direction
        step = norm / float(direction @ product)
        weights += step * direction
        residual -= step * product
        new_norm = float(residual @ residual)
        direction = residual + (new_norm / norm) * direction
        norm = new_norm
    return LinearModel(weights.astype(np.float32), bias, len(y))
