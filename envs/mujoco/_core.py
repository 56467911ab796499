"""The shells around the MuJoCo tasks: one single-env class and one vector-env class,
specialised per task by a subclass that supplies the task's pure functions.

A task is four functions over batches (``n`` rows), shared by both shells:

* ``draw_start(rng, n, params)`` -> :class:`Start`: start states drawn from ``rng``;
* ``observe(frame, params)`` -> ``(n, obs_dim)`` float64 observations;
* ``pre_step(frame)``: what the reward needs from before the step (or ``None``);
* ``evaluate(pre, frame, action, params, dt)`` -> :class:`Outcome`.

A :class:`Frame` holds live ``(n, ...)`` views of the simulation fields: the single
env's views are batch-of-one views of its ``MjData``; the vector env's are the rows
of a ``mujoco.batch.Batch``. The task functions use element-wise arithmetic and
square roots only (no transcendental functions, no reductions whose order could
depend on the batch size), and MuJoCo computes everything else (poses, contact
forces), so the two shells agree bit for bit.

Physics state: MuJoCo's ``mjSTATE_INTEGRATION`` vector (time, qpos, qvel, act,
warm start, ctrl, applied forces, mocap poses, ...). Goals are mocap bodies, so the
state vector is the whole state of a task: ``env.unwrapped.state`` reads and writes
it (``(num_envs, nstate)`` on the vector env).
"""

from __future__ import annotations

import os
import sys

# Offscreen rendering without a display: EGL (Debian's libegl1 and libgl1-mesa-dri).
# MuJoCo reads the variable when it is first imported, so this runs before that import;
# a value the user set wins. Other platforms keep MuJoCo's default.
if sys.platform.startswith("linux"):
    os.environ.setdefault("MUJOCO_GL", "egl")

import copy as _copy
import ctypes
import functools
import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, ClassVar

import gymnasium as gym
import mujoco
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from mujoco.batch import Batch

INTEGRATION = mujoco.mjtState.mjSTATE_INTEGRATION
STAGE_NONE = int(mujoco.mjtStage.mjSTAGE_NONE)
STAGE_POS = int(mujoco.mjtStage.mjSTAGE_POS)

#: What the vector env's ``step`` returns: obs, rewards, terminated, truncated, infos.
VectorStep = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]


# -- task interface ------------------------------------------------------------------


@dataclass
class Frame:
    """Live ``(n, ...)`` views of the simulation fields a task reads.

    ``qpos``, ``qvel``, ``mocap_pos`` are state; ``derived`` maps the ``MjData``
    outputs a task declares (``xmat``, ``site_xpos``, ``sensordata``, ...) to their
    values after the last step (``mj_step`` semantics: sensors from the last substep;
    poses current when the task asks for ``stage = STAGE_POS``).
    """

    qpos: np.ndarray
    qvel: np.ndarray
    mocap_pos: np.ndarray
    derived: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Start:
    """Start states of ``n`` episodes (``mocap_pos`` is ``None`` for tasks without
    mocap bodies)."""

    qpos: np.ndarray
    qvel: np.ndarray
    mocap_pos: np.ndarray | None = None


@dataclass
class Outcome:
    """Per-row results of one step: reward (float64), terminated and success (bool;
    success ``None`` for tasks without a goal) and the reward's terms by name
    (float64; they sum to the reward)."""

    reward: np.ndarray
    terminated: np.ndarray
    success: np.ndarray | None
    terms: dict[str, np.ndarray]


def squared_norm(a: np.ndarray) -> np.ndarray:
    """Row-wise sum of squares of a ``(n, k)`` array, in a fixed order (column 0 first),
    so that every batch size gives the same bits."""
    out = a[:, 0] * a[:, 0]
    for j in range(1, a.shape[1]):
        out = out + a[:, j] * a[:, j]
    return out


# -- parameters ----------------------------------------------------------------------


def check_positive(params: Any, *names: str) -> None:
    """Raise ``ValueError`` naming the field when a parameter is not a positive number."""
    for name in names:
        value = getattr(params, name)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value <= 0
        ):
            raise ValueError(
                f"{type(params).__name__}.{name} must be a positive finite number, got {value!r}"
            )


def check_non_negative(params: Any, *names: str) -> None:
    """Raise ``ValueError`` naming the field when a parameter is negative or not finite."""
    for name in names:
        value = getattr(params, name)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value < 0
        ):
            raise ValueError(
                f"{type(params).__name__}.{name} must be a finite number >= 0, got {value!r}"
            )


def check_frame_skip(params: Any) -> None:
    value = params.frame_skip
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(
            f"{type(params).__name__}.frame_skip must be an int >= 1 (physics steps per env "
            f"step), got {value!r}"
        )


@functools.cache
def _compiled_model(filename: str) -> Any:
    path = resources.files("rewardgym.envs.mujoco").joinpath("assets").joinpath(filename)
    with resources.as_file(path) as real:
        return mujoco.MjModel.from_xml_path(str(real))


def load_model(filename: str) -> Any:
    """A fresh copy of the packaged MJCF model ``assets/<filename>`` (compiled once
    per process), so edits to one env's model never reach another's."""
    return _copy.copy(_compiled_model(filename))


# -- the single env ------------------------------------------------------------------


class MujocoTaskEnv(gym.Env[np.ndarray, np.ndarray]):
    """Shared shell of the single MuJoCo envs; subclasses set the task.

    Subclasses define the class attributes below and the task functions
    ``draw_start``, ``observe`` and ``evaluate`` (and ``pre_step`` when the reward
    needs the state before the step).
    """

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 20}  # noqa: RUF012 - Gymnasium's layout

    #: The MJCF file under ``assets/``.
    model_file: ClassVar[str]
    #: The task's frozen parameter dataclass.
    params_type: ClassVar[type]
    #: Observation size (float64, unbounded Box).
    obs_dim: ClassVar[int]
    #: The registered time limit.
    max_episode_steps: ClassVar[int]
    #: ``MjData`` outputs the task reads (bound on the vector env's batch).
    derived_fields: ClassVar[tuple[str, ...]] = ()
    #: Forward stages computed after each step: ``STAGE_POS`` makes poses current.
    stage: ClassVar[int] = STAGE_NONE
    #: The camera ``render()`` looks through.
    camera: ClassVar[str]
    #: Potential functions of a batch of observations, for shaping.
    potentials: ClassVar[dict[str, Callable[..., np.ndarray]]] = {}
    #: The frozen parameter dataclass instance (a ``params_type``).
    params: Any

    def __init__(
        self,
        params: Any = None,
        render_mode: str | None = None,
        width: int = 480,
        height: int = 480,
        **overrides: Any,
    ):
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
                f"render_mode={render_mode!r} is not supported; choose 'rgb_array' (offscreen) "
                "or None"
            )
        for name, value in (("width", width), ("height", height)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int (pixels), got {value!r}")
        self.params = params
        self.render_mode = render_mode
        self.width, self.height = int(width), int(height)
        self.model: Any = load_model(self.model_file)
        self.frame_skip = int(self.params.frame_skip)
        self.dt = float(self.model.opt.timestep) * self.frame_skip
        self.metadata = {**type(self).metadata, "render_fps": round(1.0 / self.dt)}
        self.observation_space = spaces.Box(-np.inf, np.inf, (self.obs_dim,), np.float64)
        nu = self.model.nu
        self.action_space = spaces.Box(-1.0, 1.0, (nu,), np.float32)
        self._has_state = False
        self._renderer: Any = None
        self._render_data: Any = None
        self._attach_data()

    def _attach_data(self) -> None:
        self.data: Any = mujoco.MjData(self.model)
        d = self.data
        self._frame = Frame(
            qpos=d.qpos[None],
            qvel=d.qvel[None],
            mocap_pos=d.mocap_pos[None],
            derived={name: getattr(d, name)[None] for name in self.derived_fields},
        )

    # -- task hooks -----------------------------------------------------------------
    @classmethod
    def draw_start(cls, rng: np.random.Generator, n: int, params: Any) -> Start:
        raise NotImplementedError

    @classmethod
    def observe(cls, frame: Frame, params: Any) -> np.ndarray:
        raise NotImplementedError

    @classmethod
    def pre_step(cls, frame: Frame) -> Any:
        """What ``evaluate`` needs from before the step (a copy); ``None`` by default."""
        return None

    @classmethod
    def evaluate(
        cls, pre: Any, frame: Frame, action: np.ndarray, params: Any, dt: float
    ) -> Outcome:
        raise NotImplementedError

    def observation(self) -> np.ndarray:
        """The observation of the current state (what ``reset`` or ``step`` returned,
        or the observation of a state just assigned to :attr:`state`)."""
        if not self._has_state:
            raise gym.error.ResetNeeded("call reset() before reading the observation")
        return self.observe(self._frame, self.params)[0]

    # -- state ----------------------------------------------------------------------
    @property
    def nstate(self) -> int:
        """Length of the state vector (MuJoCo's ``mjSTATE_INTEGRATION``)."""
        return int(mujoco.mj_stateSize(self.model, INTEGRATION))

    @property
    def state(self) -> np.ndarray:
        """The physics state, MuJoCo's ``mjSTATE_INTEGRATION`` vector (a copy; assign
        to set: the env then continues exactly from it)."""
        if not self._has_state:
            raise gym.error.ResetNeeded("call reset() before reading the state")
        out = np.empty(self.nstate, dtype=np.float64)
        mujoco.mj_getState(self.model, self.data, out, INTEGRATION)
        return out

    @state.setter
    def state(self, value: Any) -> None:
        arr = np.ascontiguousarray(value, dtype=np.float64).reshape(-1)
        if arr.shape != (self.nstate,):
            raise ValueError(
                f"state must have {self.nstate} values (mjSTATE_INTEGRATION), "
                f"got shape {np.shape(value)}"
            )
        mujoco.mj_setState(self.model, self.data, arr, INTEGRATION)
        mujoco.mj_forward(self.model, self.data)
        self._has_state = True

    # -- gymnasium API --------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        start = self.draw_start(self.np_random, 1, self.params)
        m, d = self.model, self.data
        mujoco.mj_resetData(m, d)
        d.qpos[:] = start.qpos[0]
        d.qvel[:] = start.qvel[0]
        if start.mocap_pos is not None:
            d.mocap_pos[:] = start.mocap_pos[0]
        mujoco.mj_forward(m, d)
        self._has_state = True
        return self.observe(self._frame, self.params)[0], {}

    def _checked_action(self, action: Any) -> np.ndarray:
        nu = self.model.nu
        try:
            arr = np.asarray(action, dtype=np.float64)
        except (TypeError, ValueError):
            raise gym.error.InvalidAction(
                f"{action!r} is not a valid action: expected {nu} floats in [-1, 1]"
            ) from None
        if arr.shape != (nu,):
            raise gym.error.InvalidAction(
                f"expected an action of shape ({nu},), got shape {arr.shape}"
            )
        if not np.isfinite(arr).all():
            raise gym.error.InvalidAction(f"action must be finite, got {arr.tolist()}")
        return np.clip(arr, -1.0, 1.0)[None]

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if not self._has_state:
            raise gym.error.ResetNeeded("call reset() before step()")
        a = self._checked_action(action)
        frame = self._frame
        pre = self.pre_step(frame)
        self.data.ctrl[:] = a[0]
        mujoco.mj_step(self.model, self.data, nstep=self.frame_skip)
        if self.stage >= STAGE_POS:
            mujoco.mj_fwdPosition(self.model, self.data)
        obs = self.observe(frame, self.params)[0]
        out = self.evaluate(pre, frame, a, self.params, self.dt)
        info: dict[str, Any] = {}
        if out.success is not None:
            info["success"] = bool(out.success[0])
        info["reward_terms"] = {k: float(v[0]) for k, v in out.terms.items()}
        return obs, float(out.reward[0]), bool(out.terminated[0]), False, info

    def render(self) -> np.ndarray | None:
        """An RGB frame, (height, width, 3) uint8, drawn offscreen (EGL on Linux by
        default). Rendering uses its own ``MjData``, so it never changes the rollout."""
        if self.render_mode is None:
            gym.logger.warn(
                "render() called without a render_mode; make the env with render_mode='rgb_array'"
            )
            return None
        if not self._has_state:
            raise gym.error.ResetNeeded("call reset() before render()")
        if self._renderer is None:
            vis = self.model.vis.global_
            vis.offwidth = max(int(vis.offwidth), self.width)
            vis.offheight = max(int(vis.offheight), self.height)
            try:
                self._renderer = mujoco.Renderer(self.model, self.height, self.width)
            except Exception as err:
                raise RuntimeError(
                    f"offscreen rendering failed: {err}. Set MUJOCO_GL=egl (with libegl1 and "
                    "libgl1-mesa-dri installed) or MUJOCO_GL=osmesa (libosmesa6) before mujoco "
                    "is first imported; rewardgym sets egl by default only when it imports "
                    f"mujoco first (MUJOCO_GL is {os.environ.get('MUJOCO_GL')!r} now)."
                ) from err
            self._render_data = mujoco.MjData(self.model)
        mujoco.mj_setState(self.model, self._render_data, self.state, INTEGRATION)
        mujoco.mj_forward(self.model, self._render_data)
        self._renderer.update_scene(self._render_data, camera=self.camera)
        return np.asarray(self._renderer.render())

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
            self._render_data = None
        super().close()

    # -- pickling -------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """The model (with any edits), the parameters, the generator and the physics
        state; the ``MjData`` and the renderer are rebuilt on unpickling."""
        state = self.__dict__.copy()
        for key in ("data", "_frame", "_renderer", "_render_data"):
            state.pop(key, None)
        state["_physics"] = self.state if self._has_state else None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        physics = state.pop("_physics")
        self.__dict__.update(state)
        self._renderer = None
        self._render_data = None
        self._attach_data()
        if physics is not None:
            self.state = physics


# -- the vector env ------------------------------------------------------------------

# A forked child has none of its parent's threads: a batch made before the fork would
# hang in its first call, and in its destructor (which joins those threads). After a
# fork, each live vector env leaks its parent's batch (never destroyed) and rebuilds
# its own from the state rows on first use.
_LIVE: weakref.WeakSet[MujocoVectorEnv] = weakref.WeakSet()


def _orphan_batches_after_fork() -> None:
    for env in list(_LIVE):
        env._orphan_batch()


os.register_at_fork(after_in_child=_orphan_batches_after_fork)


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_nthread(num_envs: int) -> int:
    """Threads the vector env uses by default: one per available CPU, at most one
    per env."""
    return max(1, min(num_envs, _available_cpus()))


class MujocoVectorEnv(VectorEnv[np.ndarray, np.ndarray, np.ndarray]):
    """Shared shell of the MuJoCo vector envs; subclasses set ``env_cls``.

    Steps all N simulations in one call of ``mujoco.batch.Batch`` (C++, on
    ``nthread`` threads, the frame skip inside the call); observations, rewards and
    terminations are whole-batch NumPy expressions, the same functions the single env
    runs on a batch of one. Transitions equal those of N single envs exactly.
    Start states are drawn from the vector env's ``np_random`` (seeded by
    ``reset(seed=...)``) outside the threads, so results do not depend on the
    thread count.

    Arguments: ``num_envs``; ``max_episode_steps`` (truncation, the registered time
    limit by default, 0 for none); ``autoreset_mode`` (``NEXT_STEP``, default, or
    ``SAME_STEP``); ``nthread`` (threads, the caller's included; default one per
    available CPU, at most ``num_envs``); ``params`` or the task's parameters as
    keywords. ``reset(options={"reset_mask": mask})`` resets only the masked envs.

    ``info`` carries ``"reward_terms"`` (name -> (N,) float64) and, for goal tasks,
    ``"success"`` ((N,) bool), each with its ``"_"``-prefixed mask (Gymnasium's vector
    info layout). In ``NEXT_STEP`` mode a reset step gives the start observation,
    reward 0, terms 0, no success and no termination.

    The vector env does not render (make a single env with ``render_mode="rgb_array"``
    and set its ``state`` to a row of this env's ``state``).
    """

    env_cls: ClassVar[type[MujocoTaskEnv]]
    metadata: dict[str, Any] = {  # noqa: RUF012 - Gymnasium declares metadata per instance
        "render_modes": [],
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init__(
        self,
        num_envs: int = 1,
        *,
        max_episode_steps: int | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        nthread: int | None = None,
        params: Any = None,
        render_mode: str | None = None,
        **overrides: Any,
    ):
        if not isinstance(num_envs, (int, np.integer)) or isinstance(num_envs, bool):
            raise TypeError(f"num_envs must be an int, got {type(num_envs).__name__}")
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        if render_mode is not None:
            raise ValueError(
                "the MuJoCo vector envs do not render; make a single env with "
                "render_mode='rgb_array' and copy a row of the vector env's state into it"
            )
        mode = AutoresetMode(autoreset_mode) if isinstance(autoreset_mode, str) else autoreset_mode
        if mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError(
                f"autoreset_mode must be NEXT_STEP or SAME_STEP, got {autoreset_mode!r}"
            )
        if max_episode_steps is None:
            max_episode_steps = self.env_cls.max_episode_steps
        if (
            isinstance(max_episode_steps, bool)
            or not isinstance(max_episode_steps, (int, np.integer))
            or max_episode_steps < 0
        ):
            raise ValueError(
                f"max_episode_steps must be an int >= 0 (0: never), got {max_episode_steps!r}"
            )
        if nthread is None:
            nthread = default_nthread(int(num_envs))
        if isinstance(nthread, bool) or not isinstance(nthread, (int, np.integer)) or nthread < 1:
            raise ValueError(f"nthread must be an int >= 1, got {nthread!r}")

        template = self.env_cls(params=params, **overrides)
        self.params: Any = template.params
        self.model: Any = template.model
        self.frame_skip = template.frame_skip
        self.dt = template.dt
        self.num_envs = int(num_envs)
        self.nthread = int(nthread)
        self.max_episode_steps = int(max_episode_steps)
        self.autoreset_mode = mode
        self.metadata = {
            **type(self).metadata,
            "autoreset_mode": mode,
            "render_fps": template.metadata["render_fps"],
        }
        self.render_mode = None
        self.single_observation_space = template.observation_space
        self.single_action_space = template.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        template.close()

        n = self.num_envs
        self._nu = int(self.model.nu)
        self._elapsed = np.zeros(n, dtype=np.int64)
        self._prev_done = np.zeros(n, dtype=np.bool_)
        self._all_true = np.ones(n, dtype=np.bool_)
        self._has_state = False
        self._batch: Any = None
        self._pending_rows: np.ndarray | None = None
        self._build_batch()
        _LIVE.add(self)

    @property
    def potentials(self) -> dict[str, Callable[..., np.ndarray]]:
        """The task's potential functions (as on the single env)."""
        return self.env_cls.potentials

    # -- the batch ------------------------------------------------------------------
    def _build_batch(self) -> None:
        batch = Batch(self.model, self.num_envs, nthread=self.nthread)
        self._batch = batch
        self._state_rows = batch.state
        self._ctrl = batch.bind("ctrl")
        mocap = (
            batch.bind("mocap_pos")
            if self.model.nmocap
            else np.zeros((self.num_envs, 0, 3), dtype=np.float64)
        )
        # Outputs are registered before any call: a field bound later reads zero
        # until the next call.
        self._frame = Frame(
            qpos=batch.bind("qpos"),
            qvel=batch.bind("qvel"),
            mocap_pos=mocap,
            derived={name: batch.bind(name) for name in self.env_cls.derived_fields},
        )
        if self._pending_rows is not None:
            self._state_rows[:] = self._pending_rows
            self._pending_rows = None
            if self.env_cls.stage >= STAGE_POS:
                batch.forward(None, stage=self.env_cls.stage)

    def _orphan_batch(self) -> None:
        """In a forked child: keep the parent's batch alive forever (its destructor
        would wait for threads this process does not have) and rebuild on next use."""
        if self._batch is None:
            return
        self._pending_rows = np.array(self._state_rows)
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(self._batch))
        self._batch = None

    def _live_batch(self) -> Any:
        if self._batch is None:
            if self._pending_rows is None:
                raise gym.error.ClosedEnvironmentError("the vector env is closed")
            self._build_batch()
        return self._batch

    # -- state ----------------------------------------------------------------------
    @property
    def nstate(self) -> int:
        """Length of one env's state vector (MuJoCo's ``mjSTATE_INTEGRATION``)."""
        return int(mujoco.mj_stateSize(self.model, INTEGRATION))

    @property
    def state(self) -> np.ndarray:
        """Physics states, ``(num_envs, nstate)`` (a copy; assign to set every env's
        state, which also restarts their episode step counters)."""
        self._live_batch()
        return np.array(self._state_rows)

    @state.setter
    def state(self, value: Any) -> None:
        batch = self._live_batch()
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != (self.num_envs, self.nstate):
            raise ValueError(
                f"state must have shape {(self.num_envs, self.nstate)}, got {arr.shape}"
            )
        self._state_rows[:] = arr
        if self.env_cls.stage >= STAGE_POS:
            batch.forward(None, stage=self.env_cls.stage)
        self._elapsed[:] = 0
        self._prev_done[:] = False
        self._has_state = True

    def _reset_rows(self, rows: np.ndarray | None) -> None:
        """Fresh start states for ``rows`` (sorted indices; ``None``: every env)."""
        batch = self._batch
        k = self.num_envs if rows is None else int(rows.size)
        start = self.env_cls.draw_start(self.np_random, k, self.params)
        batch.reset(rows, stage=STAGE_NONE)
        f = self._frame
        sel: Any = slice(None) if rows is None else rows
        f.qpos[sel] = start.qpos
        f.qvel[sel] = start.qvel
        if start.mocap_pos is not None:
            f.mocap_pos[sel] = start.mocap_pos
        if self.env_cls.stage >= STAGE_POS:
            batch.forward(rows, stage=self.env_cls.stage)
        self._elapsed[sel] = 0

    # -- gymnasium API --------------------------------------------------------------
    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if isinstance(seed, list):
            seed = seed[0] if seed else None
        super().reset(seed=seed)
        self._live_batch()
        rows = None
        if options is not None and "reset_mask" in options:
            mask = np.asarray(options["reset_mask"])
            if mask.dtype != np.bool_ or mask.shape != (self.num_envs,):
                raise ValueError(
                    f"reset_mask must be a bool array of shape ({self.num_envs},), got "
                    f"{mask.dtype} {mask.shape}"
                )
            if not self._has_state and not mask.all():
                raise ValueError("the first reset must reset every env (no reset_mask)")
            rows = None if mask.all() else np.flatnonzero(mask)
        self._reset_rows(rows)
        if rows is None:
            self._prev_done[:] = False
        else:
            self._prev_done[rows] = False
        self._has_state = True
        return self.env_cls.observe(self._frame, self.params), {}

    def _checked_actions(self, actions: Any) -> np.ndarray:
        shape = (self.num_envs, self._nu)
        if hasattr(actions, "detach") and hasattr(actions, "cpu"):  # a torch tensor
            actions = actions.detach().cpu().numpy()
        arr = np.asarray(actions)
        if arr.shape != shape:
            raise ValueError(f"actions must have shape {shape}, got {arr.shape}")
        if not np.issubdtype(arr.dtype, np.floating) and not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"actions must be floats, got dtype {arr.dtype}")
        a = arr.astype(np.float64)
        if not np.isfinite(a).all():
            bad = int(np.flatnonzero(~np.isfinite(a).all(axis=1))[0])
            raise ValueError(f"action of env {bad} is not finite: {arr[bad].tolist()}")
        np.clip(a, -1.0, 1.0, out=a)
        return a

    def step(self, actions: Any) -> VectorStep:
        if not self._has_state:
            raise gym.error.ResetNeeded("call reset() before step()")
        batch = self._live_batch()
        a = self._checked_actions(actions)
        cls, f, p = self.env_cls, self._frame, self.params
        pre = cls.pre_step(f)
        self._ctrl[:] = a
        next_step = self.autoreset_mode == AutoresetMode.NEXT_STEP
        reset_rows: np.ndarray | None = None
        if next_step and self._prev_done.any():
            batch.step(~self._prev_done, nstep=self.frame_skip, stage=cls.stage)
            reset_rows = np.flatnonzero(self._prev_done)
            self._reset_rows(reset_rows)
        else:
            batch.step(None, nstep=self.frame_skip, stage=cls.stage)
        obs = cls.observe(f, p)
        out = cls.evaluate(pre, f, a, p, self.dt)
        self._elapsed += 1
        reward, terminated = out.reward, out.terminated
        if self.max_episode_steps > 0:
            truncated = self._elapsed >= self.max_episode_steps
        else:
            truncated = np.zeros(self.num_envs, dtype=np.bool_)
        success, terms = out.success, out.terms
        if reset_rows is not None:
            reward[reset_rows] = 0.0
            terminated[reset_rows] = False
            truncated[reset_rows] = False
            if success is not None:
                success[reset_rows] = False
            for v in terms.values():
                v[reset_rows] = 0.0
            self._elapsed[reset_rows] = 0
        done = terminated | truncated
        infos: dict[str, Any] = {}
        if success is not None:
            infos["success"] = success
            infos["_success"] = self._all_true.copy()
        infos["reward_terms"] = terms
        infos["_reward_terms"] = self._all_true.copy()
        if next_step:
            self._prev_done = done
        elif done.any():
            ended = np.flatnonzero(done)
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in ended:
                final_obs[i] = obs[i].copy()
            self._reset_rows(ended)
            obs[ended] = cls.observe(f, p)[ended]
            mask = done.copy()
            infos.update(
                {"final_obs": final_obs, "_final_obs": mask, "final_info": {}, "_final_info": mask}
            )
        return obs, reward, terminated, truncated, infos

    def close_extras(self, **kwargs: Any) -> None:
        self._batch = None
        self._pending_rows = None
        _LIVE.discard(self)

    # -- pickling -------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """Everything but the batch and its views; the batch is rebuilt from the
        state rows on unpickling."""
        state = self.__dict__.copy()
        for key in ("_batch", "_state_rows", "_ctrl", "_frame"):
            state.pop(key, None)
        if self._batch is not None:
            state["_pending_rows"] = np.array(self._state_rows)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._batch = None
        if self._pending_rows is not None:
            self._build_batch()
            _LIVE.add(self)
