"""Conformance harness for rewardgym environments (and any Gymnasium or PettingZoo
env a user writes).

``tests/`` runs these checks over every registered id, so a new environment is
covered as soon as it is in the registry table. Each check raises
``AssertionError`` with a message that names the first difference.

Gymnasium envs: :func:`check_gymnasium_env` (Gymnasium's ``check_env`` with
warnings as errors), :func:`check_determinism`, :func:`check_pickle`,
:func:`check_vector_matches_single`. PettingZoo envs: :func:`check_pettingzoo_env`
(``api_test``, ``parallel_api_test``, :func:`check_pettingzoo_seed` and
``render_test``).
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import gymnasium as gym
import numpy as np

__all__ = [
    "ALLOWED_WARNINGS",
    "assert_same",
    "check_determinism",
    "check_gymnasium_env",
    "check_pettingzoo_env",
    "check_pettingzoo_seed",
    "check_pickle",
    "check_vector_matches_single",
    "iter_registered",
]

#: Warnings a check tolerates, as (substring of the message, the reason). Every
#: entry carries its reason; anything else is turned into a failure.
ALLOWED_WARNINGS: tuple[tuple[str, str], ...] = (
    (
        "is different from the unwrapped version",
        "we pass env.unwrapped; Gymnasium warns only when a wrapper is present",
    ),
    (
        "observation space minimum value is -infinity",
        "unbounded velocities (CartPole) keep the reference env's infinite Box bounds",
    ),
    (
        "observation space maximum value is infinity",
        "unbounded velocities (CartPole) keep the reference env's infinite Box bounds",
    ),
    (
        "we recommend using a symmetric and normalized space",
        "Pendulum's torque range [-2, 2] is the reference env's; rescaling is the agent's job",
    ),
)


def _allowed(message: str) -> bool:
    return any(pattern in message for pattern, _ in ALLOWED_WARNINGS)


def _raise_on_warnings(caught: list[warnings.WarningMessage], what: str) -> None:
    bad = [w for w in caught if not _allowed(str(w.message))]
    if bad:
        lines = "\n".join(f"  {w.category.__name__}: {w.message}" for w in bad)
        raise AssertionError(f"{what} emitted warnings without a written reason:\n{lines}")


def assert_same(a: Any, b: Any, path: str = "", *, atol: float = 0.0) -> None:
    """Recursively assert two values (arrays, dicts, tuples, scalars) are equal.

    NaNs compare equal to NaNs. ``atol`` > 0 compares floating arrays with that
    absolute tolerance.
    """
    where = path or "value"
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if set(a) != set(b):
            raise AssertionError(f"{where}: keys differ: {sorted(a)} vs {sorted(b)}")
        for k in a:
            assert_same(a[k], b[k], f"{path}[{k!r}]", atol=atol)
        return
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            raise AssertionError(f"{where}: lengths differ: {len(a)} vs {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]", atol=atol)
        return
    if hasattr(a, "copy_to_host"):
        a = a.copy_to_host()
    if hasattr(b, "copy_to_host"):
        b = b.copy_to_host()
    xa, xb = np.asarray(a), np.asarray(b)
    if (xa.dtype == object and xa.ndim == 0) or (xb.dtype == object and xb.ndim == 0):
        if type(a) is not type(b) or a != b:
            raise AssertionError(f"{where}: {a!r} != {b!r}")
        return
    if xa.dtype == object or xb.dtype == object:
        if xa.shape != xb.shape:
            raise AssertionError(f"{where}: shapes differ: {xa.shape} vs {xb.shape}")
        for idx in np.ndindex(xa.shape):
            assert_same(xa[idx], xb[idx], f"{path}{list(idx)}", atol=atol)
        return
    if xa.shape != xb.shape:
        raise AssertionError(f"{where}: shapes differ: {xa.shape} vs {xb.shape}")
    if np.issubdtype(xa.dtype, np.floating) or np.issubdtype(xb.dtype, np.floating):
        if not np.allclose(xa, xb, rtol=0.0, atol=atol, equal_nan=True):
            diff = np.nanmax(np.abs(xa.astype(np.float64) - xb.astype(np.float64)))
            raise AssertionError(f"{where}: values differ (max abs diff {diff:.3g} > {atol})")
        return
    if not np.array_equal(xa, xb):
        raise AssertionError(f"{where}: {a!r} != {b!r}")


def iter_registered(kind: str | None = None) -> Iterator[Any]:
    """Registry entries of rewardgym (optionally one kind), for parametrising tests."""
    from rewardgym.envs.registry import ENVS

    for entry in ENVS:
        if kind is None or entry.kind == kind:
            yield entry


# -- Gymnasium ------------------------------------------------------------------------


def check_gymnasium_env(env_id: str, **kwargs: Any) -> None:
    """Gymnasium's ``check_env`` on the unwrapped env, with every warning an error
    unless :data:`ALLOWED_WARNINGS` gives its reason. Render checks run when the env
    lists render modes."""
    from gymnasium.utils.env_checker import check_env

    env = gym.make(env_id, disable_env_checker=True, **kwargs)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(env.unwrapped, skip_render_check=False)
        _raise_on_warnings(caught, f"check_env({env_id})")
        for mode in env.metadata.get("render_modes", []):
            renv = gym.make(env_id, render_mode=mode, disable_env_checker=True, **kwargs)
            renv.reset(seed=0)
            frame = renv.render()
            # "human" draws to a screen or the terminal and returns None.
            if frame is None and mode != "human":
                raise AssertionError(f"{env_id}: render() returned None in mode {mode!r}")
            renv.close()
    finally:
        env.close()


def _rollout(
    env: gym.Env[Any, Any], seed: int, steps: int, resets: int | None = None
) -> list[tuple[Any, ...]]:
    """Random rollout over ``steps`` steps, resetting whenever an episode ends;
    returns every (obs, reward, terminated, truncated, info) and reset output."""
    env.action_space.seed(seed)
    record: list[tuple[Any, ...]] = []
    obs, info = env.reset(seed=seed)
    record.append(("reset", obs, info))
    for _ in range(steps):
        action = env.action_space.sample()
        obs, reward, terminated, truncated, info = env.step(action)
        record.append(("step", action, obs, reward, terminated, truncated, info))
        if terminated or truncated:
            obs, info = env.reset()
            record.append(("reset", obs, info))
    return record


def check_determinism(
    env_id: str,
    *,
    seed: int = 0,
    steps: int = 2000,
    max_episode_steps: int | None = 50,
    **kwargs: Any,
) -> int:
    """Two envs made and seeded alike produce identical rollouts over ``steps``
    random steps across several resets. Episodes are cut at ``max_episode_steps``
    so that a long time limit still gives several resets. Returns the number of
    resets seen (at least 2 required)."""
    extra: dict[str, Any] = {}
    if max_episode_steps is not None:
        extra["max_episode_steps"] = max_episode_steps
    envs = [gym.make(env_id, **extra, **kwargs) for _ in range(2)]
    try:
        a, b = (_rollout(e, seed, steps) for e in envs)
    finally:
        for e in envs:
            e.close()
    assert_same(a, b, f"{env_id} rollout")
    resets = sum(1 for r in a if r[0] == "reset")
    if resets < 3:
        raise AssertionError(
            f"{env_id}: only {resets} resets in {steps} steps; the determinism check needs "
            "several episodes (lower max_episode_steps)"
        )
    return resets


def check_pickle(env_id: str, *, seed: int = 0, steps: int = 20, **kwargs: Any) -> None:
    """A freshly reset env survives a pickle round trip: the copy continues exactly
    as the original does."""
    env = gym.make(env_id, **kwargs)
    try:
        env.reset(seed=seed)
        clone = pickle.loads(pickle.dumps(env))
        env.action_space.seed(seed)
        for t in range(steps):
            action = env.action_space.sample()
            out_a = env.step(action)
            out_b = clone.step(action)
            assert_same(out_a, out_b, f"{env_id} step {t} after unpickling")
            if out_a[2] or out_a[3]:
                assert_same(env.reset(seed=seed + t), clone.reset(seed=seed + t))
        clone.close()
    finally:
        env.close()


def check_vector_matches_single(
    env_id: str,
    *,
    num_envs: int = 7,
    seed: int = 0,
    steps: int = 300,
    obs_atol: float = 0.0,
    vector_kwargs: dict[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """``gym.make_vec(..., vectorization_mode="vector_entry_point")`` gives the same
    transitions as ``num_envs`` single envs made with ``gym.make``.

    The vector env's start states are copied into the single envs through the
    ``state`` property that both expose (``unwrapped.state``; (N, ...) on the
    vector env), after every reset, so the check holds for vector envs that draw
    start states from their own streams. Checks observations, rewards,
    terminated, truncated and the NEXT_STEP autoreset (a reset step returns the new
    start observation, reward 0 and no termination).
    """
    venv = gym.make_vec(
        env_id,
        num_envs=num_envs,
        vectorization_mode="vector_entry_point",
        **(vector_kwargs or {}),
        **kwargs,
    )
    singles = [gym.make(env_id, **kwargs) for _ in range(num_envs)]
    try:
        mode = venv.metadata.get("autoreset_mode")
        if mode != gym.vector.AutoresetMode.NEXT_STEP:
            raise AssertionError(f"{env_id}: expected NEXT_STEP autoreset, got {mode}")
        obs, _ = venv.reset(seed=seed)
        state = venv.unwrapped.state  # type: ignore[attr-defined]
        for i, env in enumerate(singles):
            env.reset(seed=seed + i)
            env.unwrapped.state = state[i]  # type: ignore[attr-defined]
        venv.action_space.seed(seed)
        prev_done = np.zeros(num_envs, dtype=bool)
        for t in range(steps):
            actions = venv.action_space.sample()
            obs, rew, term, trunc, _ = venv.step(actions)
            state = venv.unwrapped.state  # type: ignore[attr-defined]
            for i, env in enumerate(singles):
                where = f"{env_id} step {t} env {i}"
                if prev_done[i]:
                    env.reset(seed=seed + 1000 * t + i)
                    env.unwrapped.state = state[i]  # type: ignore[attr-defined]
                    if rew[i] != 0 or term[i] or trunc[i]:
                        raise AssertionError(
                            f"{where}: NEXT_STEP reset step must give reward 0, "
                            f"terminated=False, truncated=False; got {rew[i]}, {term[i]}, "
                            f"{trunc[i]}"
                        )
                    continue
                s_obs, s_rew, s_term, s_trunc, _ = env.step(actions[i])
                assert_same(obs[i], s_obs, f"{where} obs", atol=obs_atol)
                assert_same(rew[i], s_rew, f"{where} reward")
                assert_same(bool(term[i]), s_term, f"{where} terminated")
                assert_same(bool(trunc[i]), s_trunc, f"{where} truncated")
            prev_done = np.logical_or(term, trunc)
    finally:
        venv.close()
        for env in singles:
            env.close()


# -- PettingZoo -----------------------------------------------------------------------


def _sample(space: Any, obs: Any, info: Any) -> Any:
    """A random action, restricted to the env's action mask when it gives one."""
    from rewardgym.agents.random import action_mask

    mask = action_mask(obs, info)
    return space.sample(mask) if mask is not None else space.sample()


def _pz_rollout_parallel(env: Any, seed: int, steps: int) -> list[Any]:
    record: list[Any] = []
    obs, infos = env.reset(seed=seed)
    record.append(("reset", obs, infos))
    for agent in env.possible_agents:
        env.action_space(agent).seed(seed)
    for _ in range(steps):
        if not env.agents:
            obs, infos = env.reset()
            record.append(("reset", obs, infos))
            continue
        actions = {
            agent: _sample(env.action_space(agent), obs.get(agent), infos.get(agent))
            for agent in env.agents
        }
        obs, rewards, terms, truncs, infos = env.step(actions)
        record.append(("step", actions, obs, rewards, terms, truncs, infos))
    return record


def _pz_rollout_aec(env: Any, seed: int, steps: int) -> list[Any]:
    record: list[Any] = []
    env.reset(seed=seed)
    for agent in env.possible_agents:
        env.action_space(agent).seed(seed)
    for _ in range(steps):
        if not env.agents:
            env.reset()
            record.append(("reset",))
            continue
        agent = env.agent_selection
        obs, reward, term, trunc, info = env.last()
        action = None if term or trunc else _sample(env.action_space(agent), obs, info)
        record.append((agent, obs, reward, term, trunc, info, action))
        env.step(action)
    return record


def check_pettingzoo_seed(
    env_fn: Callable[[], Any], *, parallel: bool, seed: int = 0, steps: int = 2000
) -> None:
    """Two envs from ``env_fn`` reset with the same seed and driven by equally seeded
    action spaces produce identical rollouts over ``steps`` steps, through episode
    ends (PettingZoo's own ``parallel_seed_test`` can stop after the first)."""
    a, b = env_fn(), env_fn()
    try:
        roll = _pz_rollout_parallel if parallel else _pz_rollout_aec
        assert_same(roll(a, seed, steps), roll(b, seed, steps), "pettingzoo rollout")
    finally:
        a.close()
        b.close()


def check_pettingzoo_env(
    module: Any, *, num_cycles: int = 200, seed_steps: int = 2000, render: bool = True
) -> None:
    """The PettingZoo battery on a module with ``env()`` (and ``parallel_env()``)
    factories: ``api_test``, ``parallel_api_test``, the long seed test of this module
    for both APIs, and ``render_test`` when the env renders."""
    from pettingzoo.test import api_test, parallel_api_test, render_test

    api_test(module.env(), num_cycles=num_cycles)
    check_pettingzoo_seed(module.env, parallel=False, steps=seed_steps)
    if hasattr(module, "parallel_env"):
        parallel_api_test(module.parallel_env(), num_cycles=num_cycles)
        check_pettingzoo_seed(module.parallel_env, parallel=True, steps=seed_steps)
    modes = module.env().metadata.get("render_modes", [])
    if render and modes:
        render_test(lambda render_mode=None: module.env(render_mode=render_mode))
