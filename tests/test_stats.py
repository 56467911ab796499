"""rliable's statistics on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from rewardgym import stats


def test_iqm_drops_the_outer_quarters():
    scores = np.array([[10.0, 1.0], [2.0, 3.0], [4.0, -50.0], [5.0, 6.0]])  # 8 scores
    # sorted: -50 1 2 3 4 5 6 10 -> middle four 2 3 4 5
    assert stats.iqm(scores) == pytest.approx(3.5)


def test_mean_median_and_optimality_gap_by_hand():
    scores = np.array([[0.2, 1.0, 0.6], [0.4, 0.8, 1.4]])
    assert stats.mean(scores) == pytest.approx(4.4 / 6)
    # per-task means 0.3, 0.9, 1.0 -> median 0.9
    assert stats.median(scores) == pytest.approx(0.9)
    # shortfalls 0.8 0 0.4 / 0.6 0.2 0 -> 2.0 / 6
    assert stats.optimality_gap(scores) == pytest.approx(2.0 / 6)


def test_probability_of_improvement_with_ties_by_hand():
    x = np.array([[1.0, 5.0], [2.0, 5.0]])
    y = np.array([[1.0, 4.0], [0.0, 6.0], [3.0, 5.0]])
    # task 0: pairs (1>1 tie, 1>0, 1<3, 2>1, 2>0, 2<3) -> (0.5+1+0+1+1+0)/6 = 3.5/6
    # task 1: (5>4, 5<6, 5=5) twice -> (1+0+0.5)*2/6 = 3/6
    assert stats.probability_of_improvement(x, y) == pytest.approx((3.5 / 6 + 3 / 6) / 2)
    assert stats.probability_of_improvement(x, x) == pytest.approx(0.5)


def test_performance_profile_counts_strictly_greater():
    scores = np.array([[0.0, 0.5], [0.5, 1.0]])
    assert stats.performance_profile(scores, [-1, 0, 0.5, 1]).tolist() == [1, 0.75, 0.25, 0]


def test_stratified_bootstrap_resamples_within_tasks():
    # Task 0 is always 0, task 1 always 1: any within-task resample keeps the mean at
    # 0.5, so the interval collapses; an unstratified bootstrap would not.
    scores = np.column_stack([np.zeros(10), np.ones(10)])
    ci = stats.stratified_bootstrap_ci(scores, stats.mean, reps=200)
    assert ci.value == ci.low == ci.high == 0.5


def test_bootstrap_interval_covers_the_truth_and_shrinks_with_runs():
    rng = np.random.default_rng(0)
    small = rng.normal(1.0, 1.0, size=(5, 3))
    large = rng.normal(1.0, 1.0, size=(200, 3))
    ci_s = stats.stratified_bootstrap_ci(small, stats.mean, reps=500)
    ci_l = stats.stratified_bootstrap_ci(large, stats.mean, reps=500)
    assert ci_l.low < 1.0 < ci_l.high
    assert (ci_l.high - ci_l.low) < (ci_s.high - ci_s.low) / 3


def test_aggregate_with_ci_and_validation():
    out = stats.aggregate_with_ci({"a": np.ones((4, 2))}, ("iqm", "mean"), reps=50)
    assert out["a"]["iqm"].as_dict() == {"value": 1.0, "low": 1.0, "high": 1.0}
    with pytest.raises(ValueError, match="unknown metrics"):
        stats.aggregate_with_ci({"a": np.ones((2, 2))}, ("best",))
    with pytest.raises(ValueError, match="same tasks"):
        stats.probability_of_improvement(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="non-empty"):
        stats.iqm(np.zeros((0, 2)))
