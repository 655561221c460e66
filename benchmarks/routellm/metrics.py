"""APGR and CPT computed the way RouteLLM's evaluator computes them.

A router gives every prompt one score, "how much the strong model is needed". The
thresholds are the 11 edges of 10 equal-count bins of those scores (pandas `qcut`,
whose edges are linear-interpolation quantiles, the same as `np.quantile`). At each
edge the prompts with score >= edge go to the strong model, except at the last edge
where only score > edge does (so the last point routes nothing to the strong model).
Each edge gives a point (share of strong calls in %, accuracy in %).

RouteLLM's `qcut` raises on duplicate edges; here duplicate edges are kept, which
only adds repeated points (zero-width trapezoids), so heavily tied scores such as the
oracle's can be scored too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 10


@dataclass(frozen=True)
class Curve:
    strong_share: np.ndarray  # percent of prompts sent to the strong model, ascending
    accuracy: np.ndarray  # percent correct at that point


@dataclass(frozen=True)
class Scores:
    apgr: float
    cpt50: float  # percent strong calls to reach PGR 0.5
    cpt80: float

    def as_dict(self) -> dict[str, float]:
        return {"apgr": self.apgr, "cpt50": self.cpt50, "cpt80": self.cpt80}


def thresholds(scores: np.ndarray, bins: int = BINS) -> np.ndarray:
    return np.quantile(scores.astype(float), np.linspace(0.0, 1.0, bins + 1))


def curve(scores: np.ndarray, weak: np.ndarray, strong: np.ndarray, bins: int = BINS) -> Curve:
    scores = scores.astype(float)
    edges = thresholds(scores, bins)
    shares, accuracies = [], []
    for i, edge in enumerate(edges):
        to_strong = scores > edge if i == len(edges) - 1 else scores >= edge
        correct = np.where(to_strong, strong, weak)
        shares.append(to_strong.mean() * 100.0)
        accuracies.append(correct.mean() * 100.0)
    # RouteLLM sorts its points by strong share before integrating; a stable sort keeps
    # repeated points in edge order.
    order = np.argsort(np.asarray(shares), kind="stable")
    return Curve(np.asarray(shares)[order], np.asarray(accuracies)[order])


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))


def apgr(c: Curve, weak_accuracy: float, strong_accuracy: float) -> float:
    """Area between the router's curve and the weak line, over the strong-weak area."""
    x = c.strong_share / 100.0
    span = float(x[-1] - x[0])
    area = _trapezoid(c.accuracy, x)
    return (area - weak_accuracy * span) / ((strong_accuracy - weak_accuracy) * span)


def cpt(c: Curve, fraction: float, weak_accuracy: float, strong_accuracy: float) -> float:
    """Strong-call share (%) at which PGR reaches `fraction`, as RouteLLM's `np.interp`.

    `np.interp` expects ascending accuracies; RouteLLM passes them in strong-share order
    whatever they are, and so does this, to give the same number on the same points.
    """
    target = weak_accuracy + fraction * (strong_accuracy - weak_accuracy)
    return float(np.interp(target, c.accuracy, c.strong_share))


def evaluate(scores: np.ndarray, weak: np.ndarray, strong: np.ndarray) -> Scores:
    weak_accuracy = float(weak.mean() * 100.0)
    strong_accuracy = float(strong.mean() * 100.0)
    c = curve(scores, weak, strong)
    return Scores(
        apgr=apgr(c, weak_accuracy, strong_accuracy),
        cpt50=cpt(c, 0.5, weak_accuracy, strong_accuracy),
        cpt80=cpt(c, 0.8, weak_accuracy, strong_accuracy),
    )
