"""Solvers for two-player normal-form games: Nash equilibria, the risk-averse
equilibrium (RAE) and the meta-solvers PSRO uses.

Conventions: ``A`` is the row player's payoff matrix and ``B`` the column player's,
both of shape ``(n, m)`` (row ``i``, column ``j``); a strategy pair is ``(p, q)``
with ``p`` a distribution over the ``n`` rows and ``q`` over the ``m`` columns.
Stochastic payoffs enter through their per-cell second moments ``A2 = E[X_ij^2]``
(and ``B2``); without them each cell is treated as deterministic (``A2 = A**2``).

Nash equilibria
---------------
:func:`nash_equilibria` solves constant-sum games (``A + B`` constant) by linear
programming (:func:`zero_sum_value`) and general-sum games by support enumeration
(:func:`support_enumeration`; every equilibrium of a nondegenerate game), falling
back to Lemke-Howson from every starting label (:func:`lemke_howson`) when the
game is degenerate and enumeration finds none, or when it is too large to enumerate.

Risk-averse equilibrium (Slumbers et al., ICML 2023)
----------------------------------------------------
Against an opponent mix ``q`` the row player's pure strategies have means
``mu = A q`` and covariance ``Sigma(q)[k, l] = sum_b q_b (A[k,b] - mu_k)(A[l,b] - mu_l)``.
A risk-averse player with weight ``gamma`` picks ``p = argmax p.mu - gamma p^T
Sigma(q) p`` over the simplex (:func:`mean_variance_best_response`).
:func:`risk_averse_equilibrium` runs smoothed fictitious play on these best
responses.

Stochastic cells (a meta-game's Monte-Carlo entries, catastrophe games) add their
expected within-cell variance ``w_k = sum_b q_b (A2[k,b] - A[k,b]^2)`` as a cost
linear in ``p``: ``p.mu - gamma (p^T Sigma(q) p + p.w)``. Linear, because playing a
mixed strategy picks one pure strategy per game, so a cell's noise is not averaged
away by mixing (the law of total variance); for a pure strategy the two terms sum to
its payoff variance against ``q``.

>>> import numpy as np
>>> from rewardgym.agents.games import nash_equilibria, risk_averse_equilibrium
>>> A = np.array([[4.0, 0.0], [3.0, 3.0]])  # stag hunt: row payoffs (Stag, Hare)
>>> len(nash_equilibria(A, A.T))  # (Stag, Stag), (Hare, Hare) and one mixed
3
>>> p, q = risk_averse_equilibrium(A, A.T, gamma=1.0, init=([0.9, 0.1], [0.9, 0.1]))
>>> np.round(p, 2), np.round(q, 2)  # the risk-dominant (Hare, Hare)
(array([0., 1.]), array([0., 1.]))
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numba import njit

from rewardgym._numba import cache_enabled

__all__ = [
    "META_SOLVERS",
    "MetaSolver",
    "get_meta_solver",
    "is_constant_sum",
    "lemke_howson",
    "mean_variance_best_response",
    "nash_equilibria",
    "payoff_covariance",
    "profile_moments",
    "replicator_dynamics",
    "risk_averse_equilibrium",
    "support_enumeration",
    "zero_sum_value",
]

CACHE = cache_enabled(__file__)

Strategy = np.ndarray
Profile = tuple[np.ndarray, np.ndarray]
#: A meta-solver maps (A, B, A2, B2) to a strategy pair; A2, B2 may be None.
MetaSolver = Callable[[np.ndarray, np.ndarray, "np.ndarray | None", "np.ndarray | None"], Profile]


def _matrices(A: Any, B: Any | None) -> tuple[np.ndarray, np.ndarray]:
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2 or A.size == 0:
        raise ValueError(f"A must be a non-empty 2-d payoff matrix, got shape {A.shape}")
    B = -A if B is None else np.asarray(B, dtype=np.float64)
    if B.shape != A.shape:
        raise ValueError(
            f"A and B must have the same shape (rows x columns), got {A.shape} and {B.shape}; "
            "B is the column player's payoff, not its transpose"
        )
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(B))):
        raise ValueError("payoff matrices must be finite")
    return A, B


def _distribution(x: Any, size: int, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if x.shape != (size,) or np.any(x < 0) or x.sum() <= 0:
        raise ValueError(f"{what} must be {size} non-negative weights, got {x}")
    return x / x.sum()


def is_constant_sum(A: Any, B: Any, tol: float = 1e-9) -> bool:
    """Whether ``A + B`` is the same in every cell (a zero-sum game up to a constant)."""
    s = np.asarray(A, dtype=np.float64) + np.asarray(B, dtype=np.float64)
    return bool(np.ptp(s) <= tol * max(1.0, float(np.abs(s).max())))


# -- zero-sum: linear programming ----------------------------------------------------------


def zero_sum_value(A: Any) -> tuple[float, np.ndarray, np.ndarray]:
    """Value and maximin strategies of the zero-sum game where the row player gets
    ``A`` and the column player ``-A``, by two linear programs.

    >>> v, p, q = zero_sum_value([[1, -1], [-1, 1]])  # matching pennies
    >>> abs(v) < 1e-9, p.round(3), q.round(3)
    (True, array([0.5, 0.5]), array([0.5, 0.5]))
    """
    from scipy.optimize import linprog

    A, _ = _matrices(A, None)

    def maximin(M: np.ndarray) -> tuple[float, np.ndarray]:
        # max v s.t. (M^T x)_j >= v for all j, sum x = 1, x >= 0; variables (x, v)
        rows, cols = M.shape
        c = np.zeros(rows + 1)
        c[-1] = -1.0
        a_ub = np.hstack([-M.T, np.ones((cols, 1))])
        a_eq = np.hstack([np.ones((1, rows)), np.zeros((1, 1))])
        bounds = [(0.0, None)] * rows + [(None, None)]
        res = linprog(c, A_ub=a_ub, b_ub=np.zeros(cols), A_eq=a_eq, b_eq=[1.0], bounds=bounds)
        if res.status != 0:  # pragma: no cover - the LP of a finite game is always feasible
            raise RuntimeError(f"linear program failed: {res.message}")
        x = np.clip(res.x[:rows], 0.0, None)
        return float(res.x[-1]), x / x.sum()

    value, p = maximin(A)
    _, q = maximin(-A.T)
    return value, p, q


# -- general-sum: support enumeration and Lemke-Howson ----------------------------------


def _indifferent_mix(M: np.ndarray, tol: float) -> np.ndarray | None:
    """The distribution x over M's columns making every row of ``M x`` equal, if it
    exists, is unique and is non-negative."""
    k = M.shape[0]
    system = np.zeros((k + 1, k + 1))
    system[:k, :k] = M
    system[:k, k] = -1.0
    system[k, :k] = 1.0
    rhs = np.zeros(k + 1)
    rhs[k] = 1.0
    try:
        sol = np.linalg.solve(system, rhs)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(sol)) or np.linalg.cond(system) > 1e12:
        return None
    x = sol[:k]
    if np.any(x < -tol):
        return None
    x = np.clip(x, 0.0, None)
    return x / x.sum()


def _is_equilibrium(A: np.ndarray, B: np.ndarray, p: np.ndarray, q: np.ndarray, tol: float) -> bool:
    scale = max(1.0, float(np.abs(A).max()), float(np.abs(B).max()))
    u, w = A @ q, p @ B
    return bool(u.max() <= p @ u + tol * scale and w.max() <= w @ q + tol * scale)


def _add_unique(found: list[Profile], p: np.ndarray, q: np.ndarray, tol: float = 1e-7) -> None:
    for a, b in found:
        if np.allclose(a, p, atol=tol) and np.allclose(b, q, atol=tol):
            return
    found.append((p, q))


def _support_pairs(n: int, m: int) -> int:
    return sum(math.comb(n, k) * math.comb(m, k) for k in range(1, min(n, m) + 1))


def support_enumeration(A: Any, B: Any, *, tol: float = 1e-9) -> list[Profile]:
    """Every Nash equilibrium of a nondegenerate bimatrix game, by enumerating
    equal-size support pairs and solving the indifference conditions.

    In a degenerate game it returns the equilibria whose supports have equal size
    and give a unique indifferent mix (possibly none); :func:`nash_equilibria`
    then falls back to :func:`lemke_howson`.
    """
    A, B = _matrices(A, B)
    n, m = A.shape
    found: list[Profile] = []
    for k in range(1, min(n, m) + 1):
        for rows in itertools.combinations(range(n), k):
            for cols in itertools.combinations(range(m), k):
                ix = np.ix_(rows, cols)
                qs = _indifferent_mix(A[ix], tol)
                if qs is None:
                    continue
                ps = _indifferent_mix(B[ix].T, tol)
                if ps is None:
                    continue
                p, q = np.zeros(n), np.zeros(m)
                p[list(rows)], q[list(cols)] = ps, qs
                if _is_equilibrium(A, B, p, q, 1e-7):
                    _add_unique(found, p, q)
    return found


def _lex_min_ratio(T: np.ndarray, col: int, key_cols: np.ndarray, tol: float) -> int:
    """Row of the lexicographic minimum-ratio test for entering column ``col``."""
    rows = np.flatnonzero(T[:, col] > tol)
    if rows.size == 0:  # pragma: no cover - cannot happen with positive payoffs
        raise RuntimeError("Lemke-Howson: unbounded pivot; the payoffs must be finite")
    for key in [T.shape[1] - 1, *key_cols]:
        ratios = T[rows, key] / T[rows, col]
        best = ratios.min()
        rows = rows[ratios <= best + tol * max(1.0, abs(best))]
        if rows.size == 1:
            break
    return int(rows[0])


def _pivot(T: np.ndarray, basis: list[int], row: int, col: int) -> int:
    leaving = basis[row]
    T[row] /= T[row, col]
    for r in range(T.shape[0]):
        if r != row and T[r, col] != 0.0:
            T[r] -= T[r, col] * T[row]
    basis[row] = col
    return leaving


def lemke_howson(
    A: Any, B: Any, initial_label: int = 0, *, max_pivots: int = 10_000, tol: float = 1e-12
) -> Profile:
    """One Nash equilibrium by the Lemke-Howson algorithm, dropping ``initial_label``
    (``0..n-1`` a row strategy, ``n..n+m-1`` a column strategy) from the artificial
    equilibrium. The lexicographic ratio test keeps it finite in degenerate games.

    >>> p, q = lemke_howson([[4, 0], [3, 3]], [[4, 3], [0, 3]], initial_label=0)
    >>> p.tolist(), q.tolist()
    ([1.0, 0.0], [1.0, 0.0])
    """
    A, B = _matrices(A, B)
    n, m = A.shape
    if not 0 <= initial_label < n + m:
        raise ValueError(f"initial_label must be in [0, {n + m}), got {initial_label}")
    A = A - A.min() + 1.0
    B = B - B.min() + 1.0
    # Row polytope {x >= 0: B^T x <= 1}: m rows; column l is the variable of label l
    # (x_l for l < n, the slack of column strategy l - n otherwise).
    tp = np.hstack([B.T, np.eye(m), np.ones((m, 1))])
    bp = list(range(n, n + m))
    # Column polytope {y >= 0: A y <= 1}: n rows; slacks carry labels 0..n-1.
    tq = np.hstack([np.eye(n), A, np.ones((n, 1))])
    bq = list(range(n))
    keys_p, keys_q = np.arange(n, n + m), np.arange(n)
    entering = initial_label
    in_p = entering < n
    for _ in range(max_pivots):
        if in_p:
            leaving = _pivot(tp, bp, _lex_min_ratio(tp, entering, keys_p, tol), entering)
        else:
            leaving = _pivot(tq, bq, _lex_min_ratio(tq, entering, keys_q, tol), entering)
        if leaving == initial_label:
            break
        entering, in_p = leaving, not in_p
    else:  # pragma: no cover - Lemke-Howson terminates on finite games
        raise RuntimeError("Lemke-Howson did not terminate; raise max_pivots")
    x, y = np.zeros(n), np.zeros(m)
    for r, label in enumerate(bp):
        if label < n:
            x[label] = tp[r, -1]
    for r, label in enumerate(bq):
        if label >= n:
            y[label - n] = tq[r, -1]
    return x / x.sum(), y / y.sum()


def nash_equilibria(
    A: Any,
    B: Any | None = None,
    *,
    method: str = "auto",
    max_support_pairs: int = 50_000,
    tol: float = 1e-9,
) -> list[Profile]:
    """Nash equilibria ``[(p, q), ...]`` of the bimatrix game ``(A, B)``
    (``B=None``: zero-sum, ``B = -A``).

    ``method``: ``"lp"`` (constant-sum games: the maximin pair, one equilibrium),
    ``"support_enumeration"`` (every equilibrium of a nondegenerate game),
    ``"lemke_howson"`` (the distinct equilibria reached from every starting label)
    or ``"auto"``: LP for constant-sum games, else support enumeration when it has
    at most ``max_support_pairs`` support pairs to try, with Lemke-Howson as the
    fallback (large or degenerate games).

    >>> eqs = nash_equilibria([[3, 0], [5, 1]], [[3, 5], [0, 1]])  # prisoner's dilemma
    >>> [(p.tolist(), q.tolist()) for p, q in eqs]
    [([0.0, 1.0], [0.0, 1.0])]
    """
    A, B = _matrices(A, B)
    methods = ("auto", "lp", "support_enumeration", "lemke_howson")
    if method not in methods:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(methods)}")
    if method == "lp" or (method == "auto" and is_constant_sum(A, B)):
        if method == "lp" and not is_constant_sum(A, B):
            raise ValueError("method='lp' needs a constant-sum game (A + B constant)")
        _, p, q = zero_sum_value(A)
        return [(p, q)]
    found: list[Profile] = []
    n, m = A.shape
    if method == "support_enumeration" or (
        method == "auto" and _support_pairs(n, m) <= max_support_pairs
    ):
        found = support_enumeration(A, B, tol=tol)
        if found or method == "support_enumeration":
            return found
    for label in range(n + m):
        p, q = lemke_howson(A, B, label)
        if _is_equilibrium(A, B, p, q, 1e-7):
            _add_unique(found, p, q)
    return found


# -- moments and the mean-variance best response -----------------------------------------


def payoff_covariance(
    M: Any, q: Any, M2: Any | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mu, Sigma, w)`` of a player's pure strategies (rows of ``M``) against the
    opponent mix ``q``: ``mu = M q``, ``Sigma[k, l] = sum_b q_b (M[k,b] - mu_k)
    (M[l,b] - mu_l)`` and the expected within-cell variance ``w_k = sum_b q_b
    (M2[k,b] - M[k,b]^2)`` (zeros without per-cell second moments ``M2``).

    >>> mu, S, w = payoff_covariance([[4, 0], [3, 3]], [0.5, 0.5])
    >>> mu.tolist(), S.tolist(), w.tolist()
    ([2.0, 3.0], [[4.0, 0.0], [0.0, 0.0]], [0.0, 0.0])
    """
    M = np.asarray(M, dtype=np.float64)
    q = _distribution(q, M.shape[1], "q")
    M2 = M * M if M2 is None else np.asarray(M2, dtype=np.float64)
    n = M.shape[0]
    mu, S, w = np.zeros(n), np.zeros((n, n)), np.zeros(n)
    _covariance(M, M2, q, mu, S, w)
    return mu, S, w


def mean_variance_best_response(
    mu: Any,
    sigma: Any,
    gamma: float,
    *,
    noise: Any | None = None,
    temperature: float = 0.0,
    init: Any | None = None,
    tol: float = 1e-12,
    max_iter: int = 100_000,
) -> np.ndarray:
    """``argmax_p p.mu - gamma (p^T sigma p + p.noise) + temperature * H(p)`` over the
    simplex (``noise``: the pure strategies' within-cell variances, default 0).

    ``temperature = 0`` solves the concave QP by accelerated projected gradient (to
    ``tol``); ``temperature > 0`` adds the entropy ``H(p) = -sum p log p`` (the
    softmax smoothing of smoothed fictitious play) and solves by mirror ascent; with
    ``gamma = 0`` that is ``softmax(mu / temperature)``.

    >>> mean_variance_best_response([3.6, 3.0], [[1.44, 0.0], [0.0, 0.0]], gamma=1.0).round(4)
    array([0.2083, 0.7917])
    """
    mu = np.asarray(mu, dtype=np.float64).reshape(-1)
    sigma = np.asarray(sigma, dtype=np.float64)
    n = mu.size
    if sigma.shape != (n, n):
        raise ValueError(f"sigma must be ({n}, {n}), got {sigma.shape}")
    if gamma < 0 or temperature < 0:
        raise ValueError("gamma and temperature must be >= 0")
    if noise is not None:
        mu = mu - gamma * np.asarray(noise, dtype=np.float64).reshape(n)
    p = np.full(n, 1.0 / n) if init is None else _distribution(init, n, "init")
    _best_response(mu, sigma, float(gamma), float(temperature), p, tol, max_iter)
    return p


@njit(cache=CACHE)
def _covariance(M, M2, q, mu, out, noise):
    n, m = M.shape
    for k in range(n):
        s = 0.0
        for b in range(m):
            s += M[k, b] * q[b]
        mu[k] = s
    for k in range(n):
        for l in range(k, n):
            s = 0.0
            for b in range(m):
                s += q[b] * (M[k, b] - mu[k]) * (M[l, b] - mu[l])
            out[k, l] = s
            out[l, k] = s
    for k in range(n):
        s = 0.0
        for b in range(m):
            s += q[b] * max(M2[k, b] - M[k, b] * M[k, b], 0.0)
        noise[k] = s


@njit(cache=CACHE)
def _project_simplex(v, out):
    n = v.size
    u = np.sort(v)[::-1]
    css = 0.0
    theta = 0.0
    for i in range(n):
        css += u[i]
        t = (css - 1.0) / (i + 1)
        if u[i] - t > 0:
            theta = t
    for i in range(n):
        out[i] = max(v[i] - theta, 0.0)


@njit(cache=CACHE)
def _best_response(mu, S, gamma, tau, p, tol, max_iter):
    """Maximise p.mu - gamma p'Sp + tau H(p) over the simplex, in place from ``p``."""
    n = mu.size
    if gamma == 0.0 and tau == 0.0:
        best = 0
        for k in range(1, n):
            if mu[k] > mu[best]:
                best = k
        for k in range(n):
            p[k] = 0.0
        p[best] = 1.0
        return
    lip = 0.0  # Gershgorin bound on the largest eigenvalue of 2 gamma S
    for k in range(n):
        s = 0.0
        for l in range(n):
            s += abs(S[k, l])
        lip = max(lip, 2.0 * gamma * s)
    grad = np.empty(n)
    if tau == 0.0:
        # FISTA: accelerated projected gradient ascent on the concave quadratic
        if lip == 0.0:
            lip = 1.0
        step = 1.0 / lip
        y = p.copy()
        x_new = np.empty(n)
        v = np.empty(n)
        t = 1.0
        for _ in range(max_iter):
            for k in range(n):
                s = 0.0
                for l in range(n):
                    s += S[k, l] * y[l]
                grad[k] = mu[k] - 2.0 * gamma * s
                v[k] = y[k] + step * grad[k]
            _project_simplex(v, x_new)
            diff = 0.0
            for k in range(n):
                diff = max(diff, abs(x_new[k] - p[k]))
            t_new = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
            for k in range(n):
                y[k] = x_new[k] + (t - 1.0) / t_new * (x_new[k] - p[k])
                p[k] = x_new[k]
            t = t_new
            if diff < tol:
                break
        return
    # mirror ascent in the entropy geometry: log p <- (1 - eta tau) log p + eta g
    eta = 1.0 / (lip + tau)
    logp = np.empty(n)
    for k in range(n):
        logp[k] = math.log(max(p[k], 1e-300))
    for _ in range(max_iter):
        for k in range(n):
            s = 0.0
            for l in range(n):
                s += S[k, l] * p[l]
            grad[k] = mu[k] - 2.0 * gamma * s
            logp[k] = (1.0 - eta * tau) * logp[k] + eta * grad[k]
        top = logp.max()
        z = 0.0
        for k in range(n):
            z += math.exp(logp[k] - top)
        diff = 0.0
        for k in range(n):
            logp[k] -= top + math.log(z)
            new = math.exp(logp[k])
            diff = max(diff, abs(new - p[k]))
            p[k] = new
        if diff < tol:
            break


@njit(cache=CACHE)
def _fictitious_play(A, A2, Bt, Bt2, g_row, g_col, t_row, t_col, p, q, iterations, tol):
    n, m = A.shape
    mu_r, s_r, w_r = np.empty(n), np.empty((n, n)), np.empty(n)
    mu_c, s_c, w_c = np.empty(m), np.empty((m, m)), np.empty(m)
    br_p, br_q = p.copy(), q.copy()
    for t in range(iterations):
        _covariance(A, A2, q, mu_r, s_r, w_r)
        _covariance(Bt, Bt2, p, mu_c, s_c, w_c)
        for k in range(n):
            mu_r[k] -= g_row * w_r[k]
        for k in range(m):
            mu_c[k] -= g_col * w_c[k]
        _best_response(mu_r, s_r, g_row, t_row, br_p, tol, 10_000)
        _best_response(mu_c, s_c, g_col, t_col, br_q, tol, 10_000)
        w = 1.0 / (t + 2.0)
        for k in range(n):
            p[k] += w * (br_p[k] - p[k])
        for k in range(m):
            q[k] += w * (br_q[k] - q[k])
    return p, q


def _pair(x: float | Sequence[float], what: str) -> tuple[float, float]:
    if isinstance(x, (int, float, np.floating, np.integer)):
        a = b = float(x)
    else:
        a, b = (float(v) for v in x)
    if a < 0 or b < 0:
        raise ValueError(f"{what} must be >= 0, got {x}")
    return a, b


def risk_averse_equilibrium(
    A: Any,
    B: Any,
    gamma: float | Sequence[float],
    init: tuple[Any, Any] | None = None,
    iterations: int = 2000,
    *,
    second_moments: tuple[Any, Any] | None = None,
    temperature: float = 0.01,
    tol: float = 1e-10,
) -> Profile:
    """A risk-averse equilibrium ``(p, q)`` of ``(A, B)`` by smoothed fictitious play.

    Each of ``iterations`` rounds, each player computes the smoothed mean-variance
    best response (:func:`mean_variance_best_response`) to the opponent's running
    average and moves its own average towards it with weight ``1 / (t + 2)``; the
    averages are returned. ``init`` is the starting pair (uniform by default) and
    counts as the first round.

    ``gamma``: risk weight (one value, or one per player); 0 gives (smoothed)
    classical fictitious play. ``second_moments = (A2, B2)`` (``E[X^2]`` per cell;
    e.g. a meta-game's Monte Carlo estimates) adds the within-cell variance of
    stochastic payoffs as a linear cost (see the module docstring). ``temperature``:
    the softmax smoothing, as a fraction of each player's payoff range (``tau =
    temperature * (max - min)``); 0 gives exact best responses (unsmoothed fictitious
    play).

    >>> import numpy as np
    >>> A = np.array([[4.0, 0.0], [3.0, 3.0]])
    >>> p, q = risk_averse_equilibrium(A, A.T, gamma=0.0, init=([0.9, 0.1], [0.9, 0.1]))
    >>> np.round(p, 3), np.round(q, 3)
    (array([1., 0.]), array([1., 0.]))
    """
    A, B = _matrices(A, B)
    n, m = A.shape
    if iterations < 0:
        raise ValueError(f"iterations must be >= 0, got {iterations}")
    g_row, g_col = _pair(gamma, "gamma")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if second_moments is None:
        A2, B2 = A * A, B * B
    else:
        A2, B2 = (np.asarray(x, dtype=np.float64) for x in second_moments)
        if A2.shape != A.shape or B2.shape != B.shape:
            raise ValueError("second_moments must be two arrays shaped like A and B")
    if init is None:
        p, q = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    else:
        p, q = _distribution(init[0], n, "init[0]"), _distribution(init[1], m, "init[1]")
    t_row = temperature * max(float(np.ptp(A)), 1e-12)
    t_col = temperature * max(float(np.ptp(B)), 1e-12)
    Bt, Bt2 = np.ascontiguousarray(B.T), np.ascontiguousarray(B2.T)
    p, q = _fictitious_play(
        A, A2, Bt, Bt2, g_row, g_col, t_row, t_col, p.copy(), q.copy(), int(iterations), tol
    )
    return p / p.sum(), q / q.sum()


def profile_moments(
    A: Any,
    B: Any,
    p: Any,
    q: Any,
    second_moments: tuple[Any, Any] | None = None,
) -> dict[str, float]:
    """Mean and variance of each player's payoff when both play ``(p, q)``
    independently (the variance counts the players' randomisation and, with
    ``second_moments``, the within-cell noise): keys ``row_mean``, ``row_var``,
    ``col_mean``, ``col_var``.

    >>> profile_moments([[1, 0], [0, 1]], [[1, 0], [0, 1]], [0.5, 0.5], [1, 0])
    {'row_mean': 0.5, 'row_var': 0.25, 'col_mean': 0.5, 'col_var': 0.25}
    """
    A, B = _matrices(A, B)
    p = _distribution(p, A.shape[0], "p")
    q = _distribution(q, A.shape[1], "q")
    if second_moments is None:
        A2, B2 = A * A, B * B
    else:
        A2, B2 = (np.asarray(x, dtype=np.float64) for x in second_moments)
    out: dict[str, float] = {}
    for name, M, M2 in (("row", A, A2), ("col", B, B2)):
        mean = float(p @ M @ q)
        out[f"{name}_mean"] = mean
        out[f"{name}_var"] = max(float(p @ M2 @ q) - mean * mean, 0.0)
    return out


# -- replicator dynamics -----------------------------------------------------------------


def replicator_dynamics(
    A: Any,
    B: Any,
    *,
    iterations: int = 5000,
    step: float = 0.05,
    floor: float = 1e-8,
    init: tuple[Any, Any] | None = None,
) -> Profile:
    """Two-population discrete replicator dynamics ``x_k += step * x_k (u_k - x.u)``
    on payoffs scaled to a unit range, with every weight kept above ``floor`` (the
    projected replicator dynamics of PSRO). Returns the average of the second half
    of the trajectory, which settles where the dynamics cycle (e.g. rock-paper-scissors).

    >>> p, q = replicator_dynamics([[0, -1, 1], [1, 0, -1], [-1, 1, 0]],
    ...                            [[0, 1, -1], [-1, 0, 1], [1, -1, 0]])
    >>> np.round(p, 1).tolist()
    [0.3, 0.3, 0.3]
    """
    A, B = _matrices(A, B)
    n, m = A.shape
    if iterations < 1 or step <= 0 or not 0 <= floor < 1.0 / max(n, m):
        raise ValueError("need iterations >= 1, step > 0 and 0 <= floor < 1/num_strategies")
    a = (A - A.min()) / max(float(np.ptp(A)), 1e-12)
    b = (B - B.min()) / max(float(np.ptp(B)), 1e-12)
    if init is None:
        p, q = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    else:
        p, q = _distribution(init[0], n, "init[0]"), _distribution(init[1], m, "init[1]")
    sum_p, sum_q, count = np.zeros(n), np.zeros(m), 0
    for t in range(iterations):
        u, w = a @ q, p @ b
        p = np.maximum(p + step * p * (u - p @ u), floor)
        q = np.maximum(q + step * q * (w - w @ q), floor)
        p, q = p / p.sum(), q / q.sum()
        if t >= iterations // 2:
            sum_p += p
            sum_q += q
            count += 1
    return sum_p / count, sum_q / count


# -- meta-solvers for PSRO ---------------------------------------------------------------

#: Names accepted by :func:`get_meta_solver`.
META_SOLVERS = ("uniform", "nash", "replicator", "rae")


def _welfare_best(A: np.ndarray, B: np.ndarray, eqs: list[Profile]) -> Profile:
    welfare = [float(p @ (A + B) @ q) for p, q in eqs]
    return eqs[int(np.argmax(welfare))]


def get_meta_solver(name: str, **kwargs: Any) -> MetaSolver:
    """A meta-solver by name, for PSRO: a function ``(A, B, A2, B2) -> (p, q)``.

    * ``"uniform"``: uniform over each population (fictitious self-play's mix).
    * ``"nash"``: a Nash equilibrium (:func:`nash_equilibria`); in general-sum games
      with several, the one of highest total payoff (ties: the first found).
    * ``"replicator"``: :func:`replicator_dynamics` (``kwargs`` passed on).
    * ``"rae"``: :func:`risk_averse_equilibrium` with ``gamma`` (default 1.0) and the
      other ``kwargs``, using the second moments when the caller has them.
    """
    if name == "uniform":
        if kwargs:
            raise TypeError(f"the uniform meta-solver takes no arguments, got {sorted(kwargs)}")

        def uniform(A: np.ndarray, B: np.ndarray, A2: Any = None, B2: Any = None) -> Profile:
            n, m = np.shape(A)
            return np.full(n, 1.0 / n), np.full(m, 1.0 / m)

        return uniform
    if name == "nash":

        def nash(A: np.ndarray, B: np.ndarray, A2: Any = None, B2: Any = None) -> Profile:
            A, B = _matrices(A, B)
            eqs = nash_equilibria(A, B, **kwargs)
            if not eqs:  # pragma: no cover - Lemke-Howson always finds one
                raise RuntimeError("no Nash equilibrium found")
            return _welfare_best(A, B, eqs)

        return nash
    if name == "replicator":

        def replicator(A: np.ndarray, B: np.ndarray, A2: Any = None, B2: Any = None) -> Profile:
            return replicator_dynamics(A, B, **kwargs)

        return replicator
    if name == "rae":
        options = {"gamma": 1.0, **kwargs}

        def rae(A: np.ndarray, B: np.ndarray, A2: Any = None, B2: Any = None) -> Profile:
            moments = None if A2 is None or B2 is None else (A2, B2)
            return risk_averse_equilibrium(A, B, second_moments=moments, **options)

        return rae
    raise ValueError(f"unknown meta-solver {name!r}; choose one of {', '.join(META_SOLVERS)}")
