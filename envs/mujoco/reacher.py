"""ReacherSparse: a two-link arm reaching a target (MuJoCo), single and vector env."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ._core import (
    STAGE_POS,
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
from ._potentials import reacher_neg_distance_numba

#: Link lengths in ``assets/reacher.xml`` (metres): the reach is 0.01 to 0.21 m.
UPPER_ARM, FOREARM = 0.1, 0.11
_UPPER_BODY, _FOREARM_BODY = 1, 2  # body ids (0 is the world)


@dataclass(frozen=True)
class ReacherSparseParams:
    """Task parameters of ReacherSparse (physics lives in ``assets/reacher.xml``)."""

    #: Physics steps (0.01 s each) per env step.
    frame_skip: int = 2
    #: Success when the fingertip is this close to the target's centre (metres).
    success_radius: float = 0.02
    #: Reward on the step that reaches the target.
    success_reward: float = 1.0
    #: Weight of the control cost ``-w * |a|^2``, paid every step.
    ctrl_cost_weight: float = 0.01
    #: End the episode (terminated) on success.
    terminate_on_success: bool = True
    #: The target is uniform over the annulus between these radii around the shoulder.
    target_min_radius: float = 0.05
    target_max_radius: float = 0.2
    #: Half-width (radians) of the wedge along the arm's start direction kept free of
    #: targets, so that no episode starts at the target.
    clear_angle: float = 0.4
    #: Joint angles and velocities get uniform noise of this size at the start (the
    #: shoulder angle is uniform over the circle).
    reset_noise: float = 0.1

    def __post_init__(self) -> None:
        check_frame_skip(self)
        check_positive(self, "success_radius", "target_max_radius", "clear_angle")
        check_non_negative(self, "ctrl_cost_weight", "target_min_radius", "reset_noise")
        if not isinstance(self.success_reward, (int, float)) or not math.isfinite(
            self.success_reward
        ):
            raise ValueError(f"success_reward must be a finite number, got {self.success_reward!r}")
        if not isinstance(self.terminate_on_success, bool):
            raise ValueError("terminate_on_success must be a bool")
        reach = UPPER_ARM + FOREARM
        if not abs(UPPER_ARM - FOREARM) <= self.target_min_radius <= self.target_max_radius < reach:
            raise ValueError(
                f"need {abs(UPPER_ARM - FOREARM):g} <= target_min_radius <= target_max_radius "
                f"< {reach:g} (the arm's reach), got {self.target_min_radius} and "
                f"{self.target_max_radius}"
            )
        if not self.clear_angle < math.pi:
            raise ValueError(f"clear_angle must be below pi, got {self.clear_angle}")


def neg_distance(obs: np.ndarray) -> np.ndarray:
    """Minus the distance from the fingertip to the target: 0 on the target."""
    o = np.asarray(obs, dtype=np.float64)
    dx, dy = o[..., 8], o[..., 9]
    return -np.sqrt(dx * dx + dy * dy)


# The compiled counterpart for fused reward kernels (see ._potentials).
neg_distance.numba = reacher_neg_distance_numba  # type: ignore[attr-defined]


class ReacherSparseEnv(MujocoTaskEnv):
    """A two-link planar arm (links of 0.1 and 0.11 m, torque motors at the shoulder
    and the elbow, viscous joint damping) must touch a target with its fingertip. The
    reward is sparse: only reaching pays, while every step's torque costs a little, so
    the reward's design decides whether an agent explores.

    The physics is MuJoCo's (``assets/reacher.xml``); the target is a mocap body, so
    ``env.unwrapped.state`` (MuJoCo's integration state) holds it.

    ## Action space
    ``Box(-1, 1, (2,), float32)``: shoulder and elbow torques (scaled by the motors'
    gear of 0.05 N m); values outside the box are clipped.

    ## Observation space
    ``Box(-inf, inf, (10,), float64)``:

    | index | observation                                      |
    |-------|--------------------------------------------------|
    | 0, 1  | cos, sin of the upper arm's angle                |
    | 2, 3  | cos, sin of the forearm's angle (shoulder+elbow) |
    | 4, 5  | shoulder and elbow angular velocities (rad/s)    |
    | 6, 7  | target position x, y (m)                         |
    | 8, 9  | fingertip minus target position (m)              |

    ## Reward
    ``success_reward`` (1) on the step the fingertip comes within ``success_radius``
    (0.02 m) of the target, minus ``ctrl_cost_weight * |a|^2`` (0.01) every step.
    ``info["reward_terms"]``: ``"success"`` and ``"ctrl_cost"``.

    ## Oracle
    ``env.unwrapped.oracle_action()``: Jacobian-transpose control of the fingertip,
    which reaches every target.

    ## Potentials (``ReacherSparseEnv.potentials``)
    ``neg_distance``: minus the fingertip's distance to the target.

    ## Starting state
    Shoulder angle uniform over the circle, elbow angle and both velocities with
    uniform noise of 0.1; the target uniform over the annulus of radii 0.05 to 0.2 m,
    outside a wedge of +-0.4 rad along the arm's start direction.

    ## Episode end
    Terminated on success (``terminate_on_success=True``); truncated after 100 steps
    (2 s). ``info["success"]`` tells success.

    ## Arguments
    ``params`` (a :class:`ReacherSparseParams`) or its fields as keywords;
    ``render_mode="rgb_array"`` (offscreen, top view) with ``width`` and ``height``.
    The vector env also takes ``nthread``, ``max_episode_steps`` and ``autoreset_mode``.

    ## Version history
    * v0: first release.

    ## Example
    >>> import gymnasium as gym, numpy as np, rewardgym
    >>> env = gym.make("rewardgym/ReacherSparse-v0")
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape
    (10,)
    >>> obs, reward, terminated, truncated, info = env.step(np.ones(2, np.float32))
    >>> round(reward, 4), info["reward_terms"]
    (-0.02, {'success': 0.0, 'ctrl_cost': -0.02})
    """

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 50}  # noqa: RUF012 - Gymnasium's layout

    model_file = "reacher.xml"
    params_type = ReacherSparseParams
    obs_dim = 10
    max_episode_steps = 100
    camera = "top"
    derived_fields = ("xmat", "site_xpos")
    stage = STAGE_POS
    potentials: ClassVar[dict[str, Any]] = {"neg_distance": neg_distance}

    def oracle_action(self) -> np.ndarray:
        """Jacobian-transpose control of the fingertip towards the target, with joint
        damping (``3000 * J^T (target - tip) - 3 * qdot``, clipped): it reaches every
        target, in about 50 steps on average."""
        obs = self.observation()
        c1, s1, c12, s12 = obs[0:4]
        jacobian = np.array(
            [[-UPPER_ARM * s1 - FOREARM * s12, -FOREARM * s12],
             [UPPER_ARM * c1 + FOREARM * c12, FOREARM * c12]]
        )  # fmt: skip
        torque = 3000.0 * (jacobian.T @ -obs[8:10]) - 3.0 * obs[4:6]
        return np.clip(torque, -1.0, 1.0).astype(np.float32)

    @classmethod
    def draw_start(cls, rng: np.random.Generator, n: int, params: Any) -> Start:
        noise = params.reset_noise
        qpos = np.empty((n, 2))
        qpos[:, 0] = rng.uniform(-np.pi, np.pi, n)
        qpos[:, 1] = rng.uniform(-noise, noise, n)
        qvel = rng.uniform(-noise, noise, (n, 2))
        lo, hi = params.target_min_radius, params.target_max_radius
        radius = np.sqrt(rng.uniform(lo * lo, hi * hi, n))
        angle = qpos[:, 0] + rng.uniform(params.clear_angle, 2 * np.pi - params.clear_angle, n)
        mocap = np.empty((n, 1, 3))
        mocap[:, 0, 0] = radius * np.cos(angle)
        mocap[:, 0, 1] = radius * np.sin(angle)
        mocap[:, 0, 2] = 0.02
        return Start(qpos=qpos, qvel=qvel, mocap_pos=mocap)

    @classmethod
    def observe(cls, frame: Frame, params: Any) -> np.ndarray:
        xmat = frame.derived["xmat"]
        tip = frame.derived["site_xpos"][:, 0, 0:2]
        target = frame.mocap_pos[:, 0, 0:2]
        n = xmat.shape[0]
        obs = np.empty((n, 10))
        obs[:, 0] = xmat[:, _UPPER_BODY, 0]
        obs[:, 1] = xmat[:, _UPPER_BODY, 3]
        obs[:, 2] = xmat[:, _FOREARM_BODY, 0]
        obs[:, 3] = xmat[:, _FOREARM_BODY, 3]
        obs[:, 4:6] = frame.qvel
        obs[:, 6:8] = target
        obs[:, 8:10] = tip - target
        return obs

    @classmethod
    def evaluate(
        cls, pre: Any, frame: Frame, action: np.ndarray, params: Any, dt: float
    ) -> Outcome:
        offset = frame.derived["site_xpos"][:, 0, 0:2] - frame.mocap_pos[:, 0, 0:2]
        success = np.sqrt(squared_norm(offset)) < params.success_radius
        reached = success * float(params.success_reward)
        ctrl_cost = -params.ctrl_cost_weight * squared_norm(action)
        return Outcome(
            reward=reached + ctrl_cost,
            terminated=success & params.terminate_on_success,
            success=success,
            terms={"success": reached, "ctrl_cost": ctrl_cost},
        )


class ReacherSparseVectorEnv(MujocoVectorEnv):
    """ReacherSparse for N envs stepped together by ``mujoco.batch`` (see
    :class:`ReacherSparseEnv` for the task and :class:`~._core.MujocoVectorEnv` for the
    arguments)."""

    env_cls = ReacherSparseEnv
