"""PSRO (meta-game bookkeeping, oracles, games, reproducibility) and the risk metrics."""

from __future__ import annotations

import numpy as np
import pytest

from rewardgym.agents import risk_metrics as rm
from rewardgym.agents.psro import (
    PSRO,
    ConstantPolicy,
    EnumerativeOracle,
    Episodes,
    MetaGame,
    ParallelEnvGame,
    PSROConfig,
    RandomPolicy,
    RLOracle,
    SimulatorGame,
    SingleAgentView,
    evaluate_mixture,
)
from rewardgym.envs.risk import intersection_v0, matrix_risk_v0

RPS = [[0, -1, 1], [1, 0, -1], [-1, 1, 0]]


def _rps_game() -> ParallelEnvGame:
    neg = [[-x for x in row] for row in RPS]
    return ParallelEnvGame(lambda: matrix_risk_v0.parallel_env(payoffs=(RPS, neg), rounds=1))


# -- meta-game ---------------------------------------------------------------------------


def test_meta_game_merges_batches_into_mean_and_second_moment():
    meta = MetaGame()
    meta.grow(1, 2)
    x = np.array([[1.0, -1.0], [3.0, -3.0], [5.0, 0.0]])
    meta.record(0, 1, Episodes(x[:2], np.array([0.0, 1.0])))
    meta.record(0, 1, Episodes(x[2:], np.array([0.0])))
    assert meta.count[0, 1] == 3
    np.testing.assert_allclose(meta.mean[:, 0, 1], x.mean(axis=0))
    np.testing.assert_allclose(meta.second[:, 0, 1], (x**2).mean(axis=0))
    np.testing.assert_allclose(meta.variance[:, 0, 1], x.var(axis=0))
    assert meta.catastrophe_rate[0, 1] == pytest.approx(1 / 3)
    meta.grow(2, 2)
    assert meta.shape == (2, 2) and meta.count[1, 0] == 0


# -- PSRO on matrix games ----------------------------------------------------------------


def test_psro_with_nash_on_rock_paper_scissors_finds_every_move_and_uniform_mix():
    game = _rps_game()
    moves = [ConstantPolicy(a) for a in range(3)]
    psro = PSRO(
        game,
        EnumerativeOracle(game, moves, episodes=1),
        ([moves[0]], [moves[0]]),
        PSROConfig(iterations=6, episodes=1, meta_solver="nash"),
    )
    result = psro.run()
    assert result.converged
    assert sorted(p.name for p in result.populations[1]) == [m.name for m in moves]
    np.testing.assert_allclose(result.mixtures[0], np.full(3, 1 / 3), atol=1e-6)
    np.testing.assert_allclose(result.meta_game.mean[0], -result.meta_game.mean[1])


def test_psro_uniform_meta_solver_on_prisoners_dilemma_adds_defect_and_stops():
    game = ParallelEnvGame(lambda: matrix_risk_v0.parallel_env(game="prisoners_dilemma", rounds=1))
    moves = [ConstantPolicy(0), ConstantPolicy(1)]
    result = PSRO(
        game,
        EnumerativeOracle(game, moves, episodes=1),
        ([moves[0]], [moves[0]]),
        PSROConfig(iterations=5, episodes=1, meta_solver="uniform"),
    ).run()
    assert [p.name for p in result.populations[0]] == ["constant(0)", "constant(1)"]
    assert result.converged and len(result.history) == 2
    assert result.history[0]["added"] == ["constant(1)", "constant(1)"]


def test_enumerative_oracle_mean_variance_objective_prefers_the_safe_move():
    game = ParallelEnvGame(lambda: matrix_risk_v0.parallel_env(game="catastrophe", rounds=1))
    moves = [ConstantPolicy(0), ConstantPolicy(1)]  # safe, risky
    neutral = EnumerativeOracle(game, moves, episodes=3000, seed=1)
    averse = EnumerativeOracle(game, moves, episodes=3000, seed=1, risk_aversion=1.0)
    w = np.array([1.0])
    assert neutral.best_response(0, [moves[1]], w, 0).name == "constant(1)"
    assert averse.best_response(0, [moves[1]], w, 0).name == "constant(0)"
    values = neutral.values(1, [moves[0]], w)
    assert values[0] == pytest.approx(3.0) and values[1] == pytest.approx(3.265, abs=0.15)


# -- intersection: games, reproducibility, the risk comparison ---------------------------


def _intersection_psro(solver: str, seed: int, gamma: float = 1.0):
    params = intersection_v0.IntersectionParams()
    game = SimulatorGame(intersection_v0.IntersectionSimulator(params), cost_weight=1.0)
    cands = intersection_v0.gap_policies(params, gaps=(0.0, 1.0, 2.0))
    oracle = EnumerativeOracle(
        game, cands, episodes=1000, seed=seed, risk_aversion=gamma if solver == "rae" else 0.0
    )
    config = PSROConfig(
        iterations=6,
        episodes=1000,
        seed=seed,
        meta_solver=solver,
        meta_solver_kwargs={"gamma": gamma} if solver == "rae" else {},
    )
    init = RandomPolicy(5, seed=seed)
    return game, PSRO(game, oracle, ([init], [init]), config).run()


def test_psro_on_the_intersection_is_reproducible_with_a_seed():
    _, a = _intersection_psro("nash", seed=3)
    _, b = _intersection_psro("nash", seed=3)
    assert [p.name for p in a.populations[0]] == [p.name for p in b.populations[0]]
    np.testing.assert_array_equal(a.meta_game.mean, b.meta_game.mean)
    np.testing.assert_array_equal(a.mixtures[0], b.mixtures[0])


@pytest.mark.parametrize("seed", [0, 1])
def test_psro_rae_population_crashes_less_than_psro_nash(seed):
    rates = {}
    for solver in ("nash", "rae"):
        game, result = _intersection_psro(solver, seed=seed)
        ev = evaluate_mixture(game, result.populations, result.mixtures, 2000, seed=11)
        rates[solver] = rm.catastrophe_rate(ev.catastrophes)
    assert rates["nash"] > 0.05
    assert rates["rae"] < 0.5 * rates["nash"]


def test_parallel_env_game_and_simulator_game_agree_on_the_intersection():
    a, b = intersection_v0.GapPolicy(4, 0.0), intersection_v0.GapPolicy(3, 1.0)
    env_game = ParallelEnvGame(intersection_v0.parallel_env, cost_weight=1.0)
    sim_game = SimulatorGame(intersection_v0.IntersectionSimulator(), cost_weight=1.0)
    slow = env_game.play((a, b), 400, seed=0)
    fast = sim_game.play((a, b), 4000, seed=0)
    for k in range(2):
        se = slow.payoffs[:, k].std() / np.sqrt(400)
        assert abs(slow.payoffs[:, k].mean() - fast.payoffs[:, k].mean()) < 4 * se
    p = fast.catastrophes.mean()
    assert abs(slow.catastrophes.mean() - p) < 4 * np.sqrt(p * (1 - p) / 400) + 1e-9


def test_evaluate_mixture_samples_from_the_mixtures():
    game = _rps_game()
    moves = [ConstantPolicy(a) for a in range(3)]
    ev = evaluate_mixture(
        game, (moves, moves), (np.array([1.0, 0, 0]), np.array([0, 1.0, 0])), 50, 0
    )
    assert len(ev.payoffs) == 50 and np.all(ev.payoffs[:, 0] == -1.0)


def test_single_agent_view_charges_the_crash_cost_with_the_risk_penalty():
    view = SingleAgentView(
        intersection_v0.parallel_env, 0, [ConstantPolicy(4)], [1.0],
        cost_weight=2.0, risk_aversion=0.5,
    )  # fmt: skip
    for seed in range(20):
        view.reset(seed=seed)
        done, reward, info = False, 0.0, {}
        while not done:
            _, reward, term, trunc, info = view.step(4)
            done = term or trunc
        if info["crashed"]:
            # -time penalty - 2 * cost - 0.5 * (2 * cost)^2 with cost 1
            assert reward == pytest.approx(-0.05 - 2.0 - 2.0)
            return
    pytest.fail("no crash between two cars flooring it in 20 episodes")


def test_rl_oracle_trains_a_ppo_best_response_that_acts():
    oracle = RLOracle(
        intersection_v0.parallel_env, total_timesteps=256, n_envs=2,
        ppo_kwargs={"n_steps": 64, "batch_size": 64, "n_epochs": 1},
    )  # fmt: skip
    policy = oracle.best_response(1, [ConstantPolicy(2)], np.array([1.0]), seed=0)
    obs = np.zeros((3, 6), dtype=np.float32)
    actions = policy.act_batch(obs)
    assert actions.shape == (3,) and all(0 <= a < 5 for a in actions)
    assert 0 <= policy.act(obs[0]) < 5
    assert policy.name.startswith("ppo(player=1")


def test_config_and_construction_errors():
    with pytest.raises(ValueError, match="unknown meta_solver"):
        PSROConfig(meta_solver="alpharank")
    with pytest.raises(ValueError, match="two-player"):
        ParallelEnvGame(lambda: intersection_v0.parallel_env(num_cars=3))
    game = _rps_game()
    with pytest.raises(ValueError, match="at least one initial policy"):
        PSRO(game, EnumerativeOracle(game, [ConstantPolicy(0)]), ([], [ConstantPolicy(0)]))


# -- risk metrics -------------------------------------------------------------------------


def test_cvar_hand_computed_cases():
    x = [-10.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    assert rm.cvar(x, 0.10) == pytest.approx(-10.0)
    assert rm.cvar(x, 0.20) == pytest.approx(-4.5)
    assert rm.cvar(x, 0.05) == pytest.approx(-10.0)  # half a sample: still the worst
    assert rm.cvar(x, 0.25) == pytest.approx((-10 + 1 + 0.5 * 2) / 2.5)
    assert rm.cvar(x, 1.0) == pytest.approx(np.mean(x))
    # 20 samples 1..20: the 5 % tail is the single worst, the 10 % tail the two worst
    y = np.arange(1.0, 21.0)
    assert rm.cvar(y, 0.05) == pytest.approx(1.0)
    assert rm.cvar(y, 0.10) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="alpha"):
        rm.cvar(x, 0.0)


def test_mean_variance_catastrophe_rate_and_report():
    returns = [1.0, 1.0, 1.0, -9.0]
    assert rm.mean(returns) == pytest.approx(-1.5)
    assert rm.variance(returns) == pytest.approx(18.75)
    assert rm.variance(returns, ddof=1) == pytest.approx(25.0)
    assert rm.catastrophe_rate([0, 2, 0, 1]) == pytest.approx(0.75)  # crashes per episode
    report = rm.risk_report(returns, [0, 0, 0, 1])
    assert report.to_dict() == {
        "episodes": 4,
        "mean": -1.5,
        "variance": 18.75,
        "cvar_05": -9.0,
        "cvar_10": -9.0,
        "catastrophe_rate": 0.25,
    }
    with pytest.raises(ValueError, match=">= 0"):
        rm.catastrophe_rate([-1])


def test_worst_case_payoff_against_a_population():
    assert rm.worst_case_payoff([3.0, -2.0, 5.0]) == -2.0
    M = [[3.0, 0.0, 1.0], [1.0, 2.0, 1.0]]
    assert rm.worst_case_payoff(M, [0.5, 0.5]) == pytest.approx(1.0)
    assert rm.worst_case_payoff(M, [1.0, 0.0]) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="distribution"):
        rm.worst_case_payoff(M, [0.7, 0.7])


def test_bootstrap_ci_brackets_the_mean_and_narrows_with_data():
    rng = np.random.default_rng(0)
    small = rng.normal(size=20)
    large = rng.normal(size=2000)
    lo_s, hi_s = rm.bootstrap_ci(small, resamples=2000)
    lo_l, hi_l = rm.bootstrap_ci(large, resamples=2000)
    assert lo_s < small.mean() < hi_s and lo_l < large.mean() < hi_l
    assert hi_l - lo_l < hi_s - lo_s
