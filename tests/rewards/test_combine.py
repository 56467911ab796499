"""Combination rules: log-sigmoid AND, PAR, ensembles, Lagrangian constraints, on
hand-computed values and Hypothesis properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rewardgym.rewards.combine import (
    PAR,
    Ensemble,
    LagrangianConstraint,
    LogSigmoid,
    log_sigmoid,
    log_sigmoid_and,
    par_transform,
)
from rewardgym.rewards.terms import FnTerm, Transitions

floats = st.floats(-50, 50, allow_nan=False)


def batch_of(*columns):
    cols = np.stack([np.asarray(c, dtype=np.float64) for c in columns], axis=1)
    return Transitions.from_arrays(cols, np.zeros(len(cols)), cols, np.zeros(len(cols)))


def col(k, name=None):
    return FnTerm(name or f"r{k}", lambda t: t.next_obs[:, k])


def test_log_sigmoid_values_and_stability():
    np.testing.assert_allclose(log_sigmoid(np.array([0.0])), [math.log(0.5)])
    np.testing.assert_allclose(log_sigmoid(np.array([2.0])), [math.log(1 / (1 + math.exp(-2)))])
    assert np.isfinite(log_sigmoid(np.array([-1000.0, 1000.0]))).all()
    assert log_sigmoid(np.array([-1000.0]))[0] == pytest.approx(-1000.0)


@given(arrays(np.float64, (5, 3), elements=floats), st.integers(0, 2))
def test_and_of_a_failed_term_stays_low(r, failed):
    """However good the other properties, the AND is at most the failed one's
    log-probability."""
    r = r.copy()
    r[:, failed] = -20.0
    t = batch_of(*r.T)
    total = log_sigmoid_and([col(0), col(1), col(2)], [0.0, 0.0, 0.0])(t)
    assert (total <= log_sigmoid(np.full(5, -20.0)) + 1e-12).all()
    assert (total <= 0).all()


@given(arrays(np.float64, 4, elements=floats), floats)
def test_log_sigmoid_and_is_monotone_in_each_property(r, bump):
    t_lo = batch_of(r, r)
    t_hi = batch_of(r + abs(bump), r)
    expr = log_sigmoid_and([col(0), col(1)], [1.0, -1.0])
    assert (expr(t_hi) >= expr(t_lo) - 1e-12).all()


def test_log_sigmoid_reference_shifts():
    t = batch_of([3.0])
    assert LogSigmoid(col(0), reference=3.0)(t)[0] == pytest.approx(math.log(0.5))
    with pytest.raises(ValueError, match="one reference per term"):
        log_sigmoid_and([col(0), col(1)], [0.0])


def test_par_hand_computed():
    # r = 1, references 0 and 2: (sigmoid(1) + sigmoid(-1)) / 2 = 0.5 exactly
    assert par_transform(np.array([1.0]), [0.0, 2.0])[0] == pytest.approx(0.5)
    # one reference 0, r = ln 3: sigmoid(ln 3) = 3/4
    assert PAR(col(0), [0.0])(batch_of([math.log(3)]))[0] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="k must be > 0"):
        PAR(col(0), [0.0], k=0)


@given(arrays(np.float64, 6, elements=floats))
def test_par_is_bounded_and_monotone(r):
    out = par_transform(np.sort(r), [-1.0, 0.0, 1.0])
    assert ((out >= 0) & (out <= 1)).all()
    assert (np.diff(out) >= -1e-12).all()


def test_ensemble_modes_on_fixed_normalisation():
    members = [col(0), col(1), col(2)]
    t = batch_of([1.0, 0.0], [3.0, 0.0], [2.0, 3.0])
    fixed = [(0.0, 1.0)] * 3
    np.testing.assert_allclose(Ensemble(members, "mean", normalize=fixed)(t), [2.0, 1.0])
    np.testing.assert_allclose(Ensemble(members, "worst", normalize=fixed)(t), [1.0, 0.0])
    # var of (1, 3, 2) = 2/3; of (0, 0, 3) = 2
    np.testing.assert_allclose(
        Ensemble(members, "uncertainty", lam=0.5, normalize=fixed)(t), [2 - 1 / 3, 1 - 1]
    )


def test_ensemble_z_normalises_each_member_with_running_statistics():
    rng = np.random.default_rng(0)
    scale = np.array([1.0, 100.0])  # the second member's scale would dominate unnormalised
    ens = Ensemble([col(0), col(1)], "mean")
    for _ in range(50):
        x = rng.normal(size=(64, 2)) * scale + [5.0, -300.0]
        ens(batch_of(*x.T))
    stats = ens.stats()
    assert stats["Ensemble/member1_std"] == pytest.approx(100.0, rel=0.05)
    assert stats["Ensemble/member0_mean"] == pytest.approx(5.0, abs=0.05)
    probe = batch_of([5.0 + 1.0], [-300.0 + 100.0])  # +1 std on both
    ens.freeze()
    count = stats["Ensemble/count"]
    assert ens(probe)[0] == pytest.approx(1.0, rel=0.05)
    assert ens.stats()["Ensemble/count"] == count
    with pytest.raises(ValueError, match="at least two members"):
        Ensemble([col(0)])


def test_lagrangian_multiplier_rises_while_the_constraint_is_violated():
    reward, cost = col(0), col(1)
    con = LagrangianConstraint(reward, cost, target=0.1, lr=0.5)
    violating = batch_of([1.0] * 4, [1.0] * 4)
    first = con(violating)
    np.testing.assert_allclose(first, [1.0] * 4)  # lambda was 0 for this batch
    assert con.multiplier == pytest.approx(0.45)
    np.testing.assert_allclose(con(violating), [1 - 0.45] * 4)
    assert con.multiplier == pytest.approx(0.9)
    satisfied = batch_of([1.0] * 4, [0.0] * 4)
    for _ in range(10):  # each batch: 0.5 * (0 - 0.1) = -0.05
        con(satisfied)
    assert con.multiplier == pytest.approx(0.4)
    for _ in range(20):
        con(satisfied)
    assert con.multiplier == 0.0  # projected back to >= 0
    con.freeze()
    con(violating)
    assert con.multiplier == 0.0
    assert con.stats()["LagrangianConstraint/multiplier"] == 0.0


def test_gate_counts_a_term_only_when_the_condition_holds():
    success = col(1, "success")
    expr = col(0, "quality").gate(success, 0.5)
    np.testing.assert_array_equal(expr(batch_of([3.0, 3.0], [1.0, 0.0])), [3.0, 0.0])
