"""Distances between reward functions of a finite MDP: EPIC and STARC.

Two reward functions can look different entry by entry and still induce the same
optimal policies in every environment with the same states and actions: potential
shaping (Ng, Harada and Russell 1999) adds ``gamma * Phi(s') - Phi(s)``, and a positive
rescaling (or, in infinite-horizon tasks, a constant shift) changes no preference
between policies. The distances here first map each reward to a
*canonical* form that removes shaping, then compare canonical forms in a way that
ignores positive scale. Both are pseudometrics: symmetric, zero on equivalent rewards,
and obeying the triangle inequality.

Rewards are dense float arrays ``R[s, a, s']`` of shape ``(S, A, S)``; probability
vectors and tensors are NumPy arrays as well. Everything is NumPy only.

EPIC
----
*Equivalent-Policy Invariant Comparison*, from A. Gleave, M. Dennis, S. Legg,
S. Russell and J. Leike, "Quantifying Differences in Reward Functions", ICLR 2021
(arXiv:2006.13900).

Canonicalisation (:func:`epic_canonicalize`), with ``S, S' ~ D_S`` and ``A ~ D_A``
independent::

    C(R)(s, a, s') = R(s, a, s') + E[gamma R(s', A, S') - R(s, A, S') - gamma R(S, A, S')]

In array terms, with ``m(x) = sum_{a, y} D_A(a) D_S(y) R(x, a, y)`` and
``M = sum_x D_S(x) m(x)``: ``C = R + gamma m(s') - m(s) - gamma M``. ``C`` is linear in
``R``, removes any potential shaping and any constant exactly (for any ``D_S``,
``D_A``), and is idempotent. ``D_S`` and ``D_A`` default to uniform distributions.
EPIC needs no transition model, so ``gamma = 1`` is allowed here.

Distance (:func:`epic_distance`): the Pearson distance of the canonical rewards
under a coverage distribution ``D`` over transitions ``(s, a, s')`` (default uniform
over all ``S * A * S`` triples)::

    D_EPIC(R1, R2) = D_rho(C(R1), C(R2)) = sqrt((1 - rho) / 2),

where ``rho`` is the Pearson correlation of ``C(R1)`` and ``C(R2)`` with each triple
weighted by ``D``. It lies in ``[0, 1]``: 0 for equivalent rewards, 1 for ``R`` against
``-R``. It is computed in the equal form ``||Z1 - Z2|| / 2``, with ``Z = (C - mean) / std``
the standardised canonical reward and ``||.||`` the ``D``-weighted L2 norm. That form
does not lose half the digits near ``rho = 1`` as the square root of ``1 - rho`` does.

*Constant rewards.* A reward whose canonical form has zero variance under ``D``
(a constant, a pure potential shaping, zero) has no defined correlation. By
convention its standardised form is ``Z = 0``, the centre of the sphere on which
every other ``Z`` lies; hence the distance between two such rewards is 0, and between
one of them and any non-constant reward it is 0.5, half the maximum, halfway between
``R`` and ``-R`` (in the ``rho`` formula this is ``rho = 1/2``; taking ``rho = 0`` would
give ``sqrt(1/2)`` instead). STARC's zero canonical reward, which normalises to 0,
behaves the same way (distance 1, half its maximum 2). As a distance between points
``Z``, the convention keeps the triangle inequality. "Zero variance" means a standard
deviation of at most ``ZERO_RTOL * max|R|``.

STARC
-----
*STAndardised Reward Comparison*, from J. Skalse, L. Farnik, S. R. Motwani,
E. Jenner, A. Gleave and A. Abate, "STARC: A General Framework For Quantifying
Differences Between Reward Functions", ICLR 2024 (arXiv:2309.15257).

Canonicalisation (:func:`starc_canonicalize`), the *value-adjusted levelling* for a
fixed reference policy ``pi`` (default: uniform random) and the transition tensor
``tau = T[s, a, s']``::

    c(R)(s, a, s') = E_{S' ~ tau(s, a)}[R(s, a, S') - V^pi(s) + gamma V^pi(S')],

where ``V^pi`` is the value function of ``pi`` under ``R``, the solution of
``(I - gamma P_pi) V = r_pi`` with ``P_pi[s, s'] = sum_a pi(a|s) T[s, a, s']`` and
``r_pi[s] = sum_{a, s'} pi(a|s) T[s, a, s'] R[s, a, s']`` (:func:`numpy.linalg.solve`).
``c(R)(s, a, s')`` is the advantage ``A^pi(s, a) = Q^pi(s, a) - V^pi(s)`` and does not
depend on ``s'``; the array returned repeats it along the last axis. It is linear in
``R`` and is 0 for every potential shaping. ``gamma`` must be in ``[0, 1)``: with
``gamma = 1`` the matrix ``I - P_pi`` is singular (a stochastic matrix has eigenvalue 1)
and ``V^pi`` is not defined.

Normalisation: ``s(R) = c(R) / n(c(R))`` for a norm ``n`` over all ``(s, a, s')``
entries: ``"l2"`` (default), ``"l1"`` or ``"linf"``, each optionally weighted by
non-negative ``weights[s, a, s']`` (``sum w |x|``, ``sqrt(sum w x^2)``, and the
maximum of ``|x|`` over entries with ``w > 0``).

Distance (:func:`starc_distance`): ``D_STARC(R1, R2) = n(s(R1) - s(R2))``, in ``[0, 2]``
by the triangle inequality; 2 is reached for ``R`` against ``-R``.

*Zero canonical form.* A reward with ``c(R) = 0`` (a pure shaping, a constant, any
reward of an MDP with one action) normalises to 0, as in the paper. Its distance to
another such reward is 0, and to any other reward 1 (the norm of a unit vector).
"Zero" means ``max|c(R)| <= ZERO_RTOL * max|R| / (1 - gamma)``, the scale of ``V^pi``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ZERO_RTOL",
    "Norm",
    "epic_canonicalize",
    "epic_distance",
    "starc_canonicalize",
    "starc_distance",
]

FloatArray = NDArray[np.float64]
Norm = Literal["l1", "l2", "linf"]

#: Relative tolerance under which a canonical reward counts as constant (EPIC) or
#: zero (STARC); see the module docstring for the scale it is relative to.
ZERO_RTOL = 1e-11

_SUM_ATOL = 1e-8  # how far a probability vector's sum may be from 1
_NORMS: tuple[str, ...] = ("l1", "l2", "linf")


# --------------------------------------------------------------------------------------
# validation


def _reward(r: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(r, dtype=np.float64)
    if arr.ndim != 3:
        raise ValueError(f"{name} must be a 3-D array R[s, a, s'], got shape {arr.shape}")
    n_s, n_a, n_s2 = arr.shape
    if n_s != n_s2:
        raise ValueError(
            f"{name} must have shape (S, A, S) with the same number of states on axes 0 "
            f"and 2, got {arr.shape}"
        )
    if n_s == 0 or n_a == 0:
        raise ValueError(f"{name} needs at least one state and one action, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def _pair(r1: ArrayLike, r2: ArrayLike) -> tuple[FloatArray, FloatArray]:
    a, b = _reward(r1, "r1"), _reward(r2, "r2")
    if a.shape != b.shape:
        raise ValueError(f"r1 and r2 must have the same shape, got {a.shape} and {b.shape}")
    return a, b


def _gamma(gamma: float, *, solves_values: bool) -> float:
    g = float(gamma)
    if solves_values:
        if not 0.0 <= g < 1.0:
            raise ValueError(
                f"gamma must be in [0, 1), got {gamma}: STARC solves (I - gamma P_pi) V = r_pi "
                "for the value function V^pi, and at gamma = 1 that matrix is singular (the "
                "stochastic matrix P_pi has eigenvalue 1), so V^pi is not defined"
            )
    elif not 0.0 <= g <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")
    return g


def _distribution(p: ArrayLike | None, shape: tuple[int, ...], name: str) -> FloatArray:
    """A probability vector (or, with 2-D ``shape``, a row-stochastic matrix)."""
    if p is None:
        return np.full(shape, 1.0 / shape[-1])
    arr = np.asarray(p, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0.0):
        raise ValueError(f"{name} must be finite and non-negative")
    sums = arr.sum(axis=-1)
    if not np.allclose(sums, 1.0, rtol=0.0, atol=_SUM_ATOL):
        what = "each row of " + name if arr.ndim > 1 else name
        raise ValueError(f"{what} must sum to 1, got sums {np.round(sums, 10)}")
    return arr


def _weights(w: ArrayLike | None, shape: tuple[int, ...], name: str) -> FloatArray:
    """Non-negative weights over all ``(s, a, s')``, normalised to sum 1."""
    if w is None:
        return np.full(shape, 1.0 / float(np.prod(shape)))
    arr = np.asarray(w, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape} like the rewards, got {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0.0):
        raise ValueError(f"{name} must be finite and non-negative")
    total = float(arr.sum())
    if total <= 0.0:
        raise ValueError(f"{name} must have a positive sum")
    return arr / total


def _transitions(t: ArrayLike, shape: tuple[int, ...]) -> FloatArray:
    arr = np.asarray(t, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(
            f"transitions must have shape {shape} (T[s, a, s'], like the rewards), got {arr.shape}"
        )
    if not np.all(np.isfinite(arr)) or np.any(arr < 0.0):
        raise ValueError("transitions must be finite and non-negative")
    sums = arr.sum(axis=2)
    if not np.allclose(sums, 1.0, rtol=0.0, atol=_SUM_ATOL):
        bad = np.argwhere(~np.isclose(sums, 1.0, rtol=0.0, atol=_SUM_ATOL))[0]
        s, a = (int(i) for i in bad)
        raise ValueError(
            "each row T[s, a, :] of transitions must sum to 1, "
            f"got {sums[s, a]!r} at (s, a) = ({s}, {a})"
        )
    return arr


# --------------------------------------------------------------------------------------
# EPIC


def _epic_canonical(r: FloatArray, gamma: float, d_s: FloatArray, d_a: FloatArray) -> FloatArray:
    # m(x) = E_{A ~ D_A, S' ~ D_S}[R(x, A, S')]; M = E_{S ~ D_S}[m(S)].
    m = np.einsum("xay,a,y->x", r, d_a, d_s)
    big_m = float(d_s @ m)
    out: FloatArray = r + gamma * m[None, None, :] - m[:, None, None] - gamma * big_m
    return out


def epic_canonicalize(
    r: ArrayLike,
    gamma: float,
    state_dist: ArrayLike | None = None,
    action_dist: ArrayLike | None = None,
) -> FloatArray:
    """EPIC canonical reward ``C(R)`` of shape ``(S, A, S)`` (Gleave et al. 2021).

    ``C(R)(s, a, s') = R(s, a, s') + E[gamma R(s', A, S') - R(s, A, S') - gamma R(S, A, S')]``
    with ``S, S' ~ state_dist`` and ``A ~ action_dist`` independent (uniform by default).
    ``gamma`` is in ``[0, 1]``.
    """
    arr = _reward(r, "r")
    n_s, n_a, _ = arr.shape
    g = _gamma(gamma, solves_values=False)
    d_s = _distribution(state_dist, (n_s,), "state_dist")
    d_a = _distribution(action_dist, (n_a,), "action_dist")
    return _epic_canonical(arr, g, d_s, d_a)


def _standardise(c: FloatArray, w: FloatArray, scale: float) -> FloatArray:
    """``(c - mean) / std`` under weights ``w``; zero when the std is (relatively) zero."""
    centred = c - float(np.sum(w * c))
    std = float(np.sqrt(np.sum(w * centred * centred)))
    if std <= ZERO_RTOL * scale:
        return np.zeros_like(c)
    out: FloatArray = centred / std
    return out


def epic_distance(
    r1: ArrayLike,
    r2: ArrayLike,
    gamma: float,
    *,
    state_dist: ArrayLike | None = None,
    action_dist: ArrayLike | None = None,
    coverage: ArrayLike | None = None,
) -> float:
    """EPIC distance ``sqrt((1 - rho) / 2)`` of the canonical rewards, in ``[0, 1]``.

    ``rho`` is their Pearson correlation under ``coverage`` (weights over ``(s, a, s')``,
    normalised here; uniform by default). A reward with constant canonical form is at
    distance 0 from another such reward and 0.5 from any other (its standardised form
    is taken as 0; see the module docstring).
    """
    a, b = _pair(r1, r2)
    n_s, n_a, _ = a.shape
    g = _gamma(gamma, solves_values=False)
    d_s = _distribution(state_dist, (n_s,), "state_dist")
    d_a = _distribution(action_dist, (n_a,), "action_dist")
    w = _weights(coverage, a.shape, "coverage")
    z1 = _standardise(_epic_canonical(a, g, d_s, d_a), w, float(np.max(np.abs(a))))
    z2 = _standardise(_epic_canonical(b, g, d_s, d_a), w, float(np.max(np.abs(b))))
    diff = z1 - z2
    dist = 0.5 * float(np.sqrt(np.sum(w * diff * diff)))
    return min(dist, 1.0)


# --------------------------------------------------------------------------------------
# STARC


def _starc_canonical(r: FloatArray, t: FloatArray, gamma: float, pi: FloatArray) -> FloatArray:
    n_s = r.shape[0]
    r_sa = np.einsum("sat,sat->sa", t, r)  # E_{S' ~ T(s, a)} R(s, a, S')
    p_pi = np.einsum("sa,sat->st", pi, t)
    r_pi = np.einsum("sa,sa->s", pi, r_sa)
    v = np.linalg.solve(np.eye(n_s) - gamma * p_pi, r_pi)
    adv = r_sa - v[:, None] + gamma * (t @ v)  # Q^pi(s, a) - V^pi(s)
    out: FloatArray = np.repeat(adv[:, :, None], n_s, axis=2)
    return out


def starc_canonicalize(
    r: ArrayLike,
    transitions: ArrayLike,
    gamma: float,
    policy: ArrayLike | None = None,
) -> FloatArray:
    """STARC value-adjusted levelling ``c(R)`` of shape ``(S, A, S)`` (Skalse et al. 2024).

    ``c(R)(s, a, s') = E_{S' ~ T(s, a)}[R(s, a, S') - V^pi(s) + gamma V^pi(S')]``, the
    advantage of ``policy`` (``pi[s, a]``, rows summing to 1; uniform by default),
    repeated along the last axis. ``gamma`` is in ``[0, 1)`` so that ``V^pi`` exists.
    """
    arr = _reward(r, "r")
    n_s, n_a, _ = arr.shape
    g = _gamma(gamma, solves_values=True)
    t = _transitions(transitions, arr.shape)
    pi = _distribution(policy, (n_s, n_a), "policy")
    return _starc_canonical(arr, t, g, pi)


def _norm(x: FloatArray, w: FloatArray, kind: str) -> float:
    if kind == "l2":
        return float(np.sqrt(np.sum(w * x * x)))
    if kind == "l1":
        return float(np.sum(w * np.abs(x)))
    return float(np.max(np.abs(x), where=w > 0.0, initial=0.0))


def _normalise(c: FloatArray, w: FloatArray, kind: str, scale: float) -> FloatArray:
    size = _norm(c, w, kind)
    if float(np.max(np.abs(c))) <= ZERO_RTOL * scale or size == 0.0:
        return np.zeros_like(c)
    out: FloatArray = c / size
    return out


def starc_distance(
    r1: ArrayLike,
    r2: ArrayLike,
    transitions: ArrayLike,
    gamma: float,
    *,
    policy: ArrayLike | None = None,
    norm: Norm = "l2",
    weights: ArrayLike | None = None,
) -> float:
    """STARC distance ``n(c(R1) / n(c(R1)) - c(R2) / n(c(R2)))``, in ``[0, 2]``.

    ``c`` is :func:`starc_canonicalize` for ``transitions`` ``T[s, a, s']`` and ``policy``;
    ``n`` is the ``norm`` (``"l2"``, ``"l1"`` or ``"linf"``) over all ``(s, a, s')``
    entries, weighted by ``weights`` (non-negative, shape ``(S, A, S)``; uniform by
    default). A reward with ``c(R) = 0`` normalises to 0: it is at distance 0 from
    another such reward and 1 from any other.
    """
    a, b = _pair(r1, r2)
    n_s, n_a, _ = a.shape
    g = _gamma(gamma, solves_values=True)
    t = _transitions(transitions, a.shape)
    pi = _distribution(policy, (n_s, n_a), "policy")
    if norm not in _NORMS:
        raise ValueError(f"norm must be one of {', '.join(_NORMS)}, got {norm!r}")
    w = _weights(weights, a.shape, "weights")
    horizon = 1.0 / (1.0 - g)
    n1 = _normalise(_starc_canonical(a, t, g, pi), w, norm, float(np.max(np.abs(a))) * horizon)
    n2 = _normalise(_starc_canonical(b, t, g, pi), w, norm, float(np.max(np.abs(b))) * horizon)
    return min(_norm(n1 - n2, w, norm), 2.0)
