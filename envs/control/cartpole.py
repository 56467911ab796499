"""CartPole on the Numba kernel: single env and vector env."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.envs.classic_control import utils

from . import _kernels as K
from ._draw import AXLE, BLACK, POLE, Canvas
from ._potentials import centering_numba, upright_numba
from .core import ControlEnv, ControlVectorEnv
from .params import check_positive


@dataclass(frozen=True)
class CartPoleParams:
    """Physical constants of CartPole (Gymnasium's values by default)."""

    gravity: float = 9.8
    masscart: float = 1.0
    masspole: float = 0.1
    length: float = 0.5  #: half the pole's length
    force_mag: float = 10.0
    tau: float = 0.02  #: seconds between state updates
    theta_threshold_radians: float = 12 * 2 * math.pi / 360
    x_threshold: float = 2.4

    def __post_init__(self) -> None:
        check_positive(self, "masscart", "masspole", "length", "force_mag", "tau")
        check_positive(self, "theta_threshold_radians", "x_threshold")

    @property
    def total_mass(self) -> float:
        return self.masspole + self.masscart

    @property
    def polemass_length(self) -> float:
        return self.masspole * self.length

    def kernel_params(self) -> np.ndarray:
        p = np.zeros(K.N_PARAMS, dtype=np.float64)
        p[:9] = (
            self.gravity,
            self.masspole,
            self.total_mass,
            self.length,
            self.polemass_length,
            self.force_mag,
            self.tau,
            self.theta_threshold_radians,
            self.x_threshold,
        )
        return p


def upright(obs: np.ndarray) -> np.ndarray:
    """cos(theta): 1 with the pole upright, lower as it tilts."""
    return np.cos(np.asarray(obs, dtype=np.float64)[..., 2])


def centering(obs: np.ndarray, x_threshold: float = 2.4) -> np.ndarray:
    """-|x| / x_threshold: 0 at the centre of the track, -1 at its ends."""
    return -np.abs(np.asarray(obs, dtype=np.float64)[..., 0]) / x_threshold


# Compiled counterparts for fused reward kernels (see ._potentials).
upright.numba = upright_numba  # type: ignore[attr-defined]
centering.numba = centering_numba  # type: ignore[attr-defined]


class CartPoleEnv(ControlEnv):
    """A pole hinged on a cart moving along a frictionless track; push the cart left
    or right to keep the pole upright.

    Same dynamics, reward, termination and spaces as Gymnasium's ``CartPole-v1``
    (Barto, Sutton and Anderson 1983), stepped by a Numba kernel shared with
    :class:`CartPoleVectorEnv`.

    ## Action space
    ``Discrete(2)``: 0 pushes the cart left, 1 pushes it right (``force_mag`` newtons).

    ## Observation space
    ``Box(4,)`` float32:

    | index | observation           | min     | max    |
    |-------|-----------------------|---------|--------|
    | 0     | cart position         | -4.8    | 4.8    |
    | 1     | cart velocity         | -inf    | inf    |
    | 2     | pole angle (rad)      | -0.419  | 0.419  |
    | 3     | pole angular velocity | -inf    | inf    |

    ## Reward
    +1 for every step, the terminating one included; 0 for steps taken after
    termination (with a warning), as in the reference.

    ## Starting state
    Every state variable uniform in [-0.05, 0.05] (``options={"low": .., "high": ..}``
    changes the range).

    ## Episode end
    Terminated when |angle| > 12 degrees or |position| > 2.4; truncated at 500 steps
    (the ``TimeLimit`` added by ``gym.make``).

    ## Potentials (``CartPoleEnv.potentials``)
    ``upright`` (cos of the pole angle) and ``centering`` (-|x| / 2.4), functions of
    the observation for potential-based shaping.

    ## Arguments
    ``params`` (a :class:`CartPoleParams`) or its fields as keywords, e.g.
    ``gym.make("rewardgym/CartPole-v1", gravity=9.81)``; ``render_mode="ansi"`` (text)
    or ``"rgb_array"``.

    ## Version history
    * v1: first release, matching Gymnasium ``CartPole-v1``.

    ## Example
    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/CartPole-v1")
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape, obs.dtype
    ((4,), dtype('float32'))
    >>> obs, reward, terminated, truncated, info = env.step(1)
    >>> reward
    1.0
    """

    task_code = K.CARTPOLE
    state_dim = 4
    max_episode_steps = 500
    params_type = CartPoleParams
    reset_low = (-0.05, -0.05, -0.05, -0.05)
    reset_high = (0.05, 0.05, 0.05, 0.05)
    potentials: ClassVar[dict[str, Any]] = {"upright": upright, "centering": centering}

    @classmethod
    def _make_spaces(cls, params: Any) -> tuple[spaces.Box, spaces.Space[Any]]:
        high = np.array(
            [params.x_threshold * 2, np.inf, params.theta_threshold_radians * 2, np.inf],
            dtype=np.float32,
        )
        return spaces.Box(-high, high, dtype=np.float32), spaces.Discrete(2)

    @classmethod
    def reset_bounds(cls, options: dict[str, Any] | None) -> tuple[np.ndarray, np.ndarray]:
        low, high = utils.maybe_parse_reset_bounds(options, -0.05, 0.05)
        return np.full(4, low, dtype=np.float64), np.full(4, high, dtype=np.float64)

    def _draw_start(self, options: dict[str, Any] | None) -> np.ndarray:
        low, high = utils.maybe_parse_reset_bounds(options, -0.05, 0.05)
        return self.np_random.uniform(low=low, high=high, size=(4,))

    def _after_terminal(self, reward: float, terminated: bool) -> float:
        if not terminated:
            return reward
        if not self._terminated_before:
            self._terminated_before = True
            return reward
        gym.logger.warn(
            "You are calling 'step()' even though this environment has already returned "
            "terminated = True. You should always call 'reset()' once you receive "
            "'terminated = True' -- any further steps are undefined behavior."
        )
        return 0.0

    def _render_text(self) -> str:
        x, _, theta, _ = self.state
        width = 41
        col = round((x / (2 * self.params.x_threshold) + 0.5) * (width - 1))
        col = min(max(col, 0), width - 1)
        track = ["-"] * width
        track[col] = "#"
        lean = "|" if abs(theta) < 0.03 else ("/" if theta > 0 else "\\")
        pole = [" "] * width
        pole[col] = lean
        return (
            "".join(pole)
            + "\n"
            + "".join(track)
            + f"\nx={x:+.3f} theta={math.degrees(theta):+.1f}°"
        )

    def _render_rgb(self) -> np.ndarray:
        x, _, theta, _ = self.state
        scale = 600 / (self.params.x_threshold * 2)
        c = Canvas(600, 400, scale, (300, 100))
        c.line(-self.params.x_threshold * 1.25, 0, self.params.x_threshold * 1.25, 0, 1, BLACK)
        c.line(x - 25 / scale, 0, x + 25 / scale, 0, 30, BLACK)
        pole = 2 * self.params.length
        c.line(x, 0, x + pole * math.sin(theta), pole * math.cos(theta), 10, POLE)
        c.disc(x, 0, 5, AXLE)
        return c.img


class CartPoleVectorEnv(ControlVectorEnv):
    """``num_envs`` CartPoles stepped in one Numba kernel call (``backend="cpu"``,
    ``prange`` over envs) or one CUDA launch (``backend="cuda"``).

    Same transitions as :class:`CartPoleEnv`. Autoreset: ``NEXT_STEP`` (default) or
    ``SAME_STEP`` with Gymnasium's semantics (``autoreset_mode=``). Truncation at
    ``max_episode_steps`` (500) happens inside the kernel.

    >>> import gymnasium as gym, numpy as np, rewardgym
    >>> envs = gym.make_vec("rewardgym/CartPole-v1", num_envs=8,
    ...                     vectorization_mode="vector_entry_point")
    >>> obs, info = envs.reset(seed=0)
    >>> obs, rew, term, trunc, info = envs.step(np.ones(8, dtype=np.int64))
    >>> obs.shape, rew.dtype
    ((8, 4), dtype('float64'))
    """

    env_cls = CartPoleEnv
