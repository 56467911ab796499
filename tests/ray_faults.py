"""Gymnasium envs whose process dies when they are reset (for the retry tests of the
Ray and local runners): ``gym.make("ray_faults:CrashOnce-v0", marker=PATH)`` kills its process with
``os._exit`` unless ``PATH`` exists, and creates ``PATH`` first, so the retry lives;
``CrashAlways-v0`` dies at every reset."""

from __future__ import annotations

import os
from typing import Any

import gymnasium as gym
import numpy as np


class CrashOnce(gym.Env[np.ndarray, int]):
    observation_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, marker: str):
        self.marker = marker

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if not os.path.exists(self.marker):
            with open(self.marker, "w") as f:
                f.write("crashed once\n")
            os._exit(3)  # the worker dies: no exception, no cleanup
        return np.zeros(2, np.float32), {}

    def step(self, action: int):
        return np.zeros(2, np.float32), float(action), False, False, {}


gym.register("CrashOnce-v0", entry_point=CrashOnce, max_episode_steps=5)


class CrashAlways(CrashOnce):
    """Kills its process at every reset."""

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        os._exit(3)


gym.register("CrashAlways-v0", entry_point=CrashAlways, max_episode_steps=5)
