"""Acrobot (RK4, as Gymnasium) on the Numba kernel."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from gymnasium.envs.classic_control import utils

from . import _kernels as K
from ._draw import AXLE, BLACK, LINK, Canvas
from ._potentials import tip_height_numba
from .core import ControlEnv, ControlVectorEnv
from .params import check_positive


@dataclass(frozen=True)
class AcrobotParams:
    """Constants of Acrobot (Gymnasium's values by default; the "book" dynamics)."""

    dt: float = 0.2
    link_length_1: float = 1.0
    link_mass_1: float = 1.0
    link_mass_2: float = 1.0
    link_com_pos_1: float = 0.5
    link_com_pos_2: float = 0.5
    link_moi: float = 1.0
    max_vel_1: float = 4 * math.pi
    max_vel_2: float = 9 * math.pi
    gravity: float = 9.8

    def __post_init__(self) -> None:
        check_positive(self, "dt", "link_length_1", "link_mass_1", "link_mass_2", "link_moi")
        check_positive(self, "link_com_pos_1", "link_com_pos_2", "max_vel_1", "max_vel_2")

    def kernel_params(self) -> np.ndarray:
        return np.array(
            [
                self.dt,
                self.link_length_1,
                self.link_mass_1,
                self.link_mass_2,
                self.link_com_pos_1,
                self.link_com_pos_2,
                self.link_moi,
                self.max_vel_1,
                self.max_vel_2,
                self.gravity,
            ],
            dtype=np.float64,
        )


def tip_height(obs: np.ndarray) -> np.ndarray:
    """Height of the free end above the pivot in link lengths, -cos(t1) - cos(t1 + t2),
    in [-2, 2]; the episode ends when it exceeds 1."""
    o = np.asarray(obs, dtype=np.float64)
    c1, s1, c2, s2 = o[..., 0], o[..., 1], o[..., 2], o[..., 3]
    return -c1 - (c1 * c2 - s1 * s2)


# Compiled counterparts for fused reward kernels (see ._potentials).
tip_height.numba = tip_height_numba  # type: ignore[attr-defined]


class AcrobotEnv(ControlEnv):
    """Two links joined by an actuated joint hang from a fixed pivot; swing the free
    end above the bar.

    Same dynamics (RK4 over one ``dt`` = 0.2 s, the "book" equations), reward,
    termination and spaces as Gymnasium's ``Acrobot-v1`` (Sutton 1996), on a Numba
    kernel shared with :class:`AcrobotVectorEnv`.

    ## Action space
    ``Discrete(3)``: torque -1, 0 or +1 on the joint between the links.

    ## Observation space
    ``Box(6,)`` float32: cos and sin of both joint angles, then the two angular
    velocities (bounded by 4 pi and 9 pi).

    ## Reward
    -1 per step, 0 on the terminating step.

    ## Starting state
    Angles and velocities uniform in [-0.1, 0.1] (stored as float32, as the
    reference does).

    ## Episode end
    Terminated when -cos(t1) - cos(t1 + t2) > 1; truncated at 500 steps.

    ## Potentials (``AcrobotEnv.potentials``)
    ``tip_height``: -cos(t1) - cos(t1 + t2).

    ## Arguments
    ``params`` (an :class:`AcrobotParams`) or its fields as keywords;
    ``render_mode="ansi"`` (text) or ``"rgb_array"``.

    ## Version history
    * v1: first release, matching Gymnasium ``Acrobot-v1``.

    ## Example
    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/Acrobot-v1")
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape
    (6,)
    """

    task_code = K.ACROBOT
    state_dim = 4
    max_episode_steps = 500
    params_type = AcrobotParams
    reset_low = (-0.1, -0.1, -0.1, -0.1)
    reset_high = (0.1, 0.1, 0.1, 0.1)
    potentials: ClassVar[dict[str, Any]] = {"tip_height": tip_height}

    @classmethod
    def _make_spaces(cls, params: Any) -> tuple[spaces.Box, spaces.Space[Any]]:
        high = np.array([1.0, 1.0, 1.0, 1.0, params.max_vel_1, params.max_vel_2], np.float32)
        return spaces.Box(-high, high, dtype=np.float32), spaces.Discrete(3)

    @classmethod
    def reset_bounds(cls, options: dict[str, Any] | None) -> tuple[np.ndarray, np.ndarray]:
        low, high = utils.maybe_parse_reset_bounds(options, -0.1, 0.1)
        return np.full(4, low, dtype=np.float64), np.full(4, high, dtype=np.float64)

    def _draw_start(self, options: dict[str, Any] | None) -> np.ndarray:
        low, high = utils.maybe_parse_reset_bounds(options, -0.1, 0.1)
        return self.np_random.uniform(low=low, high=high, size=(4,)).astype(np.float32)

    def _render_text(self) -> str:
        t1, t2, _, _ = self.state
        tip = -math.cos(t1) - math.cos(t1 + t2)
        bar = round((tip + 2) / 4 * 20)
        return (
            f"tip [{'#' * bar}{' ' * (20 - bar)}] {tip:+.2f} (goal > 1)\nt1={t1:+.2f} t2={t2:+.2f}"
        )

    def _render_rgb(self) -> np.ndarray:
        t1, t2, _, _ = self.state
        l1, l2 = self.params.link_length_1, 1.0
        scale = 500 / (2 * (l1 + l2) * 1.1)
        c = Canvas(500, 500, scale, (250, 250))
        c.line(-2.2, 1.0, 2.2, 1.0, 1, BLACK)  # the bar the tip must cross
        jx, jy = l1 * math.sin(t1), -l1 * math.cos(t1)
        tx, ty = jx + l2 * math.sin(t1 + t2), jy - l2 * math.cos(t1 + t2)
        c.line(0, 0, jx, jy, 10, LINK)
        c.line(jx, jy, tx, ty, 10, LINK)
        c.disc(0, 0, 5, AXLE)
        c.disc(jx, jy, 5, AXLE)
        return c.img


class AcrobotVectorEnv(ControlVectorEnv):
    """``num_envs`` Acrobots in one kernel call; see :class:`ControlVectorEnv`."""

    env_cls = AcrobotEnv
