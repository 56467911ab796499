"""Potential-based shaping: the telescoping identity, terminal handling, and the
vector wrapper against the single-env wrapper."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import rewardgym  # noqa: F401
from rewardgym.rewards.shaping import PotentialShaping, VectorPotentialShaping


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
    venv.reset(seed=0)
    for i, s in enumerate(singles):
        s.reset(seed=i)
        s.unwrapped.state = venv.unwrapped.state[i]
        s._phi = float(s.potential(venv.unwrapped.state[i].astype(np.float32)))
    rng = np.random.default_rng(0)
    prev_done = np.zeros(n, bool)
    for _ in range(120):
        actions = rng.integers(0, 2, n)
        _, rew, term, trunc, info = venv.step(actions)
        for i, s in enumerate(singles):
            if mode == AutoresetMode.NEXT_STEP and prev_done[i]:
                assert info["reward_terms"]["shaping/upright"][i] == 0.0
                s.reset(seed=1)
                s.unwrapped.state = venv.unwrapped.state[i]
                s._phi = float(s.potential(venv.unwrapped.state[i].astype(np.float32)))
                continue
            _, s_rew, s_term, s_trunc, _s_info = s.step(int(actions[i]))
            assert rew[i] == pytest.approx(s_rew, abs=1e-12)
            if (s_term or s_trunc) and mode == AutoresetMode.SAME_STEP:
                s.reset(seed=1)
                s.unwrapped.state = venv.unwrapped.state[i]
                s._phi = float(s.potential(venv.unwrapped.state[i].astype(np.float32)))
        prev_done = term | trunc
