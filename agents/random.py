"""The random baseline: uniform over the action space, or over the legal actions
when the env provides an ``action_mask`` (in ``info`` or in a dict observation)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np


def action_mask(obs: Any, info: Any) -> Any:
    """The env's action mask, from a dict observation or from ``info``, as the env
    gives it (None when there is none)."""
    if isinstance(obs, dict) and "action_mask" in obs:
        return obs["action_mask"]
    if isinstance(info, dict) and "action_mask" in info:
        return info["action_mask"]
    return None


class RandomAgent:
    """Samples actions uniformly; seeded, so runs are reproducible.

    >>> import gymnasium as gym, rewardgym
    >>> from rewardgym.agents.random import RandomAgent
    >>> env = gym.make("rewardgym/CartPole-v1")
    >>> agent = RandomAgent(env.action_space, seed=0)
    >>> obs, info = env.reset(seed=0)
    >>> env.action_space.contains(agent.act(obs, info))
    True
    """

    name = "random"

    def __init__(self, action_space: gym.Space[Any], seed: int | None = None):
        self.action_space = action_space
        self.action_space.seed(seed)

    def act(self, obs: Any, info: dict[str, Any] | None = None) -> Any:
        mask = action_mask(obs, info)
        if mask is not None and isinstance(self.action_space, gym.spaces.Discrete):
            return self.action_space.sample(mask=np.asarray(mask, dtype=np.int8))
        return self.action_space.sample()
