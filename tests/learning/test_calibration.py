"""Calibration is a monotone map into [0, 1], the identity without enough evidence, and
moves toward the observed success rates as outcomes accumulate."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from router.learning.calibration import (
    IDENTITY,
    CalibrationFile,
    fit,
    isotonic,
    load,
    save,
)
from router.learning.store import Observation

scores = st.floats(0, 1, allow_nan=False)
observations = st.lists(
    st.builds(
        Observation,
        slug=st.sampled_from(["cheap", "strong"]),
        raw=scores,
        success=st.booleans(),
        weight=st.sampled_from([1.0, 0.8, 0.3]),
    ),
    max_size=120,
)


@given(observations, st.lists(scores, min_size=2, max_size=20))
def test_calibrated_scores_are_monotone_and_bounded(
    obs: list[Observation], raws: list[float]
) -> None:
    calibration = fit(obs, min_outcomes=5)
    for slug in ("cheap", "strong"):
        mapped = [calibration.apply(slug, raw) for raw in sorted(raws)]
        assert all(0.0 <= value <= 1.0 for value in mapped)
        assert all(a <= b + 1e-12 for a, b in itertools.pairwise(mapped))


@given(st.lists(scores, max_size=20))
def test_without_data_it_is_the_identity(raws: list[float]) -> None:
    calibration = fit([])
    assert calibration.models == {}
    for raw in raws:
        assert calibration.apply("cheap", raw) == raw == IDENTITY.apply("cheap", raw)


@given(st.integers(0, 19), scores)
def test_below_the_minimum_it_stays_the_identity(count: int, raw: float) -> None:
    obs = [Observation("cheap", 0.9, False, 1.0)] * count
    assert fit(obs, min_outcomes=20).apply("cheap", raw) == raw


def test_it_moves_toward_the_observed_rate_as_outcomes_accumulate() -> None:
    # The judge says 0.9 for the cheap model; it really succeeds 40% of the time.
    rng = random.Random(7)
    previous_gap = None
    for count in (20, 60, 200, 800):
        obs = [Observation("cheap", 0.9, rng.random() < 0.4, 1.0) for _ in range(count)]
        calibrated = fit(obs).apply("cheap", 0.9)
        gap = abs(calibrated - 0.4)
        assert calibrated < 0.9
        if previous_gap is not None:
            assert gap < previous_gap
        previous_gap = gap
    assert previous_gap is not None and previous_gap < 0.08


def test_oracle_outcomes_weigh_more_than_implicit_ones() -> None:
    oracle = [Observation("cheap", 0.9, False, 1.0)] * 30
    implicit = [Observation("cheap", 0.9, False, 0.3)] * 30
    assert fit(oracle).apply("cheap", 0.9) < fit(implicit).apply("cheap", 0.9)


def test_isotonic_pools_adjacent_violators() -> None:
    xs, ys = isotonic([(0.1, 1.0, 1.0), (0.2, 0.0, 1.0), (0.9, 1.0, 1.0)])
    assert ys == pytest.approx([0.5, 1.0])
    assert xs == pytest.approx([0.15, 0.9])


def test_a_fit_is_versioned_saved_and_loaded(tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    first = fit([Observation("cheap", 0.8, True, 1.0)] * 25)
    save(first, path)
    second = fit([Observation("cheap", 0.8, False, 1.0)] * 25, previous=load(path))
    assert (first.version, second.version) == (1, 2)
    assert load(path).apply("cheap", 0.8) == first.apply("cheap", 0.8)


def test_a_broken_file_is_reported_and_the_last_good_one_stays(tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    save(fit([Observation("cheap", 0.8, False, 1.0)] * 25), path)
    watched = CalibrationFile(path)
    good = watched.current()
    path.write_text("{not json")
    assert watched.current() is good
    assert watched.error is not None and str(path) in watched.error
    with pytest.raises(ValueError, match="autorouter calibrate"):
        load(path)
    path.write_text(json.dumps({"version": 1, "models": {"cheap": {"xs": [1]}}}))
    with pytest.raises(ValueError):
        load(path)
