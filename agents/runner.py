"""Run an agent for a number of episodes and summarise what happened."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from rewardgym.agents import make_agent


@dataclass
class EpisodeStats:
    """Summary of :func:`run_episodes`."""

    env_id: str
    agent: str
    episodes: int
    seed: int
    returns: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    successes: list[bool] = field(default_factory=list)
    steps_per_second: float = 0.0

    @property
    def mean_return(self) -> float:
        return float(np.mean(self.returns)) if self.returns else float("nan")

    @property
    def std_return(self) -> float:
        return float(np.std(self.returns)) if self.returns else float("nan")

    @property
    def success_rate(self) -> float | None:
        """Fraction of episodes with ``info["success"]``; None when the env does not
        report success."""
        return float(np.mean(self.successes)) if self.successes else None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(
            mean_return=self.mean_return,
            std_return=self.std_return,
            success_rate=self.success_rate,
        )
        return d


def run_episodes(
    env_id: str,
    agent: str = "random",
    episodes: int = 10,
    seed: int = 0,
    max_steps: int | None = None,
    **env_kwargs: Any,
) -> EpisodeStats:
    """Play ``episodes`` episodes of ``env_id`` with the named agent.

    >>> from rewardgym.agents.runner import run_episodes
    >>> stats = run_episodes("rewardgym/CartPole-v1", "random", episodes=3, seed=0)
    >>> len(stats.returns)
    3
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    env = gym.make(env_id, **env_kwargs)
    player = make_agent(agent, env, seed=seed)
    stats = EpisodeStats(env_id=env_id, agent=agent, episodes=episodes, seed=seed)
    # One untimed step first: the first call loads (or compiles) the env's kernels.
    env.reset(seed=seed)
    env.step(env.action_space.sample())
    total_steps = 0
    start = time.perf_counter()
    try:
        for ep in range(episodes):
            obs, info = env.reset(seed=seed + ep)
            ret, length, success = 0.0, 0, None
            while True:
                obs, reward, terminated, truncated, info = env.step(player.act(obs, info))
                ret += float(reward)
                length += 1
                if "success" in info:
                    success = bool(info["success"])
                if terminated or truncated or (max_steps is not None and length >= max_steps):
                    break
            total_steps += length
            stats.returns.append(ret)
            stats.lengths.append(length)
            if success is not None:
                stats.successes.append(success)
    finally:
        env.close()
    stats.steps_per_second = total_steps / max(time.perf_counter() - start, 1e-9)
    return stats
