"""Random and oracle agents and the episode runner."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import rewardgym  # noqa: F401
from rewardgym.agents import make_agent
from rewardgym.agents.random import RandomAgent, action_mask
from rewardgym.agents.runner import run_episodes


def test_random_agent_respects_an_action_mask():
    agent = RandomAgent(gym.spaces.Discrete(5), seed=0)
    mask = np.array([0, 0, 1, 0, 0], dtype=np.int8)
    assert {agent.act({"action_mask": mask}) for _ in range(50)} == {2}
    assert {agent.act(None, {"action_mask": mask}) for _ in range(50)} == {2}
    assert action_mask(np.zeros(3), {}) is None


def test_runner_is_reproducible_and_reports_episodes():
    a = run_episodes("rewardgym/CartPole-v1", "random", episodes=4, seed=5)
    b = run_episodes("rewardgym/CartPole-v1", "random", episodes=4, seed=5)
    assert a.returns == b.returns and len(a.returns) == 4
    assert a.lengths == [int(r) for r in a.returns]  # +1 per step in CartPole
    assert a.success_rate is None
    assert a.to_dict()["mean_return"] == pytest.approx(np.mean(a.returns))


def test_oracle_agent_needs_an_env_with_a_solution():
    class Solved(gym.Env):
        observation_space = gym.spaces.Discrete(3)
        action_space = gym.spaces.Discrete(2)

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            self.pos = 0
            return self.pos, {}

        def step(self, action):
            self.pos += 1 if action == 1 else 0
            done = self.pos == 2
            return self.pos, float(done), done, False, {"success": done}

        def oracle_action(self):
            return 1

    env = Solved()
    agent = make_agent("oracle", env)
    obs, info = env.reset()
    steps = 0
    while True:
        obs, _reward, term, _trunc, info = env.step(agent.act(obs, info))
        steps += 1
        if term:
            break
    assert steps == 2 and info["success"]
    with pytest.raises(ValueError, match="no oracle_action"):
        make_agent("oracle", gym.make("rewardgym/CartPole-v1"))
    with pytest.raises(ValueError, match="unknown agent"):
        make_agent("genius", Solved())
