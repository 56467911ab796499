"""Stable-Baselines3 baselines on rewardgym envs, in one call.

:func:`train` builds the env (with the requested reward wrapper), trains an SB3 (or
sb3-contrib) algorithm, evaluates the policy on the env's own reward and returns a
:class:`TrainResult` record.

rewardgym's Numba vector envs go to SB3 through :class:`SB3VecEnv`, an adapter that
keeps the one batched kernel call per step (SB3's ``DummyVecEnv`` would step N
single envs in a Python loop); every other env goes through SB3's own
``make_vec_env``. Text envs train in their discrete mode with MaskablePPO, which reads
the legal actions from ``env.action_masks()``.

>>> from rewardgym.agents.sb3 import train
>>> result = train("rewardgym/CartPole-v1", "ppo", total_timesteps=256, num_envs=4,
...                algo_kwargs={"n_steps": 64}, eval_episodes=2)
>>> result.algo, result.timesteps >= 256
('ppo', True)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecMonitor

__all__ = ["ALGOS", "SB3VecEnv", "TrainResult", "evaluate_policy", "make_sb3_env", "train"]

#: name -> (module, class) of the algorithms :func:`train` knows.
ALGOS: dict[str, tuple[str, str]] = {
    "ppo": ("stable_baselines3", "PPO"),
    "a2c": ("stable_baselines3", "A2C"),
    "dqn": ("stable_baselines3", "DQN"),
    "sac": ("stable_baselines3", "SAC"),
    "maskable_ppo": ("sb3_contrib", "MaskablePPO"),
}

Reward = Any  # a rewards Term, or a callable env -> wrapped env


class SB3VecEnv(VecEnv):
    """SB3's ``VecEnv`` interface over a Gymnasium vector env in ``SAME_STEP``
    autoreset mode: observations, rewards and dones pass through as arrays; only the
    envs whose episode ended get an info entry (``terminal_observation``,
    ``TimeLimit.truncated``), so a step costs no Python loop over all envs."""

    def __init__(self, venv: gym.vector.VectorEnv[Any, Any, Any]):
        mode = venv.metadata.get("autoreset_mode")
        if mode != gym.vector.AutoresetMode.SAME_STEP:
            raise ValueError(
                "SB3VecEnv needs a vector env in SAME_STEP autoreset mode (SB3 resets "
                "finished envs within the step); make it with "
                "autoreset_mode=gym.vector.AutoresetMode.SAME_STEP"
            )
        self.venv = venv
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)
        self._actions: Any = None

    def reset(self) -> Any:
        seeds = [s for s in self._seeds if s is not None]
        obs, _ = self.venv.reset(seed=seeds[0] if seeds else None)
        self._reset_seeds()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> Any:
        obs, reward, terminated, truncated, info = self.venv.step(self._actions)
        dones = np.logical_or(terminated, truncated)
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            final = info.get("final_obs")
            for i in np.flatnonzero(dones):
                infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
                if final is not None:
                    infos[i]["terminal_observation"] = final[i]
        return obs, np.asarray(reward, dtype=np.float32), dones, infos

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        value = getattr(self.venv, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        setattr(self.venv, attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any
    ) -> list[Any]:
        result = getattr(self.venv, method_name)(*method_args, **method_kwargs)
        return [result for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]


def _entry(env_id: str) -> Any:
    from rewardgym.envs.registry import get_entry

    return get_entry(env_id)


def _wrap_single(env: gym.Env[Any, Any], reward: Reward) -> gym.Env[Any, Any]:
    if reward is None:
        return env
    from rewardgym.rewards.terms import Term

    if isinstance(reward, Term):
        from rewardgym.rewards.wrappers import RewardWrapper

        return RewardWrapper(env, reward)
    return reward(env)


def make_sb3_env(
    env_id: str,
    num_envs: int = 8,
    *,
    seed: int = 0,
    reward: Reward = None,
    env_kwargs: dict[str, Any] | None = None,
) -> VecEnv:
    """The SB3 ``VecEnv`` :func:`train` trains on (monitored, so SB3 logs returns)."""
    import rewardgym  # noqa: F401  (registers the envs)

    kwargs = dict(env_kwargs or {})
    entry = _entry(env_id)
    venv: VecEnv
    if entry.kind == "vector":
        vec = gym.make_vec(
            entry.id, num_envs=num_envs, vectorization_mode="vector_entry_point",
            autoreset_mode=gym.vector.AutoresetMode.SAME_STEP, **kwargs,
        )  # fmt: skip
        if reward is not None:
            from rewardgym.rewards.terms import Term
            from rewardgym.rewards.wrappers import VectorRewardWrapper

            vec = VectorRewardWrapper(vec, reward) if isinstance(reward, Term) else reward(vec)
        venv = SB3VecEnv(vec)
    elif entry.is_gymnasium:
        from stable_baselines3.common.env_util import make_vec_env

        venv = make_vec_env(
            lambda: _wrap_single(gym.make(entry.id, **kwargs), reward),
            n_envs=num_envs,
            seed=seed,
        )
        return venv  # make_vec_env already monitors each env
    else:
        raise ValueError(
            f"{entry.id} is a PettingZoo env; SB3 trains single-agent envs. Use "
            "rewardgym.agents.psro for the multi-agent games"
        )
    venv.seed(seed)
    return VecMonitor(venv)


def _gym_env_of(venv: VecEnv) -> Any:
    """The Gymnasium env (vector, or the first single env) under SB3's wrappers."""
    node: Any = venv
    while not isinstance(node, SB3VecEnv) and hasattr(node, "venv"):
        node = node.venv
    if isinstance(node, SB3VecEnv):
        return node.venv
    return node.envs[0]


@dataclass
class TrainResult:
    """One training run: what was trained, how long it took and how well it plays
    (greedy evaluation on the env's own reward)."""

    env_id: str
    algo: str
    seed: int
    timesteps: int
    num_envs: int
    wall_time_s: float
    eval_returns: list[float]
    eval_success: list[bool] | None
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    model: Any = field(default=None, repr=False)

    @property
    def mean_return(self) -> float:
        return float(np.mean(self.eval_returns))

    @property
    def success_rate(self) -> float | None:
        return None if self.eval_success is None else float(np.mean(self.eval_success))

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "model"}
        out["mean_return"] = self.mean_return
        out["success_rate"] = self.success_rate
        return out


def evaluate_policy(
    predict: Callable[[Any, gym.Env[Any, Any]], Any],
    env_id: str,
    episodes: int,
    *,
    seed: int = 10_000,
    env_kwargs: dict[str, Any] | None = None,
) -> tuple[list[float], list[bool] | None]:
    """Returns (and ``info["success"]`` where the env reports it) of ``episodes``
    episodes of ``predict(obs, env) -> action`` on the env's own reward."""
    env = gym.make(env_id, **(env_kwargs or {}))
    returns: list[float] = []
    successes: list[bool] = []
    has_success = False
    for k in range(episodes):
        obs, info = env.reset(seed=seed + k)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, info = env.step(predict(obs, env))
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
        if "success" in info:
            has_success = True
        successes.append(bool(info.get("success", False)))
    env.close()
    return returns, successes if has_success else None


def train(
    env_id: str,
    algo: str = "ppo",
    total_timesteps: int = 50_000,
    *,
    reward: Reward = None,
    seed: int = 0,
    num_envs: int = 8,
    env_kwargs: dict[str, Any] | None = None,
    algo_kwargs: dict[str, Any] | None = None,
    eval_episodes: int = 10,
    policy: str | None = None,
    torch_threads: int = 1,
) -> TrainResult:
    """Train ``algo`` on ``env_id`` and evaluate it.

    Args:
        env_id: a rewardgym id (``rewardgym/`` prefix optional).
        algo: one of :data:`ALGOS` (``"ppo"``, ``"a2c"``, ``"dqn"``, ``"sac"``,
            ``"maskable_ppo"``). Text envs need ``"maskable_ppo"`` and train in
            ``action_mode="discrete"`` (set automatically).
        reward: the training reward: a term of :mod:`rewardgym.rewards` (applied with
            the vector or single-env reward wrapper) or a callable that wraps the env.
            Shaping terms are checked against the algorithm's gamma.
        num_envs: parallel envs (one batched env for Numba envs).
        algo_kwargs: passed to the algorithm's constructor (e.g. ``n_steps``).
        eval_episodes: greedy episodes on the env's own reward after training.
        policy: SB3 policy name; default ``"MultiInputPolicy"`` for dict observations,
            else ``"MlpPolicy"``.
        torch_threads: torch intra-op threads; small MLPs gain nothing from more, and
            the env kernels use the other cores.
    """
    import importlib

    import torch

    torch.set_num_threads(torch_threads)

    if algo not in ALGOS:
        raise ValueError(f"unknown algo {algo!r}; choose one of {sorted(ALGOS)}")
    if total_timesteps < 1 or num_envs < 1 or eval_episodes < 0:
        raise ValueError("total_timesteps and num_envs must be >= 1, eval_episodes >= 0")
    entry = _entry(env_id)
    kwargs = dict(env_kwargs or {})
    text_family = entry.family in ("tool_use", "text_games", "web")
    if text_family:
        if algo != "maskable_ppo":
            raise ValueError(
                f"{entry.id} is a text env: train it with algo='maskable_ppo' (its "
                "discrete mode, an index over the admissible actions with a mask)"
            )
        kwargs.setdefault("action_mode", "discrete")
    module, name = ALGOS[algo]
    algo_cls = getattr(importlib.import_module(module), name)
    venv = make_sb3_env(entry.id, num_envs, seed=seed, reward=reward, env_kwargs=kwargs)
    if policy is None:
        policy = (
            "MultiInputPolicy"
            if isinstance(venv.observation_space, gym.spaces.Dict)
            else "MlpPolicy"
        )
    model = algo_cls(policy, venv, seed=seed, device="cpu", verbose=0, **(algo_kwargs or {}))
    if reward is not None:
        from rewardgym.rewards.shaping import check_gamma

        check_gamma(_gym_env_of(venv), model)
    start = time.perf_counter()
    model.learn(total_timesteps)
    wall = time.perf_counter() - start
    venv.close()

    def predict(obs: Any, env: gym.Env[Any, Any]) -> Any:
        extra = {}
        if algo == "maskable_ppo":
            extra["action_masks"] = env.unwrapped.action_masks()  # type: ignore[attr-defined]
        action, _ = model.predict(obs, deterministic=True, **extra)
        if isinstance(env.action_space, gym.spaces.Discrete):
            return int(action)
        return action

    returns, success = (
        evaluate_policy(predict, entry.id, eval_episodes, env_kwargs=kwargs)
        if eval_episodes
        else ([], None)
    )
    return TrainResult(
        env_id=entry.id,
        algo=algo,
        seed=seed,
        timesteps=int(model.num_timesteps),
        num_envs=num_envs,
        wall_time_s=wall,
        eval_returns=returns,
        eval_success=success,
        env_kwargs=kwargs,
        model=model,
    )
