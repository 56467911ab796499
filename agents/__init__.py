"""Baseline agents. ``make_agent(name, env)`` builds one by name; see also
:mod:`rewardgym.agents.runner` for running episodes."""

from __future__ import annotations

from typing import Any

import gymnasium as gym

AGENTS = ("random", "oracle", "llm")


def make_agent(name: str, env: gym.Env[Any, Any], seed: int | None = None) -> Any:
    """An agent by name for ``env``: ``"random"``, ``"oracle"`` (envs whose
    unwrapped env has ``oracle_action()``) or ``"llm"`` (text envs, through an
    OpenAI-compatible endpoint named by ``$REWARDGYM_LLM_BASE_URL`` and
    ``$REWARDGYM_LLM_MODEL``; see :mod:`rewardgym.agents.llm`)."""
    if name == "random":
        from rewardgym.agents.random import RandomAgent

        return RandomAgent(env.action_space, seed=seed)
    if name == "oracle":
        from rewardgym.agents.oracle import OracleAgent

        return OracleAgent(env)
    if name == "llm":
        from rewardgym.agents.llm import LLMAgent

        return LLMAgent(env, seed=seed)
    raise ValueError(f"unknown agent {name!r}; choose one of {', '.join(AGENTS)}")
