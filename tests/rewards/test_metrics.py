"""Reward distances (EPIC, STARC): invariance to shaping and positive scale, the
pseudometric axioms (Hypothesis properties over seeded random MDPs), the maxima for
R against -R, hand-computed cases, the constant / zero conventions, and the errors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import rewardgym  # noqa: F401
from rewardgym.rewards.metrics import (
    epic_canonicalize,
    epic_distance,
    starc_canonicalize,
    starc_distance,
)

# Deterministic: every run draws the same examples (no example database either).
props = settings(max_examples=40, deadline=None, derandomize=True, database=None)

seeds = st.integers(0, 2**32 - 1)
n_states = st.integers(1, 5)
n_actions = st.integers(1, 4)
epic_gammas = st.floats(0.0, 1.0)  # EPIC solves no value function: gamma = 1 is fine
starc_gammas = st.floats(0.0, 0.95)
norms = st.sampled_from(["l1", "l2", "linf"])


class MDP:
    """A seeded random finite MDP with the pieces the properties need."""

    def __init__(self, seed: int, n_s: int, n_a: int) -> None:
        rng = np.random.default_rng(seed)
        self.rng = rng
        self.shape = (n_s, n_a, n_s)
        self.r = rng.normal(size=self.shape)
        self.t = rng.dirichlet(np.ones(n_s), size=(n_s, n_a))
        self.pi = rng.dirichlet(np.ones(n_a), size=n_s)
        self.d_s = rng.dirichlet(np.ones(n_s))
        self.d_a = rng.dirichlet(np.ones(n_a))
        self.coverage = rng.uniform(0.1, 1.0, size=self.shape)
        self.weights = rng.uniform(0.1, 1.0, size=self.shape)
        self.phi = 10.0 * rng.normal(size=n_s)
        self.c = float(rng.uniform(0.05, 20.0))

    def reward(self) -> np.ndarray:
        return self.rng.normal(size=self.shape)

    def shaping(self, gamma: float, phi: np.ndarray | None = None) -> np.ndarray:
        p = self.phi if phi is None else phi
        f = gamma * p[None, None, :] - p[:, None, None]
        return np.broadcast_to(f, self.shape).copy()


def shaping(phi: np.ndarray, gamma: float, n_a: int) -> np.ndarray:
    n_s = len(phi)
    return np.broadcast_to(gamma * phi[None, None, :] - phi[:, None, None], (n_s, n_a, n_s))


# ======================================================================================
# EPIC


@props
@given(seeds, n_states, n_actions, epic_gammas, st.booleans())
def test_epic_ignores_potential_shaping(seed, n_s, n_a, gamma, custom):
    m = MDP(seed, n_s, n_a)
    kw: dict[str, Any] = (
        {"state_dist": m.d_s, "action_dist": m.d_a, "coverage": m.coverage} if custom else {}
    )
    shaped = m.r + m.shaping(gamma)
    assert epic_distance(m.r, shaped, gamma, **kw) == pytest.approx(0.0, abs=1e-9)
    # Shaping, positive scale and a constant together.
    mixed = m.c * m.r + m.shaping(gamma) + 3.0
    assert epic_distance(m.r, mixed, gamma, **kw) == pytest.approx(0.0, abs=1e-9)


@props
@given(seeds, n_states, n_actions, epic_gammas)
def test_epic_ignores_positive_scale(seed, n_s, n_a, gamma):
    m = MDP(seed, n_s, n_a)
    assert epic_distance(m.r, m.c * m.r, gamma) == pytest.approx(0.0, abs=1e-9)


@props
@given(seeds, n_states, n_actions, epic_gammas, st.booleans())
def test_epic_negation_is_the_maximum(seed, n_s, n_a, gamma, custom):
    m = MDP(seed, n_s, n_a)
    kw: dict[str, Any] = (
        {"state_dist": m.d_s, "action_dist": m.d_a, "coverage": m.coverage} if custom else {}
    )
    canon = epic_canonicalize(m.r, gamma, kw.get("state_dist"), kw.get("action_dist"))
    assume(np.ptp(canon) > 1e-6)  # e.g. S = A = 1: every reward is a constant
    assert epic_distance(m.r, -m.r, gamma, **kw) == pytest.approx(1.0, abs=1e-12)


@props
@given(seeds, n_states, n_actions, epic_gammas)
def test_epic_is_symmetric_and_in_unit_interval(seed, n_s, n_a, gamma):
    m = MDP(seed, n_s, n_a)
    other = m.reward()
    d = epic_distance(m.r, other, gamma, coverage=m.coverage)
    assert d == epic_distance(other, m.r, gamma, coverage=m.coverage)
    assert 0.0 <= d <= 1.0
    assert epic_distance(m.r, m.r, gamma) == 0.0


@props
@given(
    seeds,
    n_states,
    n_actions,
    epic_gammas,
    st.floats(0.0, 2.0),
    st.floats(0.0, 2.0),
    st.booleans(),
)
def test_epic_triangle_inequality(seed, n_s, n_a, gamma, step1, step2, custom):
    # Walk from r_a in two random steps so that the triangles are not all near-equilateral.
    m = MDP(seed, n_s, n_a)
    r_a = m.r
    r_b = r_a + step1 * m.reward()
    r_c = r_b + step2 * m.reward()
    kw: dict[str, Any] = (
        {"state_dist": m.d_s, "action_dist": m.d_a, "coverage": m.coverage} if custom else {}
    )
    const = np.full(m.shape, 2.0)
    for x, y, z in [(r_a, r_b, r_c), (r_b, r_a, r_c), (r_a, r_c, r_b), (r_a, const, r_c)]:
        xz = epic_distance(x, z, gamma, **kw)
        xy = epic_distance(x, y, gamma, **kw)
        yz = epic_distance(y, z, gamma, **kw)
        assert xz <= xy + yz + 1e-12


@props
@given(seeds, n_states, n_actions, epic_gammas)
def test_epic_canonicalize_removes_shaping_and_is_idempotent(seed, n_s, n_a, gamma):
    m = MDP(seed, n_s, n_a)
    c = epic_canonicalize(m.r, gamma, m.d_s, m.d_a)
    shaped = epic_canonicalize(m.r + m.shaping(gamma) - 1.5, gamma, m.d_s, m.d_a)
    np.testing.assert_allclose(shaped, c, atol=1e-10)
    np.testing.assert_allclose(epic_canonicalize(c, gamma, m.d_s, m.d_a), c, atol=1e-12)


def test_epic_canonicalize_matches_the_formula_by_loops():
    rng = np.random.default_rng(7)
    n_s, n_a, gamma = 3, 2, 0.8
    r = rng.normal(size=(n_s, n_a, n_s))
    d_s, d_a = rng.dirichlet(np.ones(n_s)), rng.dirichlet(np.ones(n_a))
    expected = np.empty_like(r)
    for s in range(n_s):
        for a in range(n_a):
            for s2 in range(n_s):
                e = 0.0
                for big_s in range(n_s):
                    for big_a in range(n_a):
                        for big_s2 in range(n_s):
                            p = d_s[big_s] * d_a[big_a] * d_s[big_s2]
                            e += p * (
                                gamma * r[s2, big_a, big_s2]
                                - r[s, big_a, big_s2]
                                - gamma * r[big_s, big_a, big_s2]
                            )
                expected[s, a, s2] = r[s, a, s2] + e
    np.testing.assert_allclose(epic_canonicalize(r, gamma, d_s, d_a), expected, atol=1e-12)


def arrive(k: int, n_s: int = 3, n_a: int = 3) -> np.ndarray:
    """R(s, a, s') = 1 when s' = k: a reward for reaching state k."""
    r = np.zeros((n_s, n_a, n_s))
    r[:, :, k] = 1.0
    return r


def test_epic_hand_computed_reward_on_different_states():
    # 3 states, 3 actions, uniform D_S and D_A, R_k(s, a, s') = [s' = k].
    # m(x) = E_{A, S'} R_k(x, A, S') = 1/3 for every x, so M = 1/3 and
    # C(R_k) = R_k + gamma/3 - 1/3 - gamma/3 = [s' = k] - 1/3.
    # Over s' the canonical rewards are e_0 - 1/3 = (2/3, -1/3, -1/3) and
    # e_1 - 1/3 = (-1/3, 2/3, -1/3) (repeated over (s, a), which changes no moment):
    # both have mean 0 and variance (4/9 + 1/9 + 1/9) / 3 = 2/9, covariance
    # (-2/9 - 2/9 + 1/9) / 3 = -1/9, so rho = -1/2 and D = sqrt((1 + 1/2) / 2) = sqrt(3)/2.
    np.testing.assert_allclose(epic_canonicalize(arrive(0), 0.9), arrive(0) - 1 / 3)
    d = epic_distance(arrive(0), arrive(1), 0.9)
    assert d == pytest.approx(math.sqrt(3) / 2, abs=1e-12)
    assert d > 0.5  # clearly different rewards are clearly apart


def test_epic_state_reward_and_arrival_reward_are_equivalent():
    # R(s, a, s') = [s = 1] is gamma * [s' = 1] minus the potential shaping with
    # Phi = [x = 1]:  gamma [s' = 1] - (gamma Phi(s') - Phi(s)) = [s = 1].
    state = np.zeros((3, 3, 3))
    state[1] = 1.0
    assert epic_distance(state, arrive(1), 0.9) == pytest.approx(0.0, abs=1e-12)


def test_epic_constant_reward_convention():
    rng = np.random.default_rng(3)
    n_s, n_a, gamma = 4, 2, 0.9
    r = rng.normal(size=(n_s, n_a, n_s))
    const = np.full(r.shape, -4.2)
    pure_shaping = shaping(rng.normal(size=n_s), gamma, n_a)
    zero = np.zeros(r.shape)
    # Constant canonical form: standardised to Z = 0, so D = ||0 - Z|| / 2 = 1/2 against
    # any non-constant reward (whose Z has unit norm) and 0 against another constant one.
    for c in (const, pure_shaping, zero):
        assert np.ptp(epic_canonicalize(c, gamma)) < 1e-12
        assert epic_distance(c, r, gamma) == pytest.approx(0.5, abs=1e-12)
        assert epic_distance(r, c, gamma) == pytest.approx(0.5, abs=1e-12)
        for c2 in (const, pure_shaping, zero):
            assert epic_distance(c, c2, gamma) == 0.0
    # With gamma = 0, a reward of the state alone is a (negated) potential: constant.
    state = np.broadcast_to(rng.normal(size=n_s)[:, None, None], r.shape)
    assert epic_distance(state, zero, 0.0) == 0.0
    # With one state and one action, every reward is constant.
    assert epic_distance([[[1.0]]], [[[-5.0]]], 0.5) == 0.0


def test_epic_accepts_lists_and_gamma_one():
    r = [[[0.0, 1.0], [2.0, 0.0]], [[1.0, 1.0], [0.0, 3.0]]]
    d = epic_distance(r, np.asarray(r) * 2.0, 1.0)
    assert d == pytest.approx(0.0, abs=1e-12)


R3 = np.zeros((3, 2, 3))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: epic_distance(np.zeros((3, 2)), np.zeros((3, 2)), 0.9), "3-D"),
        (lambda: epic_distance(np.zeros((3, 2, 4)), np.zeros((3, 2, 4)), 0.9), r"\(S, A, S\)"),
        (lambda: epic_distance(np.zeros((0, 2, 0)), np.zeros((0, 2, 0)), 0.9), "at least"),
        (lambda: epic_distance(R3, np.zeros((3, 3, 3)), 0.9), "same shape"),
        (lambda: epic_distance(R3 + np.nan, R3, 0.9), "finite"),
        (lambda: epic_distance(R3, R3, -0.1), r"\[0, 1\]"),
        (lambda: epic_distance(R3, R3, 1.1), r"\[0, 1\]"),
        (lambda: epic_distance(R3, R3, 0.9, state_dist=[0.5, 0.5]), "state_dist.*shape"),
        (lambda: epic_distance(R3, R3, 0.9, state_dist=[0.5, 0.6, -0.1]), "non-negative"),
        (lambda: epic_distance(R3, R3, 0.9, state_dist=[0.5, 0.4, 0.0]), "sum to 1"),
        (lambda: epic_distance(R3, R3, 0.9, action_dist=[1.0]), "action_dist.*shape"),
        (lambda: epic_distance(R3, R3, 0.9, action_dist=[0.7, 0.7]), "sum to 1"),
        (lambda: epic_distance(R3, R3, 0.9, coverage=np.ones((3, 2))), "coverage.*shape"),
        (lambda: epic_distance(R3, R3, 0.9, coverage=-np.ones((3, 2, 3))), "non-negative"),
        (lambda: epic_distance(R3, R3, 0.9, coverage=np.zeros((3, 2, 3))), "positive sum"),
        (lambda: epic_canonicalize(np.zeros((3, 2)), 0.9), "3-D"),
        (lambda: epic_canonicalize(R3, 2.0), r"\[0, 1\]"),
        (lambda: epic_canonicalize(R3, 0.9, action_dist=[0.2, 0.2]), "sum to 1"),
    ],
)
def test_epic_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ======================================================================================
# STARC


@props
@given(seeds, n_states, n_actions, starc_gammas, norms, st.booleans())
def test_starc_ignores_potential_shaping(seed, n_s, n_a, gamma, norm, custom):
    m = MDP(seed, n_s, n_a)
    kw: dict[str, Any] = {"policy": m.pi, "weights": m.weights} if custom else {}
    shaped = m.r + m.shaping(gamma)
    assert starc_distance(m.r, shaped, m.t, gamma, norm=norm, **kw) == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(
        starc_canonicalize(m.shaping(gamma), m.t, gamma, kw.get("policy")), 0.0, atol=1e-10
    )


@props
@given(seeds, n_states, n_actions, starc_gammas, norms)
def test_starc_ignores_positive_scale(seed, n_s, n_a, gamma, norm):
    m = MDP(seed, n_s, n_a)
    mixed = m.c * m.r + m.shaping(gamma)
    assert starc_distance(m.r, m.c * m.r, m.t, gamma, norm=norm) == pytest.approx(0.0, abs=1e-9)
    assert starc_distance(m.r, mixed, m.t, gamma, norm=norm) == pytest.approx(0.0, abs=1e-9)


@props
@given(seeds, n_states, st.integers(2, 4), starc_gammas, norms, st.booleans())
def test_starc_negation_is_the_maximum(seed, n_s, n_a, gamma, norm, custom):
    m = MDP(seed, n_s, n_a)
    kw: dict[str, Any] = {"policy": m.pi, "weights": m.weights} if custom else {}
    canon = starc_canonicalize(m.r, m.t, gamma, kw.get("policy"))
    assume(np.max(np.abs(canon)) > 1e-6)  # not shaping-equivalent to 0
    assert starc_distance(m.r, -m.r, m.t, gamma, norm=norm, **kw) == pytest.approx(2.0, abs=1e-12)


@props
@given(seeds, n_states, n_actions, starc_gammas, norms)
def test_starc_is_symmetric_and_in_range(seed, n_s, n_a, gamma, norm):
    m = MDP(seed, n_s, n_a)
    other = m.reward()
    d = starc_distance(m.r, other, m.t, gamma, policy=m.pi, norm=norm)
    assert d == starc_distance(other, m.r, m.t, gamma, policy=m.pi, norm=norm)
    assert 0.0 <= d <= 2.0
    assert starc_distance(m.r, m.r, m.t, gamma, norm=norm) == 0.0


@props
@given(
    seeds,
    n_states,
    n_actions,
    starc_gammas,
    norms,
    st.floats(0.0, 2.0),
    st.floats(0.0, 2.0),
    st.booleans(),
)
def test_starc_triangle_inequality(seed, n_s, n_a, gamma, norm, step1, step2, custom):
    m = MDP(seed, n_s, n_a)
    kw: dict[str, Any] = {"policy": m.pi, "weights": m.weights} if custom else {}
    r_a = m.r
    r_b = r_a + step1 * m.reward()
    r_c = r_b + step2 * m.reward()
    zero_canon = m.shaping(gamma)
    for x, y, z in [(r_a, r_b, r_c), (r_b, r_a, r_c), (r_a, r_c, r_b), (r_a, zero_canon, r_c)]:
        xz = starc_distance(x, z, m.t, gamma, norm=norm, **kw)
        xy = starc_distance(x, y, m.t, gamma, norm=norm, **kw)
        yz = starc_distance(y, z, m.t, gamma, norm=norm, **kw)
        assert xz <= xy + yz + 1e-12


@props
@given(seeds, n_states, n_actions, st.floats(0.0, 0.9))
def test_starc_canonicalize_is_the_advantage(seed, n_s, n_a, gamma):
    # Independent check: evaluate pi by iterating the Bellman operator, no linear solve.
    m = MDP(seed, n_s, n_a)
    r_sa = np.einsum("sat,sat->sa", m.t, m.r)
    v = np.zeros(n_s)
    for _ in range(400):  # 0.9**400 < 1e-18
        q = r_sa + gamma * m.t @ v
        v = np.sum(m.pi * q, axis=1)
    adv = r_sa + gamma * m.t @ v - v[:, None]
    canon = starc_canonicalize(m.r, m.t, gamma, m.pi)
    np.testing.assert_allclose(canon, np.repeat(adv[:, :, None], n_s, axis=2), atol=1e-9)


# The 2-state, 2-action MDP of the hand-computed cases: action 0 stays, action 1 switches.
SWITCH_T = np.zeros((2, 2, 2))
SWITCH_T[0, 0, 0] = SWITCH_T[1, 0, 1] = SWITCH_T[0, 1, 1] = SWITCH_T[1, 1, 0] = 1.0
GOAL = np.zeros((2, 2, 2))
GOAL[:, :, 1] = 1.0  # R1(s, a, s') = [s' = 1]
MOVE = np.zeros((2, 2, 2))
MOVE[:, 1, :] = 1.0  # R2(s, a, s') = [a = 1]


def test_starc_hand_computed_two_state_case():
    # gamma = 1/2, uniform pi. From either state, pi reaches each state with probability
    # 1/2 and earns 1/2 in expectation under R1 or R2, so V = (1/2) / (1 - 1/2) = 1 in both
    # states, and c(R)(s, a) = R(s, a, next(s, a)) + gamma * 1 - 1 = R - 1/2:
    #   c(R1) = [[-1/2, 1/2], [1/2, -1/2]]   (rows s, columns a)
    #   c(R2) = [[-1/2, 1/2], [-1/2, 1/2]]
    # Each (s, a) entry appears twice in the (s, a, s') array. ||c(R1)|| = sqrt(8/4) = sqrt 2
    # = ||c(R2)||, and c(R1) . c(R2) = 2 * (1/4 + 1/4 - 1/4 - 1/4) = 0: orthogonal, so the
    # distance of the unit vectors is sqrt(2).
    # R3 = R1 + R2 has c(R3) = c(R1) + c(R2) = [[-1, 1], [0, 0]], norm sqrt(2 * 2) = 2, and
    # c(R1) . c(R3) = 2 * (1/2 + 1/2) = 2, so cos = 2 / (sqrt 2 * 2) = 1 / sqrt 2 and
    # ||u1 - u3||^2 = 2 - 2 cos = 2 - sqrt 2.
    gamma = 0.5
    c1 = np.array([[-0.5, 0.5], [0.5, -0.5]])
    np.testing.assert_allclose(
        starc_canonicalize(GOAL, SWITCH_T, gamma), np.repeat(c1[:, :, None], 2, axis=2)
    )
    assert starc_distance(GOAL, MOVE, SWITCH_T, gamma) == pytest.approx(math.sqrt(2), abs=1e-12)
    d = starc_distance(GOAL, GOAL + MOVE, SWITCH_T, gamma)
    assert d == pytest.approx(math.sqrt(2 - math.sqrt(2)), abs=1e-12)
    # The reward for being in state 1, [s = 1], is gamma * R1 minus a potential shaping
    # (Phi = [x = 1]), so it sits at distance 0 from R1.
    in_one = np.zeros((2, 2, 2))
    in_one[1] = 1.0
    assert starc_distance(in_one, GOAL, SWITCH_T, gamma) == pytest.approx(0.0, abs=1e-12)


def test_starc_hand_computed_reward_on_different_states():
    # 3 states, action a moves to state a: T(s, a, s') = [s' = a]. R_k = [s' = k].
    # E_{S'} R_k(s, a, S') = [a = k]; under uniform pi, r_pi = 1/3 everywhere, so
    # V = (1/3) / (1 - gamma) and c(R_k)(s, a) = [a = k] + gamma V - V = [a = k] - 1/3.
    # As in the EPIC case the two vectors e_k - 1/3 have cos = (-1/3) / (2/3) = -1/2, so
    # the unit vectors are sqrt(2 - 2 cos) = sqrt(3) apart.
    t = np.zeros((3, 3, 3))
    for a in range(3):
        t[:, a, a] = 1.0
    d = starc_distance(arrive(0), arrive(1), t, 0.9)
    assert d == pytest.approx(math.sqrt(3), abs=1e-12)
    # In a random 3-state MDP the two rewards are clearly apart as well.
    rng = np.random.default_rng(11)
    t_rand = rng.dirichlet(np.ones(3), size=(3, 3))
    assert starc_distance(arrive(0), arrive(1), t_rand, 0.9) > 0.5


def test_starc_one_action_makes_every_reward_equivalent():
    # 2 states, 1 action: the only action is the policy, so Q(s, a) = V(s) and the
    # advantage c(R) is 0 for every reward. E.g. T = [[1/2, 1/2], [1, 0]] (s' given s),
    # gamma = 1/2, R(s, a, s') = [s' = 0]: r_pi = (1/2, 1); V0 = 1/2 + (V0 + V1)/4,
    # V1 = 1 + V0/2, so V0 = 6/5, V1 = 8/5, and the advantages are
    # c(0) = 1/2 + (1/2)(V0 + V1)/2 - V0 = 1/2 + 7/10 - 6/5 = 0 and
    # c(1) = 1 + (1/2) V0 - V1 = 1 + 3/5 - 8/5 = 0.
    t = np.array([[[0.5, 0.5]], [[1.0, 0.0]]])
    r = np.array([[[1.0, 0.0]], [[1.0, 0.0]]])
    np.testing.assert_allclose(starc_canonicalize(r, t, 0.5), 0.0, atol=1e-15)
    assert starc_distance(r, -r, t, 0.5) == 0.0


def test_starc_zero_canonical_convention():
    rng = np.random.default_rng(5)
    n_s, n_a, gamma = 4, 3, 0.9
    t = rng.dirichlet(np.ones(n_s), size=(n_s, n_a))
    r = rng.normal(size=(n_s, n_a, n_s))
    pure_shaping = shaping(rng.normal(size=n_s), gamma, n_a)
    const = np.full(r.shape, 7.0)
    zero = np.zeros(r.shape)
    for norm in ("l1", "l2", "linf"):
        for c in (pure_shaping, const, zero):
            # Normalised to 0; the other reward normalises to a unit vector.
            assert starc_distance(c, r, t, gamma, norm=norm) == pytest.approx(1.0, abs=1e-12)
            for c2 in (pure_shaping, const, zero):
                assert starc_distance(c, c2, t, gamma, norm=norm) == 0.0


T3 = np.full((3, 2, 3), 1 / 3)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: starc_distance(R3, R3, T3, 1.0), "singular"),
        (lambda: starc_distance(R3, R3, T3, -0.5), r"\[0, 1\)"),
        (lambda: starc_canonicalize(R3, T3, 1.0), "value function"),
        (lambda: starc_distance(np.zeros((3, 2)), np.zeros((3, 2)), T3, 0.9), "3-D"),
        (lambda: starc_distance(R3, np.zeros((2, 2, 2)), T3, 0.9), "same shape"),
        (lambda: starc_distance(R3, R3, np.full((3, 3, 3), 1 / 3), 0.9), "transitions.*shape"),
        (lambda: starc_distance(R3, R3, T3 * 0.9, 0.9), r"sum to 1.*\(s, a\) = \(0, 0\)"),
        (lambda: starc_distance(R3, R3, T3 - 1.0, 0.9), "non-negative"),
        (lambda: starc_distance(R3, R3, T3, 0.9, policy=np.ones((3, 3)) / 3), "policy.*shape"),
        (lambda: starc_distance(R3, R3, T3, 0.9, policy=np.ones((3, 2))), "sum to 1"),
        (lambda: starc_distance(R3, R3, T3, 0.9, norm="l3"), "norm must be one of"),
        (lambda: starc_distance(R3, R3, T3, 0.9, weights=np.ones(3)), "weights.*shape"),
        (lambda: starc_distance(R3, R3, T3, 0.9, weights=0 * T3), "positive sum"),
        (lambda: starc_canonicalize(R3, T3[:, :, :2], 0.9), "transitions"),
    ],
)
def test_starc_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
