"""Nash, risk-averse-equilibrium and replicator solvers on games with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardgym.agents.games import (
    get_meta_solver,
    is_constant_sum,
    lemke_howson,
    mean_variance_best_response,
    nash_equilibria,
    payoff_covariance,
    profile_moments,
    replicator_dynamics,
    risk_averse_equilibrium,
    support_enumeration,
    zero_sum_value,
)
from rewardgym.envs.risk import matrix_risk_v0

STAG_HUNT = np.array([[4.0, 0.0], [3.0, 3.0]])
RPS = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
PD = np.array([[3.0, 0.0], [5.0, 1.0]])


def _is_nash(A, B, p, q, tol=1e-7):
    return (A @ q).max() <= p @ A @ q + tol and (p @ B).max() <= p @ B @ q + tol


def _as_sets(eqs):
    return sorted((tuple(np.round(p, 6)), tuple(np.round(q, 6))) for p, q in eqs)


def test_matching_pennies_by_lp_is_half_half_with_value_zero():
    A = np.array([[1.0, -1.0], [-1.0, 1.0]])
    value, p, q = zero_sum_value(A)
    assert value == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(p, [0.5, 0.5], atol=1e-9)
    np.testing.assert_allclose(q, [0.5, 0.5], atol=1e-9)
    ((p2, _),) = nash_equilibria(A)  # B=None: zero-sum, solved by LP
    np.testing.assert_allclose(p2, [0.5, 0.5], atol=1e-9)


def test_prisoners_dilemma_has_the_single_equilibrium_defect_defect():
    eqs = nash_equilibria(PD, PD.T)
    assert _as_sets(eqs) == [((0.0, 1.0), (0.0, 1.0))]


def test_stag_hunt_has_two_pure_and_one_mixed_equilibrium():
    eqs = nash_equilibria(STAG_HUNT, STAG_HUNT.T)
    assert _as_sets(eqs) == [
        ((0.0, 1.0), (0.0, 1.0)),
        ((0.75, 0.25), (0.75, 0.25)),
        ((1.0, 0.0), (1.0, 0.0)),
    ]


def test_rock_paper_scissors_every_method_gives_uniform():
    for method in ("lp", "support_enumeration", "lemke_howson"):
        eqs = nash_equilibria(RPS, -RPS, method=method)
        assert len(eqs) == 1, method
        np.testing.assert_allclose(eqs[0][0], np.full(3, 1 / 3), atol=1e-9)
        np.testing.assert_allclose(eqs[0][1], np.full(3, 1 / 3), atol=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_random_zero_sum_game_support_enumeration_matches_the_lp_value(seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(4, 5))
    value, p, q = zero_sum_value(A)
    # the LP strategies guarantee the value from both sides
    assert (p @ A).min() == pytest.approx(value, abs=1e-7)
    assert (A @ q).max() == pytest.approx(value, abs=1e-7)
    eqs = support_enumeration(A, -A)
    assert len(eqs) == 1  # a nondegenerate zero-sum game has a unique equilibrium
    pe, qe = eqs[0]
    assert pe @ A @ qe == pytest.approx(value, abs=1e-7)
    np.testing.assert_allclose(pe, p, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 4), st.integers(2, 4))
def test_lemke_howson_finds_one_of_the_enumerated_equilibria(seed, n, m):
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(n, m)), rng.normal(size=(n, m))
    enumerated = _as_sets(support_enumeration(A, B))
    assert enumerated  # every nondegenerate game has one
    for label in range(n + m):
        p, q = lemke_howson(A, B, label)
        assert _is_nash(A, B, p, q)
        assert _as_sets([(p, q)])[0] in enumerated


def test_degenerate_game_with_duplicate_strategies_still_gets_equilibria():
    A = np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 2.0]])
    B = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    eqs = nash_equilibria(A, B)
    assert eqs and all(_is_nash(A, B, p, q) for p, q in eqs)
    p, q = lemke_howson(A, B, 0)
    assert _is_nash(A, B, p, q)


def test_large_game_falls_back_to_lemke_howson():
    rng = np.random.default_rng(3)
    A, B = rng.normal(size=(9, 9)), rng.normal(size=(9, 9))
    eqs = nash_equilibria(A, B, max_support_pairs=10)
    assert eqs and all(_is_nash(A, B, p, q) for p, q in eqs)


def test_constant_sum_detection_and_solver_argument_errors():
    assert is_constant_sum(RPS, 2.0 - RPS)
    assert not is_constant_sum(PD, PD.T)
    with pytest.raises(ValueError, match="constant-sum"):
        nash_equilibria(PD, PD.T, method="lp")
    with pytest.raises(ValueError, match="unknown method"):
        nash_equilibria(PD, PD.T, method="simplex")
    with pytest.raises(ValueError, match="same shape"):
        nash_equilibria(PD, np.zeros((3, 2)))


# -- risk-averse equilibrium ---------------------------------------------------------------


def test_stag_hunt_gamma_zero_stays_at_stag_stag_from_nearby():
    p, q = risk_averse_equilibrium(STAG_HUNT, STAG_HUNT.T, 0.0, init=([0.9, 0.1], [0.9, 0.1]))
    assert p[0] > 0.999 and q[0] > 0.999


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0])
def test_stag_hunt_positive_gamma_goes_to_the_risk_dominant_hare_hare(gamma):
    p, q = risk_averse_equilibrium(STAG_HUNT, STAG_HUNT.T, gamma, init=([0.9, 0.1], [0.9, 0.1]))
    assert p[1] > 0.99 and q[1] > 0.99


def test_stag_hunt_unsmoothed_play_gives_the_same_answers():
    init = ([0.9, 0.1], [0.9, 0.1])
    p0, _ = risk_averse_equilibrium(STAG_HUNT, STAG_HUNT.T, 0.0, init=init, temperature=0.0)
    p1, _ = risk_averse_equilibrium(STAG_HUNT, STAG_HUNT.T, 1.0, init=init, temperature=0.0)
    assert p0[0] > 0.999 and p1[1] > 0.999


def test_catastrophe_game_rae_has_lower_variance_than_nash_at_small_mean_cost():
    game = matrix_risk_v0.preset("catastrophe")
    A, B = game.expected_payoffs
    ((pn, qn),) = nash_equilibria(A, B)
    np.testing.assert_allclose(pn, [0.0, 1.0])  # risky is dominant in expectation
    pr, qr = risk_averse_equilibrium(A, B, 1.0, second_moments=game.second_moments)
    nash = profile_moments(A, B, pn, qn, second_moments=game.second_moments)
    rae = profile_moments(A, B, pr, qr, second_moments=game.second_moments)
    assert nash["row_var"] == pytest.approx(10.8241)
    assert rae["row_var"] < 0.05 * nash["row_var"]
    assert abs(nash["row_mean"] - rae["row_mean"]) < 0.02 * nash["row_mean"]
    # without the second moments the cells look deterministic: no reason to avoid risky
    pd_, _ = risk_averse_equilibrium(A, B, 1.0)
    assert pd_[1] > 0.99


def test_random_catastrophe_games_rae_variance_below_nash_on_average():
    rng = np.random.default_rng(0)
    nash_var, rae_var, nash_mean, rae_mean = [], [], [], []
    for _ in range(20):
        A, B = rng.uniform(0, 4, (3, 3)), rng.uniform(0, 4, (3, 3))
        risky = rng.random((3, 3)) < 0.35
        prob = np.where(risky, 0.03, 0.0)
        A, B = (
            np.where(risky, (A + 0.3 + 0.6) / 0.97, A),
            np.where(risky, (B + 0.3 + 0.6) / 0.97, B),
        )
        game = matrix_risk_v0.MatrixGame.with_catastrophes(A, B, prob, -20.0, -20.0)
        Am, Bm = game.expected_payoffs
        eqs = nash_equilibria(Am, Bm)
        pn, qn = max(eqs, key=lambda e: e[0] @ (Am + Bm) @ e[1])
        pr, qr = risk_averse_equilibrium(Am, Bm, 0.1, second_moments=game.second_moments)
        n = profile_moments(Am, Bm, pn, qn, game.second_moments)
        r = profile_moments(Am, Bm, pr, qr, game.second_moments)
        nash_var.append(n["row_var"] + n["col_var"])
        rae_var.append(r["row_var"] + r["col_var"])
        nash_mean.append(n["row_mean"] + n["col_mean"])
        rae_mean.append(r["row_mean"] + r["col_mean"])
    assert np.mean(rae_var) < 0.5 * np.mean(nash_var)
    assert np.mean(nash_mean) - np.mean(rae_mean) < 0.15 * np.mean(nash_mean)


def test_mean_variance_best_response_matches_a_grid_search():
    rng = np.random.default_rng(1)
    for _ in range(5):
        mu = rng.normal(size=3)
        L = rng.normal(size=(3, 3))
        sigma = L @ L.T
        p = mean_variance_best_response(mu, sigma, 0.7)
        grid = [
            np.array([a, b, 1 - a - b])
            for a in np.linspace(0, 1, 101)
            for b in np.linspace(0, 1, 101)
            if a + b <= 1 + 1e-12
        ]
        best = max(x @ mu - 0.7 * x @ sigma @ x for x in grid)
        assert p @ mu - 0.7 * p @ sigma @ p >= best - 1e-9
        assert p.min() >= 0 and p.sum() == pytest.approx(1.0)


def test_mean_variance_best_response_two_actions_closed_form_and_softmax():
    # mu = (3.6, 3), Var(stag) = 1.44, hare riskless: p_stag = 0.6 / (2 * 1.44 * gamma)
    p = mean_variance_best_response([3.6, 3.0], [[1.44, 0.0], [0.0, 0.0]], gamma=1.0)
    assert p[0] == pytest.approx(0.6 / 2.88, abs=1e-9)
    soft = mean_variance_best_response([1.0, 0.0, -1.0], np.zeros((3, 3)), 0.0, temperature=0.5)
    expected = np.exp(np.array([1.0, 0.0, -1.0]) / 0.5)
    np.testing.assert_allclose(soft, expected / expected.sum(), atol=1e-9)


def test_payoff_covariance_hand_case_with_second_moments():
    mu, S, w = payoff_covariance([[4, 0], [3, 3]], [0.5, 0.5])
    np.testing.assert_allclose(mu, [2.0, 3.0])
    np.testing.assert_allclose(S, [[4.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(w, [0.0, 0.0])
    # a noisy hare cell (variance 1 against hare) gives hare a within-cell variance 0.5
    _, S2, w2 = payoff_covariance([[4, 0], [3, 3]], [0.5, 0.5], M2=[[16, 0], [9, 10]])
    np.testing.assert_allclose(S2, S)
    np.testing.assert_allclose(w2, [0.0, 0.5])


def test_within_cell_noise_is_a_linear_cost_not_diversified_by_mixing():
    # two strategies with equal means and independent noise of variance 1 each:
    # a portfolio would halve the variance by mixing; a mixed strategy does not
    p = mean_variance_best_response([1.0, 1.0], np.zeros((2, 2)), 1.0, noise=[1.0, 1.0])
    objective = p @ [1.0, 1.0] - 1.0 * p @ [1.0, 1.0]
    assert objective == pytest.approx(0.0)
    # with unequal noise the less noisy strategy wins outright
    p = mean_variance_best_response([1.0, 1.0], np.zeros((2, 2)), 1.0, noise=[1.0, 0.2])
    np.testing.assert_allclose(p, [0.0, 1.0], atol=1e-9)


def test_replicator_dynamics_on_rps_and_prisoners_dilemma():
    p, q = replicator_dynamics(RPS, -RPS)
    np.testing.assert_allclose(p, np.full(3, 1 / 3), atol=0.03)
    p, q = replicator_dynamics(PD, PD.T)
    assert p[1] > 0.99 and q[1] > 0.99


def test_profile_moments_counts_mixing_and_cell_noise():
    m = profile_moments([[2.0]], [[0.0]], [1.0], [1.0], second_moments=([[5.0]], [[0.0]]))
    assert m == {"row_mean": 2.0, "row_var": 1.0, "col_mean": 0.0, "col_var": 0.0}


def test_meta_solvers_by_name():
    assert all(callable(get_meta_solver(n)) for n in ("uniform", "nash", "replicator", "rae"))
    with pytest.raises(ValueError, match="unknown meta-solver"):
        get_meta_solver("alpharank")
    p, _ = get_meta_solver("uniform")(PD, PD.T, None, None)
    np.testing.assert_allclose(p, [0.5, 0.5])
    # nash picks the highest-welfare equilibrium of the stag hunt: (stag, stag)
    p, _ = get_meta_solver("nash")(STAG_HUNT, STAG_HUNT.T, None, None)
    np.testing.assert_allclose(p, [1.0, 0.0])
    # rae sees within-entry variance: same means, but row 0 is noisy
    A = np.array([[1.0, 1.0], [1.0, 1.0]])
    A2 = np.array([[6.0, 6.0], [1.0, 1.0]])
    p, _ = get_meta_solver("rae", gamma=1.0)(A, A.T, A2, A2.T)
    assert p[1] > 0.8


def test_rae_argument_errors():
    with pytest.raises(ValueError, match="gamma"):
        risk_averse_equilibrium(PD, PD.T, -1.0)
    with pytest.raises(ValueError, match="init"):
        risk_averse_equilibrium(PD, PD.T, 1.0, init=([1.0, 0.0, 0.0], [1.0, 0.0]))
    with pytest.raises(ValueError, match="second_moments"):
        risk_averse_equilibrium(PD, PD.T, 1.0, second_moments=(np.ones((3, 3)), np.ones((2, 2))))
