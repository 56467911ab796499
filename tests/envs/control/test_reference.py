"""The control tasks against Gymnasium's reference envs of the same name.

From the same state and action, next observations must agree within 1e-5 (they are
bit-identical for every task but MountainCarContinuous, whose reference computes in
float32) and rewards, terminated and truncated must be equal. Pendulum's reward is
compared at 1e-8: the reference squares its float32 torque with NumPy's float32
``**``, which on SIMD builds may differ from the correctly rounded square by one
float32 ulp (1e-10 here).
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import rewardgym  # noqa: F401 - registers the envs

TASKS = {
    # rewardgym id: (reference id, state sampler, reward atol)
    "rewardgym/CartPole-v1": ("CartPole-v1", lambda r: r.uniform(-2.6, 2.6, 4) * [1, 2, 0.1, 2], 0),
    "rewardgym/MountainCar-v0": (
        "MountainCar-v0",
        lambda r: np.array([r.uniform(-1.2, 0.6), r.uniform(-0.07, 0.07)]),
        0,
    ),
    "rewardgym/MountainCarContinuous-v0": (
        "MountainCarContinuous-v0",
        lambda r: np.array([r.uniform(-1.2, 0.6), r.uniform(-0.07, 0.07)], dtype=np.float32),
        0,
    ),
    "rewardgym/Acrobot-v1": (
        "Acrobot-v1",
        lambda r: np.array(
            [
                r.uniform(-np.pi, np.pi),
                r.uniform(-np.pi, np.pi),
                r.uniform(-12, 12),
                r.uniform(-28, 28),
            ]
        ),
        0,
    ),
    "rewardgym/Pendulum-v1": (
        "Pendulum-v1",
        lambda r: np.array([r.uniform(-10, 10), r.uniform(-8, 8)]),
        1e-8,
    ),
}


def _random_action(space: gym.Space, rng: np.random.Generator):
    if isinstance(space, gym.spaces.Discrete):
        return int(rng.integers(space.n))
    # Beyond the bounds too: the references clip inside the dynamics.
    return rng.uniform(-1.5 * space.high, 1.5 * space.high).astype(np.float32)


@pytest.mark.parametrize("env_id", list(TASKS))
def test_single_step_from_random_states_matches_reference(env_id):
    ref_id, sample_state, reward_atol = TASKS[env_id]
    mine = gym.make(env_id).unwrapped
    ref = gym.make(ref_id).unwrapped
    mine.reset(seed=0)
    ref.reset(seed=0)
    rng = np.random.default_rng(1)
    for _ in range(3000):
        state = sample_state(rng)
        action = _random_action(ref.action_space, rng)
        mine.state = state
        ref.state = state.copy()
        if hasattr(ref, "steps_beyond_terminated"):
            ref.steps_beyond_terminated = None  # a set state starts a fresh episode
        obs, rew, term, trunc, _ = mine.step(action)
        r_obs, r_rew, r_term, r_trunc, _ = ref.step(action)
        np.testing.assert_allclose(obs, r_obs, rtol=0, atol=1e-5)
        assert obs.dtype == np.float32
        if reward_atol:
            assert rew == pytest.approx(float(r_rew), abs=reward_atol, rel=0)
        else:
            assert rew == float(r_rew)
        assert (term, trunc) == (r_term, r_trunc)
        np.testing.assert_allclose(mine.state, np.asarray(ref.state, np.float64), rtol=0, atol=1e-5)


@pytest.mark.parametrize("env_id", list(TASKS))
def test_seeded_episodes_match_reference(env_id):
    """Same seed, same actions: the same start states and the same episodes, through
    the TimeLimit added by gym.make."""
    ref_id, _, reward_atol = TASKS[env_id]
    mine, ref = gym.make(env_id), gym.make(ref_id)
    rng = np.random.default_rng(2)
    for episode in range(4):
        obs, _ = mine.reset(seed=episode)
        r_obs, _ = ref.reset(seed=episode)
        np.testing.assert_array_equal(obs, r_obs)
        for _ in range(1000):
            action = _random_action(ref.action_space, rng)
            obs, rew, term, trunc, _ = mine.step(action)
            r_obs, r_rew, r_term, r_trunc, _ = ref.step(action)
            np.testing.assert_allclose(obs, r_obs, rtol=0, atol=1e-5)
            assert rew == pytest.approx(float(r_rew), abs=reward_atol, rel=0)
            assert (term, trunc) == (r_term, r_trunc)
            if term or trunc:
                break


@pytest.mark.parametrize("env_id", list(TASKS))
@pytest.mark.parametrize("num_envs", [1, 7, 256])
def test_vector_step_from_random_states_matches_reference(env_id, num_envs):
    ref_id, sample_state, reward_atol = TASKS[env_id]
    venv = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point")
    ref = gym.make(ref_id).unwrapped
    ref.reset(seed=0)
    venv.reset(seed=0)
    rng = np.random.default_rng(3)
    for _ in range(4):
        states = np.stack([sample_state(rng) for _ in range(num_envs)]).astype(np.float64)
        actions = [_random_action(ref.action_space, rng) for _ in range(num_envs)]
        venv.unwrapped.state = states
        obs, rew, term, trunc, _ = venv.step(np.asarray(actions))
        assert obs.shape == (num_envs, *ref.observation_space.shape)
        for i in range(num_envs):
            ref.state = states[i].astype(np.asarray(sample_state(rng)).dtype)
            if hasattr(ref, "steps_beyond_terminated"):
                ref.steps_beyond_terminated = None
            r_obs, r_rew, r_term, _, _ = ref.step(actions[i])
            np.testing.assert_allclose(obs[i], r_obs, rtol=0, atol=1e-5)
            assert rew[i] == pytest.approx(float(r_rew), abs=reward_atol, rel=0)
            assert term[i] == r_term
        assert not trunc.any()


NEAR_TERMINAL = {
    "rewardgym/CartPole-v1": [0.0, 0.0, 0.2, 0.5],
    "rewardgym/MountainCar-v0": [0.49, 0.06],
    "rewardgym/MountainCarContinuous-v0": [0.44, 0.06],
    "rewardgym/Acrobot-v1": [3.0, 0.2, 0.0, 0.0],
}


def _sync_reference(ref_id: str, n: int, max_steps: int, mode: AutoresetMode):
    return gym.vector.SyncVectorEnv(
        [lambda: gym.make(ref_id, max_episode_steps=max_steps) for _ in range(n)],
        autoreset_mode=mode,
    )


@pytest.mark.parametrize("env_id", list(TASKS))
@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_autoreset_semantics_match_sync_vector_env(env_id, mode):
    """Step the vector env beside Gymnasium's SyncVectorEnv of the reference env,
    with a short time limit so that terminations and truncations both happen.
    Start states are drawn by each side's own generator, so after every reset the
    reference's sub-env is given the rewardgym start state."""
    ref_id, _, reward_atol = TASKS[env_id]
    n, max_steps = 16, 25
    venv = gym.make_vec(
        env_id,
        num_envs=n,
        vectorization_mode="vector_entry_point",
        max_episode_steps=max_steps,
        autoreset_mode=mode,
    )
    ref = _sync_reference(ref_id, n, max_steps, mode)
    assert venv.metadata["autoreset_mode"] == mode == ref.metadata["autoreset_mode"]
    venv.reset(seed=0)
    ref.reset(seed=0)
    if env_id in NEAR_TERMINAL:  # half the envs start next to a terminal state
        state = venv.unwrapped.state
        state[::2] = NEAR_TERMINAL[env_id]
        venv.unwrapped.state = state

    def sync(i: int) -> None:
        ref.envs[i].unwrapped.state = venv.unwrapped.state[i].astype(
            np.asarray(ref.envs[i].unwrapped.state).dtype
        )

    for i in range(n):
        sync(i)
    rng = np.random.default_rng(4)
    prev_done = np.zeros(n, dtype=bool)
    seen_term = seen_trunc = False
    for _ in range(80):
        actions = np.asarray([_random_action(ref.single_action_space, rng) for _ in range(n)])
        obs, rew, term, trunc, info = venv.step(actions)
        r_obs, r_rew, r_term, r_trunc, r_info = ref.step(actions)
        np.testing.assert_allclose(rew, r_rew, rtol=0, atol=reward_atol)
        np.testing.assert_array_equal(term, r_term)
        np.testing.assert_array_equal(trunc, r_trunc)
        done = term | trunc
        seen_term |= bool(term.any())
        seen_trunc |= bool(trunc.any())
        if mode == AutoresetMode.NEXT_STEP:
            live = ~prev_done
            np.testing.assert_allclose(obs[live], r_obs[live], rtol=0, atol=1e-5)
            assert (rew[prev_done] == 0).all() and not term[prev_done].any()
            for i in np.flatnonzero(prev_done):
                sync(i)
            prev_done = done
        else:
            live = ~done
            np.testing.assert_allclose(obs[live], r_obs[live], rtol=0, atol=1e-5)
            if done.any():
                np.testing.assert_array_equal(info["_final_obs"], r_info["_final_obs"])
                for i in np.flatnonzero(done):
                    np.testing.assert_allclose(
                        info["final_obs"][i], r_info["final_obs"][i], rtol=0, atol=1e-5
                    )
                    assert info["final_obs"][i].dtype == np.float32
                    sync(i)
            else:
                assert "final_obs" not in info
    assert seen_trunc
    assert seen_term == (env_id in NEAR_TERMINAL)


def test_cartpole_reward_after_termination_is_zero_with_a_warning():
    env = gym.make("rewardgym/CartPole-v1").unwrapped
    env.reset(seed=0)
    env.state = np.array([0.0, 0.0, 0.5, 0.0])
    assert env.step(0)[1:3] == (1.0, True)
    with pytest.warns(UserWarning, match="already returned terminated = True"):
        assert env.step(0)[1:3] == (0.0, True)
    env.reset(seed=1)
    assert env.step(0)[1] == 1.0


def test_reset_options_change_the_start_range_like_the_reference():
    for env_id, ref_id in [
        ("rewardgym/CartPole-v1", "CartPole-v1"),
        ("rewardgym/Acrobot-v1", "Acrobot-v1"),
    ]:
        mine, ref = gym.make(env_id), gym.make(ref_id)
        opts = {"low": -0.01, "high": 0.01}
        np.testing.assert_array_equal(
            mine.reset(seed=3, options=opts)[0], ref.reset(seed=3, options=opts)[0]
        )
    mine, ref = gym.make("rewardgym/Pendulum-v1"), gym.make("Pendulum-v1")
    opts = {"x_init": 0.5, "y_init": 0.2}
    np.testing.assert_array_equal(
        mine.reset(seed=5, options=opts)[0], ref.reset(seed=5, options=opts)[0]
    )
    venv = gym.make_vec(
        "rewardgym/Pendulum-v1", num_envs=64, vectorization_mode="vector_entry_point"
    )
    venv.reset(seed=0, options=opts)
    state = venv.unwrapped.state
    assert np.abs(state[:, 0]).max() <= 0.5 and np.abs(state[:, 1]).max() <= 0.2
    with pytest.raises(ValueError, match="Lower bound"):
        gym.make("rewardgym/CartPole-v1").reset(options={"low": 1.0, "high": 0.0})


def test_vector_start_states_follow_the_reference_distribution():
    venv = gym.make_vec(
        "rewardgym/Acrobot-v1", num_envs=4096, vectorization_mode="vector_entry_point"
    )
    venv.reset(seed=0)
    s = venv.unwrapped.state
    assert s.min() >= -0.1 and s.max() <= 0.1
    assert abs(s.mean()) < 0.005 and s.std() == pytest.approx(0.2 / math.sqrt(12), rel=0.05)
    np.testing.assert_array_equal(s, s.astype(np.float32))  # float32 starts, as the reference
    venv = gym.make_vec(
        "rewardgym/MountainCar-v0", num_envs=4096, vectorization_mode="vector_entry_point"
    )
    venv.reset(seed=0)
    s = venv.unwrapped.state
    assert s[:, 0].min() >= -0.6 and s[:, 0].max() <= -0.4 and (s[:, 1] == 0).all()
