"""Pendulum (dense reference reward) and PendulumSparse on the Numba kernel."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from gymnasium.envs.classic_control import utils

from . import _kernels as K
from ._draw import BLACK, POLE, Canvas
from ._potentials import angle_cost_numba, energy_numba
from .core import ControlEnv, ControlVectorEnv
from .params import check_positive


@dataclass(frozen=True)
class PendulumParams:
    """Constants of Pendulum (Gymnasium's values by default).

    ``upright_threshold`` (radians) is used by ``PendulumSparse`` only.
    """

    max_speed: float = 8.0
    max_torque: float = 2.0
    dt: float = 0.05
    g: float = 10.0
    m: float = 1.0
    l: float = 1.0
    upright_threshold: float = 0.1

    def __post_init__(self) -> None:
        check_positive(self, "max_speed", "max_torque", "dt", "m", "l", "upright_threshold")
        if not isinstance(self.g, (int, float)) or not math.isfinite(self.g):
            raise ValueError(f"PendulumParams.g must be a finite number, got {self.g!r}")

    def kernel_params(self) -> np.ndarray:
        p = np.zeros(K.N_PARAMS, dtype=np.float64)
        p[:7] = (
            self.max_speed,
            self.max_torque,
            self.dt,
            self.g,
            self.m,
            self.l,
            self.upright_threshold,
        )
        return p


def _angle(obs: np.ndarray) -> np.ndarray:
    o = np.asarray(obs, dtype=np.float64)
    return np.arctan2(o[..., 1], o[..., 0])


def angle_cost(obs: np.ndarray) -> np.ndarray:
    """-theta^2 with theta in [-pi, pi]: 0 upright, -pi^2 hanging down."""
    return -(_angle(obs) ** 2)


def energy(obs: np.ndarray, g: float = 10.0, m: float = 1.0, l: float = 1.0) -> np.ndarray:
    """Mechanical energy relative to resting upright: 0 when balanced, negative
    below. Swing-up controllers pump energy towards 0."""
    o = np.asarray(obs, dtype=np.float64)
    cos_th, thdot = o[..., 0], o[..., 2]
    return 0.5 * m * l**2 / 3.0 * thdot**2 + m * g * l / 2.0 * (cos_th - 1.0)


# Compiled counterparts for fused reward kernels (see ._potentials).
angle_cost.numba = angle_cost_numba  # type: ignore[attr-defined]
energy.numba = energy_numba  # type: ignore[attr-defined]


class PendulumEnv(ControlEnv):
    """Swing a pendulum up from a random angle and balance it upright.

    Same dynamics, reward and spaces as Gymnasium's ``Pendulum-v1``, on a Numba
    kernel shared with :class:`PendulumVectorEnv`; the float32 torque enters the
    arithmetic as it does in the reference.

    ## Action space
    ``Box(-2, 2, (1,), float32)``: the torque (clipped to [-2, 2]).

    ## Observation space
    ``Box(3,)`` float32: cos(theta), sin(theta), angular velocity in [-8, 8].

    ## Reward
    -(theta^2 + 0.1 thdot^2 + 0.001 torque^2) with theta normalised to [-pi, pi].

    ## Starting state
    theta uniform in [-pi, pi], velocity in [-1, 1] (``options={"x_init": ..,
    "y_init": ..}`` change the ranges, as in the reference).

    ## Episode end
    Never terminates; truncated at 200 steps.

    ## Potentials (``PendulumEnv.potentials``)
    ``angle_cost`` (-theta^2) and ``energy`` (mechanical energy relative to upright).

    ## Arguments
    ``params`` (a :class:`PendulumParams`) or its fields as keywords (``g=9.81``);
    ``render_mode="ansi"`` (text) or ``"rgb_array"``.

    ## Version history
    * v1: first release, matching Gymnasium ``Pendulum-v1``.

    ## Example
    >>> import gymnasium as gym, numpy as np, rewardgym
    >>> env = gym.make("rewardgym/Pendulum-v1")
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(np.zeros(1, np.float32))
    >>> reward < 0
    True
    """

    task_code = K.PENDULUM
    state_dim = 2
    max_episode_steps = 200
    params_type = PendulumParams
    reset_low = (-math.pi, -1.0, 0.0, 0.0)
    reset_high = (math.pi, 1.0, 0.0, 0.0)
    potentials: ClassVar[dict[str, Any]] = {"angle_cost": angle_cost, "energy": energy}

    @classmethod
    def _make_spaces(cls, params: Any) -> tuple[spaces.Box, spaces.Space[Any]]:
        high = np.array([1.0, 1.0, params.max_speed], dtype=np.float32)
        action = spaces.Box(-params.max_torque, params.max_torque, shape=(1,), dtype=np.float32)
        return spaces.Box(-high, high, dtype=np.float32), action

    @staticmethod
    def _init_high(options: dict[str, Any] | None) -> np.ndarray:
        if options is None:
            return np.array([math.pi, 1.0])
        x = utils.verify_number_and_cast(options.get("x_init", math.pi))
        y = utils.verify_number_and_cast(options.get("y_init", 1.0))
        return np.array([x, y])

    @classmethod
    def reset_bounds(cls, options: dict[str, Any] | None) -> tuple[np.ndarray, np.ndarray]:
        high = cls._init_high(options)
        return np.array([-high[0], -high[1], 0, 0]), np.array([high[0], high[1], 0, 0])

    def _draw_start(self, options: dict[str, Any] | None) -> np.ndarray:
        high = self._init_high(options)
        return self.np_random.uniform(low=-high, high=high)

    def _render_text(self) -> str:
        th, thdot = self.state
        a = (th + math.pi) % (2 * math.pi) - math.pi
        arrows = "↑↗→↘↓↙←↖"
        idx = round((-a) / (2 * math.pi) * 8) % 8
        return f"{arrows[idx]}  theta={math.degrees(a):+7.1f}° thdot={thdot:+.2f}"

    def _render_rgb(self) -> np.ndarray:
        th, _ = self.state
        scale = 500 / 4.4
        c = Canvas(500, 500, scale, (250, 250))
        c.line(0, 0, self.params.l * math.sin(th), self.params.l * math.cos(th), 16, POLE)
        c.disc(0, 0, 5, BLACK)
        return c.img


class PendulumSparseEnv(PendulumEnv):
    """Pendulum with a sparse reward: 1 while the pendulum is within
    ``upright_threshold`` (0.1 rad by default) of upright, else 0.

    Dynamics, spaces, start states and time limit are those of
    :class:`PendulumEnv`; the condition is evaluated on the same state as the dense
    reference cost (the state the action is applied in). A random policy almost never
    scores, so this is the task on which shaping with ``PendulumEnv.potentials``
    (``angle_cost``, ``energy``) shows its effect.

    ## Version history
    * v0: first release.

    >>> import gymnasium as gym, numpy as np, rewardgym
    >>> env = gym.make("rewardgym/PendulumSparse-v0")
    >>> obs, info = env.reset(seed=0)
    >>> env.unwrapped.state = np.array([0.0, 0.0])
    >>> env.step(np.zeros(1, np.float32))[1]
    1.0
    """

    task_code = K.PENDULUM_SPARSE


class PendulumVectorEnv(ControlVectorEnv):
    """``num_envs`` Pendulums in one kernel call; actions (N, 1) float32."""

    env_cls = PendulumEnv


class PendulumSparseVectorEnv(ControlVectorEnv):
    """``num_envs`` sparse-reward Pendulums in one kernel call."""

    env_cls = PendulumSparseEnv
