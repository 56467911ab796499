"""rewardgym's environments in RLlib (the ``ray`` extra).

:func:`register_all` registers every environment of the registry with Ray Tune's env
registry under its rewardgym id, so an RLlib config names it like any env::

    from ray.rllib.algorithms.ppo import PPOConfig
    from rewardgym.agents.rllib import register_all

    register_all()
    config = PPOConfig().environment("rewardgym/CartPole-v1")
    algo = config.build_algo()
    print(algo.train()["env_runners"]["episode_return_mean"])

What each id gives:

* **Gymnasium envs**: ``gym.make(id, **env_config)``. When RLlib asks for a vector
  env (``config.env_runners(gym_env_vectorize_mode="vector_entry_point")``, or any
  mode with ``num_envs_per_env_runner > 1``, RLlib passes ``num_envs``), envs with a
  batched vector entry point (control, MuJoCo) are built with
  ``gym.make_vec(id, num_envs, vectorization_mode="vector_entry_point")``, one Numba
  or ``mujoco.batch`` env for the whole runner.
* **PettingZoo envs**: RLlib's ``ParallelPettingZooEnv`` over ``parallel_env()`` for
  Parallel envs, ``PettingZooEnv`` over ``env()`` for AEC envs (multi-agent: give the
  config ``multi_agent(policies=..., policy_mapping_fn=...)``).

``reward`` applies the reward suite's wrappers inside the env creator, so every
EnvRunner builds its own: a :class:`~rewardgym.rewards.terms.Term` (deep-copied for
each env created: stateful terms such as normalisers keep one state per env), or for
PettingZoo envs a function ``agent -> Term``. ``wrapper`` (any ``env -> env``, e.g.
:func:`~rewardgym.rewards.llm.LLMFeedbackBonus` with its arguments bound) is applied
after it.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Iterable
from typing import Any

import gymnasium as gym

from rewardgym.envs.registry import ENVS, EnvEntry, get_entry

__all__ = ["make_env_creator", "register_all"]

Reward = Any  # Term, or agent -> Term for PettingZoo envs
Wrapper = Callable[[Any], Any]


def _wrap(env: Any, reward: Reward, wrapper: Wrapper | None, kind: str) -> Any:
    if reward is not None:
        from rewardgym.rewards.terms import Term
        from rewardgym.rewards.wrappers import (
            AECRewardWrapper,
            ParallelRewardWrapper,
            RewardWrapper,
            VectorRewardWrapper,
        )

        if isinstance(reward, Term):
            reward = copy.deepcopy(reward)
        elif not (callable(reward) and kind in ("parallel", "aec")):
            raise TypeError(
                "reward must be a rewardgym Term (or, for PettingZoo envs, a function "
                f"agent -> Term), got {type(reward).__name__}; use wrapper= for env -> env"
            )
        if kind == "vector":
            env = VectorRewardWrapper(env, reward)
        elif kind == "single":
            env = RewardWrapper(env, reward)
        elif kind == "parallel":
            env = ParallelRewardWrapper(env, reward)
        else:
            env = AECRewardWrapper(env, reward)
    return env if wrapper is None else wrapper(env)


def make_env_creator(
    env_id: str, reward: Reward = None, wrapper: Wrapper | None = None
) -> Callable[[dict[str, Any]], Any]:
    """The RLlib env creator of one rewardgym id: ``creator(env_config) -> env``
    (``env_config`` holds the env's constructor arguments, and ``num_envs`` when RLlib
    asks for a vector env)."""
    entry = get_entry(env_id)

    def create(env_config: dict[str, Any] | None = None) -> Any:
        config = dict(env_config or {})
        num_envs = config.pop("num_envs", None)
        if entry.kind in ("aec", "parallel"):
            from ray.rllib.env.wrappers.pettingzoo_env import (
                ParallelPettingZooEnv,
                PettingZooEnv,
            )

            module = importlib.import_module(entry.entry_point)
            if entry.kind == "parallel":
                return ParallelPettingZooEnv(
                    _wrap(module.parallel_env(**config), reward, wrapper, "parallel")
                )
            return PettingZooEnv(_wrap(module.env(**config), reward, wrapper, "aec"))
        import rewardgym  # noqa: F401  (registers the ids in this worker)

        if num_envs is not None:
            mode = "vector_entry_point" if entry.vector_entry_point else "sync"
            vec = gym.make_vec(entry.id, num_envs=int(num_envs), vectorization_mode=mode, **config)
            return _wrap(vec, reward, wrapper, "vector")
        return _wrap(gym.make(entry.id, **config), reward, wrapper, "single")

    create.__name__ = f"create_{entry.id.split('/')[-1]}"
    return create


def register_all(
    reward: Reward = None, wrapper: Wrapper | None = None, ids: Iterable[str] | None = None
) -> list[str]:
    """Register rewardgym envs with Ray Tune's env registry (all of them, or ``ids``),
    each under its rewardgym id, with ``reward`` applied in the creator. Returns the
    ids registered. Call it in the driver before building the algorithm; Ray ships the
    creators to the workers."""
    from ray.tune.registry import register_env

    entries: list[EnvEntry] = list(ENVS) if ids is None else [get_entry(i) for i in ids]
    for entry in entries:
        register_env(entry.id, make_env_creator(entry.id, reward, wrapper))
    return [e.id for e in entries]
