"""Reward terms: named, pure, batched functions of transitions, and their algebra.

A :class:`Term` maps a batch of B transitions (:class:`Transitions`: obs, action,
next_obs, reward, terminated, truncated, info) to an array of B rewards. Terms
compose into one expression with ``+``, ``-``, scalar ``*``, :func:`minimum`,
:func:`maximum`, :meth:`Term.clip` and :meth:`Term.gate` (a term that counts only
when a condition term is above a threshold). The env's own reward is the term
:class:`EnvReward`; components an env reports in ``info["reward_terms"]`` are
:class:`InfoTerm` s; any function of the batch is a :class:`FnTerm`.

Evaluating an expression evaluates each node once per batch (a stateful term such as
an exploration bonus used twice is updated once) and returns the value of every
*named* node, which the wrappers log under ``info["reward_terms"][name]``. Leaves are
named; a composite is logged when given a name with :meth:`Term.named`.

>>> import numpy as np
>>> from rewardgym.rewards.terms import EnvReward, FnTerm, Transitions
>>> speed = FnTerm("speed", lambda t: np.abs(t.next_obs[:, 1]))
>>> reward = (EnvReward() + 0.5 * speed.clip(0, 1)).named("total")
>>> batch = Transitions.from_arrays(
...     obs=np.zeros((2, 2)), action=np.zeros(2), next_obs=np.array([[0, 3.0], [0, 0.5]]),
...     reward=np.array([1.0, -1.0]))
>>> value, parts = reward.evaluate(batch)
>>> value.tolist(), sorted(parts)
([1.5, -0.75], ['env', 'speed', 'total'])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ._fused import FusionBuilder

__all__ = [
    "Clip",
    "Constant",
    "EnvReward",
    "FnTerm",
    "Gate",
    "InfoTerm",
    "Max",
    "Min",
    "Scale",
    "Sum",
    "Term",
    "Transitions",
    "maximum",
    "minimum",
    "weighted_sum",
]


@dataclass
class Transitions:
    """A batch of B transitions, every field with leading dimension B.

    ``info`` is vector-style: each value is an array (or a dict of arrays) over the
    batch, as a Gymnasium vector env returns it. ``valid`` marks real transitions:
    a NEXT_STEP vector env's reset step (the obs after an episode's end is the new
    start, not a successor) is not one; wrappers give such rows reward 0.
    ``autoreset`` says which convention produced the batch.
    """

    obs: Any
    action: Any
    next_obs: Any
    reward: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)
    valid: np.ndarray | None = None
    #: How the source env restarts episodes: ``"none"`` (a single env, reset by the
    #: caller), ``"next_step"`` or ``"same_step"`` (Gymnasium vector autoreset).
    autoreset: str = "none"

    @property
    def batch_size(self) -> int:
        return int(self.reward.shape[0])

    @property
    def done(self) -> np.ndarray:
        return np.logical_or(self.terminated, self.truncated)

    @classmethod
    def from_arrays(
        cls,
        obs: Any,
        action: Any,
        next_obs: Any,
        reward: Any,
        terminated: Any = None,
        truncated: Any = None,
        info: dict[str, Any] | None = None,
        valid: Any = None,
    ) -> Transitions:
        """Build a batch, converting rewards to float64 and flags to bool arrays."""
        r = np.asarray(reward, dtype=np.float64).reshape(-1)
        b = r.shape[0]
        term = np.zeros(b, bool) if terminated is None else np.asarray(terminated, bool)
        trunc = np.zeros(b, bool) if truncated is None else np.asarray(truncated, bool)
        if term.shape != (b,) or trunc.shape != (b,):
            raise ValueError(
                f"terminated/truncated must have shape ({b},) like reward, "
                f"got {term.shape} and {trunc.shape}"
            )
        v = None if valid is None else np.asarray(valid, bool).reshape(b)
        return cls(obs, action, next_obs, r, term, trunc, dict(info or {}), v)


class Term:
    """A named reward term. Subclasses implement :meth:`compute`.

    Stateful terms (bonuses, normalisers) override :meth:`reset`, :meth:`freeze`
    and :meth:`unfreeze` and report running statistics from :meth:`stats`.
    """

    #: Sub-terms, for traversal (evaluation order, reset, freeze, names).
    children: tuple[Term, ...] = ()
    #: True for terms that keep state between steps (bonuses, normalisers).
    stateful: bool = False

    def __init__(self, name: str | None):
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"a term name must be a non-empty string, got {name!r}")
        self.name = name
        self.training = True

    # -- evaluation -----------------------------------------------------------------
    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        """This term's values for the batch; ``values(child)`` gives a child's."""
        raise NotImplementedError

    def evaluate(self, t: Transitions) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The expression's value (B,) and the values of its named nodes."""
        cache: dict[int, np.ndarray] = {}

        def values(term: Term) -> np.ndarray:
            key = id(term)
            if key not in cache:
                out = np.asarray(term.compute(t, values), dtype=np.float64)
                if out.ndim == 0:  # a scalar applies to every transition
                    out = np.full(t.batch_size, out)
                if out.shape != (t.batch_size,):
                    raise ValueError(
                        f"term {term.label!r} returned shape {out.shape}; "
                        f"expected ({t.batch_size},), one value per transition"
                    )
                cache[key] = out
            return cache[key]

        total = values(self)
        parts = {node.name: values(node) for node in self.walk() if node.name is not None}
        return total, parts

    def __call__(self, t: Transitions) -> np.ndarray:
        return self.evaluate(t)[0]

    def fuse(self, plan: FusionBuilder) -> int | None:
        """This node in a compiled plan (the vector wrapper's fused path): add its
        operation to ``plan``, built from its children's (``plan.value(child)``), and
        return the register of its value; None when the node has no compiled form, and
        the expression is then evaluated with :meth:`compute`. The compiled operation
        must give what ``compute`` gives; a subclass that overrides ``compute`` without
        overriding ``fuse`` is never fused."""
        return None

    # -- structure ------------------------------------------------------------------
    @property
    def label(self) -> str:
        """The name, or a readable description of an unnamed composite."""
        return self.name if self.name is not None else self._describe()

    def _describe(self) -> str:
        return type(self).__name__

    def walk(self) -> Iterator[Term]:
        """Every node of the expression once, children before parents."""
        seen: set[int] = set()

        def visit(node: Term) -> Iterator[Term]:
            if id(node) in seen:
                return
            seen.add(id(node))
            for child in node.children:
                yield from visit(child)
            yield node

        yield from visit(self)

    def names(self) -> list[str]:
        """Names of the named nodes; raises if two different nodes share a name."""
        owners: dict[str, Term] = {}
        for node in self.walk():
            if node.name is None:
                continue
            if node.name in owners and owners[node.name] is not node:
                raise ValueError(
                    f"two different terms are named {node.name!r}; give each a unique name "
                    "(term.named('...')) so its logged value is unambiguous"
                )
            owners[node.name] = node
        return list(owners)

    @property
    def is_stateful(self) -> bool:
        """Whether any node of the expression keeps state between steps."""
        return any(node.stateful for node in self.walk())

    def named(self, name: str) -> Term:
        """This term under a (new) name, logged in ``info["reward_terms"]``."""
        return _Named(self, name)

    # -- state ------------------------------------------------------------------------
    def reset(self, mask: np.ndarray | None = None) -> None:
        """Episode boundary for the envs in ``mask`` (None: all). Default: nothing."""
        for child in self.children:
            child.reset(mask)

    def freeze(self) -> Term:
        """Stop updating statistics (evaluation mode); returns self."""
        self.training = False
        for child in self.children:
            child.freeze()
        return self

    def unfreeze(self) -> Term:
        self.training = True
        for child in self.children:
            child.unfreeze()
        return self

    def stats(self) -> dict[str, float]:
        """Running statistics of stateful nodes, keyed ``"<name>/<stat>"``."""
        out: dict[str, float] = {}
        for node in self.walk():
            if node is not self:
                own = node._own_stats()
                out.update({f"{node.label}/{k}": v for k, v in own.items()})
        out.update({f"{self.label}/{k}": v for k, v in self._own_stats().items()})
        return out

    def _own_stats(self) -> dict[str, float]:
        return {}

    # -- algebra ----------------------------------------------------------------------
    def __add__(self, other: Term | float) -> Term:
        return Sum([self, _as_term(other)])

    def __radd__(self, other: Term | float) -> Term:
        return Sum([_as_term(other), self])

    def __sub__(self, other: Term | float) -> Term:
        return Sum([self, Scale(_as_term(other), -1.0)])

    def __rsub__(self, other: Term | float) -> Term:
        return Sum([_as_term(other), Scale(self, -1.0)])

    def __neg__(self) -> Term:
        return Scale(self, -1.0)

    def __mul__(self, weight: float) -> Term:
        if isinstance(weight, Term):
            raise TypeError("terms multiply by numbers only; use FnTerm for products")
        return Scale(self, float(weight))

    __rmul__ = __mul__

    def __truediv__(self, divisor: float) -> Term:
        return Scale(self, 1.0 / float(divisor))

    def clip(self, low: float | None = None, high: float | None = None) -> Term:
        return Clip(self, low, high)

    def gate(self, condition: Term, threshold: float = 0.0) -> Term:
        """This term where ``condition > threshold``, else 0."""
        return Gate(self, condition, threshold)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label}>"


def _as_term(x: Term | float) -> Term:
    if isinstance(x, Term):
        return x
    if isinstance(x, (int, float, np.number)) and not isinstance(x, bool):
        return Constant(float(x))
    raise TypeError(f"cannot use {type(x).__name__} as a reward term")


# -- leaves ------------------------------------------------------------------------------


class EnvReward(Term):
    """The env's own reward."""

    def __init__(self, name: str = "env"):
        super().__init__(name)

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        return t.reward

    def fuse(self, plan: FusionBuilder) -> int | None:
        return plan.reward()


class InfoTerm(Term):
    """A component the env reports in ``info["reward_terms"][key]`` (or, with
    ``path=None``, in ``info[key]``)."""

    def __init__(self, key: str, name: str | None = None, path: str | None = "reward_terms"):
        super().__init__(name or key)
        self.key = key
        self.path = path

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        source: Mapping[str, Any] = t.info.get(self.path, {}) if self.path else t.info
        if self.key not in source:
            where = f'info["{self.path}"]' if self.path else "info"
            raise LookupError(
                f"{where} has no {self.key!r} (it has {sorted(source)}); "
                "is this the env that reports it?"
            )
        return np.asarray(source[self.key], dtype=np.float64).reshape(t.batch_size)


class FnTerm(Term):
    """A term from a function of the batch, ``fn(t: Transitions) -> (B,)``."""

    def __init__(self, name: str, fn: Callable[[Transitions], Any]):
        if not callable(fn):
            raise TypeError(f"FnTerm {name!r}: fn must be callable, got {type(fn).__name__}")
        super().__init__(name)
        self.fn = fn

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        return np.asarray(self.fn(t), dtype=np.float64)


class Constant(Term):
    def __init__(self, value: float, name: str | None = None):
        super().__init__(name)
        self.value = float(value)

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        return np.full(t.batch_size, self.value)

    def fuse(self, plan: FusionBuilder) -> int | None:
        return plan.constant(self.value)

    def _describe(self) -> str:
        return f"{self.value:g}"


# -- composites --------------------------------------------------------------------------


class _Named(Term):
    def __init__(self, inner: Term, name: str):
        super().__init__(name)
        self.children = (inner,)

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        return values(self.children[0])

    def fuse(self, plan: FusionBuilder) -> int | None:
        return plan.copy(plan.value(self.children[0]))


class Sum(Term):
    def __init__(self, terms: Iterable[Term], name: str | None = None):
        super().__init__(name)
        self.children = tuple(_as_term(x) for x in terms)
        if not self.children:
            raise ValueError("Sum needs at least one term")

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        out = np.zeros(t.batch_size)
        for child in self.children:
            out = out + values(child)
        return out

    def fuse(self, plan: FusionBuilder) -> int | None:
        return plan.add([plan.value(c) for c in self.children])

    def _describe(self) -> str:
        return " + ".join(c.label for c in self.children)


class Scale(Term):
    def __init__(self, term: Term, weight: float, name: str | None = None):
        super().__init__(name)
        if not np.isfinite(weight):
            raise ValueError(f"weight must be finite, got {weight}")
        self.children = (term,)
        self.weight = float(weight)

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        return self.weight * values(self.children[0])

    def fuse(self, plan: FusionBuilder) -> int | None:
        return plan.scale(plan.value(self.children[0]), self.weight)

    def _describe(self) -> str:
        return f"{self.weight:g}*{self.children[0].label}"


class Min(Term):
    def __init__(self, terms: Iterable[Term], name: str | None = None):
        super().__init__(name)
        self.children = tuple(_as_term(x) for x in terms)
        if len(self.children) < 2:
            raise ValueError("minimum needs at least two terms")

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        return np.minimum.reduce([values(c) for c in self.children])

    def fuse(self, plan: FusionBuilder) -> int | None:
        return plan.minimum([plan.value(c) for c in self.children])

    def _describe(self) -> str:
        return f"min({', '.join(c.label for c in self.children)})"


class Max(Min):
    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        return np.maximum.reduce([values(c) for c in self.children])

    def fuse(self, plan: FusionBuilder) -> int | None:
        return plan.maximum([plan.value(c) for c in self.children])

    def _describe(self) -> str:
        return f"max({', '.join(c.label for c in self.children)})"


class Clip(Term):
    def __init__(self, term: Term, low: float | None, high: float | None, name: str | None = None):
        super().__init__(name)
        if low is None and high is None:
            raise ValueError("clip needs a low or a high bound")
        if low is not None and high is not None and low > high:
            raise ValueError(f"clip bounds are reversed: low={low} > high={high}")
        self.children = (term,)
        self.low, self.high = low, high

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        return np.clip(values(self.children[0]), self.low, self.high)

    def fuse(self, plan: FusionBuilder) -> int | None:
        return plan.clip(plan.value(self.children[0]), self.low, self.high)

    def _describe(self) -> str:
        return f"clip({self.children[0].label}, {self.low}, {self.high})"


class Gate(Term):
    """``term`` where ``condition > threshold``, else 0. Both are evaluated every
    step (a stateful condition keeps its statistics up to date)."""

    def __init__(
        self, term: Term, condition: Term, threshold: float = 0.0, name: str | None = None
    ):
        super().__init__(name)
        self.children = (term, condition)
        self.threshold = float(threshold)

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        value, cond = values(self.children[0]), values(self.children[1])
        return np.where(cond > self.threshold, value, 0.0)

    def fuse(self, plan: FusionBuilder) -> int | None:
        value, cond = plan.value(self.children[0]), plan.value(self.children[1])
        return plan.gate(value, cond, self.threshold)

    def _describe(self) -> str:
        return f"{self.children[0].label} if {self.children[1].label} > {self.threshold:g}"


def minimum(*terms: Term | float, name: str | None = None) -> Term:
    return Min(list(terms), name=name)  # type: ignore[arg-type]


def maximum(*terms: Term | float, name: str | None = None) -> Term:
    return Max(list(terms), name=name)  # type: ignore[arg-type]


def weighted_sum(
    weights: Mapping[Term, float] | Iterable[tuple[Term, float]], name: str | None = None
) -> Term:
    """``Σ w_i term_i``; ``weights`` maps terms to weights."""
    items = weights.items() if isinstance(weights, Mapping) else weights
    return Sum([Scale(term, w) for term, w in items], name=name)
