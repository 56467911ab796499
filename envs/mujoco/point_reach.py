"""PointReach: a puck on a table pushed to a random goal (MuJoCo), single and vector env."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

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
from ._potentials import (
    POINT_DAMPING,
    point_damped_neg_distance_numba,
    point_neg_distance_numba,
)

#: The table's half-width (the puck's joint range), metres.
ARENA_HALF_WIDTH = 1.0
REWARD_TYPES = ("sparse", "dense")


@dataclass(frozen=True)
class PointReachParams:
    """Task parameters of PointReach (physics lives in ``assets/point_reach.xml``)."""

    #: Physics steps (0.01 s each) per env step.
    frame_skip: int = 5
    #: Success when the puck's centre is this close to the goal (metres).
    goal_radius: float = 0.05
    #: ``"sparse"``: 1 on success, else 0. ``"dense"``: minus the distance to the goal.
    reward_type: str = "sparse"
    #: Weight of the control cost ``-w * |a|^2`` (0: none).
    ctrl_cost_weight: float = 0.0
    #: End the episode (terminated) on success.
    terminate_on_success: bool = True
    #: The puck starts uniformly within this distance of the centre, per axis (metres).
    start_noise: float = 0.1
    #: The goal is uniform over the annulus between these radii around the centre.
    goal_min_radius: float = 0.3
    goal_max_radius: float = 0.9

    def __post_init__(self) -> None:
        check_frame_skip(self)
        check_positive(self, "goal_radius", "goal_max_radius")
        check_non_negative(self, "ctrl_cost_weight", "start_noise", "goal_min_radius")
        if self.reward_type not in REWARD_TYPES:
            raise ValueError(f"reward_type must be one of {REWARD_TYPES}, got {self.reward_type!r}")
        if not isinstance(self.terminate_on_success, bool):
            raise ValueError("terminate_on_success must be a bool")
        if not self.goal_min_radius <= self.goal_max_radius < ARENA_HALF_WIDTH:
            raise ValueError(
                "need goal_min_radius <= goal_max_radius < 1.0 (the table's half-width), got "
                f"{self.goal_min_radius} and {self.goal_max_radius}"
            )
        if self.goal_min_radius - math.sqrt(2.0) * self.start_noise <= self.goal_radius:
            raise ValueError(
                "goal_min_radius - sqrt(2) * start_noise must exceed goal_radius, so that no "
                "episode starts at the goal; lower start_noise or raise goal_min_radius"
            )


def neg_distance(obs: np.ndarray) -> np.ndarray:
    """Minus the distance from the puck to the goal: 0 at the goal."""
    o = np.asarray(obs, dtype=np.float64)
    dx, dy = o[..., 4], o[..., 5]
    return -np.sqrt(dx * dx + dy * dy)


def damped_neg_distance(obs: np.ndarray, damping: float = POINT_DAMPING) -> np.ndarray:
    """Minus (distance to the goal + ``damping`` seconds times the speed): highest at
    the goal at rest, so shaping with it rewards braking on the way in."""
    o = np.asarray(obs, dtype=np.float64)
    dx, dy = o[..., 4], o[..., 5]
    vx, vy = o[..., 2], o[..., 3]
    return -(np.sqrt(dx * dx + dy * dy) + damping * np.sqrt(vx * vx + vy * vy))


# Compiled counterparts for fused reward kernels (see ._potentials).
neg_distance.numba = point_neg_distance_numba  # type: ignore[attr-defined]
damped_neg_distance.numba = point_damped_neg_distance_numba  # type: ignore[attr-defined]


class PointReachEnv(MujocoTaskEnv):
    """A 1 kg puck on a 2 m square table; two motors push it along x and y (up to
    1 N each, against viscous damping of 1 N s/m, so its top speed is 1 m/s). Reach the
    goal marker.

    The physics is MuJoCo's (``assets/point_reach.xml``); the goal is a mocap body, so
    ``env.unwrapped.state`` (MuJoCo's integration state) holds it.

    ## Action space
    ``Box(-1, 1, (2,), float32)``: force along x and y (newtons); values outside the
    box are clipped.

    ## Observation space
    ``Box(-inf, inf, (6,), float64)``:

    | index | observation                  |
    |-------|------------------------------|
    | 0, 1  | puck position x, y (m)       |
    | 2, 3  | puck velocity x, y (m/s)     |
    | 4, 5  | goal minus puck position (m) |

    ## Reward
    ``reward_type="sparse"`` (default): 1 on the step that reaches the goal (distance
    below ``goal_radius`` = 0.05 m), else 0. ``"dense"``: minus the distance. Both
    minus ``ctrl_cost_weight * |a|^2`` (0 by default). ``info["reward_terms"]``:
    ``"success"`` (sparse) or ``"distance"`` (dense), and ``"ctrl_cost"``.

    ## Oracle
    ``env.unwrapped.oracle_action()``: a PD controller that reaches every goal.

    ## Potentials (``PointReachEnv.potentials``)
    ``neg_distance`` (minus the distance to the goal) and ``damped_neg_distance``
    (minus distance + 0.5 s times the speed), functions of the observation for
    :class:`rewardgym.rewards.shaping.PotentialShaping`.

    ## Starting state
    The puck within 0.1 m of the centre per axis, at rest; the goal uniform over the
    annulus of radii 0.3 to 0.9 m around the centre.

    ## Episode end
    Terminated on success (``terminate_on_success=True``); truncated after 100 steps
    (5 s; the ``TimeLimit`` of ``gym.make``). ``info["success"]`` tells success.

    ## Arguments
    ``params`` (a :class:`PointReachParams`) or its fields as keywords;
    ``render_mode="rgb_array"`` (offscreen, top view) with ``width`` and ``height``.
    The vector env (``gym.make_vec(..., vectorization_mode="vector_entry_point")``)
    also takes ``nthread``, ``max_episode_steps`` and ``autoreset_mode``.

    ## Version history
    * v0: first release.

    ## Example
    >>> import gymnasium as gym, numpy as np, rewardgym
    >>> env = gym.make("rewardgym/PointReach-v0")
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape, obs.dtype
    ((6,), dtype('float64'))
    >>> obs, reward, terminated, truncated, info = env.step(np.zeros(2, np.float32))
    >>> reward, info["success"]
    (0.0, False)
    """

    model_file = "point_reach.xml"
    params_type = PointReachParams
    obs_dim = 6
    max_episode_steps = 100
    camera = "top"
    potentials: ClassVar[dict[str, Any]] = {
        "neg_distance": neg_distance,
        "damped_neg_distance": damped_neg_distance,
    }

    def oracle_action(self) -> np.ndarray:
        """A PD controller towards the goal (force ``5 * offset - 1 * velocity``,
        clipped): it reaches every goal, in about 30 steps on average."""
        obs = self.observation()
        force = 5.0 * obs[4:6] - 1.0 * obs[2:4]
        return np.clip(force, -1.0, 1.0).astype(np.float32)

    @classmethod
    def draw_start(cls, rng: np.random.Generator, n: int, params: Any) -> Start:
        noise = params.start_noise
        qpos = rng.uniform(-noise, noise, size=(n, 2))
        radius = np.sqrt(rng.uniform(params.goal_min_radius**2, params.goal_max_radius**2, n))
        angle = rng.uniform(0.0, 2.0 * np.pi, n)
        mocap = np.empty((n, 1, 3))
        mocap[:, 0, 0] = radius * np.cos(angle)
        mocap[:, 0, 1] = radius * np.sin(angle)
        mocap[:, 0, 2] = 0.03
        return Start(qpos=qpos, qvel=np.zeros((n, 2)), mocap_pos=mocap)

    @classmethod
    def observe(cls, frame: Frame, params: Any) -> np.ndarray:
        n = frame.qpos.shape[0]
        obs = np.empty((n, 6))
        obs[:, 0:2] = frame.qpos
        obs[:, 2:4] = frame.qvel
        obs[:, 4:6] = frame.mocap_pos[:, 0, 0:2] - frame.qpos
        return obs

    @classmethod
    def evaluate(
        cls, pre: Any, frame: Frame, action: np.ndarray, params: Any, dt: float
    ) -> Outcome:
        offset = frame.mocap_pos[:, 0, 0:2] - frame.qpos
        distance = np.sqrt(squared_norm(offset))
        success = distance < params.goal_radius
        ctrl_cost = -params.ctrl_cost_weight * squared_norm(action)
        if params.reward_type == "sparse":
            main_name, main = "success", success.astype(np.float64)
        else:
            main_name, main = "distance", -distance
        terminated = success & params.terminate_on_success
        return Outcome(
            reward=main + ctrl_cost,
            terminated=terminated,
            success=success,
            terms={main_name: main, "ctrl_cost": ctrl_cost},
        )


class PointReachVectorEnv(MujocoVectorEnv):
    """PointReach for N envs stepped together by ``mujoco.batch`` (see
    :class:`PointReachEnv` for the task and :class:`~._core.MujocoVectorEnv` for the
    arguments).

    >>> import gymnasium as gym, numpy as np, rewardgym
    >>> envs = gym.make_vec("rewardgym/PointReach-v0", num_envs=4,
    ...                     vectorization_mode="vector_entry_point")
    >>> obs, info = envs.reset(seed=0)
    >>> obs.shape
    (4, 6)
    >>> obs, rewards, terminated, truncated, info = envs.step(np.zeros((4, 2), np.float32))
    >>> rewards.tolist(), info["success"].tolist()
    ([0.0, 0.0, 0.0, 0.0], [False, False, False, False])
    """

    env_cls = PointReachEnv
