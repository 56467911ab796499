"""The conformance harness over every registered environment.

A new env is covered here as soon as it is in the registry table.
"""

from __future__ import annotations

import importlib

import pytest

from rewardgym import testing

GYM_IDS = [e.id for e in testing.iter_registered() if e.is_gymnasium]
VECTOR_IDS = [e.id for e in testing.iter_registered("vector")]
# Text envs have a second action mode (an index over the admissible actions); the
# harness checks it too.
TEXT_FAMILIES = ("tool_use", "text_games", "web")
DISCRETE_IDS = [e.id for e in testing.iter_registered() if e.family in TEXT_FAMILIES]
PZ_MODULES = [e.entry_point for e in testing.iter_registered() if e.kind in ("aec", "parallel")]
# A tiny purpose-built game keeps the PettingZoo half of the harness exercised
# alongside the registered PettingZoo envs.
PZ_MODULES_WITH_SELF_TEST = [*PZ_MODULES, "pz_tiny"]


@pytest.mark.parametrize("env_id", GYM_IDS)
def test_check_env_passes_without_unexplained_warnings(env_id):
    testing.check_gymnasium_env(env_id)


@pytest.mark.parametrize("env_id", GYM_IDS)
def test_same_seed_rollouts_are_identical_over_2000_steps(env_id):
    resets = testing.check_determinism(env_id, steps=2000)
    assert resets >= 3


@pytest.mark.parametrize("env_id", GYM_IDS)
def test_pickle_round_trip_of_a_reset_env(env_id):
    testing.check_pickle(env_id)


@pytest.mark.parametrize("env_id", DISCRETE_IDS)
def test_discrete_action_mode_of_text_envs(env_id):
    testing.check_gymnasium_env(env_id, action_mode="discrete")
    testing.check_determinism(env_id, steps=500, action_mode="discrete")
    testing.check_pickle(env_id, action_mode="discrete")


@pytest.mark.parametrize("env_id", VECTOR_IDS)
def test_vector_entry_point_matches_single_envs(env_id):
    testing.check_vector_matches_single(env_id, num_envs=7, steps=300)


@pytest.mark.parametrize("module_name", PZ_MODULES_WITH_SELF_TEST)
def test_pettingzoo_battery(module_name):
    module = importlib.import_module(module_name)
    testing.check_pettingzoo_env(module, num_cycles=100, seed_steps=500)


def test_assert_same_reports_the_first_difference():
    import numpy as np

    with pytest.raises(AssertionError, match=r"\[1\]\['b'\]: values differ"):
        testing.assert_same([1, {"b": np.ones(2)}], [1, {"b": np.zeros(2)}])
    testing.assert_same({"x": np.array([np.nan])}, {"x": np.array([np.nan])})


def test_determinism_check_fails_on_a_nondeterministic_env():
    import gymnasium as gym
    import numpy as np

    class Noisy(gym.Env):
        observation_space = gym.spaces.Box(-1, 1, (1,), np.float32)
        action_space = gym.spaces.Discrete(2)

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            return np.zeros(1, np.float32), {}

        def step(self, action):
            # A hidden global generator: the anti-pattern the check exists to catch.
            noise = np.random.uniform(-1, 1, 1)  # noqa: NPY002 - the bug under test
            return noise.astype(np.float32), 0.0, False, False, {}

    gym.register("rewardgym-test/Noisy-v0", entry_point=Noisy, max_episode_steps=10)
    try:
        with pytest.raises(AssertionError, match="values differ"):
            testing.check_determinism("rewardgym-test/Noisy-v0", steps=50, max_episode_steps=10)
    finally:
        del gym.registry["rewardgym-test/Noisy-v0"]


def test_pettingzoo_seed_check_fails_on_a_nondeterministic_game():
    import pz_tiny

    with pytest.raises(AssertionError):
        testing.check_pettingzoo_seed(
            lambda: pz_tiny.parallel_env(nondeterministic=True), parallel=True, steps=300
        )
