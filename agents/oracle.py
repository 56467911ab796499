"""The scripted oracle: follows ``env.unwrapped.oracle_action()``, the next action of
a known solution from the current state. The upper bound in benchmarks."""

from __future__ import annotations

from typing import Any

import gymnasium as gym


class OracleAgent:
    """Plays the env's own solution. Raises at construction for envs without one."""

    name = "oracle"

    def __init__(self, env: gym.Env[Any, Any]):
        if not callable(getattr(env.unwrapped, "oracle_action", None)):
            spec = getattr(env, "spec", None)
            name = spec.id if spec is not None else type(env.unwrapped).__name__
            raise ValueError(
                f"{name} has no oracle_action(): its tasks have no known solution; "
                "use agent='random' or a learning agent"
            )
        self.env = env

    def act(self, obs: Any, info: dict[str, Any] | None = None) -> Any:
        return self.env.unwrapped.oracle_action()  # type: ignore[attr-defined]
