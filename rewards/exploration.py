"""Exploration bonuses for vector envs: visit counts, RND and E3B.

Each bonus is a batched, stateful object that scores the B transitions of one vector-env
step at once and keeps whatever statistics it needs between steps. They share one small
interface (:class:`ExplorationBonus`), so that a reward term can wrap any of them:

``bonus(obs, action, next_obs, terminated, truncated, valid=None) -> (B,) float64``
    Score a batch of transitions (leading dimension ``B == num_envs``, row ``i`` is env
    ``i``) and update the statistics. ``valid`` (optional, ``(B,)`` bool) marks rows that
    are real transitions; other rows (e.g. the reset step of a ``NEXT_STEP`` autoreset
    vector env) get bonus 0 and change no state.
``reset(mask=None)``
    Episode boundary for the envs in ``mask`` (``None``: all): clears their episodic state.
    No bonus resets itself on ``terminated``/``truncated``; the caller calls ``reset`` after
    the step that ended an episode (or before the first step of the next one). The flags
    are validated and passed on for bonuses that need them.
``freeze()`` / ``unfreeze()`` / ``training``
    A frozen bonus still computes values but learns nothing: global counts, network
    weights, optimiser state and running means/stds stay as they are. Per-episode memory
    (episodic visit counts, E3B's inverse covariance) keeps following the episode, since it
    is part of the bonus' definition and is reset every episode anyway; a frozen bonus is
    what an evaluation episode would see.
``stats() -> dict[str, float]``
    Running statistics to log (see each class).
``compiled_batch()``
    A compiled path ``fn(next_obs, invalid, out)`` for the vector wrapper's fused
    evaluation, or None (:class:`CountBonus` has one; RND and E3B run torch).

Bonuses
-------

**Visit counts** (:class:`CountBonus`), after Henaff et al. 2023, "A Study of Global and
Episodic Bonuses for Exploration in Contextual MDPs" (ICML). With ``N(s')`` the number of
visits of the successor state *including the current one*:

* ``"global"``: ``b = 1 / sqrt(N_global(s'))``, counts over the whole run (the classic
  count bonus, as in MBIE-EB and Bellemare et al. 2016);
* ``"episodic"``: ``b = 1[N_episode(s') == 1]``, 1 on the first visit of ``s'`` within the
  current episode of that env, else 0;
* ``"product"``: ``b = 1/sqrt(N_global(s')) * 1[N_episode(s') == 1]``, the combination the
  paper finds robust across contextual MDPs.

States are identified by *keys*. By default a key is the exact bytes of the observation
(``np.ascontiguousarray(obs[i]).tobytes()``), right for discrete or small observations (note
that ``0.0`` and ``-0.0``, or two NaN payloads, are different keys). For continuous
observations pass ``hasher=SimHash(obs_dim)`` (Tang et al. 2017, "#Exploration: A Study of
Count-Based Exploration for Deep Reinforcement Learning"): ``key(s) = sign(A g(s))`` with
``A ~ N(0, 1)`` of shape ``(bits, dim)`` and ``g`` the flattened observation, packed into
``ceil(bits/8)`` bytes. Nearby states (small angle between them) share a key with high
probability. Any callable mapping a ``(B, ...)`` batch to ``(B, ...)`` arrays works as a
hasher; its rows' bytes are the keys. :func:`hasher_for_space` picks one for a space.

Order within a batch: the B transitions of a step count as if they happened one after the
other in env order 0..B-1. If envs 0 and 1 both reach a never-seen ``s'`` in the same step,
env 0 sees ``N_global = 1`` (bonus 1) and env 1 sees ``N_global = 2`` (bonus 1/sqrt(2)).
Episodic counts are per env, so they have no such interaction.

Complexity: global counts live in an open-addressing hash table (linear probing, load at
most 1/2, exact keys of w 8-byte words, a 64-bit splitmix hash). The episodic memory of
each env holds the keys of its current episode: an inline list of up to 32 keys per env
and, for longer episodes, an overflow hash table keyed (episode id, key); a reset gives
the env a new episode id and an empty list in O(1), and rebuilds of the overflow table
drop the entries of finished episodes, so memory follows the number of global keys plus
the distinct keys of the running episodes. A step runs one compiled kernel: a row pass
(in parallel on large batches) looks up each row's global slot read-only and visits its
inline list; a pass in env order then inserts the keys first seen in this batch and
counts the visits, which gives the in-batch order (expected O(B w) in all). Growing the
global table rehashes it, O(1) amortised per new key. (A frozen global look-up groups
equal keys with ``np.unique(axis=0)`` instead, O(B log B w).) The vectorised NumPy tables
of the first version are kept as the reference (``_CountTable(reference=True)``,
``CountBonus._REFERENCE``). ``"product"`` with ``SimHash(4, bits=32)`` on CartPole
observations (random CartPole episodes, replayed), per call on this project's 2-core
machine: B = 64 0.01 ms, B = 1024 0.045 ms, B = 8192 0.19-0.23 ms depending on the run
(first version: 0.21, 1.1 and 1.2-7.2 ms; 0.24 ms with 16 inline keys, whose overflow
table took a tenth of the rows). At B = 8192 SimHash's projection takes 0.04-0.05 ms, the
global look-ups 0.02 ms, the pass in env order 0.04 ms and the inline lists 0.08 ms, bound
by memory traffic and mispredicted branches.

**Random Network Distillation** (:class:`RNDBonus`), Burda et al. 2018, "Exploration by
Random Network Distillation": a fixed, randomly initialised target network ``f`` and a
predictor ``f_hat`` trained to match it on visited states. The raw bonus of a transition is
the prediction error on its successor, ``b = 0.5 * ||f_hat(x) - f(x)||^2``, with ``x`` the
observation whitened by a running per-dimension mean and std and clipped to
``[-obs_clip, obs_clip]``. Rarely seen states are predicted badly and get large bonuses.
The returned bonus is ``b / std(R_int)``, with ``R_int`` the per-env discounted intrinsic
return ``R_t = gamma_int * R_{t-1} + b_t`` and its std a running estimate over all envs and
steps. As in the paper the intrinsic return is *non-episodic*: ``R`` is never reset at an
episode end, and ``reset()`` is a no-op for RND. Within a step: the observation statistics take in
the batch, the raw bonuses are computed, the returns and their statistics take them in, the
bonus is ``raw / std`` with that updated std (1 before any update), and then the predictor
is trained (every ``update_every`` steps, on the whitened successors of those steps), so
the bonus of a step comes from the predictor before it saw that step.

**Elliptical Episodic Bonus** (:class:`E3BBonus`), Henaff et al. 2022, "Exploration via
Elliptical Episodic Bonuses" (NeurIPS): an embedding ``phi`` learned by inverse dynamics (an
encoder MLP and a head predicting ``a_t`` from ``[phi(s_t), phi(s_{t+1})]``, cross-entropy
for discrete actions, mean squared error for continuous ones), and for each env the
inverse of ``C = sum_i phi_i phi_i^T + ridge * I`` over the embeddings of the current
episode (``C^{-1} = I / ridge`` at the start of an episode). The bonus of a transition is
``b = u^T C^{-1} u`` with ``u = phi(s_{t+1})``, the embedding of the *successor* state,
computed *before* ``u`` joins ``C``; then ``C^{-1}`` is updated by Sherman-Morrison,
``C^{-1} <- C^{-1} - (C^{-1} u)(C^{-1} u)^T / (1 + u^T C^{-1} u)``, batched over envs
(O(B d^2) per step, ``d = embed_dim``, in float64). The bonus uses the encoder before the
step's gradient update; the encoder is trained by one Adam step per call on the batch.

Usage::

    bonus = CountBonus(num_envs, mode="product", hasher=SimHash(obs_dim))
    b = bonus(obs, action, next_obs, terminated, truncated)
    bonus.reset(terminated | truncated)

torch is imported only when an :class:`RNDBonus` or :class:`E3BBonus` is built.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike, NDArray

from rewardgym._numba import cache_enabled

from ._threads import use_parallel
from .normalize import RunningMeanStd
from .terms import Term, Transitions

if TYPE_CHECKING:
    import gymnasium as gym
    from torch import Tensor, nn

    from ._fused import FusionBuilder

__all__ = [
    "Bonus",
    "CountBonus",
    "E3BBonus",
    "ExplorationBonus",
    "RNDBonus",
    "SimHash",
    "hasher_for_space",
]

Hasher = Callable[[NDArray[Any]], ArrayLike]
CountMode = Literal["global", "episodic", "product"]


# -- validation -------------------------------------------------------------------------------
def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _positive_float(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}") from None
    if not (math.isfinite(v) and v > 0.0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return v


# -- the shared interface ---------------------------------------------------------------------
class ExplorationBonus(ABC):
    """Base class of the batched exploration bonuses (see the module docstring)."""

    def __init__(self, num_envs: int) -> None:
        self.num_envs = _positive_int("num_envs", num_envs)
        self._training = True
        self._last_bonus: NDArray[np.float64] | None = None
        self._last_mean: float | None = None  # set instead by compiled batch paths

    @property
    def training(self) -> bool:
        """False while frozen."""
        return self._training

    def freeze(self) -> None:
        """Keep computing bonuses, stop learning (counts, weights, running statistics)."""
        self._training = False

    def unfreeze(self) -> None:
        self._training = True

    def __call__(
        self,
        obs: ArrayLike,
        action: ArrayLike,
        next_obs: ArrayLike,
        terminated: ArrayLike,
        truncated: ArrayLike,
        valid: ArrayLike | None = None,
    ) -> NDArray[np.float64]:
        """Bonuses of a batch of transitions, shape ``(num_envs,)`` float64 (0 on rows that
        are not ``valid``); updates the statistics unless frozen."""
        b = self.num_envs
        o, a, n = np.asarray(obs), np.asarray(action), np.asarray(next_obs)
        for name, arr in (("obs", o), ("action", a), ("next_obs", n)):
            if arr.ndim == 0 or arr.shape[0] != b:
                raise ValueError(
                    f"{name} must have leading dimension num_envs={b}, got shape {arr.shape}"
                )
        if o.shape != n.shape:
            raise ValueError(f"obs and next_obs shapes differ: {o.shape} vs {n.shape}")
        term = self._flags("terminated", terminated)
        trunc = self._flags("truncated", truncated)
        ok = np.ones(b, bool) if valid is None else self._flags("valid", valid)
        bonus = self._compute(o, a, n, term, trunc, ok)
        bonus = np.where(ok, bonus, 0.0).astype(np.float64, copy=False)
        self._last_bonus = bonus[ok]
        self._last_mean = None
        return bonus

    def compiled_batch(
        self,
    ) -> Callable[[Any, NDArray[np.bool_] | None, NDArray[np.float64]], None] | None:
        """A compiled batch path for fused reward kernels, or None (the default):
        ``fn(next_obs, invalid, out)`` writes the bonuses of a batch into ``out`` (0 on
        ``invalid`` rows) and updates the statistics as a call does."""
        return None

    def reset(self, mask: ArrayLike | None = None) -> None:
        """Episode boundary for the envs in ``mask`` (``(num_envs,)`` bool; None: all)."""
        m = np.ones(self.num_envs, bool) if mask is None else self._flags("mask", mask)
        if m.any():
            self._reset(m)

    def stats(self) -> dict[str, float]:
        """Running statistics; every bonus reports ``bonus_mean`` (mean over the valid rows
        of the last batch, NaN before the first)."""
        last = self._last_bonus
        mean = float(last.mean()) if last is not None and last.size else math.nan
        if self._last_mean is not None:
            mean = self._last_mean
        return {"bonus_mean": mean, **self._stats()}

    def _flags(self, name: str, x: ArrayLike) -> NDArray[np.bool_]:
        arr = np.asarray(x)
        if arr.shape != (self.num_envs,):
            raise ValueError(f"{name} must have shape ({self.num_envs},), got {arr.shape}")
        return arr.astype(bool, copy=False)

    @abstractmethod
    def _compute(
        self,
        obs: NDArray[Any],
        action: NDArray[Any],
        next_obs: NDArray[Any],
        terminated: NDArray[np.bool_],
        truncated: NDArray[np.bool_],
        valid: NDArray[np.bool_],
    ) -> NDArray[np.float64]: ...

    def _reset(self, mask: NDArray[np.bool_]) -> None:  # noqa: B027 - default: no episodic state
        """Clear the episodic state of the envs in ``mask``."""

    def _stats(self) -> dict[str, float]:
        return {}


# -- keys and counting ------------------------------------------------------------------------
class SimHash:
    """Locality-sensitive hash of Tang et al. 2017: ``key(s) = sign(A s)`` packed to bytes,
    with ``A ~ N(0, 1)`` of shape ``(bits, obs_dim)`` drawn from ``seed``.

    ``hasher(obs)`` maps a ``(B, obs_dim)`` batch (or ``(B, ...)`` with ``obs_dim`` elements
    per row) to ``(B, ceil(bits / 8))`` uint8, bit ``k`` of the key being the most
    significant first bit of byte ``k // 8`` (``np.packbits`` order). Two states collide
    with probability ``(1 - angle(s, s') / pi) ** bits``; deterministic for a seed.

    Each projection ``(A s)_k`` is summed in float64 in dimension order,
    ``((A_k0 s_0 + A_k1 s_1) + A_k2 s_2) + ...``, by a compiled kernel (parallel over rows
    on large batches), so the keys do not depend on a BLAS library's summation order or
    on the thread count. :meth:`words` gives the keys as the ``(B, w)`` uint64 words the
    count tables use. ``projection`` is read-only.
    """

    def __init__(self, obs_dim: int, bits: int = 32, seed: int = 0) -> None:
        self.obs_dim = _positive_int("obs_dim", obs_dim)
        self.bits = _positive_int("bits", bits)
        self.seed = int(seed)
        projection = np.random.default_rng(self.seed).standard_normal((self.bits, obs_dim))
        projection.setflags(write=False)
        self.projection = projection
        self.nbytes = -(-self.bits // 8)
        self.nwords = -(-self.nbytes // 8)
        # Bit k of the packed key, as a value inside its uint64 word (endian-independent).
        packed = np.zeros((self.bits, self.nwords * 8), np.uint8)
        packed[np.arange(self.bits), np.arange(self.bits) // 8] = 1 << (
            7 - np.arange(self.bits) % 8
        )
        self._bit_value = packed.view(np.uint64).sum(axis=1).astype(np.uint64)
        self._kernel_args: tuple[Any, NDArray[np.float64]] | None = None

    def _padded(self) -> NDArray[np.float64]:
        """``A`` transposed, zero-padded to a multiple of 4 dimensions: (4 ceil(d/4), bits)."""
        if self._kernel_args is None or self._kernel_args[0] is not self.projection:
            proj = np.asarray(self.projection, dtype=np.float64)
            d4 = -(-self.obs_dim // 4) * 4
            pt = np.zeros((d4, self.bits))
            pt[: self.obs_dim] = proj.T
            self._kernel_args = (self.projection, pt)
        return self._kernel_args[1]

    def _rows(self, obs: ArrayLike) -> NDArray[Any]:
        x = np.asarray(obs)
        if x.ndim == 0 or x[0].size != self.obs_dim:
            raise ValueError(f"SimHash expects (B, {self.obs_dim}) observations, got {x.shape}")
        if x.dtype not in _KERNEL_DTYPES:
            x = x.astype(np.float64)
        return np.ascontiguousarray(x.reshape(x.shape[0], self.obs_dim))

    def words(self, obs: ArrayLike) -> NDArray[np.uint64]:
        """The keys of a batch as ``(B, w)`` uint64 words, ``w = ceil(bits / 64)`` (the
        packed bytes zero-padded to whole words, as the count tables store them)."""
        x = self._rows(obs)
        out = np.empty((x.shape[0], self.nwords), np.uint64)
        kernel = _nb_simhash_par if use_parallel(x.shape[0]) else _nb_simhash
        kernel(x, self._padded(), self._bit_value, out)
        return out

    def __call__(self, obs: ArrayLike) -> NDArray[np.uint8]:
        words = self.words(obs)
        raw = words.view(np.uint8).reshape(words.shape[0], 8 * self.nwords)
        return np.ascontiguousarray(raw[:, : self.nbytes])

    def __repr__(self) -> str:
        return f"SimHash(obs_dim={self.obs_dim}, bits={self.bits}, seed={self.seed})"


def hasher_for_space(space: gym.Space[Any], bits: int = 32, seed: int = 0) -> SimHash | None:
    """``None`` (exact observation bytes) for discrete spaces and integer/bool boxes, a
    :class:`SimHash` of the flattened observation for floating-point boxes."""
    from gymnasium import spaces

    if isinstance(space, spaces.Box) and np.issubdtype(space.dtype, np.floating):
        return SimHash(int(np.prod(space.shape)), bits=bits, seed=seed)
    if isinstance(space, spaces.Discrete | spaces.MultiDiscrete | spaces.MultiBinary | spaces.Box):
        return None
    raise ValueError(f"no default hasher for {space}; pass hasher= to CountBonus yourself")


def _key_words(keys: ArrayLike, n: int) -> NDArray[np.uint64]:
    """The rows' bytes as ``(n, w)`` uint64 words (zero-padded to a multiple of 8 bytes)."""
    a = np.ascontiguousarray(keys)
    if a.dtype.hasobject:
        raise ValueError("observation keys must be numeric arrays, not objects")
    if a.ndim == 0 or a.shape[0] != n or a.size == 0:
        raise ValueError(f"keys must be a non-empty (B={n}, ...) array, got shape {a.shape}")
    raw = a.reshape(n, -1).view(np.uint8)
    width = raw.shape[1]
    padded = np.zeros((n, -(-width // 8) * 8), np.uint8)
    padded[:, :width] = raw
    return padded.view(np.uint64)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _hash_rows(words: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """A 64-bit hash per row (splitmix64 finaliser chained over the words)."""
    h = np.full(words.shape[0], _GOLDEN, np.uint64)
    for j in range(words.shape[1]):
        h = h ^ words[:, j]
        h = (h ^ (h >> np.uint64(30))) * _MIX1
        h = (h ^ (h >> np.uint64(27))) * _MIX2
        h = h ^ (h >> np.uint64(31))
    return h


_CACHE = cache_enabled(__file__)
_KERNEL_DTYPES = tuple(
    np.dtype(t) for t in (np.float64, np.float32, np.int64, np.int32, np.int16, np.int8,
                          np.uint64, np.uint32, np.uint16, np.uint8, np.bool_)
)  # fmt: skip
_U27, _U30, _U31 = np.uint64(27), np.uint64(30), np.uint64(31)


@njit(cache=_CACHE, inline="always")
def _nb_hash_row(keys: Any, i: int) -> Any:  # pragma: no cover - compiled
    """:func:`_hash_rows` of row ``i``."""
    h = _GOLDEN
    for j in range(keys.shape[1]):
        h = h ^ keys[i, j]
        h = (h ^ (h >> _U30)) * _MIX1
        h = (h ^ (h >> _U27)) * _MIX2
        h = h ^ (h >> _U31)
    return h


@njit(cache=_CACHE)
def _nb_find(
    tkeys: Any, used: Any, counts: Any, keys: Any, insert: bool, add: bool, out: Any
) -> int:  # pragma: no cover - compiled
    """Linear probing for the rows of ``keys`` in row order: ``out[i]`` gets the slot of row
    ``i`` (-1 if absent and not ``insert``); with ``add`` the slot's count is incremented
    and ``out[i]`` gets the count after this visit instead. Returns the number of new
    keys. The caller keeps the load below 1/2, so every probe meets a free slot."""
    mask = used.shape[0] - 1
    w = keys.shape[1]
    new = 0
    for i in range(keys.shape[0]):
        s = np.intp(_nb_hash_row(keys, i) & np.uint64(mask))
        while True:
            if not used[s]:
                if insert:
                    used[s] = True
                    for j in range(w):
                        tkeys[s, j] = keys[i, j]
                    counts[s] = 0
                    new += 1
                else:
                    s = -1
                break
            same = True
            for j in range(w):
                if tkeys[s, j] != keys[i, j]:
                    same = False
                    break
            if same:
                break
            s = (s + 1) & mask
        if add and s >= 0:
            counts[s] += 1
            out[i] = counts[s]
        else:
            out[i] = s
    return new


@njit(cache=_CACHE, inline="always")
def _nb_simhash_small(
    x: Any, i: int, p0: Any, p1: Any, p2: Any, p3: Any, bit_value: Any
) -> Any:  # pragma: no cover - compiled
    """SimHash key word of row ``i`` of ``x`` for up to 4 dimensions and 64 bits;
    ``p0..p3`` are the projection's columns (zeros past the last dimension)."""
    d = x.shape[1]
    x0 = np.float64(x[i, 0])
    x1 = np.float64(x[i, 1]) if d > 1 else 0.0
    x2 = np.float64(x[i, 2]) if d > 2 else 0.0
    x3 = np.float64(x[i, 3]) if d > 3 else 0.0
    acc = np.uint64(0)
    for b in range(p0.shape[0]):
        s = p0[b] * x0 + p1[b] * x1 + p2[b] * x2 + p3[b] * x3
        acc += bit_value[b] if s > 0.0 else np.uint64(0)
    return acc


@njit(cache=_CACHE, inline="always")
def _nb_simhash_general(
    x: Any, i: int, pt: Any, bit_value: Any, proj: Any, out: Any
) -> None:  # pragma: no cover - compiled
    """SimHash key words of row ``i`` of ``x`` into ``out[i]``; ``pt`` is the projection
    transposed and zero-padded to a multiple of 4 dimensions, ``proj`` scratch (bits,)."""
    d = x.shape[1]
    bits = pt.shape[1]
    for b in range(bits):
        proj[b] = 0.0
    for j in range(0, pt.shape[0], 4):
        y0 = np.float64(x[i, j])
        y1 = np.float64(x[i, j + 1]) if j + 1 < d else 0.0
        y2 = np.float64(x[i, j + 2]) if j + 2 < d else 0.0
        y3 = np.float64(x[i, j + 3]) if j + 3 < d else 0.0
        for b in range(bits):
            proj[b] = (((proj[b] + pt[j, b] * y0) + pt[j + 1, b] * y1) + pt[j + 2, b] * y2) + (
                pt[j + 3, b] * y3
            )
    for w in range(out.shape[1]):
        acc = np.uint64(0)
        for b in range(64 * w, min(bits, 64 * w + 64)):
            acc += bit_value[b] if proj[b] > 0.0 else np.uint64(0)
        out[i, w] = acc


@njit(cache=_CACHE, inline="always")
def _nb_simhash_rows(
    lo: int, hi: int, x: Any, pt: Any, bit_value: Any, out: Any
) -> None:  # pragma: no cover - compiled
    """Key words of rows lo..hi-1 (the projection sums run in dimension order)."""
    # Slices indexed from 0: a loop index starting at a runtime value may be negative
    # for all the compiler knows, and its wraparound checks stop vectorization.
    xs, o = x[lo:hi], out[lo:hi]
    if pt.shape[0] == 4 and pt.shape[1] <= 64:
        p0, p1, p2, p3 = pt[0].copy(), pt[1].copy(), pt[2].copy(), pt[3].copy()
        for i in range(xs.shape[0]):
            o[i, 0] = _nb_simhash_small(xs, i, p0, p1, p2, p3, bit_value)
    else:
        proj = np.empty(pt.shape[1])
        for i in range(xs.shape[0]):
            _nb_simhash_general(xs, i, pt, bit_value, proj, o)


_ROW_BLOCK = 256


@njit(cache=_CACHE)
def _nb_simhash(x: Any, pt: Any, bit_value: Any, out: Any) -> None:  # pragma: no cover - compiled
    _nb_simhash_rows(0, x.shape[0], x, pt, bit_value, out)


@njit(cache=_CACHE, parallel=True)
def _nb_simhash_par(
    x: Any, pt: Any, bit_value: Any, out: Any
) -> None:  # pragma: no cover - compiled
    n = x.shape[0]
    for block in prange((n + _ROW_BLOCK - 1) // _ROW_BLOCK):
        lo = block * _ROW_BLOCK
        _nb_simhash_rows(lo, min(n, lo + _ROW_BLOCK), x, pt, bit_value, out)


@njit(cache=_CACHE, inline="always")
def _nb_probe(
    tkeys: Any, used: Any, keys: Any, i: int, h: Any
) -> int:  # pragma: no cover - compiled
    """Slot of row ``i`` of ``keys`` (hash ``h``) in a table, or -1; reads only."""
    mask = used.shape[0] - 1
    w = keys.shape[1]
    s = np.intp(h & np.uint64(mask))
    while used[s]:
        same = True
        for j in range(w):
            if tkeys[s, j] != keys[i, j]:
                same = False
                break
        if same:
            return s
        s = (s + 1) & mask
    return -1


@njit(cache=_CACHE, inline="always")
def _nb_insert(
    tkeys: Any, used: Any, counts: Any, keys: Any, i: int, h: Any
) -> int:  # pragma: no cover - compiled
    """Slot of row ``i`` of ``keys`` in a table, inserting it (count 0) if absent;
    returns the slot, negated minus one when the key is new."""
    s = _nb_probe(tkeys, used, keys, i, h)
    if s >= 0:
        return s
    mask = used.shape[0] - 1
    s = np.intp(h & np.uint64(mask))
    while used[s]:
        s = (s + 1) & mask
    used[s] = True
    for j in range(keys.shape[1]):
        tkeys[s, j] = keys[i, j]
    counts[s] = 0
    return -s - 1


@njit(cache=_CACHE, inline="always")
def _nb_hash1(key: Any) -> Any:  # pragma: no cover - compiled
    """:func:`_nb_hash_row` of a one-word key."""
    h = _GOLDEN ^ key
    h = (h ^ (h >> _U30)) * _MIX1
    h = (h ^ (h >> _U27)) * _MIX2
    return h ^ (h >> _U31)


@njit(cache=_CACHE, inline="always")
def _nb_count_rows(
    lo: int,
    hi: int,
    keys: Any,
    invalid: Any,
    count_global: bool,
    episodic: bool,
    gkeys: Any,
    gused: Any,
    inline: Any,
    distinct: Any,
    slots: Any,
    first: Any,
) -> None:  # pragma: no cover - compiled
    """Row pass over lo..hi-1: global slots (read-only look-up; -1 if absent) and
    episodic visits of the inline lists (``first[i]``: 1 first visit, 0 repeat, -1 left
    to the overflow table). One-word keys take loops without inner key loops."""
    keys_all = keys
    keys, invalid, slots = keys[lo:hi], invalid[lo:hi], slots[lo:hi]  # indexed from 0
    inline, distinct, first = inline[lo:hi], distinct[lo:hi], first[lo:hi]
    m = keys.shape[0]
    w = keys.shape[1]
    if count_global:
        if w == 1:
            mask = gused.shape[0] - 1
            for i in range(m):
                if invalid[i]:
                    continue
                key = keys[i, 0]
                s = np.intp(_nb_hash1(key) & np.uint64(mask))
                while gused[s] and gkeys[s, 0] != key:
                    s = (s + 1) & mask
                slots[i] = s if gused[s] else -1
        else:
            for i in range(m):
                if not invalid[i]:
                    slots[i] = _nb_probe(gkeys, gused, keys, i, _nb_hash_row(keys, i))
    if episodic:
        k = inline.shape[1] // w  # inline: (envs, keys * w), each env's keys in a row
        if w == 1:  # 1-d keys, no inner loop over key words
            one = keys_all.reshape(keys_all.shape[0])[lo:hi]
            for i in range(m):
                if invalid[i]:
                    continue
                held = min(distinct[i], k)
                key = one[i]
                found = False
                for s in range(held):  # branch-free: short lists, unpredictable hits
                    found |= inline[i, s] == key
                if found:
                    first[i] = 0
                elif held < k:
                    inline[i, held] = key
                    distinct[i] += 1
                    first[i] = 1
                else:
                    first[i] = -1
            return
        for i in range(m):
            if invalid[i]:
                continue
            held = min(distinct[i], k)
            found = False
            for s in range(held):
                same = True
                for j in range(w):
                    same &= inline[i, s * w + j] == keys[i, j]
                found |= same
            if found:
                first[i] = 0
            elif held < k:
                for j in range(w):
                    inline[i, held * w + j] = keys[i, j]
                distinct[i] += 1
                first[i] = 1
            else:
                first[i] = -1


@njit(cache=_CACHE, inline="always")
def _nb_count_serial(
    keys: Any,
    invalid: Any,
    count_global: bool,
    episodic: bool,
    gkeys: Any,
    gused: Any,
    gcounts: Any,
    slots: Any,
    nglob: Any,
    okeys: Any,
    oused: Any,
    ocounts: Any,
    episode: Any,
    distinct: Any,
    first: Any,
    scratch: Any,
) -> tuple[int, int]:  # pragma: no cover - compiled
    """Row-order pass: global visits (inserting keys first seen in this batch; ``nglob[i]``
    is the count after row ``i``'s visit) and the episodic visits the inline lists left
    to the overflow table, keyed (episode id, key). Returns the numbers of new keys of
    the two tables."""
    new_global = 0
    new_overflow = 0
    w = keys.shape[1]
    for i in range(keys.shape[0]):
        if invalid[i]:
            continue
        if count_global:
            s = slots[i]
            if s < 0:  # absent before the batch; an earlier row may have inserted it since
                s = _nb_insert(gkeys, gused, gcounts, keys, i, _nb_hash_row(keys, i))
                if s < 0:
                    s = -s - 1
                    new_global += 1
            c = gcounts[s] + 1
            gcounts[s] = c
            nglob[i] = c
        if episodic and first[i] < 0:
            scratch[0, 0] = episode[i]
            for j in range(w):
                scratch[0, j + 1] = keys[i, j]
            s = _nb_insert(okeys, oused, ocounts, scratch, 0, _nb_hash_row(scratch, 0))
            if s < 0:
                new_overflow += 1
                distinct[i] += 1
                first[i] = 1
            else:
                first[i] = 0
    return new_global, new_overflow


@njit(cache=_CACHE, inline="always")
def _nb_bonus_rows(
    lo: int,
    hi: int,
    invalid: Any,
    count_global: bool,
    episodic: bool,
    nglob: Any,
    first: Any,
    out: Any,
) -> float:  # pragma: no cover - compiled
    """Bonus values of rows lo..hi-1 (0 on invalid rows); returns their sum. The value is
    ``1 / sqrt(N_global)`` (global), ``1[first visit]`` (episodic) or their product,
    computed as ``(1 / sqrt(N)) * 1.0`` or ``* 0.0`` like the NumPy path."""
    invalid, nglob, first, out = invalid[lo:hi], nglob[lo:hi], first[lo:hi], out[lo:hi]
    m = out.shape[0]
    if count_global and episodic:
        for i in range(m):
            v = (1.0 / np.sqrt(np.float64(nglob[i]))) * (1.0 if first[i] == 1 else 0.0)
            out[i] = 0.0 if invalid[i] else v
    elif count_global:
        for i in range(m):
            v = 1.0 / np.sqrt(np.float64(nglob[i]))
            out[i] = 0.0 if invalid[i] else v
    else:
        for i in range(m):
            out[i] = 1.0 if first[i] == 1 and not invalid[i] else 0.0
    lanes = np.zeros(8)  # partial sums in a fixed order; a constant inner trip count
    m8 = m - m % 8  # lets the compiler vectorize the loop
    for i0 in range(0, m8, 8):
        for lane in range(8):
            lanes[lane] += out[i0 + lane]
    for lane in range(m - m8):
        lanes[lane] += out[m8 + lane]
    return lanes.sum()


@njit(cache=_CACHE, error_model="numpy")
def _nb_count_step(
    x: Any,
    pt: Any,
    bit_value: Any,
    hash_rows: bool,
    keys: Any,
    invalid: Any,
    count_global: bool,
    episodic: bool,
    gkeys: Any,
    gused: Any,
    gcounts: Any,
    inline: Any,
    okeys: Any,
    oused: Any,
    ocounts: Any,
    episode: Any,
    distinct: Any,
    slots: Any,
    nglob: Any,
    first: Any,
    out: Any,
) -> tuple[int, int, float]:  # pragma: no cover - compiled
    """One batch of :class:`CountBonus` (training global counts and/or episodic
    visits); with ``hash_rows`` the keys are first the SimHash keys of ``x`` (written to
    ``keys``). Returns (new global keys, new overflow keys, sum of the bonuses)."""
    n = keys.shape[0]
    scratch = np.empty((1, keys.shape[1] + 1), np.uint64)
    if hash_rows:
        _nb_simhash_rows(0, n, x, pt, bit_value, keys)
    _nb_count_rows(0, n, keys, invalid, count_global, episodic, gkeys, gused, inline,
                   distinct, slots, first)  # fmt: skip
    new_g, new_o = _nb_count_serial(keys, invalid, count_global, episodic, gkeys, gused,
                                    gcounts, slots, nglob, okeys, oused, ocounts, episode,
                                    distinct, first, scratch)  # fmt: skip
    total = _nb_bonus_rows(0, n, invalid, count_global, episodic, nglob, first, out)
    return new_g, new_o, total


@njit(cache=_CACHE, parallel=True, error_model="numpy")
def _nb_count_step_par(
    x: Any,
    pt: Any,
    bit_value: Any,
    hash_rows: bool,
    keys: Any,
    invalid: Any,
    count_global: bool,
    episodic: bool,
    gkeys: Any,
    gused: Any,
    gcounts: Any,
    inline: Any,
    okeys: Any,
    oused: Any,
    ocounts: Any,
    episode: Any,
    distinct: Any,
    slots: Any,
    nglob: Any,
    first: Any,
    out: Any,
) -> tuple[int, int, float]:  # pragma: no cover - compiled
    """:func:`_nb_count_step` with the row pass (hashing, look-ups, episodic lists) in
    parallel; the pass in row order, which fixes the in-batch order of global counts,
    and the cheap vectorized bonus pass stay serial (one parallel region per call)."""
    n = keys.shape[0]
    scratch = np.empty((1, keys.shape[1] + 1), np.uint64)
    nblocks = (n + _ROW_BLOCK - 1) // _ROW_BLOCK
    for block in prange(nblocks):
        lo = block * _ROW_BLOCK
        hi = min(n, lo + _ROW_BLOCK)
        if hash_rows:
            _nb_simhash_rows(lo, hi, x, pt, bit_value, keys)
        _nb_count_rows(lo, hi, keys, invalid, count_global, episodic, gkeys, gused, inline,
                       distinct, slots, first)  # fmt: skip
    new_g, new_o = _nb_count_serial(keys, invalid, count_global, episodic, gkeys, gused,
                                    gcounts, slots, nglob, okeys, oused, ocounts, episode,
                                    distinct, first, scratch)  # fmt: skip
    total = _nb_bonus_rows(0, n, invalid, count_global, episodic, nglob, first, out)
    return new_g, new_o, total


# Placeholders for the kernel's SimHash arguments when it is given keys.
_NO_ROWS = np.zeros((0, 4), np.float32)
_NO_PROJECTION = np.zeros((4, 1))
_NO_BITS = np.zeros(1, np.uint64)


@njit(cache=_CACHE)
def _nb_new_episodes(mask: Any, ids: Any, distinct: Any) -> None:  # pragma: no cover - compiled
    """New episode ids (the next of each env's sequence) and empty sets for ``mask``."""
    step = np.uint64(ids.shape[0])
    for i in range(mask.shape[0]):
        if mask[i]:
            ids[i] += step
            distinct[i] = 0


class _EpisodeSets:
    """The keys each env has seen in its current episode: an inline list of up to
    ``inline`` keys per env (scanned in a parallel row pass) and, for longer episodes,
    an overflow hash table keyed (episode id, key) whose rebuilds drop the entries of
    finished episodes. A new episode id with a zero distinct count empties an env's
    set in O(1)."""

    def __init__(
        self,
        num_envs: int,
        words: int,
        inline: int,
        capacity: int,
        episode: NDArray[np.uint64],
        distinct: NDArray[np.int64],
    ) -> None:
        self.words = words
        self.inline = np.zeros((num_envs, inline * words), np.uint64)
        self._episode = episode
        self._distinct = distinct
        self.overflow = _CountTable(words + 1, capacity, live=self._live)

    def _live(self, keys: NDArray[np.uint64]) -> NDArray[np.bool_]:
        """Entries of running episodes (an id names its env: id mod num_envs)."""
        ids = keys[:, 0]
        env = (ids % np.uint64(self._episode.shape[0])).astype(np.intp)
        return self._episode[env] == ids

    @property
    def capacity(self) -> int:
        """Key slots: inline lists plus the overflow table."""
        return int(self.inline.size // self.words) + self.overflow.capacity

    @property
    def size(self) -> int:
        """Keys held for the running episodes."""
        return int(self._distinct.sum())

    def ensure_room(self, rows: int) -> None:
        """Make room in the overflow table for ``rows`` new keys."""
        table = self.overflow
        if table.size + rows > table.MAX_LOAD * table.capacity:
            table._rebuild(rows)


class _CountTable:
    """Open-addressing hash table (linear probing) from fixed-width keys of ``words`` uint64
    words to int64 counts, with batched look-up and insertion. No deletion: rebuilding
    (on growth) keeps only the rows ``live(keys)`` accepts."""

    MAX_LOAD = 0.5
    WINDOW = 8  # slots examined per key and probe round

    def __init__(
        self,
        words: int,
        capacity: int = 1024,
        live: Callable[[NDArray[np.uint64]], NDArray[np.bool_]] | None = None,
        reference: bool = False,
    ) -> None:
        self.words = words
        self.reference = reference  # the vectorised NumPy probing instead of the Numba kernel
        self.min_capacity = max(1 << max(int(capacity) - 1, 1).bit_length(), self.WINDOW)
        self._live = live
        self._alloc(self.min_capacity)

    def _alloc(self, capacity: int) -> None:
        self.keys = np.zeros((capacity, self.words), np.uint64)
        self.used = np.zeros(capacity, bool)
        self.counts = np.zeros(capacity, np.int64)
        self._claim = np.zeros(capacity, np.intp)  # scratch for resolving insert races
        self.size = 0

    @property
    def capacity(self) -> int:
        return int(self.used.shape[0])

    def find(self, keys: NDArray[np.uint64], insert: bool) -> NDArray[np.intp]:
        """Slot of each row of ``keys`` (equal rows get the same slot); a missing row gets
        -1, or with ``insert`` a new slot with count 0."""
        n = keys.shape[0]
        if insert and self.size + n > self.MAX_LOAD * self.capacity:
            self._rebuild(n)
        if not self.reference:
            out = np.empty(n, np.intp)
            k = np.ascontiguousarray(keys, dtype=np.uint64)
            self.size += _nb_find(self.keys, self.used, self.counts, k, insert, False, out)
            return out
        mask = self.capacity - 1
        start = (_hash_rows(keys) & np.uint64(mask)).astype(np.intp)
        out = np.full(n, -1, np.intp)
        pending = np.arange(n)
        offsets = np.arange(self.WINDOW)
        while pending.size:  # one round per WINDOW probe steps (or lost insert race)
            window = (start[pending, None] + offsets) & mask
            used = self.used[window]
            hit = used & (self.keys[window] == keys[pending, None, :]).all(axis=2)
            stop = hit | ~used  # the probe ends at the key or at a free slot
            ends = stop.any(axis=1)
            first = stop.argmax(axis=1)
            slot = window[np.arange(pending.size), first]
            found = ends & hit[np.arange(pending.size), first]
            out[pending[found]] = slot[found]
            settled = found | (ends & (not insert))
            if insert:
                new = np.flatnonzero(ends & ~found)
                # Rows reaching the same free slot race for it: one claims it; the others
                # retry from that slot, where an equal key now makes them a hit.
                self._claim[slot[new]] = new
                won = new[self._claim[slot[new]] == new]
                ws = slot[won]
                self.used[ws] = True
                self.keys[ws] = keys[pending[won]]
                self.counts[ws] = 0
                self.size += won.size
                out[pending[won]] = ws
                settled[won] = True
                start[pending[new]] = slot[new]
            more = ~ends
            start[pending[more]] += self.WINDOW
            pending = pending[~settled]
        return out

    def visit(self, keys: NDArray[np.uint64]) -> NDArray[np.int64]:
        """Count one visit of each row, in row order (inserting new keys); the count of
        each row's key right after its visit (equal rows of a batch see 1, 2, ...)."""
        n = keys.shape[0]
        if self.size + n > self.MAX_LOAD * self.capacity:
            self._rebuild(n)
        if not self.reference:
            out = np.empty(n, np.int64)
            k = np.ascontiguousarray(keys, dtype=np.uint64)
            self.size += _nb_find(self.keys, self.used, self.counts, k, True, True, out)
            return out
        slots = self.find(keys, insert=True)  # equal rows share a slot
        before = self.counts[slots]
        np.add.at(self.counts, slots, 1)
        return before + _occurrence_rank(slots) + 1

    def _rebuild(self, extra: int) -> None:
        keep = self.used.copy()
        if self._live is not None and keep.any():
            keep[keep] = self._live(self.keys[keep])
        keys, counts = self.keys[keep], self.counts[keep]
        need = 4 * (keys.shape[0] + extra)  # load <= 1/4 right after a rebuild
        self._alloc(max(self.min_capacity, 1 << max(need - 1, 1).bit_length()))
        if keys.shape[0]:
            self.counts[self.find(keys, insert=True)] = counts


def _occurrence_rank(group: NDArray[Any]) -> NDArray[np.intp]:
    """For each row, how many earlier rows (in row order) share its group id."""
    order = np.argsort(group, kind="stable")
    g = group[order]
    run_start = np.concatenate(([True], g[1:] != g[:-1]))
    idx = np.arange(g.size)
    rank = np.empty(g.size, np.intp)
    rank[order] = idx - np.maximum.accumulate(np.where(run_start, idx, 0))
    return rank


class CountBonus(ExplorationBonus):
    """Count-based bonus: ``"global"`` ``1/sqrt(N(s'))``, ``"episodic"`` ``1[N_ep(s') = 1]``
    or their ``"product"`` (Henaff et al. 2023); see the module docstring for keys, batch
    order and complexity.

    ``stats()``: ``bonus_mean``; ``distinct_keys`` and ``visits`` (global counts, modes
    ``"global"``/``"product"``); ``episodic_keys_mean`` (distinct keys per env in its
    current episode, modes ``"episodic"``/``"product"``).
    """

    MODES: tuple[str, ...] = ("global", "episodic", "product")
    _INITIAL_CAPACITY = 1024
    _INLINE_KEYS = 32  # episodic keys per env held inline before the overflow table
    _REFERENCE = False  # True: the vectorised NumPy tables (the tests' reference)

    def __init__(
        self, num_envs: int, mode: CountMode = "global", hasher: Hasher | None = None
    ) -> None:
        super().__init__(num_envs)
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}, got {mode!r}")
        if hasher is not None and not callable(hasher):
            raise ValueError(f"hasher must be callable (e.g. SimHash) or None, got {hasher!r}")
        self.mode = mode
        self.hasher = hasher
        self._words: int | None = None
        self._global: _CountTable | None = None
        # Reference tables: episodic entries keyed (episode id, key). Compiled path: one
        # set per env, emptied by a new episode id. A reset gives the env a fresh id;
        # env i's ids are i, i + num_envs, i + 2 num_envs, ... (so an id names its env).
        self._episodic: _CountTable | _EpisodeSets | None = None
        self._episode_ids = np.arange(num_envs, dtype=np.uint64)
        self._episode_distinct = np.zeros(num_envs, np.int64)
        self._visits = 0
        self._slots = np.zeros(num_envs, np.intp)
        self._nglob = np.zeros(num_envs, np.int64)
        self._first = np.zeros(num_envs, np.int8)
        self._no_rows = np.zeros(num_envs, np.bool_)
        self._key_buffer: NDArray[np.uint64] | None = None

    def keys(self, next_obs: ArrayLike) -> NDArray[np.uint64]:
        """The count keys of a batch of observations as ``(B, w)`` uint64 words."""
        x = np.asarray(next_obs)
        if isinstance(self.hasher, SimHash):
            words = self.hasher.words(x)
        else:
            raw = x if self.hasher is None else self.hasher(x)
            words = _key_words(raw, x.shape[0] if x.ndim else 0)
        if self._words is None:
            self._words = words.shape[1]
        elif words.shape[1] != self._words:
            raise ValueError(
                f"key width changed from {8 * self._words} to {8 * words.shape[1]} bytes; "
                "observations must keep one shape and dtype"
            )
        return words

    def count(self, next_obs: ArrayLike) -> NDArray[np.int64]:
        """Global visit counts of a batch of observations (before any new visit)."""
        if self.mode == "episodic":
            raise ValueError("mode='episodic' keeps no global counts")
        words = self.keys(next_obs)
        table = self._global_table()
        slots = table.find(words, insert=False)
        return np.where(slots >= 0, table.counts[slots], 0)

    def _global_table(self) -> _CountTable:
        if self._global is None:
            assert self._words is not None
            self._global = _CountTable(
                self._words, self._INITIAL_CAPACITY, reference=self._REFERENCE
            )
        return self._global

    def _episodic_table(self) -> _CountTable:
        if self._episodic is None:
            assert self._words is not None
            self._episodic = _CountTable(
                self._words + 1,
                self._INITIAL_CAPACITY,
                live=lambda keys: np.isin(keys[:, 0], self._episode_ids),
                reference=self._REFERENCE,
            )
        assert isinstance(self._episodic, _CountTable)
        return self._episodic

    def _episode_sets(self) -> _EpisodeSets:
        if self._episodic is None:
            assert self._words is not None
            self._episodic = _EpisodeSets(
                self.num_envs,
                self._words,
                min(self._INLINE_KEYS, self._INITIAL_CAPACITY),
                self._INITIAL_CAPACITY,
                self._episode_ids,
                self._episode_distinct,
            )
        assert isinstance(self._episodic, _EpisodeSets)
        return self._episodic

    def _compute(
        self,
        obs: NDArray[Any],
        action: NDArray[Any],
        next_obs: NDArray[Any],
        terminated: NDArray[np.bool_],
        truncated: NDArray[np.bool_],
        valid: NDArray[np.bool_],
    ) -> NDArray[np.float64]:
        if not self._REFERENCE:
            bonus = np.empty(self.num_envs)
            self._count_into(next_obs, ~valid, bonus)
            return bonus
        words = self.keys(next_obs)
        bonus = np.zeros(self.num_envs)
        rows = np.flatnonzero(valid)
        if rows.size == 0:
            return bonus
        words = words[rows]
        value = np.ones(rows.size)
        if self.mode != "episodic":
            value /= np.sqrt(self._global_visit(words))
        if self.mode != "global":
            value *= self._episodic_visit(words, rows) == 1
        bonus[rows] = value
        return bonus

    def compiled_batch(
        self,
    ) -> Callable[[Any, NDArray[np.bool_] | None, NDArray[np.float64]], None] | None:
        if self._REFERENCE:
            return None

        def batch(
            next_obs: Any, invalid: NDArray[np.bool_] | None, out: NDArray[np.float64]
        ) -> None:
            total, rows = self._count_into(next_obs, invalid, out)
            self._last_bonus = None
            self._last_mean = total / rows if rows else math.nan

        return batch

    def _count_into(
        self, next_obs: ArrayLike, invalid: NDArray[np.bool_] | None, out: NDArray[np.float64]
    ) -> tuple[float, int]:
        """The compiled path: bonuses of a batch into ``out`` (0 where ``invalid``),
        updating the statistics; returns (sum of the bonuses, number of valid rows)."""
        n = self.num_envs
        hasher = self.hasher
        if isinstance(hasher, SimHash):  # hashed inside the counting kernel
            x = hasher._rows(next_obs)
            if x.shape[0] != n:
                raise ValueError(f"next_obs must have leading dimension num_envs={n}")
            if self._words is None:
                self._words = hasher.nwords
            if self._key_buffer is None:
                self._key_buffer = np.empty((n, hasher.nwords), np.uint64)
            words, pt, bit_value = self._key_buffer, hasher._padded(), hasher._bit_value
        else:
            words = self.keys(next_obs)
            if words.shape[0] != n:
                raise ValueError(f"next_obs must have leading dimension num_envs={n}")
            x, pt, bit_value = _NO_ROWS, _NO_PROJECTION, _NO_BITS
        skip = self._no_rows if invalid is None else invalid
        rows = n if invalid is None else n - int(np.count_nonzero(invalid))
        count_global = self.mode != "episodic"
        episodic = self.mode != "global"
        train_global = count_global and self._training
        if count_global:
            table = self._global_table()
            if train_global and table.size + n > table.MAX_LOAD * table.capacity:
                table._rebuild(n)
            gkeys, gused, gcounts = table.keys, table.used, table.counts
        else:
            gkeys, gused, gcounts = words[:0], self._no_rows[:0], self._nglob[:0]
        if episodic:
            sets = self._episode_sets()
            sets.ensure_room(n)
            over = sets.overflow
            inline, okeys, oused, ocounts = sets.inline, over.keys, over.used, over.counts
        else:
            inline = np.zeros((0, words.shape[1]), np.uint64)
            okeys, oused, ocounts = gkeys, gused, gcounts
        kernel = _nb_count_step_par if use_parallel(n) else _nb_count_step
        new, new_overflow, total = kernel(
            x, pt, bit_value, isinstance(hasher, SimHash), words, skip, train_global, episodic,
            gkeys, gused, gcounts, inline, okeys, oused, ocounts, self._episode_ids,
            self._episode_distinct, self._slots, self._nglob, self._first, out,
        )  # fmt: skip
        if episodic:
            over.size += int(new_overflow)
        if train_global:
            table.size += int(new)
            self._visits += rows
        elif count_global and rows:  # frozen global counts: the NumPy look-up
            valid_rows = np.flatnonzero(~skip)
            value = np.ones(valid_rows.size)
            value /= np.sqrt(self._global_visit(words[valid_rows]))
            if episodic:
                value *= self._first[valid_rows] == 1
            out[valid_rows] = value
            total = float(value.sum())
        return float(total), rows

    def _global_visit(self, words: NDArray[np.uint64]) -> NDArray[np.int64]:
        """N_global of each row including this visit, rows counted in order."""
        table = self._global_table()
        if self._training:
            self._visits += words.shape[0]
            return table.visit(words)
        # Frozen: absent keys all read -1, so group the rows by their bytes instead.
        uniq, group = np.unique(words, axis=0, return_inverse=True)
        group = group.reshape(-1)
        slots = table.find(uniq, insert=False)[group]
        before = np.where(slots >= 0, table.counts[slots], 0)
        return before + _occurrence_rank(group) + 1

    def _episodic_visit(self, words: NDArray[np.uint64], rows: NDArray[np.intp]) -> Any:
        """N_episode of each row including this visit (one row per env, so rows differ)."""
        table = self._episodic_table()
        keyed = np.concatenate([self._episode_ids[rows, None], words], axis=1)
        n = table.visit(keyed)
        self._episode_distinct[rows] += n == 1
        return n

    def _reset(self, mask: NDArray[np.bool_]) -> None:
        _nb_new_episodes(mask, self._episode_ids, self._episode_distinct)

    def _stats(self) -> dict[str, float]:
        out: dict[str, float] = {}
        if self.mode != "episodic":
            out["distinct_keys"] = float(self._global.size if self._global else 0)
            out["visits"] = float(self._visits)
        if self.mode != "global":
            out["episodic_keys_mean"] = float(self._episode_distinct.mean())
        return out


# -- learned bonuses (torch) ------------------------------------------------------------------
def _import_torch() -> Any:
    try:
        import torch
    except ImportError as e:  # pragma: no cover - torch is in the [agents] extra
        raise ImportError(
            "RNDBonus and E3BBonus need torch: pip install 'rewardgym[agents]'"
        ) from e
    return torch


def _mlp(torch: Any, sizes: list[int], act: Any) -> nn.Sequential:
    layers: list[Any] = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    return torch.nn.Sequential(*layers)


def _flat_dim(space: gym.Space[Any]) -> int:
    if space.shape is None or len(space.shape) == 0:
        raise ValueError(f"need a Box-like space with a shape, got {space}")
    return int(np.prod(space.shape))


class RNDBonus(ExplorationBonus):
    """Random Network Distillation (Burda et al. 2018); see the module docstring.

    ``obs_dim`` elements per observation (flattened); target and predictor are MLPs
    ``obs_dim -> hidden -> hidden -> out`` (ReLU). ``stats()``: ``bonus_mean``,
    ``raw_bonus_mean`` (prediction error of the last batch), ``return_std`` (running std of
    the intrinsic return), ``loss`` (last predictor loss, NaN before the first update),
    ``updates`` (predictor updates so far).
    """

    def __init__(
        self,
        obs_dim: int,
        num_envs: int,
        hidden: int = 64,
        out: int = 32,
        lr: float = 1e-3,
        gamma_int: float = 0.99,
        obs_clip: float = 5.0,
        seed: int = 0,
        device: str = "cpu",
        update_every: int = 1,
    ) -> None:
        super().__init__(num_envs)
        self.obs_dim = _positive_int("obs_dim", obs_dim)
        self.hidden = _positive_int("hidden", hidden)
        self.out = _positive_int("out", out)
        self.lr = _positive_float("lr", lr)
        if not 0.0 <= float(gamma_int) < 1.0:
            raise ValueError(f"gamma_int must be in [0, 1), got {gamma_int!r}")
        self.gamma_int = float(gamma_int)
        self.obs_clip = _positive_float("obs_clip", obs_clip)
        self.update_every = _positive_int("update_every", update_every)
        torch = _import_torch()
        self.device = torch.device(device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            sizes = [self.obs_dim, self.hidden, self.hidden, self.out]
            self.target = _mlp(torch, sizes, torch.nn.ReLU).to(self.device)
            self.predictor = _mlp(torch, sizes, torch.nn.ReLU).to(self.device)
        self.target.requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.predictor.parameters(), lr=self.lr)
        self.obs_rms = RunningMeanStd(count=0.0, shape=(self.obs_dim,))
        self.return_rms = RunningMeanStd(count=0.0)
        self.intrinsic_return = np.zeros(self.num_envs)
        self._buffer: list[Tensor] = []
        self._steps = 0
        self._updates = 0
        self._loss = math.nan
        self._raw_mean = math.nan

    @classmethod
    def from_spaces(
        cls, observation_space: gym.Space[Any], num_envs: int, **kwargs: Any
    ) -> RNDBonus:
        """Build for a (single-env) observation space."""
        return cls(_flat_dim(observation_space), num_envs, **kwargs)

    def _flat(self, obs: ArrayLike) -> NDArray[np.float64]:
        x = np.asarray(obs, dtype=np.float64)
        if x.ndim == 0 or x[0].size != self.obs_dim:
            raise ValueError(f"expected (B, {self.obs_dim}) observations, got shape {x.shape}")
        return x.reshape(x.shape[0], self.obs_dim)

    def whiten(self, obs: ArrayLike) -> NDArray[np.float64]:
        """Observations normalised by the running mean/std and clipped to +-obs_clip."""
        x = self._flat(obs)
        z = (x - self.obs_rms.mean) / np.sqrt(self.obs_rms.var + 1e-8)
        return np.clip(z, -self.obs_clip, self.obs_clip)

    def _error(self, z: Tensor) -> Tensor:
        return 0.5 * (self.predictor(z) - self.target(z)).pow(2).sum(dim=1)

    def prediction_error(self, obs: ArrayLike) -> NDArray[np.float64]:
        """Raw bonus ``0.5 ||f_hat(x) - f(x)||^2`` of a batch, changing nothing."""
        torch = _import_torch()
        z = torch.as_tensor(self.whiten(obs), dtype=torch.float32, device=self.device)
        with torch.no_grad():
            return self._error(z).double().cpu().numpy()

    def _compute(
        self,
        obs: NDArray[Any],
        action: NDArray[Any],
        next_obs: NDArray[Any],
        terminated: NDArray[np.bool_],
        truncated: NDArray[np.bool_],
        valid: NDArray[np.bool_],
    ) -> NDArray[np.float64]:
        x = self._flat(next_obs)[valid]
        bonus = np.zeros(self.num_envs)
        if x.shape[0] == 0:
            return bonus
        if self._training:
            self.obs_rms.update(x)
        raw = self.prediction_error(x)
        self._raw_mean = float(raw.mean())
        if self._training:
            ret = self.gamma_int * self.intrinsic_return[valid] + raw
            self.intrinsic_return[valid] = ret
            self.return_rms.update(ret)
            self._train(self.whiten(x))
        bonus[valid] = raw / (float(self.return_rms.std) + 1e-8)
        return bonus

    def _train(self, z: NDArray[np.float64]) -> None:
        torch = _import_torch()
        self._buffer.append(torch.as_tensor(z, dtype=torch.float32, device=self.device))
        self._steps += 1
        if self._steps % self.update_every:
            return
        batch = torch.cat(self._buffer)
        self._buffer.clear()
        loss = self._error(batch).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self._loss = float(loss.detach())
        self._updates += 1

    def _stats(self) -> dict[str, float]:
        return {
            "raw_bonus_mean": self._raw_mean,
            "return_std": float(self.return_rms.std),
            "loss": self._loss,
            "updates": float(self._updates),
        }


class E3BBonus(ExplorationBonus):
    """Elliptical episodic bonus (Henaff et al. 2022); see the module docstring.

    Give ``n_actions`` for a discrete action space or ``action_dim`` for a continuous one
    (exactly one). Encoder ``obs_dim -> hidden -> hidden -> embed_dim`` (ELU); inverse head
    ``2 * embed_dim -> hidden -> n_actions | action_dim`` (ReLU). ``stats()``:
    ``bonus_mean``, ``loss`` (last inverse-dynamics loss, NaN before the first update),
    ``updates``.
    """

    def __init__(
        self,
        obs_dim: int,
        n_actions: int | None = None,
        num_envs: int = 1,
        *,
        action_dim: int | None = None,
        embed_dim: int = 32,
        ridge: float = 0.1,
        lr: float = 1e-3,
        hidden: int = 64,
        seed: int = 0,
        device: str = "cpu",
    ) -> None:
        super().__init__(num_envs)
        self.obs_dim = _positive_int("obs_dim", obs_dim)
        if (n_actions is None) == (action_dim is None):
            raise ValueError("give exactly one of n_actions (discrete) or action_dim (continuous)")
        self.discrete = n_actions is not None
        self.n_actions = None if n_actions is None else _positive_int("n_actions", n_actions)
        self.action_dim = None if action_dim is None else _positive_int("action_dim", action_dim)
        self.embed_dim = _positive_int("embed_dim", embed_dim)
        self.ridge = _positive_float("ridge", ridge)
        self.lr = _positive_float("lr", lr)
        self.hidden = _positive_int("hidden", hidden)
        torch = _import_torch()
        self.device = torch.device(device)
        n_out = self.n_actions if self.n_actions is not None else self.action_dim
        assert n_out is not None
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            enc = [self.obs_dim, self.hidden, self.hidden, self.embed_dim]
            self.encoder = _mlp(torch, enc, torch.nn.ELU).to(self.device)
            head = [2 * self.embed_dim, self.hidden, n_out]
            self.inverse_head = _mlp(torch, head, torch.nn.ReLU).to(self.device)
        params = [*self.encoder.parameters(), *self.inverse_head.parameters()]
        self.optimizer = torch.optim.Adam(params, lr=self.lr)
        eye = np.eye(self.embed_dim) / self.ridge
        self._cinv = np.repeat(eye[None], self.num_envs, axis=0)
        self._updates = 0
        self._loss = math.nan

    @classmethod
    def from_spaces(
        cls,
        observation_space: gym.Space[Any],
        action_space: gym.Space[Any],
        num_envs: int,
        **kwargs: Any,
    ) -> E3BBonus:
        """Build for (single-env) spaces: a Discrete action space gives ``n_actions``,
        a Box one ``action_dim``."""
        from gymnasium import spaces

        obs_dim = _flat_dim(observation_space)
        if isinstance(action_space, spaces.Discrete):
            return cls(obs_dim, int(action_space.n), num_envs, **kwargs)
        if isinstance(action_space, spaces.Box):
            return cls(obs_dim, None, num_envs, action_dim=_flat_dim(action_space), **kwargs)
        raise ValueError(f"E3B supports Discrete and Box action spaces, got {action_space}")

    @property
    def inverse_covariance(self) -> NDArray[np.float64]:
        """A copy of the per-env ``C^{-1}``, shape ``(num_envs, embed_dim, embed_dim)``."""
        return self._cinv.copy()

    def _tensor(self, obs: ArrayLike) -> Tensor:
        torch = _import_torch()
        x = np.asarray(obs, dtype=np.float32)
        if x.ndim == 0 or x[0].size != self.obs_dim:
            raise ValueError(f"expected (B, {self.obs_dim}) observations, got shape {x.shape}")
        return torch.as_tensor(x.reshape(x.shape[0], self.obs_dim), device=self.device)

    def embed(self, obs: ArrayLike) -> NDArray[np.float64]:
        """``phi(obs)`` of a batch, float64 ``(B, embed_dim)``, changing nothing."""
        torch = _import_torch()
        with torch.no_grad():
            return self.encoder(self._tensor(obs)).double().cpu().numpy()

    def _actions(self, action: ArrayLike, n: int) -> Tensor:
        torch = _import_torch()
        a = np.asarray(action)
        if self.n_actions is not None:
            if a.shape != (n,) or not np.issubdtype(a.dtype, np.integer):
                raise ValueError(
                    f"discrete actions must be ({n},) integers, got {a.shape} {a.dtype}"
                )
            if a.size and (a.min() < 0 or a.max() >= self.n_actions):
                raise ValueError(f"actions must lie in [0, {self.n_actions})")
            return torch.as_tensor(a, dtype=torch.long, device=self.device)
        assert self.action_dim is not None
        if a.size != n * self.action_dim:
            raise ValueError(f"continuous actions must be ({n}, {self.action_dim}), got {a.shape}")
        a = a.reshape(n, self.action_dim).astype(np.float32)
        return torch.as_tensor(a, device=self.device)

    def _loss_tensor(self, obs: ArrayLike, action: ArrayLike, next_obs: ArrayLike) -> Any:
        """(inverse-dynamics loss, phi(next_obs)), both with gradients."""
        torch = _import_torch()
        s, s2 = self._tensor(obs), self._tensor(next_obs)
        a = self._actions(action, s.shape[0])
        phi_next = self.encoder(s2)
        pred = self.inverse_head(torch.cat([self.encoder(s), phi_next], dim=1))
        if self.discrete:
            return torch.nn.functional.cross_entropy(pred, a), phi_next
        return torch.nn.functional.mse_loss(pred, a), phi_next

    def inverse_dynamics_loss(
        self, obs: ArrayLike, action: ArrayLike, next_obs: ArrayLike
    ) -> float:
        """The inverse-dynamics loss on a batch of transitions, changing nothing."""
        torch = _import_torch()
        with torch.no_grad():
            return float(self._loss_tensor(obs, action, next_obs)[0])

    def _compute(
        self,
        obs: NDArray[Any],
        action: NDArray[Any],
        next_obs: NDArray[Any],
        terminated: NDArray[np.bool_],
        truncated: NDArray[np.bool_],
        valid: NDArray[np.bool_],
    ) -> NDArray[np.float64]:
        loss = None
        if self._training and valid.any():
            # One forward pass gives the loss and the embeddings the bonus uses (those of
            # the encoder before this step's update); it also validates the actions.
            loss, phi_next = self._loss_tensor(obs[valid], action[valid], next_obs[valid])
            u = np.zeros((self.num_envs, self.embed_dim))
            u[valid] = phi_next.detach().double().cpu().numpy()
        else:
            u = np.where(valid[:, None], self.embed(next_obs), 0.0)
        # Invalid rows have u = 0, which leaves their C^{-1} unchanged.
        v = np.einsum("bij,bj->bi", self._cinv, u)  # C^{-1} u (C^{-1} is symmetric)
        bonus = np.einsum("bi,bi->b", u, v)  # u^T C^{-1} u, before u joins C
        self._cinv -= np.einsum("bi,bj->bij", v, v) / (1.0 + bonus)[:, None, None]
        if loss is not None:
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self._loss = float(loss.detach())
            self._updates += 1
        return bonus

    def _reset(self, mask: NDArray[np.bool_]) -> None:
        self._cinv[mask] = np.eye(self.embed_dim) / self.ridge

    def _stats(self) -> dict[str, float]:
        return {"loss": self._loss, "updates": float(self._updates)}


class Bonus(Term):
    """An :class:`ExplorationBonus` as a reward term, e.g.
    ``EnvReward() + 0.01 * Bonus(CountBonus(num_envs, "product", SimHash(4)))``.

    The wrappers pass ``Transitions.valid`` through and call :meth:`reset` for envs
    whose episode restarts; ``freeze()`` freezes the bonus; ``stats()`` reports the
    bonus's running statistics.
    """

    stateful = True

    def __init__(self, bonus: ExplorationBonus, name: str | None = None):
        if not isinstance(bonus, ExplorationBonus):
            raise TypeError(f"expected an ExplorationBonus, got {type(bonus).__name__}")
        super().__init__(name or f"bonus/{type(bonus).__name__}")
        self.bonus = bonus

    def fuse(self, plan: FusionBuilder) -> int | None:
        batch = self.bonus.compiled_batch()
        if batch is None or plan.num_envs != self.bonus.num_envs:
            return None
        return plan.external(batch)

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        if t.batch_size != self.bonus.num_envs:
            raise ValueError(
                f"{self.label}: the bonus was built for {self.bonus.num_envs} envs but the "
                f"batch has {t.batch_size}; build it with num_envs={t.batch_size}"
            )
        return self.bonus(t.obs, t.action, t.next_obs, t.terminated, t.truncated, valid=t.valid)

    def reset(self, mask: np.ndarray | None = None) -> None:
        self.bonus.reset(mask)

    def freeze(self) -> Term:
        super().freeze()
        self.bonus.freeze()
        return self

    def unfreeze(self) -> Term:
        super().unfreeze()
        self.bonus.unfreeze()
        return self

    def _own_stats(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.bonus.stats().items()}
