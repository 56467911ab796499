"""Baseline agents. ``make_agent(name, env)`` builds one by name; see also
:mod:`rewardgym.agents.runner` for running episodes."""

from __future__ import annotations

from typing import Any

import gymnasium as gym

AGENTS = ("random", "oracle")


def make_agent(name: str, env: gym.Env[Any, Any], seed: int | None = None) -> Any:
    """An agent by name for ``env``: ``"random"`` or ``"oracle"`` (envs whose
    unwrapped env has ``oracle_action()``)."""
    if name == "random":
        from rewardgym.agents.random import RandomAgent

        return RandomAgent(env.action_space, seed=seed)
    if name == "oracle":
        from rewardgym.agents.oracle import OracleAgent

        return OracleAgent(env)
    raise ValueError(f"unknown agent {name!r}; choose one of {', '.join(AGENTS)}")
