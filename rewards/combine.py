"""Combining several rewards into one: weighted sums, the log-sigmoid AND, preference
as reward (PAR), reward-model ensembles, Lagrangian constraints and gates.

* **Weighted sum** — ``Σ_i w_i r_i`` (:func:`~.terms.weighted_sum`, or ``+`` and
  ``*`` on terms).
* **Log-sigmoid transform** (Wang et al. 2024, "Transforming and Combining Rewards
  for Aligning Large Language Models"): ``u = log σ(r - r_ref)``. Each ``u`` is the
  log-probability that the output is better than the reference on that property, so
  the sum of transformed rewards is the log-probability that it is good in every
  property (a logical AND): one badly failed property keeps the sum low however well
  the others do (:func:`log_sigmoid_and`).
* **PAR** (Fu et al. 2025, "Reward Shaping to Mitigate Reward Hacking in RLHF"):
  ``r_RL = (1/M) Σ_m σ(k (r - r_ref_m))`` with ``k = 1``: bounded, steepest near the
  references, flat far above them (:class:`PAR`).
* **Ensembles** (Coste et al. 2024, "Reward Model Ensembles Help Mitigate
  Overoptimization"): each member is z-normalised first (running statistics, or given
  ones), then ``mean``, ``worst`` (``min_i R_i``) or ``uncertainty``
  (``mean_i R_i - λ Var_i R_i``; λ = 0.5 for best-of-n, 0.1 for PPO in the paper)
  (:class:`Ensemble`).
* **Lagrangian constraint** (Altman 1999; as in PPO-Lagrangian, Ray et al. 2019):
  ``r - λ c`` with the multiplier updated by dual ascent
  ``λ ← clip(λ + η (mean(c) - d), 0, λ_max)`` towards a per-step cost target ``d``
  (:class:`LagrangianConstraint`).
* **Gate** — a term that counts only where another is above a threshold
  (:meth:`~.terms.Term.gate`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .normalize import RunningMeanStd
from .terms import Gate, Sum, Term, Transitions, weighted_sum

__all__ = [
    "PAR",
    "Ensemble",
    "Gate",
    "LagrangianConstraint",
    "LogSigmoid",
    "log_sigmoid",
    "log_sigmoid_and",
    "par_transform",
    "weighted_sum",
]

Values = Callable[[Term], np.ndarray]


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """``log σ(x)`` computed stably (``-log(1 + e^{-x})``)."""
    return -np.logaddexp(0.0, -np.asarray(x, dtype=np.float64))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(log_sigmoid(x))


def par_transform(
    r: np.ndarray, references: Sequence[float] | np.ndarray, k: float = 1.0
) -> np.ndarray:
    """PAR: ``(1/M) Σ_m σ(k (r - ref_m))``."""
    refs = np.asarray(references, dtype=np.float64).reshape(-1, 1)
    return _sigmoid(k * (np.asarray(r, dtype=np.float64)[None, :] - refs)).mean(axis=0)


class LogSigmoid(Term):
    """``log σ(term - reference)``: in (-inf, 0], near 0 well above the reference."""

    def __init__(self, term: Term, reference: float = 0.0, name: str | None = None):
        super().__init__(name)
        if not np.isfinite(reference):
            raise ValueError(f"reference must be finite, got {reference}")
        self.children = (term,)
        self.reference = float(reference)

    def compute(self, t: Transitions, values: Values) -> np.ndarray:
        return log_sigmoid(values(self.children[0]) - self.reference)

    def _describe(self) -> str:
        return f"logsigmoid({self.children[0].label} - {self.reference:g})"


def log_sigmoid_and(
    terms: Sequence[Term], references: Sequence[float] | float = 0.0, name: str | None = None
) -> Term:
    """``Σ_i log σ(r_i - ref_i)``: the log-probability that every property is good."""
    terms = list(terms)
    refs = [float(references)] * len(terms) if np.isscalar(references) else list(references)  # type: ignore[arg-type]
    if len(refs) != len(terms) or not terms:
        raise ValueError(
            f"give one reference per term ({len(terms)} terms, {len(refs)} references)"
        )
    return Sum([LogSigmoid(term, ref) for term, ref in zip(terms, refs, strict=True)], name=name)


class PAR(Term):
    """Preference as reward: ``(1/M) Σ_m σ(k (term - ref_m))``, in (0, 1)."""

    def __init__(
        self, term: Term, references: Sequence[float], k: float = 1.0, name: str | None = None
    ):
        super().__init__(name)
        refs = np.asarray(references, dtype=np.float64).reshape(-1)
        if refs.size == 0 or not np.all(np.isfinite(refs)):
            raise ValueError("PAR needs at least one finite reference reward")
        if not k > 0:
            raise ValueError(f"k must be > 0, got {k}")
        self.children = (term,)
        self.references = refs
        self.k = float(k)

    def compute(self, t: Transitions, values: Values) -> np.ndarray:
        return par_transform(values(self.children[0]), self.references, self.k)


class Ensemble(Term):
    """A reward-model ensemble: members (terms) z-normalised, then combined.

    ``mode``: ``"mean"``, ``"worst"`` (min over members) or ``"uncertainty"``
    (mean - ``lam`` * variance across members). ``normalize``: ``"running"`` (each
    member's running mean and std over all batches seen, frozen by ``freeze()``),
    ``"none"``, or a list of (mean, std) per member.
    """

    stateful = True
    MODES = ("mean", "worst", "uncertainty")

    def __init__(
        self,
        members: Sequence[Term],
        mode: str = "mean",
        lam: float = 0.5,
        normalize: str | Sequence[tuple[float, float]] = "running",
        epsilon: float = 1e-8,
        name: str | None = None,
    ):
        super().__init__(name)
        self.children = tuple(members)
        if len(self.children) < 2:
            raise ValueError("an ensemble needs at least two members")
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}, got {mode!r}")
        if lam < 0:
            raise ValueError(f"lam must be >= 0, got {lam}")
        self.mode, self.lam, self.epsilon = mode, float(lam), float(epsilon)
        self.fixed: np.ndarray | None = None
        if isinstance(normalize, str):
            if normalize not in ("running", "none"):
                raise ValueError(
                    f"normalize must be 'running', 'none' or (mean, std) pairs, got {normalize!r}"
                )
        else:
            self.fixed = np.asarray(normalize, dtype=np.float64)
            if self.fixed.shape != (len(self.children), 2) or np.any(self.fixed[:, 1] <= 0):
                raise ValueError("normalize pairs must be one (mean, std > 0) per member")
            normalize = "fixed"
        self.normalize = normalize
        self.moments = RunningMeanStd(count=0.0, shape=(len(self.children),))

    def compute(self, t: Transitions, values: Values) -> np.ndarray:
        r = np.stack([values(m) for m in self.children], axis=1)  # (B, M)
        if self.normalize == "running":
            if self.training:
                rows = r if t.valid is None else r[t.valid]
                self.moments.update(rows)
            r = (r - self.moments.mean) / np.sqrt(self.moments.var + self.epsilon)
        elif self.normalize == "fixed" and self.fixed is not None:
            r = (r - self.fixed[:, 0]) / self.fixed[:, 1]
        if self.mode == "mean":
            return r.mean(axis=1)
        if self.mode == "worst":
            return r.min(axis=1)
        return r.mean(axis=1) - self.lam * r.var(axis=1)

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Member statistics span episodes; only the members themselves reset."""
        super().reset(mask)

    def _own_stats(self) -> dict[str, float]:
        out = {"count": float(self.moments.count)}
        for i, (m, v) in enumerate(zip(self.moments.mean, self.moments.var, strict=True)):
            out[f"member{i}_mean"] = float(m)
            out[f"member{i}_std"] = float(np.sqrt(v))
        return out


class LagrangianConstraint(Term):
    """``reward - λ cost`` with λ adapted by dual ascent so that the mean per-step
    cost approaches ``target``: after each batch (when training)
    ``λ ← clip(λ + lr (mean(cost) - target), 0, max_multiplier)``.

    The value returned for a batch uses λ from before the update. The multiplier is
    reported by ``stats()`` and kept across episodes.
    """

    stateful = True

    def __init__(
        self,
        reward: Term,
        cost: Term,
        target: float,
        lr: float = 0.01,
        init: float = 0.0,
        max_multiplier: float = np.inf,
        name: str | None = None,
    ):
        super().__init__(name)
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        if init < 0 or max_multiplier < init:
            raise ValueError("need 0 <= init <= max_multiplier")
        self.children = (reward, cost)
        self.target, self.lr = float(target), float(lr)
        self.multiplier = float(init)
        self.max_multiplier = float(max_multiplier)

    def compute(self, t: Transitions, values: Values) -> np.ndarray:
        reward, cost = values(self.children[0]), values(self.children[1])
        out = reward - self.multiplier * cost
        if self.training:
            rows = cost if t.valid is None else cost[t.valid]
            if rows.size:
                step = self.lr * (float(rows.mean()) - self.target)
                self.multiplier = float(np.clip(self.multiplier + step, 0.0, self.max_multiplier))
        return out

    def _own_stats(self) -> dict[str, float]:
        return {"multiplier": self.multiplier}
