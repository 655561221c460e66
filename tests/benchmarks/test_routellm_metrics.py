"""RouteLLM's metrics, checked against curves worked out by hand on small tables."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.routellm import metrics
from benchmarks.routellm.data import fold_of, load

# Five prompts, scored 0.1..0.5; the strong model is needed for the two in the middle.
SCORES = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
WEAK = np.array([1, 1, 0, 0, 1], dtype=float)  # 60%
STRONG = np.array([1, 0, 1, 1, 1], dtype=float)  # 80%


def test_the_edges_are_the_deciles_of_the_scores() -> None:
    expected = [0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.34, 0.38, 0.42, 0.46, 0.5]
    assert metrics.thresholds(SCORES) == pytest.approx(expected)


def test_the_curve_by_hand_with_the_last_edge_strict() -> None:
    c = metrics.curve(SCORES, WEAK, STRONG)
    # Edge 0.1 sends all five; 0.14 and 0.18 the top four; 0.22..0.3 three (0.3 >= 0.3);
    # 0.34, 0.38 two; 0.42, 0.46 one; the last edge 0.5 is strict: nobody (not 20%).
    assert list(c.strong_share) == pytest.approx([0, 20, 20, 40, 40, 60, 60, 60, 80, 80, 100])
    assert list(c.accuracy) == pytest.approx([60, 60, 60, 80, 80, 100, 100, 100, 80, 80, 80])


def test_apgr_and_cpt_by_hand() -> None:
    # Trapezoids of width 0.2: 60, 70, 90, 90, 80 -> area 78; (78 - 60) / (80 - 60).
    result = metrics.evaluate(SCORES, WEAK, STRONG)
    assert result.apgr == pytest.approx(0.9)
    # PGR 50% is accuracy 70, between (20%, 60) and (40%, 80); PGR 80% is 76.
    assert result.cpt50 == pytest.approx(30.0)
    assert result.cpt80 == pytest.approx(36.0)


def test_tied_scores_move_together_and_duplicate_edges_add_no_area() -> None:
    scores = np.array([0.0, 0.0, 0.0, 1.0, 1.0])
    weak = np.array([1, 1, 0, 0, 0], dtype=float)  # 40%
    strong = np.array([1, 1, 1, 1, 1], dtype=float)  # 100%
    c = metrics.curve(scores, weak, strong)
    assert set(c.strong_share.tolist()) == {0.0, 40.0, 100.0}
    # (0, 40) -> (40, 80) -> (100, 100): 0.4 * 60 + 0.6 * 90 = 78; (78 - 40) / 60.
    assert metrics.evaluate(scores, weak, strong).apgr == pytest.approx(38 / 60)


def test_a_strict_last_edge_matters_when_the_top_score_is_shared() -> None:
    scores = np.array([0.0, 1.0, 1.0, 1.0])
    c = metrics.curve(scores, np.zeros(4), np.ones(4))
    assert c.strong_share[0] == 0.0  # with >= the last edge would route 75% to strong


def test_random_routing_lands_near_one_half() -> None:
    rng = np.random.default_rng(7)
    weak = (rng.random(4000) < 0.6).astype(float)
    strong = np.maximum(weak, rng.random(4000) < 0.5).astype(float)
    apgrs = [
        metrics.evaluate(np.random.default_rng(seed).random(4000), weak, strong).apgr
        for seed in range(10)
    ]
    assert 0.47 < float(np.mean(apgrs)) < 0.53


def test_the_oracle_beats_everything_and_length_matches_routellm() -> None:
    table = load("gsm8k")
    weak, strong = table.weak.astype(float), table.strong.astype(float)
    assert len(table.ids) == 1307
    assert metrics.evaluate(strong - weak, weak, strong).apgr > 1.0
    lengths = np.array([len(p) for p in table.prompts], dtype=float)
    # RouteLLM's published figure for this one-line router on this table is 0.598.
    assert metrics.evaluate(lengths, weak, strong).apgr == pytest.approx(0.5987, abs=0.001)


def test_folds_depend_on_the_id_alone() -> None:
    assert fold_of("mmlu-00001") == fold_of("mmlu-00001")
    counts = np.bincount([fold_of(f"x-{i}") for i in range(5000)], minlength=5)
    assert counts.min() > 900
