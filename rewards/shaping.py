"""Potential-based reward shaping (Ng, Harada and Russell 1999, "Policy invariance
under reward transformations").

``F(s, a, s') = gamma * Phi(s') - Phi(s)`` with ``Phi(s') = 0`` when ``s'`` is
terminal. The terminal rule applies on ``terminated`` only: a truncated episode is
cut by a time limit, the learner bootstraps from ``s'``, so ``Phi(s')`` stays. With
the learner's discount ``gamma``, the shaped MDP has the same optimal policies as the
original (every policy's Q-values shift by ``-Phi(s)``); with another gamma, or a
non-zero terminal potential, it need not.

Potentials are functions of a batch of observations (``obs[..., :]`` -> values), like
the ones every control task exports as ``env.unwrapped.potentials``; pass one by name
(``potential="upright"``) or as a callable.

* :class:`Shaping` — the shaping term, to combine with others
  (``EnvReward() + Shaping(...)``).
* :class:`PotentialShaping` / :class:`VectorPotentialShaping` — the env's reward plus
  ``coef`` times the shaping term, for a Gymnasium env or vector env.
* :func:`shaping_table` — ``F`` as an (S, A, S) array for tabular MDPs.
* :func:`check_gamma` — raises when a learner's discount differs from the one the
  shaping in an env stack was built with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import VectorEnv

from .terms import EnvReward, Term, Transitions
from .wrappers import RewardWrapper, VectorRewardWrapper

if TYPE_CHECKING:
    from ._fused import FusionBuilder

__all__ = [
    "PotentialShaping",
    "Shaping",
    "VectorPotentialShaping",
    "check_gamma",
    "shaping_table",
]

Potential = Callable[[Any], Any]


def resolve_potential(env: Any, potential: str | Potential) -> tuple[str, Potential]:
    """(label, function) of a potential given by name (from the env's exported
    ``potentials``) or as a callable."""
    if callable(potential):
        return getattr(potential, "__name__", "potential"), potential
    unwrapped = getattr(env, "unwrapped", env)
    table = getattr(unwrapped, "potentials", None)
    if table is None and hasattr(unwrapped, "env_cls"):  # a rewardgym vector env
        table = unwrapped.env_cls.potentials
    if not table or potential not in table:
        known = ", ".join(table) if table else "none"
        raise ValueError(
            f"unknown potential {potential!r} for this env; it exports: {known}. "
            "Pass a callable potential(obs) -> value instead."
        )
    return potential, table[potential]


def _check_gamma(gamma: float) -> float:
    if not 0.0 < gamma <= 1.0:
        raise ValueError(f"gamma must be in (0, 1] and equal to the learner's, got {gamma}")
    return float(gamma)


class Shaping(Term):
    """The shaping term ``gamma * Phi(s') * (1 - terminated) - Phi(s)``.

    >>> import numpy as np
    >>> from rewardgym.rewards.terms import Transitions
    >>> phi = lambda obs: obs[..., 0]
    >>> t = Transitions.from_arrays(np.array([[1.0], [1.0]]), np.zeros(2),
    ...                             np.array([[3.0], [3.0]]), np.zeros(2), [False, True])
    >>> Shaping(phi, gamma=0.5, name="f")(t).tolist()  # 0.5*3 - 1, then 0 - 1
    [0.5, -1.0]
    """

    def __init__(self, potential: Potential, gamma: float, name: str | None = None):
        if not callable(potential):
            raise TypeError("potential must be a function of observations")
        super().__init__(name or f"shaping/{getattr(potential, '__name__', 'potential')}")
        self.potential = potential
        self.gamma = _check_gamma(gamma)

    def _phi(self, obs: Any, b: int) -> np.ndarray:
        return np.asarray(self.potential(np.asarray(obs)), dtype=np.float64).reshape(b)

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        b = t.batch_size
        phi_next = np.where(t.terminated, 0.0, self._phi(t.next_obs, b))
        return self.gamma * phi_next - self._phi(t.obs, b)

    def fuse(self, plan: FusionBuilder) -> int | None:
        """Compiled when the potential has a compiled counterpart ``potential.numba(obs,
        out)`` (the control tasks' potentials do); ``Phi(s)`` is then the previous step's
        ``Phi`` of the observations, not evaluated twice."""
        return plan.shaping(self.potential, self.gamma)


class PotentialShaping(RewardWrapper):
    """The env's reward plus ``coef`` times potential-based shaping.

    ``info["reward_terms"]`` gets the env's reward under ``"env"`` and the shaping
    term under ``name`` (default ``"shaping/<potential>"``).

    >>> import gymnasium as gym, rewardgym
    >>> from rewardgym.rewards.shaping import PotentialShaping
    >>> env = PotentialShaping(gym.make("rewardgym/MountainCar-v0"), "height", gamma=0.99)
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(2)
    >>> sorted(info["reward_terms"])
    ['env', 'shaping/height']
    """

    def __init__(
        self,
        env: gym.Env[Any, Any],
        potential: str | Potential,
        gamma: float = 0.99,
        coef: float = 1.0,
        name: str | None = None,
    ):
        self.shaping = _shaping_term(env, potential, gamma, coef, name)
        super().__init__(env, EnvReward() + coef * self.shaping)


class VectorPotentialShaping(VectorRewardWrapper):
    """:class:`PotentialShaping` for a vector env, on whole batches (the NEXT_STEP
    reset step gets no shaping; SAME_STEP uses ``info["final_obs"]`` as ``s'``)."""

    def __init__(
        self,
        env: VectorEnv[Any, Any, Any],
        potential: str | Potential,
        gamma: float = 0.99,
        coef: float = 1.0,
        name: str | None = None,
    ):
        self.shaping = _shaping_term(env, potential, gamma, coef, name)
        super().__init__(env, EnvReward() + coef * self.shaping)


def _shaping_term(
    env: Any, potential: str | Potential, gamma: float, coef: float, name: str | None
) -> Shaping:
    if not np.isfinite(coef):
        raise ValueError(f"coef must be finite, got {coef}")
    label, fn = resolve_potential(env, potential)
    return Shaping(fn, gamma, name=name or f"shaping/{label}")


def shaping_table(phi: np.ndarray, gamma: float, terminal: np.ndarray | None = None) -> np.ndarray:
    """``F[s, a, s'] = gamma * Phi(s') - Phi(s)`` for a tabular MDP with potentials
    ``phi`` (S,), with ``Phi = 0`` at terminal successor states (``terminal`` (S,)
    bool). The action axis has size 1: broadcast it against (S, A, S) rewards."""
    phi = np.asarray(phi, dtype=np.float64).reshape(-1)
    _check_gamma(gamma)
    phi_next = phi if terminal is None else np.where(np.asarray(terminal, bool), 0.0, phi)
    return (gamma * phi_next[None, None, :] - phi[:, None, None]).astype(np.float64)


def check_gamma(env: Any, learner: Any, rtol: float = 1e-9) -> None:
    """Raise ``ValueError`` when ``learner.gamma`` (SB3 algorithms, or any object
    with a ``gamma``) differs from the gamma of a shaping term in ``env``'s wrapper
    stack: shaping keeps optimal policies only with the learner's own discount."""
    learner_gamma = getattr(learner, "gamma", learner)
    if not isinstance(learner_gamma, (int, float)):
        raise TypeError("learner must expose a numeric .gamma (or be the gamma itself)")
    node: Any = env
    while node is not None:
        core = getattr(node, "core", None)
        root = getattr(core, "reward", None) if core is not None else None
        if isinstance(root, Term):
            for term in root.walk():
                if isinstance(term, Shaping) and not np.isclose(
                    term.gamma, learner_gamma, rtol=rtol, atol=0.0
                ):
                    raise ValueError(
                        f"shaping term {term.label!r} uses gamma={term.gamma} but the learner "
                        f"discounts with gamma={learner_gamma}; shaping changes the optimal "
                        "policy unless the two are equal"
                    )
        node = getattr(node, "env", None)
