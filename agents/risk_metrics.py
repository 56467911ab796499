"""Risk metrics of episode returns: mean, variance, conditional value at risk,
catastrophe rate and the worst case against a population, plus a bootstrap
confidence interval.

CVaR at level ``alpha`` is the mean of the worst ``alpha`` fraction of the return
distribution (the lower tail): for ``n`` equally likely samples sorted ascending
``x_(1) <= ... <= x_(n)``, ``CVaR_alpha = (sum_{i <= k} x_(i) + (alpha n - k)
x_(k+1)) / (alpha n)`` with ``k = floor(alpha n)``, which weights the boundary
sample fractionally so that it is exact for any ``n``.

>>> from rewardgym.agents.risk_metrics import cvar, risk_report
>>> returns = [-10.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
>>> cvar(returns, 0.1), cvar(returns, 0.2)
(-10.0, -4.5)
>>> report = risk_report(returns, catastrophes=[1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
>>> report.catastrophe_rate, report.cvar_05
(0.1, -10.0)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = [
    "RiskReport",
    "bootstrap_ci",
    "catastrophe_rate",
    "cvar",
    "mean",
    "risk_report",
    "variance",
    "worst_case_payoff",
]


def _samples(x: Any) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    if arr.size == 0:
        raise ValueError("need at least one sample")
    if not np.all(np.isfinite(arr)):
        raise ValueError("samples must be finite")
    return arr


def mean(returns: Any) -> float:
    """Mean return."""
    return float(_samples(returns).mean())


def variance(returns: Any, ddof: int = 0) -> float:
    """Variance of the returns (``ddof=1`` for the unbiased estimate)."""
    x = _samples(returns)
    if x.size <= ddof:
        raise ValueError(f"need more than {ddof} samples for ddof={ddof}")
    return float(x.var(ddof=ddof))


def cvar(returns: Any, alpha: float = 0.05) -> float:
    """Conditional value at risk: the mean of the worst ``alpha`` fraction of the
    returns (lower tail; see the module docstring for the exact weighting).

    >>> cvar([1.0, 2.0, 3.0, 4.0], 0.5)
    1.5
    >>> cvar([1.0, 2.0, 3.0], 0.5)  # 1 and half of 2
    1.3333333333333333
    """
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    x = np.sort(_samples(returns))
    tail = alpha * x.size
    k = int(np.floor(tail + 1e-12))
    total = x[:k].sum()
    if k < x.size and tail > k:
        total += (tail - k) * x[k]
    return float(total / tail)


def catastrophe_rate(catastrophes: Any) -> float:
    """Catastrophes per episode: ``catastrophes`` holds each episode's count (or a
    0/1 flag per episode)."""
    c = _samples(catastrophes)
    if np.any(c < 0):
        raise ValueError("catastrophe counts must be >= 0")
    return float(c.mean())


def worst_case_payoff(payoffs: Any, mixture: Any | None = None) -> float:
    """Worst expected payoff against a population.

    ``payoffs`` is either a vector (one policy's payoff against each member of the
    opponent population) or a matrix ``(own policies, opponents)`` together with
    ``mixture``, a distribution over the own policies; the result is the minimum
    over opponents of the (mixture's) expected payoff.

    >>> worst_case_payoff([[3.0, 0.0], [1.0, 2.0]], mixture=[0.5, 0.5])
    1.0
    """
    M = np.asarray(payoffs, dtype=np.float64)
    if M.ndim == 1:
        if mixture is not None:
            raise ValueError("give mixture only with a (policies, opponents) payoff matrix")
        return float(_samples(M).min())
    if M.ndim != 2 or mixture is None:
        raise ValueError("payoffs must be a vector, or a matrix together with a mixture")
    p = np.asarray(mixture, dtype=np.float64).reshape(-1)
    if p.shape != (M.shape[0],) or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
        raise ValueError(f"mixture must be a distribution over the {M.shape[0]} rows")
    return float((p @ M).min())


def bootstrap_ci(
    values: Any,
    statistic: Callable[[np.ndarray], float] = np.mean,
    *,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of ``statistic`` over ``values``
    (resampling the first axis).

    >>> lo, hi = bootstrap_ci([1.0, 2.0, 3.0, 4.0])
    >>> 1.0 <= lo <= 2.5 <= hi <= 4.0
    True
    """
    x = np.asarray(values, dtype=np.float64)
    if x.shape[0] == 0:
        raise ValueError("need at least one value")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(x.shape[0], size=(resamples, x.shape[0]))
    stats = np.array([statistic(x[i]) for i in idx], dtype=np.float64)
    tail = (1 - confidence) / 2
    lo, hi = np.nanquantile(stats, [tail, 1 - tail])
    return float(lo), float(hi)


@dataclass(frozen=True)
class RiskReport:
    """Every metric of one set of episodes."""

    episodes: int
    mean: float
    variance: float
    cvar_05: float
    cvar_10: float
    catastrophe_rate: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def risk_report(returns: Any, catastrophes: Any | None = None) -> RiskReport:
    """Mean, variance, CVaR at 5 % and 10 % and (with per-episode catastrophe
    counts) the catastrophe rate of a set of episodes."""
    x = _samples(returns)
    return RiskReport(
        episodes=int(x.size),
        mean=mean(x),
        variance=variance(x),
        cvar_05=cvar(x, 0.05),
        cvar_10=cvar(x, 0.10),
        catastrophe_rate=None if catastrophes is None else catastrophe_rate(catastrophes),
    )
