"""Potential-based shaping: the telescoping identity, terminal handling, and the
vector wrapper against the single-env wrapper."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import rewardgym  # noqa: F401
from rewardgym.rewards.shaping import (
    PotentialShaping,
    Shaping,
    VectorPotentialShaping,
    check_gamma,
    shaping_table,
)


def _episode(env, seed, policy):
    obs, _ = env.reset(seed=seed)
    shaped, first = [], obs
    while True:
        obs, _reward, term, trunc, info = env.step(policy(obs))
        shaped.append(info["reward_terms"])
        if term or trunc:
            return first, obs, term, shaped


def test_shaping_telescopes_to_minus_phi0_on_termination():
    """gamma = 1: sum of F over an episode = Phi(s_T) * (1 - terminated) - Phi(s_0)."""
    env = PotentialShaping(gym.make("rewardgym/CartPole-v1"), "upright", gamma=1.0)
    phi = env.unwrapped.potentials["upright"]
    first, _last, term, terms = _episode(env, 0, lambda o: 1)
    assert term
    total = sum(t["shaping/upright"] for t in terms)
    assert total == pytest.approx(-float(phi(first)), abs=1e-12)
    assert all(t["env"] == 1.0 for t in terms)


def test_truncated_episode_keeps_the_last_potential():
    env = PotentialShaping(gym.make("rewardgym/Pendulum-v1"), "energy", gamma=1.0)
    phi = env.unwrapped.potentials["energy"]
    first, last, term, terms = _episode(env, 1, lambda o: np.zeros(1, np.float32))
    assert not term
    total = sum(t["shaping/energy"] for t in terms)
    assert total == pytest.approx(float(phi(last)) - float(phi(first)), abs=1e-9)


def test_reward_is_env_reward_plus_coef_times_shaping():
    env = PotentialShaping(gym.make("rewardgym/MountainCar-v0"), "height", gamma=0.9, coef=5.0)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(2)
    terms = info["reward_terms"]
    assert reward == pytest.approx(terms["env"] + 5.0 * terms["shaping/height"])


def test_good_trajectory_earns_more_shaping_than_a_bad_one():
    """Pumping energy into MountainCar (push with the velocity) is rewarded by the
    energy potential; pushing against the velocity is penalised."""

    def run(policy):
        env = PotentialShaping(gym.make("rewardgym/MountainCar-v0"), "mechanical_energy", 1.0, 1.0)
        _, _, _, terms = _episode(env, 3, policy)
        return sum(t["shaping/mechanical_energy"] for t in terms[:100])

    pump = run(lambda o: 2 if o[1] >= 0 else 0)
    brake = run(lambda o: 0 if o[1] >= 0 else 2)
    assert pump > 0 > brake


def test_arguments_are_validated():
    env = gym.make("rewardgym/CartPole-v1")
    with pytest.raises(ValueError, match="exports: upright, centering"):
        PotentialShaping(env, "height")
    with pytest.raises(ValueError, match="gamma must be in"):
        PotentialShaping(env, "upright", gamma=1.5)
    with pytest.raises(gym.error.ResetNeeded):
        PotentialShaping(env, "upright").step(0)


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_vector_shaping_matches_single_env_shaping(mode):
    n, gamma = 5, 0.97
    venv = gym.make_vec(
        "rewardgym/CartPole-v1",
        num_envs=n,
        vectorization_mode="vector_entry_point",
        autoreset_mode=mode,
        max_episode_steps=30,
    )
    venv = VectorPotentialShaping(venv, "upright", gamma=gamma)
    singles = [
        PotentialShaping(gym.make("rewardgym/CartPole-v1", max_episode_steps=30), "upright", gamma)
        for _ in range(n)
    ]

    def sync(i):
        singles[i].reset(seed=i)
        singles[i].unwrapped.state = venv.unwrapped.state[i]
        singles[i]._obs = venv.unwrapped.state[i].astype(np.float32)

    venv.reset(seed=0)
    for i in range(n):
        sync(i)
    rng = np.random.default_rng(0)
    prev_done = np.zeros(n, bool)
    for _ in range(120):
        actions = rng.integers(0, 2, n)
        _, rew, term, trunc, info = venv.step(actions)
        for i, s in enumerate(singles):
            if mode == AutoresetMode.NEXT_STEP and prev_done[i]:
                assert info["reward_terms"]["shaping/upright"][i] == 0.0
                sync(i)
                continue
            _, s_rew, s_term, s_trunc, _ = s.step(int(actions[i]))
            assert rew[i] == pytest.approx(s_rew, abs=1e-12)
            if mode == AutoresetMode.SAME_STEP and (s_term or s_trunc):
                sync(i)
        prev_done = term | trunc


def _optimal_policy(p, r, gamma, iters=3000):
    """Value iteration on P[s, a, s'], R[s, a, s']; terminal states absorb with 0."""
    q = np.zeros(p.shape[:2])
    for _ in range(iters):
        v = q.max(axis=1)
        q = (p * (r + gamma * v[None, None, :])).sum(axis=2)
    return q.argmax(axis=1), q


def _random_mdp(rng, n_states=6, n_actions=3, terminal_state=True):
    p = rng.dirichlet(np.ones(n_states) * 0.3, size=(n_states, n_actions))
    r = rng.normal(size=(n_states, n_actions, n_states))
    terminal = np.zeros(n_states, bool)
    if terminal_state:
        terminal[-1] = True
        p[-1] = 0.0
        p[-1, :, -1] = 1.0  # absorbing, zero reward
        r[-1] = 0.0
    return p, r, terminal


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
def test_shaping_with_the_learners_gamma_keeps_the_optimal_policy(gamma):
    rng = np.random.default_rng(int(gamma * 100))
    for _ in range(20):
        p, r, terminal = _random_mdp(rng)
        phi = rng.normal(scale=5.0, size=p.shape[0])
        shaped = r + shaping_table(phi, gamma, terminal)
        shaped[terminal] = 0.0  # nothing happens inside the absorbing state
        pi, q = _optimal_policy(p, r, gamma)
        pi_s, q_s = _optimal_policy(p, shaped, gamma)
        live = ~terminal
        assert np.array_equal(pi[live], pi_s[live])
        # Ng et al.: Q_shaped(s, a) = Q(s, a) - Phi(s)
        np.testing.assert_allclose(q_s[live], q[live] - phi[live, None], atol=1e-6)


def test_wrong_gamma_or_terminal_potential_changes_the_optimal_policy():
    """The invariance needs both conditions: the test can fail."""
    rng = np.random.default_rng(7)
    changed_gamma = changed_terminal = 0
    for _ in range(40):
        p, r, terminal = _random_mdp(rng)
        phi = rng.normal(scale=5.0, size=p.shape[0])
        pi, _ = _optimal_policy(p, r, 0.9)
        wrong_gamma = r + shaping_table(phi, 0.5, terminal)
        wrong_gamma[terminal] = 0.0
        changed_gamma += not np.array_equal(pi[:-1], _optimal_policy(p, wrong_gamma, 0.9)[0][:-1])
        no_terminal_rule = r + shaping_table(phi, 0.9, None)  # Phi(terminal) != 0
        no_terminal_rule[terminal] = 0.0
        changed_terminal += not np.array_equal(
            pi[:-1], _optimal_policy(p, no_terminal_rule, 0.9)[0][:-1]
        )
    assert changed_gamma > 0 and changed_terminal > 0


def test_check_gamma_against_the_learner():
    class Learner:
        gamma = 0.99

    env = PotentialShaping(gym.make("rewardgym/CartPole-v1"), "upright", gamma=0.99)
    check_gamma(env, Learner())
    check_gamma(gym.wrappers.RecordEpisodeStatistics(env), 0.99)
    with pytest.raises(
        ValueError, match=r"uses gamma=0\.99 but the learner discounts with gamma=0\.9;"
    ):
        check_gamma(env, 0.9)


def test_check_gamma_reads_an_sb3_model():
    from stable_baselines3 import PPO

    env = PotentialShaping(gym.make("rewardgym/CartPole-v1"), "upright", gamma=0.95)
    model = PPO("MlpPolicy", env, gamma=0.99, n_steps=64, batch_size=64, device="cpu")
    with pytest.raises(ValueError, match=r"learner discounts with gamma=0\.99"):
        check_gamma(env, model)


def test_shaping_term_combines_with_other_terms():
    from rewardgym.rewards.terms import EnvReward, Transitions

    term = Shaping(lambda o: o[..., 0], gamma=1.0, name="f")
    expr = EnvReward() + 2.0 * term
    t = Transitions.from_arrays(
        np.zeros((2, 1)), np.zeros(2), np.ones((2, 1)), [1.0, 1.0], [False, True]
    )
    value, parts = expr.evaluate(t)
    np.testing.assert_allclose(parts["f"], [1.0, 0.0])
    np.testing.assert_allclose(value, [3.0, 1.0])
