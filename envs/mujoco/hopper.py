"""HopperForward: a one-legged hopper with a four-term reward (MuJoCo), single and
vector env."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._core import (
    Frame,
    MujocoTaskEnv,
    MujocoVectorEnv,
    Outcome,
    Start,
    check_frame_skip,
    check_non_negative,
    check_positive,
    squared_norm,
)

#: Joint layout of ``assets/hopper.xml``: root x, root z, root pitch, hip, knee, ankle.
NQ = 6
#: Standing height of the torso's frame (the ``ref`` of the root z joint), metres.
STAND_HEIGHT = 1.22


@dataclass(frozen=True)
class HopperForwardParams:
    """Task parameters of HopperForward (physics lives in ``assets/hopper.xml``)."""

    #: Physics steps (0.004 s each) per env step.
    frame_skip: int = 2
    #: Weight of the forward velocity of the torso (m/s) in the reward.
    forward_reward_weight: float = 1.0
    #: Bonus for every step that ends healthy.
    healthy_reward: float = 1.0
    #: Weight of the control cost ``-w * |a|^2``.
    ctrl_cost_weight: float = 1e-3
    #: Weight of the contact cost ``-w * sum_b min(F_b / F_scale, clip)^2`` over the four
    #: bodies' touch sensors (normal contact force F_b in newtons).
    contact_cost_weight: float = 0.02
    #: The force scale F_scale: about the hopper's weight (12.7 kg), newtons.
    contact_force_scale: float = 125.0
    #: Each body's scaled contact force is clipped to this before squaring.
    contact_force_clip: float = 10.0
    #: Healthy while the torso is at least this high (metres)...
    healthy_z_min: float = 0.8
    #: ...its pitch is within this many radians of upright...
    healthy_pitch_max: float = 0.3
    #: ...and every joint angle (but the root's x and z) and every velocity is below this.
    healthy_state_max: float = 100.0
    #: End the episode (terminated) when the hopper is no longer healthy.
    terminate_when_unhealthy: bool = True
    #: Uniform noise added to the standing pose and zero velocities at the start.
    reset_noise: float = 5e-3

    def __post_init__(self) -> None:
        check_frame_skip(self)
        check_non_negative(
            self, "forward_reward_weight", "healthy_reward", "ctrl_cost_weight",
            "contact_cost_weight", "reset_noise",
        )  # fmt: skip
        check_positive(
            self, "contact_force_scale", "contact_force_clip", "healthy_z_min",
            "healthy_pitch_max", "healthy_state_max",
        )  # fmt: skip
        if not isinstance(self.terminate_when_unhealthy, bool):
            raise ValueError("terminate_when_unhealthy must be a bool")
        if self.healthy_z_min >= STAND_HEIGHT:
            raise ValueError(
                f"healthy_z_min must be below the standing height {STAND_HEIGHT} m, got "
                f"{self.healthy_z_min}"
            )
        if self.healthy_pitch_max >= math.pi:
            raise ValueError(f"healthy_pitch_max must be below pi, got {self.healthy_pitch_max}")


class HopperForwardEnv(MujocoTaskEnv):
    """A planar one-legged robot (torso, thigh, shin and foot; motors at the hip, knee
    and ankle) must hop forward without falling. Its reward has four terms, each
    reported on its own in ``info["reward_terms"]``, for multi-reward normalization and
    ablations.

    The physics is MuJoCo's (``assets/hopper.xml``, a model of this package: its
    geometry and masses are not Gymnasium's Hopper's). Each body wears a touch sensor
    that measures its normal contact force.

    ## Action space
    ``Box(-1, 1, (3,), float32)``: hip, knee and ankle torques (gears 120, 120 and
    80 N m); values outside the box are clipped.

    ## Observation space
    ``Box(-inf, inf, (11,), float64)``:

    | index | observation                                          |
    |-------|------------------------------------------------------|
    | 0     | torso height z (m)                                   |
    | 1     | torso pitch (rad, 0 upright)                         |
    | 2..4  | hip, knee, ankle angles (rad)                        |
    | 5..10 | velocities of x, z, pitch, hip, knee, ankle, clipped |
    |       | to [-10, 10]                                         |

    The torso's x position is left out, so a policy cannot depend on it.

    ## Reward
    The sum of the terms in ``info["reward_terms"]``:

    * ``"forward"``: ``forward_reward_weight`` (1) times the torso's x velocity over
      the step (m/s);
    * ``"alive"``: ``healthy_reward`` (1) when the step ends healthy, else 0;
    * ``"ctrl_cost"``: ``-ctrl_cost_weight * |a|^2`` (weight 0.001);
    * ``"contact_cost"``: ``-contact_cost_weight * sum_b min(F_b / 125 N, 10)^2`` over the
      torso, thigh, shin and foot (weight 0.02; ``F_b`` the body's normal contact force
      in the step's last physics step): hard landings and scraping cost more.

    ## Starting state
    Standing upright, with uniform noise of 0.005 on every joint and velocity.

    ## Episode end
    Terminated when unhealthy: the torso below 0.8 m, pitched more than 0.3 rad, or a
    joint angle or velocity above 100 (``terminate_when_unhealthy=True``). Truncated
    after 1000 steps (8 s).

    ## Arguments
    ``params`` (a :class:`HopperForwardParams`) or its fields as keywords;
    ``render_mode="rgb_array"`` (offscreen, a side camera following the hopper) with
    ``width`` and ``height``. The vector env also takes ``nthread``,
    ``max_episode_steps`` and ``autoreset_mode``.

    ## Version history
    * v0: first release.

    ## Example
    >>> import gymnasium as gym, numpy as np, rewardgym
    >>> env = gym.make("rewardgym/HopperForward-v0")
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape
    (11,)
    >>> obs, reward, terminated, truncated, info = env.step(np.zeros(3, np.float32))
    >>> sorted(info["reward_terms"])
    ['alive', 'contact_cost', 'ctrl_cost', 'forward']
    >>> bool(np.isclose(reward, sum(info["reward_terms"].values())))
    True
    """

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 125}  # noqa: RUF012 - Gymnasium's layout

    model_file = "hopper.xml"
    params_type = HopperForwardParams
    obs_dim = 11
    max_episode_steps = 1000
    camera = "side"
    derived_fields = ("sensordata",)

    @classmethod
    def draw_start(cls, rng: np.random.Generator, n: int, params: Any) -> Start:
        noise = params.reset_noise
        qpos = rng.uniform(-noise, noise, (n, NQ))
        qpos[:, 1] += STAND_HEIGHT
        qvel = rng.uniform(-noise, noise, (n, NQ))
        return Start(qpos=qpos, qvel=qvel)

    @classmethod
    def observe(cls, frame: Frame, params: Any) -> np.ndarray:
        n = frame.qpos.shape[0]
        obs = np.empty((n, 11))
        obs[:, 0:5] = frame.qpos[:, 1:NQ]
        np.clip(frame.qvel, -10.0, 10.0, out=obs[:, 5:11])
        return obs

    @classmethod
    def pre_step(cls, frame: Frame) -> np.ndarray:
        return frame.qpos[:, 0].copy()

    @classmethod
    def healthy(cls, qpos: np.ndarray, qvel: np.ndarray, params: Any) -> np.ndarray:
        """Which rows are healthy (see the class docstring)."""
        limit = params.healthy_state_max
        in_range = (np.abs(qpos[:, 2:]) < limit).all(axis=1) & (np.abs(qvel) < limit).all(axis=1)
        upright = np.abs(qpos[:, 2]) <= params.healthy_pitch_max
        return in_range & upright & (qpos[:, 1] >= params.healthy_z_min)

    @classmethod
    def evaluate(
        cls, pre: Any, frame: Frame, action: np.ndarray, params: Any, dt: float
    ) -> Outcome:
        qpos, qvel = frame.qpos, frame.qvel
        healthy = cls.healthy(qpos, qvel, params)
        forward = params.forward_reward_weight * ((qpos[:, 0] - pre) / dt)
        alive = healthy * float(params.healthy_reward)
        ctrl_cost = -params.ctrl_cost_weight * squared_norm(action)
        force = np.minimum(
            frame.derived["sensordata"] / params.contact_force_scale, params.contact_force_clip
        )
        contact_cost = -params.contact_cost_weight * squared_norm(force)
        terminated = ~healthy if params.terminate_when_unhealthy else np.zeros_like(healthy)
        return Outcome(
            reward=((forward + alive) + ctrl_cost) + contact_cost,
            terminated=terminated,
            success=None,
            terms={
                "forward": forward,
                "alive": alive,
                "ctrl_cost": ctrl_cost,
                "contact_cost": contact_cost,
            },
        )


class HopperForwardVectorEnv(MujocoVectorEnv):
    """HopperForward for N envs stepped together by ``mujoco.batch`` (see
    :class:`HopperForwardEnv` for the task and :class:`~._core.MujocoVectorEnv` for the
    arguments)."""

    env_cls = HopperForwardEnv
