"""Calibrated scores: per candidate, a monotone map from the classifier's raw score to
the success rate its tasks have shown.

LLM judges are overconfident, most of all about small models: a raw 0.85 for the cheap
model may mean it solves half such tasks. The map is a weighted isotonic regression
(pool-adjacent-violators) of outcomes on raw scores, blended with the identity by the
weight of the evidence: with no outcomes, or fewer than `min_outcomes`, a candidate's
scores pass unchanged; as outcomes accumulate the map moves to the observed rates. Both
parts are non-decreasing and within [0, 1], so the blend is too, and the threshold rule
keeps its meaning.
"""

from __future__ import annotations

import bisect
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from router.learning.store import Observation
from router.settings.paths import state_dir

FILE_NAME = "calibration.json"
MIN_OUTCOMES = 20
PRIOR_WEIGHT = 20.0


@dataclass(frozen=True, slots=True)
class CandidateMap:
    """Knots of the isotonic fit and how much evidence stands behind it."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]
    outcomes: int
    weight: float

    def fitted(self, raw: float) -> float:
        if not self.xs:
            return raw
        if raw <= self.xs[0]:
            return self.ys[0]
        if raw >= self.xs[-1]:
            return self.ys[-1]
        right = bisect.bisect_right(self.xs, raw)
        x0, x1 = self.xs[right - 1], self.xs[right]
        y0, y1 = self.ys[right - 1], self.ys[right]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (raw - x0) / (x1 - x0)


@dataclass(frozen=True, slots=True)
class Calibration:
    version: int = 0
    fitted_at: str | None = None
    min_outcomes: int = MIN_OUTCOMES
    prior_weight: float = PRIOR_WEIGHT
    models: Mapping[str, CandidateMap] = field(default_factory=dict)

    def trust(self, slug: str) -> float:
        """How far `slug`'s scores move from raw to fitted, 0 (identity) to almost 1."""
        fit = self.models.get(slug)
        if fit is None or fit.outcomes < self.min_outcomes:
            return 0.0
        return fit.weight / (fit.weight + self.prior_weight)

    def apply(self, slug: str, raw: float) -> float:
        raw = min(1.0, max(0.0, raw))
        alpha = self.trust(slug)
        if alpha == 0.0:
            return raw
        fit = self.models[slug]
        return min(1.0, max(0.0, (1 - alpha) * raw + alpha * fit.fitted(raw)))


IDENTITY = Calibration()


def isotonic(points: Iterable[tuple[float, float, float]]) -> tuple[list[float], list[float]]:
    """Weighted pool-adjacent-violators on (x, y, weight): the non-decreasing step fit,
    returned as knots (each block's mean x and mean y)."""
    # Equal scores are one point (their weighted mean outcome): an order among them
    # would be invented.
    pooled: dict[float, list[float]] = {}
    for x, y, w in points:
        if w > 0:
            entry = pooled.setdefault(x, [0.0, 0.0])
            entry[0] += w
            entry[1] += w * y
    blocks: list[list[float]] = []  # [sum_w, sum_wx, sum_wy]
    for x in sorted(pooled):
        w, wy = pooled[x]
        blocks.append([w, w * x, wy])
        while len(blocks) > 1 and blocks[-2][2] / blocks[-2][0] >= blocks[-1][2] / blocks[-1][0]:
            last = blocks.pop()
            for i in range(3):
                blocks[-1][i] += last[i]
    xs = [b[1] / b[0] for b in blocks]
    ys = [b[2] / b[0] for b in blocks]
    return xs, ys


def fit(
    observations: Iterable[Observation],
    *,
    previous: Calibration = IDENTITY,
    min_outcomes: int = MIN_OUTCOMES,
    prior_weight: float = PRIOR_WEIGHT,
) -> Calibration:
    by_slug: dict[str, list[Observation]] = defaultdict(list)
    for obs in observations:
        by_slug[obs.slug].append(obs)
    models = {}
    for slug, rows in sorted(by_slug.items()):
        xs, ys = isotonic((o.raw, 1.0 if o.success else 0.0, o.weight) for o in rows)
        models[slug] = CandidateMap(
            tuple(xs), tuple(ys), len(rows), round(sum(o.weight for o in rows), 6)
        )
    return Calibration(
        version=previous.version + 1,
        fitted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        min_outcomes=min_outcomes,
        prior_weight=prior_weight,
        models=models,
    )


def default_path() -> Path:
    return state_dir() / FILE_NAME


def to_json(calibration: Calibration) -> dict[str, Any]:
    return {
        "version": calibration.version,
        "fitted_at": calibration.fitted_at,
        "min_outcomes": calibration.min_outcomes,
        "prior_weight": calibration.prior_weight,
        "models": {
            slug: {"xs": list(m.xs), "ys": list(m.ys), "outcomes": m.outcomes, "weight": m.weight}
            for slug, m in calibration.models.items()
        },
    }


def from_json(data: Mapping[str, Any]) -> Calibration:
    models = {
        str(slug): CandidateMap(
            tuple(float(x) for x in m["xs"]),
            tuple(float(y) for y in m["ys"]),
            int(m["outcomes"]),
            float(m["weight"]),
        )
        for slug, m in dict(data.get("models") or {}).items()
    }
    return Calibration(
        version=int(data.get("version") or 0),
        fitted_at=data.get("fitted_at"),
        min_outcomes=int(data.get("min_outcomes") or MIN_OUTCOMES),
        prior_weight=float(data.get("prior_weight") or PRIOR_WEIGHT),
        models=models,
    )


def load(path: Path) -> Calibration:
    """The calibration at `path`; identity when there is none. Raises ValueError for a
    file that is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return IDENTITY
    try:
        return from_json(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"calibration file {path} is not valid ({exc}); run autorouter calibrate"
        ) from None


def save(calibration: Calibration, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        json.dump(to_json(calibration), tmp, indent=2)
    os.replace(tmp.name, path)


class CalibrationFile:
    """The calibration the router applies, re-read when the file changes (a stat per new
    task; `autorouter calibrate` writes it while the proxy runs)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._current = IDENTITY
        self.error: str | None = None

    def current(self) -> Calibration:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._current = None, IDENTITY
            return IDENTITY
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._current, self.error = load(self.path), None
            except ValueError as exc:
                # The last good calibration stays in force, as with the settings file.
                self.error = str(exc)
        return self._current
