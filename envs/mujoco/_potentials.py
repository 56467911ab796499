"""Compiled counterparts of the MuJoCo tasks' potentials, for fused reward kernels.

Each task module exports its potentials as NumPy functions of a batch of observations
and attaches these as ``potential.numba``: a batch kernel ``numba(obs, out)`` with
``obs`` of shape ``(B, obs_dim)`` and ``out`` float64 ``(B,)``, computing the NumPy
function's formula operation by operation at its default parameters (square roots
are correctly rounded, so the results are equal bit for bit).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from rewardgym._numba import cache_enabled

_CACHE = cache_enabled(__file__)
#: ``damped_neg_distance``'s default damping (seconds).
POINT_DAMPING = 0.5


@njit(cache=_CACHE)
def point_neg_distance_numba(obs: Any, out: Any) -> None:  # pragma: no cover - compiled
    """PointReach ``neg_distance``: -|goal - puck| from obs[4:6]."""
    for i in range(obs.shape[0]):
        dx, dy = np.float64(obs[i, 4]), np.float64(obs[i, 5])
        out[i] = -math.sqrt(dx * dx + dy * dy)


@njit(cache=_CACHE)
def point_damped_neg_distance_numba(obs: Any, out: Any) -> None:  # pragma: no cover
    """PointReach ``damped_neg_distance`` (damping 0.5 s)."""
    for i in range(obs.shape[0]):
        dx, dy = np.float64(obs[i, 4]), np.float64(obs[i, 5])
        vx, vy = np.float64(obs[i, 2]), np.float64(obs[i, 3])
        out[i] = -(math.sqrt(dx * dx + dy * dy) + POINT_DAMPING * math.sqrt(vx * vx + vy * vy))


@njit(cache=_CACHE)
def reacher_neg_distance_numba(obs: Any, out: Any) -> None:  # pragma: no cover - compiled
    """ReacherSparse ``neg_distance``: -|tip - target| from obs[8:10]."""
    for i in range(obs.shape[0]):
        dx, dy = np.float64(obs[i, 8]), np.float64(obs[i, 9])
        out[i] = -math.sqrt(dx * dx + dy * dy)
