"""# Intersection

Cars approach an unsignalled intersection on crossing roads and choose their speeds.
Crossing fast pays; two cars inside the conflict zone at the same time crash. A crash
is a catastrophe reported apart from the reward (``info["crashed"]`` and a cost in
``info["cost"]``), so aggressive driving has the higher mean reward and a crash
risk: the setting of risk-averse equilibria (Slumbers et al., ICML 2023).

| Import             | `from rewardgym.envs.risk import intersection_v0`       |
|--------------------|----------------------------------------------------------|
| API                | Parallel (`parallel_env()`), AEC (`env()`)               |
| Agents             | `["car_0", ..., "car_{N-1}"]` (default N = 2, at most 4) |
| Action space       | `Discrete(len(speed_levels))` (default 5)                |
| Observation space  | `Box((3N,), float32)`                                    |

## Layouts

* ``"crossing"`` (default): car ``i`` comes down road ``i``; every road crosses the
  conflict zone, ``zone_length`` metres long on each road (default 10 m: the
  crossing road's width plus a car length).
* ``"overtaking"``: two cars on a two-way road; ``car_0`` overtakes a slow truck and
  needs the oncoming lane for ``zone_length`` metres (default 30 m), ``car_1``
  drives in that lane towards it. The stretch is one lane used in opposite
  directions, so both cars inside it at once is a head-on crash; the dynamics are
  those of ``"crossing"`` with a longer zone.

## Dynamics

Each car's state is its position ``x`` along its road (metres, 0 where it enters the
conflict zone, negative before it) and its speed ``v``. Every step (``dt`` seconds)
a car picks a target speed from ``speed_levels``; its speed moves towards the target
by at most ``max_accel * dt`` up or ``max_brake * dt`` down, plus Gaussian driver
noise of standard deviation ``speed_noise`` (m/s), clipped to ``[0, max speed]``;
the car moves at the mean of its old and new speed. A car occupies the zone while
``0 < x < zone_length``; within a step the crash test compares the exact time
intervals each car spends in the zone, so fast cars cannot pass through each
other between steps. A car that reaches ``zone_length + exit_length`` has crossed.

## Observation

For car ``i`` (all scaled to about [-1, 1]): its own position ``x / d`` (``d`` the
largest start distance; clipped to ``[-d, zone_length + exit_length]``) and speed
``v / v_max``; then, for each other car ``j = i+1, i+2, ...`` (mod N), its position,
speed and a flag that it is still driving (0s once it has crossed or crashed); then
the elapsed fraction of the time limit.

## Reward, cost and info

``-time_penalty`` every step a car drives, ``+goal_reward`` on the step it crosses.
A crash ends the episode of both cars involved with no goal reward; each gets
``info["crashed"] = True`` and ``info["cost"] = crash_cost`` (0 otherwise). The
cost is not in the reward: add it with a reward wrapper, e.g.
``ParallelRewardWrapper(env, EnvReward() - InfoTerm("cost", path=None))``.
``info["crossed"]`` is True on the step a car crosses.

## Starting state

Distances to the zone uniform in ``start_distance`` and speeds uniform in
``start_speed``, independently per car, from the env's seeded generator.

## Episode end

A car terminates when it crosses or crashes (the wreck is cleared: other cars
drive on); every car still driving is truncated after ``max_steps`` steps.

## Batched simulation and policies

:class:`IntersectionSimulator` steps many episodes at once with the same kernel
(used by the PSRO benchmark); :class:`GapPolicy` is a family of threshold drivers
(cruise at a speed level; stop for a car that will reach the zone first within
``gap`` seconds) and :func:`gap_policies` enumerates it.

## Arguments

``num_cars``, ``layout`` and the fields of :class:`IntersectionParams` as keywords
(or ``params=``), ``render_mode`` (``"ansi"`` text, ``"human"`` prints it).

## Version history

* v0: first release.

## Example

>>> from rewardgym.envs.risk import intersection_v0
>>> env = intersection_v0.parallel_env()
>>> obs, infos = env.reset(seed=1)
>>> obs["car_0"].shape, env.action_space("car_0")
((6,), Discrete(5))
>>> while env.agents:  # both floor it
...     obs, rewards, terms, truncs, infos = env.step({a: 4 for a in env.agents})
>>> sorted((a, i["crashed"], i["cost"]) for a, i in infos.items())
[('car_0', True, 1.0), ('car_1', True, 1.0)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar, Literal

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv
from pettingzoo.utils import wrappers
from pettingzoo.utils.conversions import parallel_to_aec_wrapper

__all__ = [
    "GapPolicy",
    "IntersectionParams",
    "IntersectionSimulator",
    "env",
    "gap_policies",
    "parallel_env",
    "raw_env",
]

Layout = Literal["crossing", "overtaking"]

DRIVING, CROSSED, CRASHED = 0, 1, 2


@dataclass(frozen=True)
class IntersectionParams:
    """Constants of the intersection (SI units: metres, seconds)."""

    num_cars: int = 2
    layout: Layout = "crossing"
    dt: float = 0.5
    speed_levels: tuple[float, ...] = (0.0, 4.0, 8.0, 12.0, 16.0)
    max_accel: float = 3.0
    max_brake: float = 6.0
    start_distance: tuple[float, float] = (25.0, 55.0)
    start_speed: tuple[float, float] = (6.0, 12.0)
    zone_length: float | None = None  #: None: 10 m crossing, 30 m overtaking
    sight_distance: float = 20.0  #: cars see each other within this of the zone (inf: always)
    exit_length: float = 10.0
    speed_noise: float = 0.5
    time_penalty: float = 0.05
    goal_reward: float = 1.0
    crash_cost: float = 1.0
    max_steps: int = 60

    def __post_init__(self) -> None:
        if self.layout not in ("crossing", "overtaking"):
            raise ValueError(f"layout must be 'crossing' or 'overtaking', got {self.layout!r}")
        if int(self.num_cars) != self.num_cars or not 2 <= self.num_cars <= 4:
            raise ValueError(f"num_cars must be an integer in [2, 4], got {self.num_cars}")
        if self.layout == "overtaking" and self.num_cars != 2:
            raise ValueError("the overtaking layout has exactly 2 cars; use num_cars=2")
        levels = tuple(float(v) for v in self.speed_levels)
        if len(levels) < 2 or any(v < 0 for v in levels) or list(levels) != sorted(set(levels)):
            raise ValueError(
                "speed_levels must be at least two distinct non-negative speeds in increasing "
                f"order, got {self.speed_levels}"
            )
        object.__setattr__(self, "speed_levels", levels)
        for name in ("dt", "max_accel", "max_brake", "exit_length", "goal_reward"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("speed_noise", "time_penalty", "crash_cost", "sight_distance"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.zone_length is not None and not self.zone_length > 0:
            raise ValueError(f"zone_length must be > 0 (or None), got {self.zone_length}")
        if int(self.max_steps) != self.max_steps or self.max_steps < 1:
            raise ValueError(f"max_steps must be a positive integer, got {self.max_steps}")
        for name, hi in (("start_distance", None), ("start_speed", self.max_speed)):
            lo_hi = tuple(float(v) for v in getattr(self, name))
            if (
                len(lo_hi) != 2
                or not 0 <= lo_hi[0] <= lo_hi[1]
                or (hi is not None and lo_hi[1] > hi)
            ):
                limit = f" and at most the top speed level {hi}" if hi is not None else ""
                raise ValueError(f"{name} must be a range (low, high), 0 <= low <= high{limit}")
            object.__setattr__(self, name, lo_hi)
        if self.start_distance[1] <= 0:
            raise ValueError("start_distance must allow a positive distance to the zone")

    @property
    def zone(self) -> float:
        """Length of the conflict zone on each car's path."""
        if self.zone_length is not None:
            return float(self.zone_length)
        return 30.0 if self.layout == "overtaking" else 10.0

    @property
    def goal(self) -> float:
        """Position at which a car has crossed."""
        return self.zone + self.exit_length

    @property
    def max_speed(self) -> float:
        return float(self.speed_levels[-1])

    @property
    def obs_dim(self) -> int:
        return 3 * self.num_cars

    @property
    def agents(self) -> list[str]:
        return [f"car_{i}" for i in range(self.num_cars)]


# -- kernel: pure functions over a batch of episodes (B, N) -------------------------------


def reset_state(
    p: IntersectionParams, rng: np.random.Generator, batch: int
) -> tuple[np.ndarray, np.ndarray]:
    """Start positions and speeds, each ``(batch, num_cars)`` float64."""
    dist = rng.uniform(*p.start_distance, size=(batch, p.num_cars))
    speed = rng.uniform(*p.start_speed, size=(batch, p.num_cars))
    return -dist, speed


def _zone_interval(
    p: IntersectionParams, x0: np.ndarray, x1: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Open time interval (lo, hi) within the step during which each car is inside
    the zone (lo >= hi when it is not), moving at constant speed from x0 to x1."""
    s = (x1 - x0) / p.dt
    moving = s > 0
    safe = np.where(moving, s, 1.0)
    lo = np.where(moving, np.clip(-x0 / safe, 0.0, p.dt), 0.0)
    hi = np.where(moving, np.clip((p.zone - x0) / safe, 0.0, p.dt), 0.0)
    inside = (x0 > 0) & (x0 < p.zone)
    hi = np.where(~moving & inside, p.dt, hi)
    return lo, hi


def step_state(
    p: IntersectionParams,
    pos: np.ndarray,
    vel: np.ndarray,
    status: np.ndarray,
    actions: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One step of every episode of the batch.

    ``pos``, ``vel`` float64, ``status`` int8 (``DRIVING``, ``CROSSED``,
    ``CRASHED``), ``actions`` int64 speed-level indices, all ``(B, N)``; cars not
    driving keep their state. Returns new ``(pos, vel, status, rewards, crashed)``
    with ``crashed`` the cars that crashed in this step.
    """
    driving = status == DRIVING
    levels = np.asarray(p.speed_levels)
    target = levels[np.clip(actions, 0, len(levels) - 1)]
    dv = np.clip(target - vel, -p.max_brake * p.dt, p.max_accel * p.dt)
    new_vel = vel + dv
    if p.speed_noise > 0:
        new_vel = new_vel + p.speed_noise * rng.standard_normal(vel.shape)
    new_vel = np.where(driving, np.clip(new_vel, 0.0, p.max_speed), vel)
    new_pos = np.where(driving, pos + 0.5 * (vel + new_vel) * p.dt, pos)

    lo, hi = _zone_interval(p, pos, new_pos)
    crashed = np.zeros(status.shape, dtype=bool)
    for i in range(p.num_cars):
        for j in range(i + 1, p.num_cars):
            both = driving[:, i] & driving[:, j]
            overlap = np.maximum(lo[:, i], lo[:, j]) < np.minimum(hi[:, i], hi[:, j])
            hit = both & overlap
            crashed[:, i] |= hit
            crashed[:, j] |= hit
    crossed = driving & ~crashed & (new_pos >= p.goal)
    rewards = np.where(driving, -p.time_penalty, 0.0) + np.where(crossed, p.goal_reward, 0.0)
    new_status = status.copy()
    new_status[crossed] = CROSSED
    new_status[crashed] = CRASHED
    return new_pos, new_vel, new_status, rewards, crashed


def observe(
    p: IntersectionParams, pos: np.ndarray, vel: np.ndarray, status: np.ndarray, t: int | np.ndarray
) -> np.ndarray:
    """Observations ``(B, N, 3N)`` float32 of every car of every episode."""
    batch, n = pos.shape
    scale = p.start_distance[1]
    x = np.clip(pos, -scale, p.goal) / scale
    v = vel / p.max_speed
    driving = status == DRIVING
    near = np.maximum(-pos, 0.0) <= p.sight_distance
    obs = np.empty((batch, n, 3 * n), dtype=np.float32)
    frac = np.broadcast_to(np.asarray(t, dtype=np.float64) / p.max_steps, (batch,))
    for i in range(n):
        obs[:, i, 0] = x[:, i]
        obs[:, i, 1] = v[:, i]
        for k in range(1, n):
            j = (i + k) % n
            base = 2 + 3 * (k - 1)
            seen = driving[:, j] & near[:, i] & near[:, j]
            obs[:, i, base] = np.where(seen, x[:, j], 0.0)
            obs[:, i, base + 1] = np.where(seen, v[:, j], 0.0)
            obs[:, i, base + 2] = seen
        obs[:, i, -1] = np.minimum(frac, 1.0)
    return obs


def _observation_space(p: IntersectionParams) -> spaces.Box:
    hi_x = p.goal / p.start_distance[1]
    low = [-1.0, 0.0] + [-1.0, 0.0, 0.0] * (p.num_cars - 1) + [0.0]
    high = [hi_x, 1.0] + [hi_x, 1.0, 1.0] * (p.num_cars - 1) + [1.0]
    return spaces.Box(np.array(low, np.float32), np.array(high, np.float32), dtype=np.float32)


def _params(params: IntersectionParams | None, kwargs: dict[str, Any]) -> IntersectionParams:
    names = {f.name for f in fields(IntersectionParams)}
    unknown = sorted(set(kwargs) - names)
    if unknown:
        raise TypeError(
            f"unknown argument(s) {unknown}; intersection_v0 takes render_mode, params and "
            f"the IntersectionParams fields: {', '.join(sorted(names))}"
        )
    if params is None:
        return IntersectionParams(**kwargs)
    return replace(params, **kwargs) if kwargs else params


# -- the PettingZoo env -----------------------------------------------------------------


class raw_env(ParallelEnv):
    """Cars at an unsignalled intersection; see the module docstring."""

    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": ["ansi", "human"],
        "name": "intersection_v0",
        "is_parallelizable": True,
    }

    def __init__(
        self,
        params: IntersectionParams | None = None,
        render_mode: str | None = None,
        **kwargs: Any,
    ):
        self.params = _params(params, kwargs)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, "
                f"got {render_mode!r}"
            )
        self.render_mode = render_mode
        self.possible_agents = self.params.agents
        self.agents: list[str] = []
        obs_space = _observation_space(self.params)
        self._observation_spaces = {a: obs_space for a in self.possible_agents}
        n_levels = len(self.params.speed_levels)
        self._action_spaces = {a: spaces.Discrete(n_levels) for a in self.possible_agents}
        self.np_random, _ = seeding.np_random(None)
        n = self.params.num_cars
        self.pos = np.zeros((1, n))
        self.vel = np.zeros((1, n))
        self.status = np.full((1, n), DRIVING, dtype=np.int8)
        self.t = 0

    def observation_space(self, agent: str) -> spaces.Box:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Discrete:
        return self._action_spaces[agent]

    def state(self) -> np.ndarray:
        """Global state: positions, speeds and status codes of all cars, float32."""
        return np.concatenate([self.pos[0], self.vel[0], self.status[0]]).astype(np.float32)

    def _obs(self) -> np.ndarray:
        return observe(self.params, self.pos, self.vel, self.status, self.t)[0]

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self.pos, self.vel = reset_state(self.params, self.np_random, 1)
        self.status = np.full((1, self.params.num_cars), DRIVING, dtype=np.int8)
        self.t = 0
        self.agents = list(self.possible_agents)
        obs = self._obs()
        infos = {a: {"crashed": False, "crossed": False, "cost": 0.0} for a in self.agents}
        return {a: obs[i] for i, a in enumerate(self.possible_agents)}, infos

    def step(self, actions: dict[str, Any]) -> tuple[dict[str, Any], ...]:
        if not self.agents:
            raise RuntimeError("every car is done; call reset() before step()")
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError(f"actions missing for {missing}; every driving car acts every step")
        act = np.zeros((1, self.params.num_cars), dtype=np.int64)
        for a in self.agents:
            i = self.possible_agents.index(a)
            value = int(actions[a])
            if not self._action_spaces[a].contains(value):
                raise ValueError(f"{a}: action {value} is outside {self._action_spaces[a]}")
            act[0, i] = value
        acting = list(self.agents)
        self.pos, self.vel, self.status, rew, crashed = step_state(
            self.params, self.pos, self.vel, self.status, act, self.np_random
        )
        self.t += 1
        obs_all = self._obs()
        timeout = self.t >= self.params.max_steps
        obs, rewards, terms, truncs, infos = {}, {}, {}, {}, {}
        for a in acting:
            i = self.possible_agents.index(a)
            status = int(self.status[0, i])
            obs[a] = obs_all[i]
            rewards[a] = float(rew[0, i])
            terms[a] = status != DRIVING
            truncs[a] = timeout and status == DRIVING
            hit = bool(crashed[0, i])
            infos[a] = {
                "crashed": hit,
                "crossed": status == CROSSED,
                "cost": self.params.crash_cost if hit else 0.0,
            }
        self.agents = [a for a in acting if not (terms[a] or truncs[a])]
        return obs, rewards, terms, truncs, infos

    def _text(self) -> str:
        names = {DRIVING: "driving", CROSSED: "crossed", CRASHED: "CRASHED"}
        cars = "; ".join(
            f"{a}: x={self.pos[0, i]:+6.1f} m v={self.vel[0, i]:4.1f} m/s "
            f"{names[int(self.status[0, i])]}"
            for i, a in enumerate(self.possible_agents)
        )
        return f"t={self.t * self.params.dt:4.1f}s  {cars}"

    def render(self) -> str | None:
        if self.render_mode is None:
            return None
        text = self._text()
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        pass


def parallel_env(**kwargs: Any) -> raw_env:
    """The Parallel env (arguments as :class:`raw_env`)."""
    return raw_env(**kwargs)


def env(**kwargs: Any) -> Any:
    """The AEC env: :func:`parallel_env` through ``parallel_to_aec`` with PettingZoo's
    standard wrappers (out-of-bounds action assertion, order enforcement)."""
    aec = parallel_to_aec_wrapper(raw_env(**kwargs))
    aec = wrappers.AssertOutOfBoundsWrapper(aec)
    return wrappers.OrderEnforcingWrapper(aec)


# -- batched simulation -----------------------------------------------------------------


@dataclass
class Rollouts:
    """Per-episode results of :meth:`IntersectionSimulator.rollout`, ``(E, N)``
    arrays (``steps`` is ``(E,)``)."""

    returns: np.ndarray
    costs: np.ndarray
    crashed: np.ndarray
    crossed: np.ndarray
    steps: np.ndarray


class IntersectionSimulator:
    """Many independent episodes of the intersection stepped at once with the env's
    kernel (a car that is done keeps its state; an episode that is done stays done).

    >>> sim = IntersectionSimulator(IntersectionParams())
    >>> out = sim.rollout([GapPolicy(4, 0.0), GapPolicy(4, 0.0)], episodes=500, seed=0)
    >>> bool(out.crashed.any(axis=1).mean() > 0.1)  # two cars that never yield crash often
    True
    """

    def __init__(self, params: IntersectionParams | None = None, **kwargs: Any):
        self.params = _params(params, kwargs)
        self.observation_space = _observation_space(self.params)
        self.action_space = spaces.Discrete(len(self.params.speed_levels))

    def rollout(self, policies: Sequence[Any], episodes: int, seed: int | None = None) -> Rollouts:
        """Play ``episodes`` episodes with ``policies[i]`` driving car ``i``; each policy
        has ``act_batch(obs (B, obs_dim)) -> (B,)`` speed-level indices."""
        p = self.params
        if len(policies) != p.num_cars:
            raise ValueError(f"need one policy per car ({p.num_cars}), got {len(policies)}")
        if episodes < 1:
            raise ValueError(f"episodes must be >= 1, got {episodes}")
        rng = np.random.default_rng(seed)
        pos, vel = reset_state(p, rng, episodes)
        status = np.full((episodes, p.num_cars), DRIVING, dtype=np.int8)
        returns = np.zeros((episodes, p.num_cars))
        costs = np.zeros((episodes, p.num_cars))
        steps = np.zeros(episodes, dtype=np.int64)
        actions = np.zeros((episodes, p.num_cars), dtype=np.int64)
        for t in range(p.max_steps):
            active = (status == DRIVING).any(axis=1)
            if not active.any():
                break
            obs = observe(p, pos, vel, status, t)
            for i, policy in enumerate(policies):
                actions[:, i] = np.asarray(policy.act_batch(obs[:, i]), dtype=np.int64)
            pos, vel, status, rew, crashed = step_state(p, pos, vel, status, actions, rng)
            returns += rew
            costs += np.where(crashed, p.crash_cost, 0.0)
            steps += active
        return Rollouts(
            returns=returns,
            costs=costs,
            crashed=status == CRASHED,
            crossed=status == CROSSED,
            steps=steps,
        )


# -- threshold drivers -------------------------------------------------------------------


class GapPolicy:
    """A threshold driver: cruise at speed level ``speed``; stop (level 0) while some
    other car still short of the zone's far end is predicted to reach the zone no
    later than this car and within ``gap`` seconds (``gap = 0``: never yields). Once
    inside the zone the car commits. Arrival times are distance over current speed
    (speeds floored at 0.5 m/s).

    >>> GapPolicy(3, 2.0).name
    'gap(speed=3, gap=2)'
    """

    def __init__(self, speed: int, gap: float, params: IntersectionParams | None = None):
        self.params = params or IntersectionParams()
        if not 0 <= speed < len(self.params.speed_levels):
            raise ValueError(
                f"speed must index speed_levels {self.params.speed_levels}, got {speed}"
            )
        if gap < 0:
            raise ValueError(f"gap must be >= 0 seconds, got {gap}")
        self.speed = int(speed)
        self.gap = float(gap)
        self.name = f"gap(speed={self.speed}, gap={self.gap:g})"

    def __repr__(self) -> str:
        return self.name

    def act_batch(self, obs: np.ndarray) -> np.ndarray:
        p = self.params
        obs = np.asarray(obs, dtype=np.float64)
        scale, vmax = p.start_distance[1], p.max_speed
        x_me, v_me = obs[:, 0] * scale, obs[:, 1] * vmax
        t_me = np.maximum(-x_me, 0.0) / np.maximum(v_me, 0.5)
        yield_ = np.zeros(obs.shape[0], dtype=bool)
        for k in range(p.num_cars - 1):
            base = 2 + 3 * k
            x, v, present = obs[:, base] * scale, obs[:, base + 1] * vmax, obs[:, base + 2] > 0
            t_other = np.maximum(-x, 0.0) / np.maximum(v, 0.5)
            conflict = present & (x < p.zone) & (t_other <= t_me) & (t_me - t_other < self.gap)
            yield_ |= conflict
        yield_ &= x_me <= 0.0
        return np.where(yield_, 0, self.speed).astype(np.int64)

    def act(self, obs: np.ndarray) -> int:
        return int(self.act_batch(np.asarray(obs)[None])[0])


def gap_policies(
    params: IntersectionParams | None = None,
    speeds: Sequence[int] | None = None,
    gaps: Sequence[float] = (0.0, 1.0, 2.0, 3.0, 4.0),
) -> list[GapPolicy]:
    """Every :class:`GapPolicy` of the grid ``speeds x gaps`` (default speeds: every
    level above 1, i.e. the moderate to fast ones)."""
    params = params or IntersectionParams()
    speeds = range(2, len(params.speed_levels)) if speeds is None else speeds
    return [GapPolicy(s, g, params) for s in speeds for g in gaps]
