"""Evaluation statistics as rliable defines them (Agarwal et al., NeurIPS 2021).

Scores come as an array of shape ``(runs, tasks)`` per algorithm (normalised scores:
higher is better, 1 is the target). Aggregates pool runs and tasks; confidence
intervals come from the *stratified* bootstrap: runs are resampled with replacement
within each task, independently across tasks, and the interval is the percentile
interval of the aggregate over the resamples.

* :func:`iqm` — interquartile mean: the mean of the middle 50 % of all scores
  (25 % trimmed from each end).
* :func:`optimality_gap` — mean of ``max(gamma - score, 0)``: how far below the
  target the runs are, on average (lower is better).
* :func:`probability_of_improvement` — P(X > Y) per task from the Mann-Whitney U
  statistic (ties count half), averaged over tasks.
* :func:`performance_profile` — fraction of runs with score > tau, for each tau.

The ``rliable`` package itself does not install cleanly next to current pandas, so
the definitions are implemented here and tested against hand-computed cases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "AGGREGATES",
    "Interval",
    "aggregate_with_ci",
    "iqm",
    "mean",
    "median",
    "optimality_gap",
    "performance_profile",
    "probability_of_improvement",
    "stratified_bootstrap_ci",
]


def _scores(x: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"scores must be a non-empty (runs, tasks) array, got shape {a.shape}")
    return a


def mean(scores: np.ndarray) -> float:
    return float(np.mean(_scores(scores)))


def median(scores: np.ndarray) -> float:
    """Median over tasks of the per-task mean score (rliable's median)."""
    return float(np.median(np.mean(_scores(scores), axis=0)))


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean of all scores pooled: ``scipy.stats.trim_mean`` with 25 %
    cut from each end (whole scores, as rliable computes it).

    >>> iqm([[1.0], [2.0], [3.0], [4.0]])
    2.5
    >>> iqm([[0.0], [1.0], [2.0], [3.0], [100.0]])
    2.0
    """
    from scipy.stats import trim_mean

    return float(trim_mean(_scores(scores).ravel(), proportiontocut=0.25))


def optimality_gap(scores: np.ndarray, gamma: float = 1.0) -> float:
    """Mean shortfall below ``gamma``: ``mean(max(gamma - score, 0))``.

    >>> optimality_gap([[0.5, 1.2], [1.0, 0.0]])
    0.375
    """
    return float(np.mean(np.maximum(gamma - _scores(scores), 0.0)))


AGGREGATES: dict[str, Callable[[np.ndarray], float]] = {
    "iqm": iqm,
    "mean": mean,
    "median": median,
    "optimality_gap": optimality_gap,
}


@dataclass(frozen=True)
class Interval:
    """A point estimate and its confidence interval."""

    value: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}


def _stratified_resample(scores: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    runs, tasks = scores.shape
    idx = rng.integers(0, runs, size=(runs, tasks))
    return np.take_along_axis(scores, idx, axis=0)


def stratified_bootstrap_ci(
    scores: np.ndarray,
    statistic: Callable[[np.ndarray], float],
    *,
    reps: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Percentile confidence interval of ``statistic`` under the stratified
    bootstrap (runs resampled within each task)."""
    s = _scores(scores)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    rng = np.random.default_rng(seed)
    stats = np.array([statistic(_stratified_resample(s, rng)) for _ in range(reps)])
    alpha = (1 - confidence) / 2
    low, high = np.quantile(stats, [alpha, 1 - alpha])
    return Interval(float(statistic(s)), float(low), float(high))


def aggregate_with_ci(
    scores: Mapping[str, np.ndarray],
    metrics: Sequence[str] = ("iqm", "mean", "median", "optimality_gap"),
    *,
    reps: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, dict[str, Interval]]:
    """``{algorithm: {metric: Interval}}`` for every algorithm's (runs, tasks) scores."""
    unknown = set(metrics) - set(AGGREGATES)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}; choose from {sorted(AGGREGATES)}")
    return {
        algo: {
            m: stratified_bootstrap_ci(
                s, AGGREGATES[m], reps=reps, confidence=confidence, seed=seed
            )
            for m in metrics
        }
        for algo, s in scores.items()
    }


def probability_of_improvement(x: np.ndarray, y: np.ndarray) -> float:
    """P(X > Y): for each task, the Mann-Whitney U of X's runs against Y's divided by
    ``len(x) * len(y)`` (ties count half), then averaged over tasks.

    >>> probability_of_improvement([[2.0], [3.0]], [[1.0], [3.0]])
    0.625
    """
    a, b = _scores(x), _scores(y)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"x and y must have the same tasks: {a.shape[1]} vs {b.shape[1]}")
    per_task = []
    for t in range(a.shape[1]):
        diff = a[:, t][:, None] - b[:, t][None, :]
        per_task.append(np.mean((diff > 0) + 0.5 * (diff == 0)))
    return float(np.mean(per_task))


def performance_profile(scores: np.ndarray, taus: np.ndarray | Sequence[float]) -> np.ndarray:
    """Fraction of all runs (over tasks) whose score exceeds each ``tau``.

    >>> performance_profile([[0.1, 0.5], [0.9, 1.0]], [0.0, 0.5, 0.95]).tolist()
    [1.0, 0.5, 0.25]
    """
    s = _scores(scores).ravel()
    t = np.asarray(taus, dtype=np.float64)
    return np.mean(s[None, :] > t[:, None], axis=1)
