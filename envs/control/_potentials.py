"""Compiled versions of the control tasks' potentials, for fused reward kernels.

Each task module exports its potentials as NumPy functions of a batch of observations
(``env.unwrapped.potentials``); this module holds their Numba counterparts, attached
to them as ``potential.numba``. A counterpart is a batch kernel ``numba(obs, out)``:
``obs`` of shape ``(B, obs_dim)`` (any real dtype), ``out`` float64 ``(B,)``, with the
NumPy function's formula operation by operation (at the functions' default
parameters). Results equal the NumPy functions' exactly, except that transcendental
functions may differ in the last bits: :func:`_cos` is a polynomial the compiler
vectorizes (within 2 ulp of libm's ``cos``, which is a scalar call of about 8 ns per
value here, as NumPy's ``np.cos`` on float64 is), and ``sin``/``atan2`` are libm's.

Kernels and the helpers they inline live in this one module: an edited helper in
another module would not invalidate a cached kernel.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from typing import Any

import numpy as np
from numba import njit, prange

from rewardgym._numba import cache_enabled

from .core import _mark_parallel_used, parallel_allowed

_CACHE = cache_enabled(__file__)
#: Batches at least this large take the parallel kernels.
PARALLEL_MIN_ROWS = 2048


def _half_pi_parts() -> tuple[float, float, float]:
    """pi/2 = C1 + C2 + C3 with C1, C2 of 33 significant bits, so that ``k * C1`` and
    ``k * C2`` are exact for ``|k| < 2**20`` (Cody and Waite's range reduction)."""
    with localcontext() as ctx:
        ctx.prec = 60
        half = Decimal("3.14159265358979323846264338327950288419716939937510582097494") / 2
        parts = []
        rest = half
        for _ in range(2):
            mantissa, exponent = math.frexp(float(rest))
            part = math.ldexp(math.floor(mantissa * 2.0**33) / 2.0**33, exponent)
            parts.append(part)
            rest -= Decimal(part)
        return parts[0], parts[1], float(rest)


_PIO2_HI, _PIO2_MID, _PIO2_LO = _half_pi_parts()
_TWO_OVER_PI = 2.0 / math.pi
_ROUND = 6755399441055744.0  # 1.5 * 2**52: x + _ROUND - _ROUND rounds x to an integer
_REDUCIBLE = 1.0e5  # |x| below this: three-part reduction exact to well under an ulp
# Taylor coefficients of cos and sin on |r| <= pi/4 (the next terms are below 1e-17).
_COS = tuple((-1.0) ** k / math.factorial(2 * k) for k in range(1, 10))
_SIN = tuple((-1.0) ** k / math.factorial(2 * k + 1) for k in range(1, 10))
_C0, _C1, _C2, _C3, _C4, _C5, _C6, _C7, _C8 = _COS
_S0, _S1, _S2, _S3, _S4, _S5, _S6, _S7, _S8 = _SIN


@njit(cache=_CACHE, inline="always")
def _cos_reduced(x: float) -> float:  # pragma: no cover - compiled
    """cos(x) for |x| < _REDUCIBLE, branch-free: x = k pi/2 + r, |r| <= pi/4, then
    +-cos(r) or +-sin(r) by the quadrant k mod 4."""
    k = (x * _TWO_OVER_PI + _ROUND) - _ROUND
    r = ((x - k * _PIO2_HI) - k * _PIO2_MID) - k * _PIO2_LO
    z = r * r
    pc = _C8
    pc = pc * z + _C7
    pc = pc * z + _C6
    pc = pc * z + _C5
    pc = pc * z + _C4
    pc = pc * z + _C3
    pc = pc * z + _C2
    pc = pc * z + _C1
    pc = pc * z + _C0
    c = pc * z + 1.0
    ps = _S8
    ps = ps * z + _S7
    ps = ps * z + _S6
    ps = ps * z + _S5
    ps = ps * z + _S4
    ps = ps * z + _S3
    ps = ps * z + _S2
    ps = ps * z + _S1
    ps = ps * z + _S0
    s = r + r * (ps * z)
    q = np.int64(k) & 3
    v = s if q & 1 else c
    return -v if (q + 1) & 2 else v


_BLOCK = 512


@njit(cache=_CACHE)
def _upright_rows(
    obs: Any, lo: int, hi: int, out: Any, col: Any
) -> None:  # pragma: no cover - compiled
    """out[i] = cos(obs[i, 2]) for i in lo..hi-1 (``col``: scratch of hi - lo values):
    the vectorized polynomial, then libm's cos for the rare values outside its range
    (huge, infinite or NaN)."""
    # Slices indexed from 0: a loop index starting at a runtime value may be negative
    # for all the compiler knows, and its wraparound checks stop vectorization.
    o, res = obs[lo:hi], out[lo:hi]
    m = o.shape[0]
    outside = 0
    for i in range(m):
        x = np.float64(o[i, 2])
        col[i] = x
        outside += not abs(x) < _REDUCIBLE
    for i in range(m):
        x = col[i]
        res[i] = _cos_reduced(x if abs(x) < _REDUCIBLE else 0.0)
    if outside:
        for i in range(m):
            if not abs(col[i]) < _REDUCIBLE:
                res[i] = math.cos(col[i])


@njit(cache=_CACHE)
def _upright_serial(obs: Any, out: Any) -> None:  # pragma: no cover - compiled
    n = obs.shape[0]
    col = np.empty(_BLOCK)
    for b in range((n + _BLOCK - 1) // _BLOCK):
        _upright_rows(obs, b * _BLOCK, min(n, b * _BLOCK + _BLOCK), out, col)


@njit(cache=_CACHE, parallel=True)
def _upright_parallel(obs: Any, out: Any) -> None:  # pragma: no cover - compiled
    n = obs.shape[0]
    for b in prange((n + _BLOCK - 1) // _BLOCK):
        col = np.empty(_BLOCK)
        _upright_rows(obs, b * _BLOCK, min(n, b * _BLOCK + _BLOCK), out, col)


def upright_numba(obs: np.ndarray, out: np.ndarray) -> None:
    """CartPole ``upright``: cos(theta), into ``out``."""
    if obs.shape[0] >= PARALLEL_MIN_ROWS and parallel_allowed():
        _mark_parallel_used()
        _upright_parallel(obs, out)
    else:
        _upright_serial(obs, out)


@njit(cache=_CACHE)
def centering_numba(obs: Any, out: Any) -> None:  # pragma: no cover - compiled
    """CartPole ``centering``: -|x| / 2.4, into ``out``."""
    for i in range(obs.shape[0]):
        out[i] = -abs(np.float64(obs[i, 0])) / 2.4


@njit(cache=_CACHE)
def tip_height_numba(obs: Any, out: Any) -> None:  # pragma: no cover - compiled
    """Acrobot ``tip_height``: -cos(t1) - cos(t1 + t2) from the observed cosines and
    sines, into ``out``."""
    for i in range(obs.shape[0]):
        c1, s1 = np.float64(obs[i, 0]), np.float64(obs[i, 1])
        c2, s2 = np.float64(obs[i, 2]), np.float64(obs[i, 3])
        out[i] = -c1 - (c1 * c2 - s1 * s2)


@njit(cache=_CACHE)
def height_numba(obs: Any, out: Any) -> None:  # pragma: no cover - compiled
    """MountainCar ``height``: sin(3x) * 0.45 + 0.55, into ``out``."""
    for i in range(obs.shape[0]):
        out[i] = math.sin(3 * np.float64(obs[i, 0])) * 0.45 + 0.55


_MC_GRAVITY_THIRD = 0.0025 / 3.0


@njit(cache=_CACHE)
def mechanical_energy_numba(obs: Any, out: Any) -> None:  # pragma: no cover - compiled
    """MountainCar ``mechanical_energy`` (gravity 0.0025): v^2 / 2 + g / 3 sin(3x)."""
    for i in range(obs.shape[0]):
        x, v = np.float64(obs[i, 0]), np.float64(obs[i, 1])
        out[i] = 0.5 * (v * v) + _MC_GRAVITY_THIRD * math.sin(3 * x)


@njit(cache=_CACHE)
def angle_cost_numba(obs: Any, out: Any) -> None:  # pragma: no cover - compiled
    """Pendulum ``angle_cost``: -theta^2, theta = atan2(sin, cos), into ``out``."""
    for i in range(obs.shape[0]):
        theta = math.atan2(np.float64(obs[i, 1]), np.float64(obs[i, 0]))
        out[i] = -(theta * theta)


# energy(obs) at its defaults g = 10, m = 1, l = 1, with the NumPy function's grouping.
_KINETIC = 0.5 * 1.0 * 1.0**2 / 3.0
_POTENTIAL = 1.0 * 10.0 * 1.0 / 2.0


@njit(cache=_CACHE)
def energy_numba(obs: Any, out: Any) -> None:  # pragma: no cover - compiled
    """Pendulum ``energy`` (g = 10, m = 1, l = 1), into ``out``."""
    for i in range(obs.shape[0]):
        cos_th, thdot = np.float64(obs[i, 0]), np.float64(obs[i, 2])
        out[i] = _KINETIC * (thdot * thdot) + _POTENTIAL * (cos_th - 1.0)
