"""The shells around the control kernels: one single-env class and one vector-env
class, specialised per task by a small :class:`ControlEnv` subclass.

The single env and the vector env call the same kernel (:mod:`._kernels`); the
single env keeps batch-of-one buffers and never autoresets, the vector env owns
(N, ...) buffers, per-env random streams and the autoreset mode.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from . import _kernels as K

# The GNU OpenMP runtime does not survive a fork once its thread pool exists: a child
# forked after a parallel kernel ran hangs or dies in its first parallel region.
# Such a child runs the serial kernels instead (same results, one core).
_PARALLEL_USED = False
_FORKED_AFTER_PARALLEL = False


def _after_fork_in_child() -> None:
    global _FORKED_AFTER_PARALLEL
    if _PARALLEL_USED:
        _FORKED_AFTER_PARALLEL = True


os.register_at_fork(after_in_child=_after_fork_in_child)


def parallel_allowed() -> bool:
    """False in a process forked after this process ran a parallel kernel."""
    return not _FORKED_AFTER_PARALLEL


def _mark_parallel_used() -> None:
    global _PARALLEL_USED
    _PARALLEL_USED = True


class ControlEnv(gym.Env[np.ndarray, Any]):
    """Shared shell of the single control envs; subclasses set the task.

    Subclasses define the class attributes below, ``_make_spaces`` and
    ``_draw_start`` (which consumes ``np_random`` exactly as the reference env's
    ``reset`` does, so equal seeds give equal start states).
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 50}  # noqa: RUF012 - Gymnasium's layout

    task_code: ClassVar[int]
    state_dim: ClassVar[int]
    params_type: ClassVar[type]
    #: Default reset bounds (low, high) per state slot, for the vector env.
    reset_low: ClassVar[tuple[float, float, float, float]]
    reset_high: ClassVar[tuple[float, float, float, float]]
    #: The reference's time limit (registered as ``max_episode_steps``).
    max_episode_steps: ClassVar[int]
    #: Potential functions of the observation, name -> fn(obs batch) -> values.
    potentials: ClassVar[dict[str, Callable[[np.ndarray], np.ndarray]]] = {}
    #: The task's frozen parameter dataclass instance (a ``params_type``).
    params: Any

    def __init__(self, params: Any = None, render_mode: str | None = None, **overrides: Any):
        if params is None:
            params = self.params_type(**overrides)
        elif overrides:
            raise TypeError(
                f"pass either params= or keyword overrides, not both (got {sorted(overrides)})"
            )
        if not isinstance(params, self.params_type):
            raise TypeError(
                f"params must be a {self.params_type.__name__}, got {type(params).__name__}"
            )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode={render_mode!r} is not supported; "
                f"choose one of {self.metadata['render_modes']} or None"
            )
        self.params = params
        self.render_mode = render_mode
        self.observation_space, self.action_space = self._make_spaces(params)
        self._discrete = isinstance(self.action_space, spaces.Discrete)
        obs_dim = self.observation_space.shape[0]
        self._p = self.params.kernel_params()
        self._state = np.zeros((1, K.STATE_SLOTS), dtype=np.float64)
        self._act = np.zeros(1, dtype=np.int64 if self._discrete else np.float32)
        self._obs = np.zeros((1, obs_dim), dtype=np.float32)
        self._final_obs = np.zeros((1, obs_dim), dtype=np.float32)
        self._rew = np.zeros(1, dtype=np.float64)
        self._term = np.zeros(1, dtype=np.bool_)
        self._trunc = np.zeros(1, dtype=np.bool_)
        self._elapsed = np.zeros(1, dtype=np.int64)
        self._prev_done = np.zeros(1, dtype=np.bool_)
        self._has_final = np.zeros(1, dtype=np.bool_)
        self._rng = np.ones((1, 2), dtype=np.uint64)  # unused: no in-kernel resets
        self._lo = np.asarray(self.reset_low, dtype=np.float64)
        self._hi = np.asarray(self.reset_high, dtype=np.float64)
        self._all = np.ones(1, dtype=np.bool_)
        self._has_state = False
        self._terminated_before = False

    # -- subclass hooks -------------------------------------------------------------
    @classmethod
    def _make_spaces(cls, params: Any) -> tuple[spaces.Box, spaces.Space[Any]]:
        raise NotImplementedError

    def _draw_start(self, options: dict[str, Any] | None) -> np.ndarray:
        raise NotImplementedError

    @classmethod
    def reset_bounds(cls, options: dict[str, Any] | None) -> tuple[np.ndarray, np.ndarray]:
        """Reset bounds per state slot after applying reset ``options``."""
        return np.asarray(cls.reset_low, np.float64), np.asarray(cls.reset_high, np.float64)

    def _render_text(self) -> str:
        return " ".join(f"{v:+.3f}" for v in self.state)

    def _render_rgb(self) -> np.ndarray:
        raise NotImplementedError

    # -- state ----------------------------------------------------------------------
    @property
    def state(self) -> np.ndarray:
        """The physical state in the reference env's layout (a copy; assign to set)."""
        if not self._has_state:
            raise gym.error.ResetNeeded("call reset() before reading the state")
        return self._state[0, : self.state_dim].copy()

    @state.setter
    def state(self, value: Any) -> None:
        arr = np.asarray(value, dtype=np.float64).reshape(-1)
        if arr.shape != (self.state_dim,):
            raise ValueError(
                f"state must have {self.state_dim} values in the reference layout, "
                f"got shape {np.shape(value)}"
            )
        self._state[0, : self.state_dim] = arr
        self._state[0, self.state_dim :] = 0.0
        K.reset_serial(
            self.task_code, False, self._all, self._state, self._obs, self._rng,
            self._elapsed, self._prev_done, self._lo, self._hi,
        )  # fmt: skip
        self._has_state = True
        self._terminated_before = False

    # -- gymnasium API --------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.state = self._draw_start(options)
        return self._obs[0].copy(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if not self._has_state:
            raise gym.error.ResetNeeded("call reset() before step()")
        if self._discrete:
            n = self.action_space.n  # type: ignore[attr-defined]
            try:
                a = int(np.asarray(action).item()) if np.ndim(action) <= 1 else None
            except (TypeError, ValueError):
                a = None
            if a is None or a != np.asarray(action).item() or not 0 <= a < n:
                raise gym.error.InvalidAction(
                    f"{action!r} is not a valid action: expected an integer in [0, {n})"
                )
            self._act[0] = a
        else:
            arr = np.asarray(action, dtype=np.float32).reshape(-1)
            if arr.shape != (1,):
                raise gym.error.InvalidAction(
                    f"expected an action of shape (1,), got shape {np.shape(action)}"
                )
            if not np.isfinite(arr[0]):
                raise gym.error.InvalidAction(f"action must be finite, got {action!r}")
            self._act[0] = arr[0]
        K.step_serial(
            self.task_code, K.MODE_NONE, 0, self._state, self._act, self._obs, self._rew,
            self._term, self._trunc, self._elapsed, self._prev_done, self._rng,
            self._final_obs, self._has_final, self._p, self._lo, self._hi,
        )  # fmt: skip
        reward = float(self._rew[0])
        terminated = bool(self._term[0])
        reward = self._after_terminal(reward, terminated)
        return self._obs[0].copy(), reward, terminated, False, {}

    def _after_terminal(self, reward: float, terminated: bool) -> float:
        """Hook for tasks whose reward changes when stepped past termination."""
        return reward

    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            gym.logger.warn(
                "render() called without a render_mode; make the env with "
                "render_mode='ansi' or 'rgb_array'"
            )
            return None
        if self.render_mode == "rgb_array":
            return self._render_rgb()
        return self._render_text()


def _as_host_array(actions: Any) -> np.ndarray:
    if hasattr(actions, "detach") and hasattr(actions, "cpu"):  # a torch tensor
        return np.asarray(actions.detach().cpu().numpy())
    if hasattr(actions, "copy_to_host"):  # a Numba device array
        return np.asarray(actions.copy_to_host())
    return np.asarray(actions)


def host_actions(actions: Any, discrete: bool, n: int) -> np.ndarray:
    """Host actions for ``n`` envs as the kernel's flat array (int64 for discrete
    tasks, float32 for one-dimensional continuous ones), or a clear error for a wrong
    shape or dtype. Already-matching arrays pass through without a copy."""
    want = np.int64 if discrete else np.float32
    shape = (n,) if discrete else (n, 1)
    if (
        type(actions) is np.ndarray
        and actions.dtype == want
        and actions.shape == shape
        and actions.flags.c_contiguous
    ):
        return actions.reshape(n)  # the common case: no conversion
    arr = _as_host_array(actions)
    if arr.shape != shape:
        raise ValueError(f"actions must have shape {shape}, got {arr.shape}")
    if discrete and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"discrete actions must be integers, got dtype {arr.dtype}")
    if not discrete and not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"continuous actions must be floats, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=want).reshape(n)


class ControlVectorEnv(VectorEnv[np.ndarray, np.ndarray, np.ndarray]):
    """Shared shell of the control vector envs; subclasses set ``env_cls``.

    Steps all N envs in one Numba kernel call (``backend="cpu"``) or one CUDA launch
    (``backend="cuda"``). Each env draws its start states from its own xoroshiro128+
    stream, seeded from ``np_random`` at ``reset``, so results do not depend on the
    thread count.

    Arguments: ``num_envs``; ``max_episode_steps`` (truncation inside the kernel; the
    registered time limit by default, 0 for none); ``autoreset_mode`` (``NEXT_STEP``
    or ``SAME_STEP``); ``backend`` (``"cpu"`` or ``"cuda"``); ``copy`` (return fresh
    arrays, default; ``False`` returns the env's buffers, overwritten by the next
    step); ``parallel_threshold`` (below this many envs the serial kernel runs);
    ``as_torch`` (CUDA: return torch tensors); ``validate_actions`` (range and NaN
    checks; on CUDA they cost one 8-byte device-to-host copy per step; without them an
    out-of-range action gives meaningless dynamics, though never an out-of-bounds
    memory access); ``params`` or the task's parameters as keywords.
    """

    env_cls: ClassVar[type[ControlEnv]]
    metadata = {  # noqa: RUF012 - Gymnasium declares metadata per instance
        "render_modes": [],
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init__(
        self,
        num_envs: int = 1,
        *,
        max_episode_steps: int | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        backend: str = "cpu",
        copy: bool = True,
        parallel_threshold: int = 512,
        as_torch: bool = False,
        validate_actions: bool = True,
        params: Any = None,
        render_mode: str | None = None,
        **overrides: Any,
    ):
        if not isinstance(num_envs, (int, np.integer)) or isinstance(num_envs, bool):
            raise TypeError(f"num_envs must be an int, got {type(num_envs).__name__}")
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        if render_mode is not None:
            raise ValueError("the control vector envs do not render; use the single env")
        mode = AutoresetMode(autoreset_mode) if isinstance(autoreset_mode, str) else autoreset_mode
        if mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError(
                f"autoreset_mode must be NEXT_STEP or SAME_STEP, got {autoreset_mode!r}"
            )
        if backend not in ("cpu", "cuda"):
            raise ValueError(f"backend must be 'cpu' or 'cuda', got {backend!r}")
        if as_torch and backend != "cuda":
            raise ValueError("as_torch=True returns CUDA tensors; it needs backend='cuda'")
        if max_episode_steps is None:
            max_episode_steps = self.env_cls.max_episode_steps
        if max_episode_steps < 0:
            raise ValueError(f"max_episode_steps must be >= 0 (0: never), got {max_episode_steps}")

        template = self.env_cls(params=params, **overrides)
        self.params: Any = template.params
        self.num_envs = int(num_envs)
        self.max_episode_steps = int(max_episode_steps)
        self.autoreset_mode = mode
        self.metadata = {**type(self).metadata, "autoreset_mode": mode}
        self.render_mode = None
        self.backend = backend
        self.copy = copy
        self.parallel_threshold = int(parallel_threshold)
        self.as_torch = as_torch
        self.validate_actions = validate_actions
        self.single_observation_space = template.observation_space
        self.single_action_space = template.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._discrete = isinstance(self.single_action_space, spaces.Discrete)
        self._task = self.env_cls.task_code
        self._state_dim = self.env_cls.state_dim
        obs_dim = self.single_observation_space.shape[0]  # type: ignore[index]
        n = self.num_envs
        lo, hi = self.env_cls.reset_bounds(None)
        host = {
            "state": np.zeros((n, K.STATE_SLOTS), dtype=np.float64),
            "obs": np.zeros((n, obs_dim), dtype=np.float32),
            "final_obs": np.zeros((n, obs_dim), dtype=np.float32),
            "rew": np.zeros(n, dtype=np.float64),
            "term": np.zeros(n, dtype=np.bool_),
            "trunc": np.zeros(n, dtype=np.bool_),
            "elapsed": np.zeros(n, dtype=np.int64),
            "prev_done": np.zeros(n, dtype=np.bool_),
            "has_final": np.zeros(n, dtype=np.bool_),
            "rng": np.ones((n, 2), dtype=np.uint64),
            "p": template.params.kernel_params(),
            "lo": lo,
            "hi": hi,
        }
        self._mode = K.MODE_NEXT_STEP if mode == AutoresetMode.NEXT_STEP else K.MODE_SAME_STEP
        if backend == "cuda":
            from ._cuda import CudaBuffers

            self._buf: Any = CudaBuffers(host)
        else:
            self._buf = host
        self._has_state = False
        template.close()

    # -- state ----------------------------------------------------------------------
    @property
    def state(self) -> np.ndarray:
        """Physical states, shape (num_envs, state_dim), reference layout (a copy)."""
        state = self._buf["state"]
        host = state.copy_to_host() if self.backend == "cuda" else state
        return np.array(host[:, : self._state_dim])

    @state.setter
    def state(self, value: Any) -> None:
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != (self.num_envs, self._state_dim):
            raise ValueError(
                f"state must have shape {(self.num_envs, self._state_dim)}, got {arr.shape}"
            )
        full = np.zeros((self.num_envs, K.STATE_SLOTS), dtype=np.float64)
        full[:, : self._state_dim] = arr
        self._run_reset(full_state=full)
        self._has_state = True

    # -- gymnasium API --------------------------------------------------------------
    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        if isinstance(seed, list):
            seed = seed[0] if seed else None
        super().reset(seed=seed)
        lo, hi = self.env_cls.reset_bounds(options)
        mask = None
        if options is not None and "reset_mask" in options:
            mask = np.asarray(options["reset_mask"], dtype=np.bool_)
            if mask.shape != (self.num_envs,):
                raise ValueError(f"reset_mask must have shape ({self.num_envs},)")
        seeds = self.np_random.integers(0, 2**64, size=(self.num_envs, 2), dtype=np.uint64)
        seeds[:, 1] |= np.uint64(1)  # xoroshiro128+ needs a non-zero state
        self._run_reset(lo=lo, hi=hi, seeds=seeds, mask=mask)
        self._has_state = True
        return self._outputs_obs(), {}

    def _run_reset(
        self,
        *,
        lo: np.ndarray | None = None,
        hi: np.ndarray | None = None,
        seeds: np.ndarray | None = None,
        mask: np.ndarray | None = None,
        full_state: np.ndarray | None = None,
    ) -> None:
        b = self._buf
        if self.backend == "cuda":
            b.reset(self._task, lo, hi, seeds, mask, full_state)
            return
        if lo is not None and hi is not None:
            b["lo"][:] = lo
            b["hi"][:] = hi
        mask = np.ones(self.num_envs, dtype=np.bool_) if mask is None else mask
        if seeds is not None:
            b["rng"][mask] = seeds[mask]
        if full_state is not None:
            b["state"][:] = full_state
            b["elapsed"][:] = 0
            b["prev_done"][:] = False
        K.reset_serial(
            self._task, full_state is None, mask, b["state"], b["obs"], b["rng"],
            b["elapsed"], b["prev_done"], b["lo"], b["hi"],
        )  # fmt: skip

    def _check_actions(self, actions: Any) -> Any:
        """The actions as the kernel's flat array (int64 or float32), or a clear error."""
        n = self.num_envs
        if self.backend == "cuda":
            return self._buf.check_actions(
                actions, self._discrete, self.single_action_space, self.validate_actions
            )
        flat = host_actions(actions, self._discrete, n)
        if not self.validate_actions:
            return flat
        if self._discrete:
            high = self.single_action_space.n  # type: ignore[attr-defined]
            bad = K.first_invalid_discrete(flat, high)
            if bad >= 0:
                raise ValueError(
                    f"action {flat[bad]} of env {bad} is out of range: expected an integer in "
                    f"[0, {high})"
                )
        else:
            bad = K.first_nonfinite(flat)
            if bad >= 0:
                raise ValueError(f"action of env {bad} is not finite: {flat[bad]}")
        return flat

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any, dict[str, Any]]:
        if not self._has_state:
            raise gym.error.ResetNeeded("call reset() before step()")
        act = self._check_actions(actions)
        b = self._buf
        if self.backend == "cuda":
            b.step(self._task, self._mode, self.max_episode_steps, act)
            return self._cuda_outputs()
        use_parallel = self.num_envs >= self.parallel_threshold and parallel_allowed()
        kernel = K.step_parallel if use_parallel else K.step_serial
        if use_parallel:
            _mark_parallel_used()
        if self.copy:
            # The kernel writes every row of these outputs and reads none, so fresh
            # arrays as outputs are cheaper than copying the buffers afterwards.
            obs, rew = np.empty_like(b["obs"]), np.empty_like(b["rew"])
            term, trunc = np.empty_like(b["term"]), np.empty_like(b["trunc"])
        else:
            obs, rew, term, trunc = b["obs"], b["rew"], b["term"], b["trunc"]
        kernel(
            self._task, self._mode, self.max_episode_steps, b["state"], act, obs, rew, term,
            trunc, b["elapsed"], b["prev_done"], b["rng"], b["final_obs"], b["has_final"],
            b["p"], b["lo"], b["hi"],
        )  # fmt: skip
        infos: dict[str, Any] = {}
        if self._mode == K.MODE_SAME_STEP:
            infos = self._final_infos(b["has_final"], b["final_obs"])
        return obs, rew, term, trunc, infos

    def _final_infos(self, has_final: np.ndarray, final_obs: np.ndarray) -> dict[str, Any]:
        """Gymnasium's SAME_STEP info layout: ``final_obs`` (object array) and
        ``final_info`` with their ``_``-prefixed masks."""
        idx = np.flatnonzero(has_final)
        if idx.size == 0:
            return {}
        objs = np.full(self.num_envs, None, dtype=object)
        for i in idx:
            objs[i] = final_obs[i].copy()
        mask = has_final.copy()
        return {"final_obs": objs, "_final_obs": mask, "final_info": {}, "_final_info": mask}

    def _outputs_obs(self) -> Any:
        if self.backend == "cuda":
            return self._buf.output("obs", self.as_torch)
        return self._buf["obs"].copy()

    def _cuda_outputs(self) -> tuple[Any, Any, Any, Any, dict[str, Any]]:
        b = self._buf
        infos: dict[str, Any] = {}
        if self._mode == K.MODE_SAME_STEP:
            infos = self._final_infos(b.host("has_final"), b.host("final_obs"))
        return (
            b.output("obs", self.as_torch),
            b.output("rew", self.as_torch),
            b.output("term", self.as_torch),
            b.output("trunc", self.as_torch),
            infos,
        )

    def close_extras(self, **kwargs: Any) -> None:
        self._buf = {}
