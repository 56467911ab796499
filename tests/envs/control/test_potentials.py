"""The potentials each control task exports, on states with known values, and the
sparse Pendulum reward."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import rewardgym  # noqa: F401
from rewardgym.envs.control import acrobot, cartpole, mountain_car, pendulum


def test_cartpole_potentials():
    obs = np.array([[0.0, 0, 0, 0], [2.4, 0, 0.2, 0], [-1.2, 0, -0.2, 0]], np.float32)
    np.testing.assert_allclose(cartpole.upright(obs), [1.0, math.cos(0.2), math.cos(0.2)], 1e-6)
    np.testing.assert_allclose(cartpole.centering(obs), [0.0, -1.0, -0.5], 1e-6)


def test_mountain_car_potentials():
    assert mountain_car.height(np.array([math.pi / 6, 0.0])) == pytest.approx(1.0)
    assert mountain_car.height(np.array([-math.pi / 6, 0.0])) == pytest.approx(0.1)
    # energy is conserved by the unforced dynamics up to integration error and friction-free
    env = gym.make("rewardgym/MountainCar-v0").unwrapped
    env.reset(seed=0)
    env.state = np.array([-0.9, 0.0])
    energies = []
    for _ in range(60):
        obs = env.step(1)[0]  # no engine
        energies.append(float(mountain_car.mechanical_energy(obs)))
    assert np.ptp(energies) < 0.05 * abs(np.mean(energies)) + 1e-4
    assert mountain_car.mechanical_energy(np.array([0.0, 0.07])) == pytest.approx(0.5 * 0.07**2)


def test_acrobot_tip_height_matches_the_termination_rule():
    env = gym.make("rewardgym/Acrobot-v1").unwrapped
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(200):
        env.state = np.array([*rng.uniform(-np.pi, np.pi, 2), 0.0, 0.0])
        obs, _, terminated, _, _ = env.step(1)
        t1, t2 = env.state[:2]
        assert acrobot.tip_height(obs) == pytest.approx(-math.cos(t1) - math.cos(t1 + t2), abs=1e-5)
        assert terminated == (-math.cos(t1) - math.cos(t1 + t2) > 1.0)


def test_pendulum_potentials():
    up = np.array([1.0, 0.0, 0.0])
    down = np.array([-1.0, 0.0, 0.0])
    assert pendulum.angle_cost(up) == pytest.approx(0.0)
    assert pendulum.angle_cost(down) == pytest.approx(-(math.pi**2))
    assert pendulum.energy(up) == pytest.approx(0.0)
    assert pendulum.energy(down) == pytest.approx(-10.0)


def test_pendulum_sparse_rewards_only_near_upright():
    env = gym.make("rewardgym/PendulumSparse-v0").unwrapped
    env.reset(seed=0)
    zero = np.zeros(1, np.float32)
    for theta, expected in [
        (0.05, 1.0),
        (-0.09, 1.0),
        (0.11, 0.0),
        (math.pi, 0.0),
        (2 * math.pi, 1.0),
    ]:
        env.state = np.array([theta, 0.0])
        assert env.step(zero)[1] == expected
    venv = gym.make_vec(
        "rewardgym/PendulumSparse-v0", num_envs=2000, vectorization_mode="vector_entry_point"
    )
    venv.reset(seed=0)
    rewards = sum(venv.step(np.zeros((2000, 1), np.float32))[1].sum() for _ in range(20))
    assert 0 < rewards < 0.1 * 2000 * 20  # rare under a passive policy


def test_potentials_are_registered_on_every_control_env():
    for env_id, names in {
        "rewardgym/CartPole-v1": {"upright", "centering"},
        "rewardgym/MountainCar-v0": {"height", "mechanical_energy"},
        "rewardgym/MountainCarContinuous-v0": {"height", "mechanical_energy"},
        "rewardgym/Acrobot-v1": {"tip_height"},
        "rewardgym/Pendulum-v1": {"angle_cost", "energy"},
        "rewardgym/PendulumSparse-v0": {"angle_cost", "energy"},
    }.items():
        env = gym.make(env_id)
        assert set(env.unwrapped.potentials) == names
        obs, _ = env.reset(seed=0)
        for fn in env.unwrapped.potentials.values():
            assert np.isfinite(fn(obs))
