"""MountainCar (discrete and continuous) on the Numba kernel."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from gymnasium.envs.classic_control import utils

from . import _kernels as K
from ._draw import BLACK, GOAL, Canvas
from ._potentials import height_numba, mechanical_energy_numba
from .core import ControlEnv, ControlVectorEnv
from .params import check_finite, check_positive


@dataclass(frozen=True)
class MountainCarParams:
    """Constants of the discrete MountainCar (Gymnasium's values by default)."""

    min_position: float = -1.2
    max_position: float = 0.6
    max_speed: float = 0.07
    goal_position: float = 0.5
    goal_velocity: float = 0.0
    force: float = 0.001
    gravity: float = 0.0025

    def __post_init__(self) -> None:
        check_positive(self, "max_speed", "force", "gravity")
        check_finite(self, "min_position", "max_position", "goal_position", "goal_velocity")
        if not self.min_position < self.goal_position <= self.max_position:
            raise ValueError(
                "MountainCarParams needs min_position < goal_position <= max_position, got "
                f"{self.min_position}, {self.goal_position}, {self.max_position}"
            )

    def kernel_params(self) -> np.ndarray:
        p = np.zeros(K.N_PARAMS, dtype=np.float64)
        p[:7] = (
            self.min_position,
            self.max_position,
            self.max_speed,
            self.goal_position,
            self.goal_velocity,
            self.force,
            self.gravity,
        )
        return p


@dataclass(frozen=True)
class MountainCarContinuousParams:
    """Constants of MountainCarContinuous (Gymnasium's values by default)."""

    min_action: float = -1.0
    max_action: float = 1.0
    min_position: float = -1.2
    max_position: float = 0.6
    max_speed: float = 0.07
    goal_position: float = 0.45
    goal_velocity: float = 0.0
    power: float = 0.0015

    def __post_init__(self) -> None:
        check_positive(self, "max_speed", "power")
        check_finite(self, "min_action", "max_action", "min_position", "max_position")
        check_finite(self, "goal_position", "goal_velocity")
        if not self.min_action < self.max_action:
            raise ValueError("MountainCarContinuousParams needs min_action < max_action")
        if not self.min_position < self.goal_position <= self.max_position:
            raise ValueError(
                "MountainCarContinuousParams needs min_position < goal_position <= max_position"
            )

    def kernel_params(self) -> np.ndarray:
        p = np.zeros(K.N_PARAMS, dtype=np.float64)
        p[:8] = (
            self.min_action,
            self.max_action,
            self.min_position,
            self.max_position,
            self.max_speed,
            self.goal_position,
            self.goal_velocity,
            self.power,
        )
        return p


def height(obs: np.ndarray) -> np.ndarray:
    """Height of the car on the hill, sin(3x) * 0.45 + 0.55 (in [0.1, 1])."""
    return np.sin(3 * np.asarray(obs, dtype=np.float64)[..., 0]) * 0.45 + 0.55


def mechanical_energy(obs: np.ndarray, gravity: float = 0.0025) -> np.ndarray:
    """Kinetic plus potential energy of the car per unit mass, in the env's units:
    v^2 / 2 + gravity / 3 * sin(3x). The engine is the only source of energy, so
    shaping with it rewards pumping."""
    o = np.asarray(obs, dtype=np.float64)
    return 0.5 * o[..., 1] ** 2 + gravity / 3.0 * np.sin(3 * o[..., 0])


# Compiled counterparts for fused reward kernels (see ._potentials).
height.numba = height_numba  # type: ignore[attr-defined]
mechanical_energy.numba = mechanical_energy_numba  # type: ignore[attr-defined]


_MC_POTENTIALS: dict[str, Any] = {"height": height, "mechanical_energy": mechanical_energy}


class _MountainCarBase(ControlEnv):
    state_dim = 2
    reset_low = (-0.6, 0.0, 0.0, 0.0)
    reset_high = (-0.4, 0.0, 0.0, 0.0)
    potentials: ClassVar[dict[str, Any]] = _MC_POTENTIALS

    @classmethod
    def reset_bounds(cls, options: dict[str, Any] | None) -> tuple[np.ndarray, np.ndarray]:
        low, high = utils.maybe_parse_reset_bounds(options, -0.6, -0.4)
        return np.array([low, 0, 0, 0], np.float64), np.array([high, 0, 0, 0], np.float64)

    def _draw_start(self, options: dict[str, Any] | None) -> np.ndarray:
        low, high = utils.maybe_parse_reset_bounds(options, -0.6, -0.4)
        return np.array([self.np_random.uniform(low=low, high=high), 0])

    def _render_text(self) -> str:
        position, velocity = self.state
        width = 41
        lo, hi = self.params.min_position, self.params.max_position
        col = round((position - lo) / (hi - lo) * (width - 1))
        goal = round((self.params.goal_position - lo) / (hi - lo) * (width - 1))
        row = ["_"] * width
        row[min(max(goal, 0), width - 1)] = "F"
        row[min(max(col, 0), width - 1)] = "o"
        h = math.sin(3 * position) * 0.45 + 0.55
        return "".join(row) + f"\nx={position:+.3f} v={velocity:+.4f} height={h:.2f}"

    def _render_rgb(self) -> np.ndarray:
        position, _ = self.state
        lo, hi = self.params.min_position, self.params.max_position
        scale = 600 / (hi - lo)
        c = Canvas(600, 400, scale, (-lo * scale, 10))
        xs = np.linspace(lo, hi, 24)
        c.polyline(xs, np.sin(3 * xs) * 0.45 + 0.55, 3, BLACK)
        goal = self.params.goal_position
        gy = math.sin(3 * goal) * 0.45 + 0.55
        c.line(goal, gy, goal, gy + 50 / scale, 3, BLACK)
        c.line(goal, gy + 40 / scale, goal + 25 / scale, gy + 45 / scale, 10, GOAL)
        c.disc(position, math.sin(3 * position) * 0.45 + 0.55 + 10 / scale, 10, BLACK)
        return c.img


class MountainCarEnv(_MountainCarBase):
    """A car in a valley must build momentum to reach the flag on the right hill.

    Same dynamics, reward, termination and spaces as Gymnasium's ``MountainCar-v0``
    (Moore 1990), on a Numba kernel shared with :class:`MountainCarVectorEnv`.

    ## Action space
    ``Discrete(3)``: 0 accelerate left, 1 do nothing, 2 accelerate right.

    ## Observation space
    ``Box(2,)`` float32: position in [-1.2, 0.6], velocity in [-0.07, 0.07].

    ## Reward
    -1 per step (a sparse task: only reaching the goal ends the penalties).

    ## Starting state
    Position uniform in [-0.6, -0.4], velocity 0.

    ## Episode end
    Terminated when position >= 0.5 and velocity >= 0; truncated at 200 steps.

    ## Potentials (``MountainCarEnv.potentials``)
    ``height`` (sin(3x) * 0.45 + 0.55) and ``mechanical_energy``
    (v^2 / 2 + 0.0025 / 3 * sin(3x)).

    ## Arguments
    ``params`` (a :class:`MountainCarParams`) or its fields as keywords
    (``goal_velocity`` as in the reference); ``render_mode="ansi"`` (text) or ``"rgb_array"``.

    ## Version history
    * v0: first release, matching Gymnasium ``MountainCar-v0``.

    ## Example
    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/MountainCar-v0")
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(2)
    >>> reward
    -1.0
    """

    task_code = K.MOUNTAIN_CAR
    max_episode_steps = 200
    params_type = MountainCarParams

    @classmethod
    def _make_spaces(cls, params: Any) -> tuple[spaces.Box, spaces.Space[Any]]:
        low = np.array([params.min_position, -params.max_speed], dtype=np.float32)
        high = np.array([params.max_position, params.max_speed], dtype=np.float32)
        return spaces.Box(low, high, dtype=np.float32), spaces.Discrete(3)


class MountainCarContinuousEnv(_MountainCarBase):
    """MountainCar with a continuous engine force and an energy cost.

    Same dynamics, reward, termination and spaces as Gymnasium's
    ``MountainCarContinuous-v0``, on a Numba kernel shared with
    :class:`MountainCarContinuousVectorEnv`. The reference keeps its state in
    float32 between steps; so does this kernel (each step is computed in float64
    and stored rounded to float32, within 1e-7 of the reference's float32 steps).

    ## Action space
    ``Box(-1, 1, (1,), float32)``: the engine force (clipped to [-1, 1] by the
    dynamics; the energy cost uses the action as given, as in the reference).

    ## Observation space
    ``Box(2,)`` float32: position in [-1.2, 0.6], velocity in [-0.07, 0.07].

    ## Reward
    -0.1 * action^2 per step, +100 on reaching the goal.

    ## Starting state
    Position uniform in [-0.6, -0.4], velocity 0.

    ## Episode end
    Terminated when position >= 0.45 and velocity >= 0; truncated at 999 steps.

    ## Potentials
    As :class:`MountainCarEnv`: ``height`` and ``mechanical_energy``.

    ## Arguments
    ``params`` (a :class:`MountainCarContinuousParams`) or its fields as keywords;
    ``render_mode="ansi"`` (text) or ``"rgb_array"``.

    ## Version history
    * v0: first release, matching Gymnasium ``MountainCarContinuous-v0``.

    ## Example
    >>> import gymnasium as gym, numpy as np, rewardgym
    >>> env = gym.make("rewardgym/MountainCarContinuous-v0")
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(np.array([0.5], np.float32))
    >>> round(reward, 6)
    -0.025
    """

    task_code = K.MOUNTAIN_CAR_CONTINUOUS
    max_episode_steps = 999
    params_type = MountainCarContinuousParams

    @classmethod
    def _make_spaces(cls, params: Any) -> tuple[spaces.Box, spaces.Space[Any]]:
        low = np.array([params.min_position, -params.max_speed], dtype=np.float32)
        high = np.array([params.max_position, params.max_speed], dtype=np.float32)
        action = spaces.Box(params.min_action, params.max_action, shape=(1,), dtype=np.float32)
        return spaces.Box(low, high, dtype=np.float32), action


class MountainCarVectorEnv(ControlVectorEnv):
    """``num_envs`` MountainCars in one kernel call; see :class:`ControlVectorEnv`."""

    env_cls = MountainCarEnv


class MountainCarContinuousVectorEnv(ControlVectorEnv):
    """``num_envs`` continuous MountainCars in one kernel call; actions (N, 1) float32."""

    env_cls = MountainCarContinuousEnv
