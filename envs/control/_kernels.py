"""Dynamics kernels of the control tasks: one source for the single env, the CPU
vector env and the CUDA vector env.

Layout
------
* Scalar functions (``dynamics``, ``observe``, ``reset_state`` and the RNG) take and
  return scalars only, so that the same code compiles for the CPU (``@njit``) and for
  CUDA (called from ``numba.cuda`` kernels, and run by the CUDA simulator).
* ``_step_row``/``_reset_row`` advance one environment ``i`` of a batch. They are
  plain Python functions wrapped twice: ``njit(inline="always")`` here, and
  ``cuda.jit(device=True)`` in :mod:`._cuda`.
* The CPU batch kernels (serial and ``prange``) loop over the rows. Kernels and
  their inlined helpers live in this one module: an edited helper in another module
  would not invalidate a cached kernel.

The arithmetic of every task follows Gymnasium's reference implementation operation
by operation (float64 state, float32 observations; float32 where the reference mixes
a float32 action in). ``fastmath`` stays off so the CartPole, MountainCar, Acrobot and
Pendulum kernels reproduce the reference bit for bit from the same state.

Buffers
-------
``state`` float64 (N, 4) (tasks with a 2-d state use the first two columns);
``obs`` float32 (N, obs_dim); actions int64 (N,) for discrete tasks and float32 (N,)
for one-dimensional continuous tasks; ``rng`` uint64 (N, 2), one xoroshiro128+ stream
per env; ``params`` float64 (10,), ``lo``/``hi`` float64 (4,) reset bounds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit, prange

from rewardgym._numba import cache_enabled

# Task codes (the ``task`` argument of every kernel).
CARTPOLE = 0
MOUNTAIN_CAR = 1
MOUNTAIN_CAR_CONTINUOUS = 2
ACROBOT = 3
PENDULUM = 4
PENDULUM_SPARSE = 5

# Autoreset modes (the ``mode`` argument of the step kernels).
MODE_NONE = 0  # single env: never reset inside the kernel
MODE_NEXT_STEP = 1
MODE_SAME_STEP = 2

N_PARAMS = 10
STATE_SLOTS = 4


CACHE = cache_enabled(__file__)

_U11 = np.uint64(11)
_U16 = np.uint64(16)
_U24 = np.uint64(24)
_U37 = np.uint64(37)
_U40 = np.uint64(40)
_U27 = np.uint64(27)
_INV_2_53 = 1.0 / 9007199254740992.0


@njit(inline="always")
def xoroshiro_next(s0, s1):
    """One step of xoroshiro128+; returns the new state and a 64-bit output."""
    result = s0 + s1
    s1 ^= s0
    n0 = ((s0 << _U24) | (s0 >> _U40)) ^ s1 ^ (s1 << _U16)
    n1 = (s1 << _U37) | (s1 >> _U27)
    return n0, n1, result


@njit(inline="always")
def uniform01(s0, s1):
    """A float64 in [0, 1) from the top 53 bits of one xoroshiro128+ output."""
    n0, n1, r = xoroshiro_next(s0, s1)
    return n0, n1, np.float64(r >> _U11) * _INV_2_53


@njit(inline="always")
def _wrap(x, m, big_m):
    diff = big_m - m
    while x > big_m:
        x = x - diff
    while x < m:
        x = x + diff
    return x


@njit(inline="always")
def _clip(x, lo, hi):
    return min(max(x, lo), hi)


@njit(inline="always")
def _angle_normalize(x):
    return ((x + math.pi) % (2 * math.pi)) - math.pi


@njit(inline="always")
def _acrobot_dsdt(theta1, theta2, dtheta1, dtheta2, a, l1, m1, m2, lc1, lc2, inertia, g):
    i1 = inertia
    i2 = inertia
    d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * math.cos(theta2)) + i1 + i2
    d2 = m2 * (lc2**2 + l1 * lc2 * math.cos(theta2)) + i2
    phi2 = m2 * lc2 * g * math.cos(theta1 + theta2 - math.pi / 2.0)
    phi1 = (
        -m2 * l1 * lc2 * dtheta2**2 * math.sin(theta2)
        - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * math.sin(theta2)
        + (m1 * lc1 + m2 * l1) * g * math.cos(theta1 - math.pi / 2)
        + phi2
    )
    ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1**2 * math.sin(theta2) - phi2) / (
        m2 * lc2**2 + i2 - d2**2 / d1
    )
    ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
    return dtheta1, dtheta2, ddtheta1, ddtheta2


@njit(inline="always")
def dynamics(task, s0, s1, s2, s3, a, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9):
    """One step of ``task`` from state (s0..s3) under action ``a`` (a float64 holding
    the int action of discrete tasks or the float32 action of continuous ones).

    Returns (s0, s1, s2, s3, reward, terminated).
    """
    if task == CARTPOLE:
        # p: gravity, masspole, total_mass, length, polemass_length, force_mag, tau,
        #    theta_threshold_radians, x_threshold
        x, x_dot, theta, theta_dot = s0, s1, s2, s3
        force = p5 if a == 1.0 else -p5
        costheta = math.cos(theta)
        sintheta = math.sin(theta)
        temp = (force + p4 * (theta_dot * theta_dot) * sintheta) / p2
        thetaacc = (p0 * sintheta - costheta * temp) / (
            p3 * (4.0 / 3.0 - p1 * (costheta * costheta) / p2)
        )
        xacc = temp - p4 * thetaacc * costheta / p2
        x = x + p6 * x_dot
        x_dot = x_dot + p6 * xacc
        theta = theta + p6 * theta_dot
        theta_dot = theta_dot + p6 * thetaacc
        terminated = x < -p8 or x > p8 or theta < -p7 or theta > p7
        return x, x_dot, theta, theta_dot, 1.0, terminated
    if task == MOUNTAIN_CAR:
        # p: min_position, max_position, max_speed, goal_position, goal_velocity,
        #    force, gravity
        position, velocity = s0, s1
        velocity += (a - 1.0) * p5 + math.cos(3 * position) * (-p6)
        velocity = _clip(velocity, -p2, p2)
        position += velocity
        position = _clip(position, p0, p1)
        if position == p0 and velocity < 0:
            velocity = 0.0
        terminated = position >= p3 and velocity >= p4
        return position, velocity, 0.0, 0.0, -1.0, terminated
    if task == MOUNTAIN_CAR_CONTINUOUS:
        # p: min_action, max_action, min_position, max_position, max_speed,
        #    goal_position, goal_velocity, power
        position, velocity = s0, s1
        force = min(max(a, p0), p1)
        velocity += force * p7 - 0.0025 * math.cos(3 * position)
        velocity = _clip(velocity, -p4, p4)
        position += velocity
        position = _clip(position, p2, p3)
        if position == p2 and velocity < 0:
            velocity = 0.0
        terminated = position >= p5 and velocity >= p6
        reward = 100.0 if terminated else 0.0
        reward -= (a * a) * 0.1
        # The reference stores its state as float32 after every step.
        return (
            np.float64(np.float32(position)),
            np.float64(np.float32(velocity)),
            0.0,
            0.0,
            (reward),
            terminated,
        )
    if task == ACROBOT:
        # p: dt, link_length_1, link_mass_1, link_mass_2, link_com_pos_1,
        #    link_com_pos_2, link_moi, max_vel_1, max_vel_2, gravity
        torque = a - 1.0
        dt = p0
        dt2 = dt / 2.0
        k1a, k1b, k1c, k1d = _acrobot_dsdt(s0, s1, s2, s3, torque, p1, p2, p3, p4, p5, p6, p9)
        k2a, k2b, k2c, k2d = _acrobot_dsdt(
            s0 + dt2 * k1a, s1 + dt2 * k1b, s2 + dt2 * k1c, s3 + dt2 * k1d, torque,
            p1, p2, p3, p4, p5, p6, p9,
        )  # fmt: skip
        k3a, k3b, k3c, k3d = _acrobot_dsdt(
            s0 + dt2 * k2a, s1 + dt2 * k2b, s2 + dt2 * k2c, s3 + dt2 * k2d, torque,
            p1, p2, p3, p4, p5, p6, p9,
        )  # fmt: skip
        k4a, k4b, k4c, k4d = _acrobot_dsdt(
            s0 + dt * k3a, s1 + dt * k3b, s2 + dt * k3c, s3 + dt * k3d, torque,
            p1, p2, p3, p4, p5, p6, p9,
        )  # fmt: skip
        c = dt / 6.0
        n0 = s0 + c * (k1a + 2 * k2a + 2 * k3a + k4a)
        n1 = s1 + c * (k1b + 2 * k2b + 2 * k3b + k4b)
        n2 = s2 + c * (k1c + 2 * k2c + 2 * k3c + k4c)
        n3 = s3 + c * (k1d + 2 * k2d + 2 * k3d + k4d)
        n0 = _wrap(n0, -math.pi, math.pi)
        n1 = _wrap(n1, -math.pi, math.pi)
        n2 = _clip(n2, -p7, p7)
        n3 = _clip(n3, -p8, p8)
        terminated = -math.cos(n0) - math.cos(n1 + n0) > 1.0
        return n0, n1, n2, n3, (0.0 if terminated else -1.0), terminated
    # PENDULUM and PENDULUM_SPARSE
    # p: max_speed, max_torque, dt, g, m, l, upright_threshold (sparse only)
    th, thdot = s0, s1
    u = np.float32(min(max(a, -p1), p1))
    angle = _angle_normalize(th)
    if task == PENDULUM:
        costs = angle**2 + 0.1 * thdot**2 + np.float64(np.float32(0.001) * (u * u))
        reward = -costs
    else:
        reward = 1.0 if abs(angle) < p6 else 0.0
    torque_term = np.float64(np.float32(3.0 / (p4 * p5**2)) * u)
    newthdot = thdot + (3 * p3 / (2 * p5) * math.sin(th) + torque_term) * p2
    newthdot = _clip(newthdot, -p0, p0)
    newth = th + newthdot * p2
    return newth, newthdot, 0.0, 0.0, reward, False


@njit(inline="always")
def observe(task, s0, s1, s2, s3):
    """Observation of a state: always six float32 slots, the first obs_dim used."""
    if task == CARTPOLE:
        return (
            np.float32(s0),
            np.float32(s1),
            np.float32(s2),
            np.float32(s3),
            np.float32(0),
            (np.float32(0)),
        )
    if task == MOUNTAIN_CAR or task == MOUNTAIN_CAR_CONTINUOUS:  # noqa: SIM109 - kept as == for the CUDA target
        z = np.float32(0)
        return np.float32(s0), np.float32(s1), z, z, z, z
    if task == ACROBOT:
        return (
            np.float32(math.cos(s0)),
            np.float32(math.sin(s0)),
            np.float32(math.cos(s1)),
            np.float32(math.sin(s1)),
            np.float32(s2),
            np.float32(s3),
        )
    z = np.float32(0)
    return np.float32(math.cos(s0)), np.float32(math.sin(s0)), np.float32(s1), z, z, z


@njit(inline="always")
def reset_state(task, r0, r1, lo0, lo1, lo2, lo3, hi0, hi1, hi2, hi3):
    """Draw a start state uniformly in [lo, hi] from the env's own stream."""
    r0, r1, u0 = uniform01(r0, r1)
    r0, r1, u1 = uniform01(r0, r1)
    r0, r1, u2 = uniform01(r0, r1)
    r0, r1, u3 = uniform01(r0, r1)
    s0 = lo0 + (hi0 - lo0) * u0
    s1 = lo1 + (hi1 - lo1) * u1
    s2 = lo2 + (hi2 - lo2) * u2
    s3 = lo3 + (hi3 - lo3) * u3
    if task == ACROBOT:
        # The reference draws the start state and stores it as float32.
        s0 = np.float64(np.float32(s0))
        s1 = np.float64(np.float32(s1))
        s2 = np.float64(np.float32(s2))
        s3 = np.float64(np.float32(s3))
    return r0, r1, s0, s1, s2, s3


def _step_row_py(
    i, task, mode, max_steps, state, act, obs, rew, term, trunc, elapsed, prev_done, rng,
    final_obs, has_final, p, lo, hi,
):  # fmt: skip
    """Advance env ``i`` by one step, with autoreset by ``mode``."""
    s0 = state[i, 0]
    s1 = state[i, 1]
    s2 = state[i, 2]
    s3 = state[i, 3]
    n_obs = obs.shape[1]
    if mode == MODE_NEXT_STEP and prev_done[i]:
        r0, r1, s0, s1, s2, s3 = reset_state(
            task, rng[i, 0], rng[i, 1], lo[0], lo[1], lo[2], lo[3], hi[0], hi[1], hi[2], hi[3]
        )
        rng[i, 0] = r0
        rng[i, 1] = r1
        reward = 0.0
        done_t = False
        done_tr = False
        elapsed[i] = 0
        prev_done[i] = False
    else:
        s0, s1, s2, s3, reward, done_t = dynamics(
            task, s0, s1, s2, s3, np.float64(act[i]),
            p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9],
        )  # fmt: skip
        e = elapsed[i] + 1
        elapsed[i] = e
        done_tr = max_steps > 0 and e >= max_steps
        if mode == MODE_NEXT_STEP:
            prev_done[i] = done_t or done_tr
        elif mode == MODE_SAME_STEP:
            if done_t or done_tr:
                f = observe(task, s0, s1, s2, s3)
                for k in range(n_obs):
                    final_obs[i, k] = f[k]
                r0, r1, s0, s1, s2, s3 = reset_state(
                    task, rng[i, 0], rng[i, 1],
                    lo[0], lo[1], lo[2], lo[3], hi[0], hi[1], hi[2], hi[3],
                )  # fmt: skip
                rng[i, 0] = r0
                rng[i, 1] = r1
                elapsed[i] = 0
                has_final[i] = True
            else:
                has_final[i] = False
    state[i, 0] = s0
    state[i, 1] = s1
    state[i, 2] = s2
    state[i, 3] = s3
    o = observe(task, s0, s1, s2, s3)
    for k in range(n_obs):
        obs[i, k] = o[k]
    rew[i] = reward
    term[i] = done_t
    trunc[i] = done_tr


def _reset_row_py(i, task, draw, state, obs, rng, elapsed, prev_done, lo, hi):
    """Reset env ``i``: draw a start state (``draw``) or keep the one set from
    outside, then write its observation."""
    if draw:
        r0, r1, s0, s1, s2, s3 = reset_state(
            task, rng[i, 0], rng[i, 1], lo[0], lo[1], lo[2], lo[3], hi[0], hi[1], hi[2], hi[3]
        )
        rng[i, 0] = r0
        rng[i, 1] = r1
        state[i, 0] = s0
        state[i, 1] = s1
        state[i, 2] = s2
        state[i, 3] = s3
        elapsed[i] = 0
        prev_done[i] = False
    o = observe(task, state[i, 0], state[i, 1], state[i, 2], state[i, 3])
    for k in range(obs.shape[1]):
        obs[i, k] = o[k]


_step_row = njit(inline="always")(_step_row_py)
_reset_row = njit(inline="always")(_reset_row_py)


# The serial kernels are compiled without NRT (Numba's reference counting): they
# allocate nothing and only borrow their array arguments, and with NRT the inlined row
# reference-counts each array argument for every env (about 170 ns per env instead of
# 20 ns). ``_nrt`` is a Numba compiler option its type stubs do not list.
_SERIAL_OPTIONS: dict[str, Any] = {"cache": CACHE, "_nrt": False}


@njit(**_SERIAL_OPTIONS)
def step_serial(
    task, mode, max_steps, state, act, obs, rew, term, trunc, elapsed, prev_done, rng,
    final_obs, has_final, p, lo, hi,
):  # fmt: skip
    for i in range(state.shape[0]):
        _step_row(
            i, task, mode, max_steps, state, act, obs, rew, term, trunc, elapsed, prev_done,
            rng, final_obs, has_final, p, lo, hi,
        )  # fmt: skip


@njit(cache=CACHE, parallel=True)
def step_parallel(
    task, mode, max_steps, state, act, obs, rew, term, trunc, elapsed, prev_done, rng,
    final_obs, has_final, p, lo, hi,
):  # fmt: skip
    for i in prange(state.shape[0]):
        _step_row(
            i, task, mode, max_steps, state, act, obs, rew, term, trunc, elapsed, prev_done,
            rng, final_obs, has_final, p, lo, hi,
        )  # fmt: skip


@njit(**_SERIAL_OPTIONS)
def reset_serial(task, draw, mask, state, obs, rng, elapsed, prev_done, lo, hi):
    for i in range(state.shape[0]):
        if mask[i]:
            _reset_row(i, task, draw, state, obs, rng, elapsed, prev_done, lo, hi)


@njit(cache=CACHE)
def first_invalid_discrete(act, n):
    """Index of the first action outside [0, n), or -1. A branch-free pass (which
    the compiler vectorizes) decides; only a batch with a bad action is searched."""
    bad = False
    for i in range(act.shape[0]):
        bad |= (act[i] < 0) | (act[i] >= n)
    if bad:
        for i in range(act.shape[0]):
            if act[i] < 0 or act[i] >= n:
                return i
    return -1


@njit(cache=CACHE)
def first_nonfinite(act):
    """Index of the first NaN or infinite action, or -1 (a branch-free pass first,
    as in :func:`first_invalid_discrete`)."""
    bad = False
    for i in range(act.shape[0]):
        bad |= not np.isfinite(act[i])
    if bad:
        for i in range(act.shape[0]):
            if not np.isfinite(act[i]):
                return i
    return -1


CPU_KERNELS = (step_serial, step_parallel, reset_serial, first_invalid_discrete, first_nonfinite)
