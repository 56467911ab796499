"""Potential-based reward shaping (Ng, Harada and Russell 1999).

F(s, s') = gamma * Phi(s') - Phi(s), with Phi(s') = 0 when s' is terminal. Applied on
``terminated`` only: a truncated episode bootstraps, so Phi(s') stays. With the
learner's gamma, shaping leaves the optimal policies unchanged.

Potentials are functions of a batch of observations (``obs[..., :]`` -> values),
like the ones every control task exports as ``env.unwrapped.potentials``; pass one
by name (``potential="upright"``) or as a callable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv, VectorWrapper

Potential = Callable[[Any], Any]


def _resolve(env: Any, potential: str | Potential) -> tuple[str, Potential]:
    if callable(potential):
        return getattr(potential, "__name__", "potential"), potential
    table = getattr(env.unwrapped, "potentials", None)
    if table is None and hasattr(env.unwrapped, "env_cls"):  # a rewardgym vector env
        table = env.unwrapped.env_cls.potentials
    if not table or potential not in table:
        known = ", ".join(table) if table else "none"
        raise ValueError(
            f"unknown potential {potential!r} for this env; it exports: {known}. "
            "Pass a callable potential(obs) -> value instead."
        )
    return potential, table[potential]


class _ShapingArgs:
    """The validated arguments both shaping adapters share."""

    potential: Potential
    gamma: float
    coef: float
    name: str

    def _configure(
        self, env: Any, potential: str | Potential, gamma: float, coef: float, name: str | None
    ) -> None:
        if not 0.0 < gamma <= 1.0:
            raise ValueError(f"gamma must be in (0, 1] and equal to the learner's, got {gamma}")
        if not np.isfinite(coef):
            raise ValueError(f"coef must be finite, got {coef}")
        label, self.potential = _resolve(env, potential)
        self.gamma = float(gamma)
        self.coef = float(coef)
        self.name = name or f"shaping/{label}"


class PotentialShaping(_ShapingArgs, gym.Wrapper[Any, Any, Any, Any]):
    """Adds ``coef * (gamma * Phi(s') - Phi(s))`` to the reward of a single env.

    ``info["reward_terms"]`` gets the env's reward under ``"env"`` and the shaping
    term under ``name`` (default ``"shaping/<potential>"``).

    >>> import gymnasium as gym, rewardgym
    >>> from rewardgym.rewards.shaping import PotentialShaping
    >>> env = PotentialShaping(gym.make("rewardgym/MountainCar-v0"), "height", gamma=0.99)
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(2)
    >>> sorted(info["reward_terms"])
    ['env', 'shaping/height']
    """

    def __init__(
        self,
        env: gym.Env[Any, Any],
        potential: str | Potential,
        gamma: float = 0.99,
        coef: float = 1.0,
        name: str | None = None,
    ):
        super().__init__(env)
        self._configure(env, potential, gamma, coef, name)
        self._phi: float | None = None

    def _phi_of(self, obs: Any) -> float:
        return float(np.asarray(self.potential(obs)))

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        self._phi = self._phi_of(obs)
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        if self._phi is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        obs, reward, terminated, truncated, info = self.env.step(action)
        phi_next = self._phi_of(obs)
        shaping = self.gamma * (0.0 if terminated else phi_next) - self._phi
        self._phi = phi_next
        terms = dict(info.get("reward_terms", {}))
        terms.setdefault("env", float(reward))
        terms[self.name] = shaping
        info = {**info, "reward_terms": terms}
        return obs, float(reward) + self.coef * shaping, terminated, truncated, info


class VectorPotentialShaping(_ShapingArgs, VectorWrapper):
    """:class:`PotentialShaping` for a vector env, on whole batches.

    Handles both autoreset modes: in ``NEXT_STEP`` the reset step of an env (which
    is no transition) gets no shaping; in ``SAME_STEP`` Phi(s') is taken from
    ``info["final_obs"]`` for envs that just finished.
    """

    def __init__(
        self,
        env: VectorEnv[Any, Any, Any],
        potential: str | Potential,
        gamma: float = 0.99,
        coef: float = 1.0,
        name: str | None = None,
    ):
        super().__init__(env)
        self._configure(env, potential, gamma, coef, name)
        mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
        if mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError(f"autoreset mode {mode} is not supported; use NEXT_STEP or SAME_STEP")
        self.mode = mode
        self._phi: np.ndarray | None = None
        self._prev_done = np.zeros(self.num_envs, dtype=bool)

    def _phi_of(self, obs: Any) -> np.ndarray:
        return np.asarray(self.potential(np.asarray(obs)), dtype=np.float64).reshape(self.num_envs)

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        self._phi = self._phi_of(obs)
        self._prev_done[:] = False
        return obs, info

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any, dict[str, Any]]:
        if self._phi is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        obs, reward, terminated, truncated, info = self.env.step(actions)
        terminated = np.asarray(terminated)
        truncated = np.asarray(truncated)
        phi_obs = self._phi_of(obs)
        phi_next = phi_obs.copy()
        if self.mode == AutoresetMode.SAME_STEP and "final_obs" in info:
            for i in np.flatnonzero(info["_final_obs"]):
                phi_next[i] = float(np.asarray(self.potential(info["final_obs"][i])))
        phi_next[terminated] = 0.0
        shaping = self.gamma * phi_next - self._phi
        if self.mode == AutoresetMode.NEXT_STEP:
            shaping[self._prev_done] = 0.0
            self._prev_done = terminated | truncated
        self._phi = phi_obs
        reward = np.asarray(reward, dtype=np.float64)
        terms = dict(info.get("reward_terms", {}))
        terms.setdefault("env", reward)
        terms[self.name] = shaping
        info = {**info, "reward_terms": terms}
        return obs, reward + self.coef * shaping, terminated, truncated, info
