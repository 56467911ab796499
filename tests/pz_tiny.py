"""A tiny PettingZoo game for testing the PettingZoo half of the harness: two
players pick a number each round; the higher pick scores, and a seeded coin flip
decides ties. Ends after a random number of rounds drawn at reset."""

from __future__ import annotations

import functools
from typing import ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pettingzoo.utils import parallel_to_aec, wrappers


class TinyParallel(ParallelEnv):
    metadata: ClassVar[dict] = {
        "render_modes": ["ansi"],
        "name": "tiny_v0",
        "is_parallelizable": True,
    }

    def __init__(self, render_mode=None, nondeterministic=False):
        self.possible_agents = ["player_0", "player_1"]
        self.render_mode = render_mode
        self.nondeterministic = nondeterministic
        self._rng = np.random.default_rng()
        self.round = 0
        self.length = 1

    @functools.cache  # noqa: B019 - PettingZoo expects the same space object
    def observation_space(self, agent):
        return spaces.Box(0, 10, (1,), np.float32)

    @functools.cache  # noqa: B019
    def action_space(self, agent):
        return spaces.Discrete(3)

    def render(self):
        return f"round {self.round}"

    def reset(self, seed=None, options=None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.agents = list(self.possible_agents)
        self.round = 0
        self.length = int(self._rng.integers(3, 8))
        obs = {a: np.zeros(1, np.float32) for a in self.agents}
        return obs, {a: {} for a in self.agents}

    def step(self, actions):
        self.round += 1
        a0, a1 = actions["player_0"], actions["player_1"]
        tie = self._rng.random() < 0.5 if not self.nondeterministic else np.random.random() < 0.5  # noqa: NPY002 - deliberately unseeded
        win0 = a0 > a1 or (a0 == a1 and tie)
        rewards = {"player_0": 1.0 if win0 else -1.0, "player_1": -1.0 if win0 else 1.0}
        done = self.round >= self.length
        obs = {a: np.array([self.round], np.float32) for a in self.agents}
        terms = {a: done for a in self.agents}
        truncs = {a: False for a in self.agents}
        infos = {a: {} for a in self.agents}
        if done:
            self.agents = []
        return obs, rewards, terms, truncs, infos


def parallel_env(render_mode=None, **kwargs):
    return TinyParallel(render_mode=render_mode, **kwargs)


def env(render_mode=None, **kwargs):
    aec = parallel_to_aec(parallel_env(render_mode=render_mode, **kwargs))
    return wrappers.OrderEnforcingWrapper(aec)
