"""Fused evaluation of a reward expression on a vector env's batches.

:class:`~.wrappers.VectorRewardWrapper` evaluates its expression through a
:class:`FusedPlan` when every node of it has a compiled form (``Term.fuse``), and
through each node's NumPy ``compute`` otherwise. The plan gives the same values as
the NumPy path (exactly for the algebra, shaping with the same potential values and
the count bonuses; to round-off for the running statistics of return normalisation
and for potentials evaluated with a compiled ``cos``), with much less work per step:

* **Potentials** are evaluated once per step and distinct potential, by the
  potential's compiled counterpart (``potential.numba(obs, out)``), on the new
  observations; ``Phi(s)`` is the previous step's ``Phi`` of the observations the env
  returned then, which is what the wrapper's ``s`` is in both autoreset modes. In
  ``SAME_STEP`` mode the finished rows' successors are ``info["final_obs"]``; only
  those rows get a second evaluation.
* **External nodes** (exploration bonuses with a compiled batch path) run their own
  kernels, writing into the step's output buffers.
* **The program**: every other node is one row operation on registers (rows of a
  ``(registers, B)`` array), run by one compiled interpreter per step over blocks of
  rows, in parallel on large batches. Reductions (the return normaliser's batch
  moments) are barriers between row phases of the same call; the block partial sums
  are combined in block order, so results do not depend on the thread count.
* **Outputs**: the values of named nodes (``info["reward_terms"]``) and the reward are
  rows of one array allocated per step, so each step's arrays are fresh, as on the
  NumPy path. Rows that are no transitions (``NEXT_STEP`` reset steps) are zeroed at
  the end, after every consumer has read the unmasked values, as the wrapper does.

State stays where the NumPy path keeps it (the normaliser's ``ReturnNormalizer``, the
bonus's tables), so both paths can run on the same terms, and ``freeze()`` and
``stats()`` work the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from rewardgym._numba import cache_enabled

from ._threads import use_parallel

if TYPE_CHECKING:
    from .normalize import NormalizedReturn, ReturnNormalizer
    from .terms import Term

__all__ = ["FusedPlan", "FusionBuilder", "Unfusable"]

_CACHE = cache_enabled(__file__)

# Row operations: ops[k] = (code, dst, a, b, j); params fp[k] = (p0, p1).
OP_REWARD = 0  # dst = reward
OP_CONST = 1  # dst = p0
OP_ADD = 2  # dst = R[a] + R[b]; a < 0: 0.0 + R[b]; j = 1: (0.0 + R[a]) + R[b]
OP_SCALE = 3  # dst = p0 * R[a]
OP_MIN = 4  # dst = min(R[a], R[b]), NumPy's NaN and signed-zero rules
OP_MAX = 5  # dst = max(R[a], R[b])
OP_CLIP = 6  # dst = clip(R[a], p0 if j & 1, p1 if j & 2), as np.clip
OP_GATE = 7  # dst = R[b] > p0 ? R[a] : 0.0
OP_SHAPE = 8  # dst = p0 * (terminated ? 0.0 : Phi(s')) - Phi(s); j: potential
OP_COPY = 9  # dst = R[a]
OP_NORM_ACC = 10  # normaliser j: update the returns with R[a]; block sums of the returns
OP_NORM_VAR = 11  # normaliser j: block sums of squared deviations from the batch mean
OP_NORM_SCALE = 12  # normaliser j: dst = R[a] / sqrt(var + eps), clipped; restart returns
OP_MASK = 13  # registers 0..a-1 (the outputs) = 0.0 where the row is no transition
_BARRIER = 100
OP_NORM_MEAN = 100  # normaliser j: batch mean of the active returns
OP_NORM_MERGE = 101  # normaliser j: merge the batch moments into the running ones

# Normaliser parameters, nparams[j] = (gamma, epsilon, clip or 0, convention, mode,
# training); conventions and autoreset modes as small integers.
_GYMNASIUM, _SB3 = 0.0, 1.0
_MODES = {"none": 0.0, "next_step": 1.0, "same_step": 2.0}

_BLOCK = 2048


class Unfusable(Exception):
    """Raised while building a plan for a node that has no compiled form."""


# -- the interpreter ------------------------------------------------------------------------


@njit(cache=_CACHE, inline="always")
def _min(a: float, b: float) -> float:  # pragma: no cover - compiled
    return a if (a < b or a != a) else b


@njit(cache=_CACHE, inline="always")
def _max(a: float, b: float) -> float:  # pragma: no cover - compiled
    return a if (a > b or a != a) else b


@njit(cache=_CACHE, inline="always")
def _clip(x: float, low: float, high: float) -> float:  # pragma: no cover - compiled
    """np.clip with both bounds: x unless strictly outside (so NaN and the sign of a
    zero on a zero bound are kept); one bound alone is np.maximum/np.minimum."""
    v = low if x < low else x
    return high if v > high else v


# One small function per operation on rows lo..hi-1 of 1-d rows: the compiler
# vectorizes each on its own (inlined into one large function, it did not).


# One small function per operation on rows lo..hi-1 of 1-d rows: the compiler
# vectorizes each on its own (inlined into one large function, it did not). Each
# works on slices indexed from 0: a loop index that starts at a runtime value may be
# negative for all the compiler knows, and its wraparound checks stop vectorization.


@njit(cache=_CACHE, error_model="numpy")
def _k_copy(dst: Any, src: Any, lo: int, hi: int) -> None:  # pragma: no cover - compiled
    d, x = dst[lo:hi], src[lo:hi]
    for r in range(d.shape[0]):
        d[r] = x[r]


@njit(cache=_CACHE, error_model="numpy")
def _k_const(dst: Any, c: float, lo: int, hi: int) -> None:  # pragma: no cover - compiled
    d = dst[lo:hi]
    for r in range(d.shape[0]):
        d[r] = c


@njit(cache=_CACHE, error_model="numpy")
def _k_add(dst: Any, x: Any, y: Any, lo: int, hi: int) -> None:  # pragma: no cover - compiled
    d, a, b = dst[lo:hi], x[lo:hi], y[lo:hi]
    for r in range(d.shape[0]):
        d[r] = a[r] + b[r]


@njit(cache=_CACHE, error_model="numpy")
def _k_add_from0(dst: Any, x: Any, y: Any, lo: int, hi: int) -> None:  # pragma: no cover - compiled
    d, a, b = dst[lo:hi], x[lo:hi], y[lo:hi]
    for r in range(d.shape[0]):
        d[r] = (0.0 + a[r]) + b[r]


@njit(cache=_CACHE, error_model="numpy")
def _k_add0(dst: Any, y: Any, lo: int, hi: int) -> None:  # pragma: no cover - compiled
    d, b = dst[lo:hi], y[lo:hi]
    for r in range(d.shape[0]):
        d[r] = 0.0 + b[r]


@njit(cache=_CACHE, error_model="numpy")
def _k_scale(dst: Any, x: Any, w: float, lo: int, hi: int) -> None:  # pragma: no cover - compiled
    d, a = dst[lo:hi], x[lo:hi]
    for r in range(d.shape[0]):
        d[r] = w * a[r]


@njit(cache=_CACHE, error_model="numpy")
def _k_min(dst: Any, x: Any, y: Any, lo: int, hi: int) -> None:  # pragma: no cover - compiled
    d, a, b = dst[lo:hi], x[lo:hi], y[lo:hi]
    for r in range(d.shape[0]):
        d[r] = _min(a[r], b[r])


@njit(cache=_CACHE, error_model="numpy")
def _k_max(dst: Any, x: Any, y: Any, lo: int, hi: int) -> None:  # pragma: no cover - compiled
    d, a, b = dst[lo:hi], x[lo:hi], y[lo:hi]
    for r in range(d.shape[0]):
        d[r] = _max(a[r], b[r])


@njit(cache=_CACHE, error_model="numpy")
def _k_clip(
    dst: Any, x: Any, low: float, high: float, flags: int, lo: int, hi: int
) -> None:  # pragma: no cover - compiled
    """np.clip (see _clip); one bound alone is np.maximum/np.minimum."""
    d, a = dst[lo:hi], x[lo:hi]
    if flags == 3:
        for r in range(d.shape[0]):
            d[r] = _clip(a[r], low, high)
    elif flags == 1:
        for r in range(d.shape[0]):
            d[r] = _max(a[r], low)
    else:
        for r in range(d.shape[0]):
            d[r] = _min(a[r], high)


@njit(cache=_CACHE, error_model="numpy")
def _k_gate(
    dst: Any, x: Any, cond: Any, threshold: float, lo: int, hi: int
) -> None:  # pragma: no cover - compiled
    d, a, c = dst[lo:hi], x[lo:hi], cond[lo:hi]
    for r in range(d.shape[0]):
        d[r] = a[r] if c[r] > threshold else 0.0


@njit(cache=_CACHE, error_model="numpy")
def _k_shape(
    dst: Any, phi_next: Any, phi: Any, term: Any, gamma: float, lo: int, hi: int
) -> None:  # pragma: no cover - compiled
    d, nxt, prv, t = dst[lo:hi], phi_next[lo:hi], phi[lo:hi], term[lo:hi]
    for r in range(d.shape[0]):
        d[r] = gamma * (0.0 if t[r] else nxt[r]) - prv[r]


_LANES = 8  # partial sums of the reductions, combined in a fixed order


@njit(cache=_CACHE, error_model="numpy")
def _k_lane_sums(v: Any, w: Any, acc: Any) -> tuple[float, float]:  # pragma: no cover - compiled
    """(sum of v, sum of w) as 8 interleaved partial sums added in a fixed order (a
    vectorizable, thread-count independent order)."""
    m = v.shape[0]
    for lane in range(2 * _LANES):
        acc[lane] = 0.0
    full = m - m % _LANES
    for r0 in range(0, full, _LANES):
        for lane in range(_LANES):
            acc[lane] += v[r0 + lane]
            acc[_LANES + lane] += w[r0 + lane]
    for r in range(full, m):
        acc[r - full] += v[r]
        acc[_LANES + r - full] += w[r]
    total = 0.0
    count = 0.0
    for lane in range(_LANES):
        total += acc[lane]
        count += acc[_LANES + lane]
    return total, count


@njit(cache=_CACHE, error_model="numpy")
def _k_norm_acc(
    g: Any,
    prev_done: Any,
    x: Any,
    term: Any,
    gamma: float,
    sb3: bool,
    next_step: bool,
    training: bool,
    lo: int,
    hi: int,
    acc: Any,
    tmp: Any,
) -> tuple[float, float]:  # pragma: no cover - compiled
    """Update the returns of the active rows (not a NEXT_STEP autoreset step) with the
    rewards ``x``; returns (sum of the new active returns, active rows) while training.
    ``tmp``: scratch of 2 (hi - lo) values."""
    g, pd, x, t = g[lo:hi], prev_done[lo:hi], x[lo:hi], term[lo:hi]
    m = g.shape[0]
    counted, weight = tmp[:m], tmp[m : 2 * m]
    update = training or not sb3
    for r in range(m):
        active = update and not (next_step and pd[r])
        kept = 1.0 if sb3 or not t[r] else 0.0  # Gymnasium: gamma G (1 - terminated)
        new = (g[r] * gamma) * kept + x[r] if not sb3 else g[r] * gamma + x[r]
        v = new if active else g[r]
        g[r] = v
        on = active and training
        counted[r] = v if on else 0.0
        weight[r] = 1.0 if on else 0.0
    return _k_lane_sums(counted, weight, acc)


@njit(cache=_CACHE, error_model="numpy")
def _k_norm_var(
    g: Any,
    prev_done: Any,
    mean: float,
    next_step: bool,
    lo: int,
    hi: int,
    acc: Any,
    tmp: Any,
) -> float:  # pragma: no cover - compiled
    """Sum of squared deviations of the active returns from ``mean``."""
    g, pd = g[lo:hi], prev_done[lo:hi]
    m = g.shape[0]
    sq, zero = tmp[:m], tmp[m : 2 * m]
    for r in range(m):
        dev = g[r] - mean
        sq[r] = 0.0 if (next_step and pd[r]) else dev * dev
        zero[r] = 0.0
    return _k_lane_sums(sq, zero, acc)[0]


@njit(cache=_CACHE, error_model="numpy")
def _k_norm_scale(
    dst: Any,
    x: Any,
    div: float,
    clip: float,
    g: Any,
    prev_done: Any,
    term: Any,
    trunc: Any,
    restart: bool,
    lo: int,
    hi: int,
) -> None:  # pragma: no cover - compiled
    """Scaled (and clipped) rewards; returns of finished rows restart where the
    convention says; the done flags become the next step's."""
    d, a = dst[lo:hi], x[lo:hi]
    if clip > 0.0:
        for r in range(d.shape[0]):
            d[r] = _clip(a[r] / div, -clip, clip)
    else:
        for r in range(d.shape[0]):
            d[r] = a[r] / div
    g, pd, t, u = g[lo:hi], prev_done[lo:hi], term[lo:hi], trunc[lo:hi]
    for r in range(g.shape[0]):
        done = t[r] or u[r]
        g[r] = 0.0 if (restart and done) else g[r]
        pd[r] = done


@njit(cache=_CACHE, error_model="numpy")
def _k_mask(
    R: Any, rows: int, invalid: Any, lo: int, hi: int
) -> None:  # pragma: no cover - compiled
    """Zero the first ``rows`` registers where the row is no transition (rare)."""
    bad = invalid[lo:hi]
    for r in range(bad.shape[0]):
        if bad[r]:
            for d in range(rows):
                R[d, lo + r] = 0.0


@njit(cache=_CACHE, error_model="numpy")
def _rows(
    k0: int,
    k1: int,
    lo: int,
    hi: int,
    blk: int,
    ops: Any,
    fp: Any,
    R: Any,
    P: Any,
    pot_rows: Any,
    reward: Any,
    term: Any,
    trunc: Any,
    invalid: Any,
    nret: Any,
    nprev: Any,
    nstats: Any,
    nparams: Any,
    nscratch: Any,
    partial: Any,
    scratch: Any,
) -> None:  # pragma: no cover - compiled
    """Run row operations k0..k1-1 on rows lo..hi-1 (block ``blk``)."""
    acc = partial[blk, -1]  # the block's scratch lanes
    tmp = scratch[blk]
    for k in range(k0, k1):
        code = ops[k, 0]
        d = ops[k, 1]
        a = ops[k, 2]
        b = ops[k, 3]
        j = ops[k, 4]
        if code == OP_REWARD:
            _k_copy(R[d], reward, lo, hi)
        elif code == OP_CONST:
            _k_const(R[d], fp[k, 0], lo, hi)
        elif code == OP_ADD:
            if a < 0:
                _k_add0(R[d], R[b], lo, hi)
            elif j == 1:
                _k_add_from0(R[d], R[a], R[b], lo, hi)
            else:
                _k_add(R[d], R[a], R[b], lo, hi)
        elif code == OP_SCALE:
            _k_scale(R[d], R[a], fp[k, 0], lo, hi)
        elif code == OP_MIN:
            _k_min(R[d], R[a], R[b], lo, hi)
        elif code == OP_MAX:
            _k_max(R[d], R[a], R[b], lo, hi)
        elif code == OP_CLIP:
            _k_clip(R[d], R[a], fp[k, 0], fp[k, 1], j, lo, hi)
        elif code == OP_GATE:
            _k_gate(R[d], R[a], R[b], fp[k, 0], lo, hi)
        elif code == OP_SHAPE:
            _k_shape(R[d], P[pot_rows[j, 0]], P[pot_rows[j, 1]], term, fp[k, 0], lo, hi)
        elif code == OP_COPY:
            _k_copy(R[d], R[a], lo, hi)
        elif code == OP_MASK:
            _k_mask(R, a, invalid, lo, hi)
        elif code == OP_NORM_ACC:
            total, count = _k_norm_acc(
                nret[j], nprev[j], R[a], term, nparams[j, 0], nparams[j, 3] == _SB3,
                nparams[j, 4] == 1.0, nparams[j, 5] != 0.0, lo, hi, acc, tmp,
            )  # fmt: skip
            partial[blk, j, 0] = total
            partial[blk, j, 1] = count
        elif code == OP_NORM_VAR:
            total = 0.0
            if nscratch[j, 1] > 0.0:  # only while training (the count is 0 otherwise)
                total = _k_norm_var(nret[j], nprev[j], nscratch[j, 0], nparams[j, 4] == 1.0,
                                    lo, hi, acc, tmp)  # fmt: skip
            partial[blk, j, 0] = total
        elif code == OP_NORM_SCALE:
            _k_norm_scale(
                R[d], R[a], np.sqrt(nstats[j, 1] + nparams[j, 1]), nparams[j, 2], nret[j],
                nprev[j], term, trunc, nparams[j, 3] == _SB3 or nparams[j, 4] == 2.0, lo, hi,
            )  # fmt: skip


@njit(cache=_CACHE, inline="always")
def _barrier(
    k: int, ops: Any, nstats: Any, nparams: Any, nscratch: Any, partial: Any, nblocks: int
) -> None:  # pragma: no cover - compiled
    code = ops[k, 0]
    j = ops[k, 4]
    total = 0.0
    count = 0.0
    for blk in range(nblocks):
        total += partial[blk, j, 0]
        if code == OP_NORM_MEAN:
            count += partial[blk, j, 1]
    if code == OP_NORM_MEAN:
        nscratch[j, 0] = total / count if count > 0.0 else 0.0
        nscratch[j, 1] = count
        return
    # OP_NORM_MERGE: RunningMeanStd.update_from_moments, operation by operation.
    batch_count = nscratch[j, 1]
    if batch_count <= 0.0:
        return
    batch_mean = nscratch[j, 0]
    batch_var = total / batch_count
    mean, var, count0 = nstats[j, 0], nstats[j, 1], nstats[j, 2]
    delta = batch_mean - mean
    tot = count0 + batch_count
    nstats[j, 0] = mean + delta * batch_count / tot
    m2 = var * count0 + batch_var * batch_count + delta * delta * count0 * batch_count / tot
    nstats[j, 1] = m2 / tot
    nstats[j, 2] = tot


@njit(cache=_CACHE, error_model="numpy")
def _run(
    ops: Any,
    fp: Any,
    R: Any,
    P: Any,
    pot_rows: Any,
    reward: Any,
    term: Any,
    trunc: Any,
    invalid: Any,
    nret: Any,
    nprev: Any,
    nstats: Any,
    nparams: Any,
    nscratch: Any,
    partial: Any,
    scratch: Any,
) -> None:  # pragma: no cover - compiled
    """Run the program on one batch, serially (blocks in order)."""
    n = R.shape[1]
    nblocks = (n + _BLOCK - 1) // _BLOCK
    nops = ops.shape[0]
    k = 0
    while k < nops:
        e = k
        while e < nops and ops[e, 0] < _BARRIER:
            e += 1
        if e > k:
            for blk in range(nblocks):
                lo = blk * _BLOCK
                hi = min(n, lo + _BLOCK)
                _rows(k, e, lo, hi, blk, ops, fp, R, P, pot_rows, reward, term, trunc, invalid,
                      nret, nprev, nstats, nparams, nscratch, partial, scratch)  # fmt: skip
        if e < nops:
            _barrier(e, ops, nstats, nparams, nscratch, partial, nblocks)
            e += 1
        k = e


@njit(cache=_CACHE, parallel=True, error_model="numpy")
def _run_par(
    ops: Any,
    fp: Any,
    R: Any,
    P: Any,
    pot_rows: Any,
    reward: Any,
    term: Any,
    trunc: Any,
    invalid: Any,
    nret: Any,
    nprev: Any,
    nstats: Any,
    nparams: Any,
    nscratch: Any,
    partial: Any,
    scratch: Any,
) -> None:  # pragma: no cover - compiled
    """:func:`_run` with each row phase in parallel over blocks."""
    n = R.shape[1]
    nblocks = (n + _BLOCK - 1) // _BLOCK
    nops = ops.shape[0]
    k = 0
    while k < nops:
        e = k
        while e < nops and ops[e, 0] < _BARRIER:
            e += 1
        if e > k:
            for blk in prange(nblocks):
                lo = blk * _BLOCK
                hi = min(n, lo + _BLOCK)
                _rows(k, e, lo, hi, blk, ops, fp, R, P, pot_rows, reward, term, trunc, invalid,
                      nret, nprev, nstats, nparams, nscratch, partial, scratch)  # fmt: skip
        if e < nops:
            _barrier(e, ops, nstats, nparams, nscratch, partial, nblocks)
            e += 1
        k = e


# -- building a plan ------------------------------------------------------------------------

External = Callable[[Any, "NDArray[np.bool_] | None", "NDArray[np.float64]"], None]


class FusionBuilder:
    """What ``Term.fuse`` implementations call: each method appends an operation and
    returns the register holding its value. :meth:`value` gives a child's register
    (each node is built once, as each node is evaluated once per batch)."""

    def __init__(self, num_envs: int) -> None:
        self.num_envs = num_envs
        self._registers: dict[int, int] = {}
        self._n = 0
        self.ops: list[tuple[int, int, int, int, int, float, float]] = []
        self.potentials: list[Callable[..., None]] = []
        self.potential_fns: list[Any] = []
        self.externals: list[tuple[int, External]] = []
        self.normalizers: list[NormalizedReturn] = []

    def _new(self) -> int:
        self._n += 1
        return self._n - 1

    def _op(
        self, code: int, a: int = 0, b: int = 0, j: int = 0, p0: float = 0.0, p1: float = 0.0
    ) -> int:
        d = self._new()
        self.ops.append((code, d, a, b, j, p0, p1))
        return d

    def value(self, term: Term) -> int:
        """The register of ``term``'s value (built on first use); raises
        :class:`Unfusable` for a node without a compiled form."""
        key = id(term)
        if key in self._registers:
            return self._registers[key]
        owner = next(c for c in type(term).__mro__ if "fuse" in c.__dict__)
        if "compute" not in owner.__dict__ or type(term).compute is not owner.__dict__["compute"]:
            raise Unfusable(f"{term.label!r} ({type(term).__name__}) has no compiled form")
        reg = term.fuse(self)
        if reg is None:
            raise Unfusable(f"{term.label!r} ({type(term).__name__}) has no compiled form")
        self._registers[key] = reg
        return reg

    # -- operations ----------------------------------------------------------------------
    def reward(self) -> int:
        return self._op(OP_REWARD)

    def constant(self, value: float) -> int:
        return self._op(OP_CONST, p0=float(value))

    def add(self, regs: list[int]) -> int:
        """``((0 + r0) + r1) + ...``, the NumPy ``Sum``'s order."""
        if len(regs) == 1:
            return self._op(OP_ADD, -1, regs[0])
        acc = self._op(OP_ADD, regs[0], regs[1], j=1)
        for r in regs[2:]:
            acc = self._op(OP_ADD, acc, r)
        return acc

    def scale(self, reg: int, weight: float) -> int:
        return self._op(OP_SCALE, reg, p0=float(weight))

    def minimum(self, regs: list[int]) -> int:
        acc = regs[0]
        for r in regs[1:]:
            acc = self._op(OP_MIN, acc, r)
        return acc

    def maximum(self, regs: list[int]) -> int:
        acc = regs[0]
        for r in regs[1:]:
            acc = self._op(OP_MAX, acc, r)
        return acc

    def clip(self, reg: int, low: float | None, high: float | None) -> int:
        flags = (low is not None) | 2 * (high is not None)
        p0 = 0.0 if low is None else float(low)
        p1 = 0.0 if high is None else float(high)
        return self._op(OP_CLIP, reg, j=flags, p0=p0, p1=p1)

    def gate(self, reg: int, condition: int, threshold: float) -> int:
        return self._op(OP_GATE, reg, condition, p0=float(threshold))

    def copy(self, reg: int) -> int:
        return self._op(OP_COPY, reg)

    def shaping(self, potential: Any, gamma: float) -> int | None:
        """``gamma * Phi(s') * (1 - terminated) - Phi(s)`` for a potential with a compiled
        counterpart ``potential.numba(obs, out)``; None without one."""
        kernel = getattr(potential, "numba", None)
        if not callable(kernel):
            return None
        known = [i for i, fn in enumerate(self.potential_fns) if fn is potential]
        j = known[0] if known else len(self.potentials)
        if not known:
            self.potentials.append(kernel)
            self.potential_fns.append(potential)
        return self._op(OP_SHAPE, j=j, p0=float(gamma))

    def external(self, fn: External) -> int:
        """A node evaluated by its own kernel ``fn(next_obs, invalid, out)`` before the
        program (it may depend on the transition only, not on other nodes)."""
        d = self._new()
        self.externals.append((d, fn))
        return d

    def normalized_return(self, node: NormalizedReturn, reg: int) -> int:
        """``R[reg]`` scaled by ``node``'s return normaliser (see ``ReturnNormalizer``)."""
        j = len(self.normalizers)
        self.normalizers.append(node)
        self._op(OP_NORM_ACC, reg, j=j)
        self.ops.append((OP_NORM_MEAN, -1, 0, 0, j, 0.0, 0.0))
        self._op(OP_NORM_VAR, j=j)
        self.ops.append((OP_NORM_MERGE, -1, 0, 0, j, 0.0, 0.0))
        return self._op(OP_NORM_SCALE, reg, j=j)


class FusedPlan:
    """A reward expression compiled for batches of ``num_envs`` transitions of a vector
    env with the given autoreset mode (``"next_step"`` or ``"same_step"``).

    :meth:`build` returns None when a node has no compiled form. Then per episode
    stream: :meth:`reset` with the observations the env's reset returned, and
    :meth:`step` with each step's outputs.
    """

    def __init__(self, root: Term, builder: FusionBuilder, root_reg: int, autoreset: str):
        self.root = root
        self.num_envs = n = builder.num_envs
        self.autoreset = autoreset
        named = [node for node in root.walk() if node.name is not None]
        # Logged (named) values and the reward live in the per-step output array.
        out_regs = sorted({builder._registers[id(node)] for node in named} | {root_reg})
        self._reward_row = len(out_regs)
        nreg = builder._n
        ops = list(builder.ops)
        if root.name is not None:  # the reward must not alias the logged value
            ops.append((OP_COPY, nreg, root_reg, 0, 0, 0.0, 0.0))
            out_regs.append(nreg)
            nreg += 1
        else:
            self._reward_row = out_regs.index(root_reg)
        if autoreset == "next_step":
            ops.append((OP_MASK, -1, len(out_regs), 0, 0, 0.0, 0.0))
        # Registers: outputs first (rows of the fresh array), then the others.
        order = out_regs + [r for r in range(nreg) if r not in set(out_regs)]
        where = {r: i for i, r in enumerate(order)}
        self._nout = len(out_regs)
        self._ntmp = nreg - len(out_regs)
        table = np.zeros((len(ops), 5), np.int64)
        self._fp = np.zeros((len(ops), 2))
        for k, (code, d, a, b, j, p0, p1) in enumerate(ops):
            regs_a = code in (OP_ADD, OP_SCALE, OP_MIN, OP_MAX, OP_CLIP, OP_GATE, OP_COPY,
                              OP_NORM_ACC, OP_NORM_SCALE)  # fmt: skip
            regs_b = code in (OP_ADD, OP_MIN, OP_MAX, OP_GATE)
            table[k] = (
                code,
                where[d] if d >= 0 else -1,
                where[a] if regs_a and a >= 0 else a,
                where[b] if regs_b else b,
                j,
            )
            self._fp[k] = (p0, p1)
        self._ops = table
        self._parts: list[tuple[str, int]] = [
            (str(node.name), where[builder._registers[id(node)]]) for node in named
        ]
        self._externals = [(where[d], fn) for d, fn in builder.externals]
        self._potentials = builder.potentials
        npot = len(self._potentials)
        self._P = np.zeros((3 * npot, n))  # per potential: Phi(s), Phi(obs), Phi(s') rows
        self._prev = [3 * j for j in range(npot)]
        self._pot_rows = np.zeros((npot, 2), np.int64)
        self._normalizers = builder.normalizers
        k = len(self._normalizers)
        self._nret = np.zeros((k, n))
        self._nprev = np.zeros((k, n), np.bool_)
        self._nstats = np.zeros((k, 3))
        self._nparams = np.zeros((k, 6))
        self._nscratch = np.zeros((k, 2))
        # Per block: (sum, count) per normaliser, then a row of scratch lanes.
        self._partial = np.zeros(((n + _BLOCK - 1) // _BLOCK, k + 1, 2 * _LANES))
        self._scratch = np.zeros(((n + _BLOCK - 1) // _BLOCK, 2 * _BLOCK))
        self._buffers = [(self._nret[j], self._nprev[j]) for j in range(k)]
        self._norms: list[ReturnNormalizer | None] = [None] * k
        self._no_invalid = np.zeros(n, np.bool_)
        self._ready = False

    @classmethod
    def build(cls, root: Term, num_envs: int, autoreset: str) -> FusedPlan | None:
        builder = FusionBuilder(num_envs)
        try:
            reg = builder.value(root)
        except Unfusable:
            return None
        return cls(root, builder, reg, autoreset)

    # -- per step -------------------------------------------------------------------------
    def accepts(self, obs: Any) -> bool:
        """Whether ``obs`` (a batch the env returned) can go through the plan: a NumPy
        array with a row per env (2-D when there are potentials)."""
        return (
            type(obs) is np.ndarray
            and obs.ndim >= 1
            and obs.shape[0] == self.num_envs
            and (not self._potentials or obs.ndim == 2)
            and obs.dtype.kind in "fiub"
        )

    def reset(self, obs: NDArray[Any]) -> None:
        """The env was reset: ``obs`` are every env's first observations."""
        for j, kernel in enumerate(self._potentials):
            kernel(obs, self._P[self._prev[j]])
        self._ready = True

    def step(
        self,
        obs: NDArray[Any],
        reward: NDArray[np.float64],
        terminated: NDArray[np.bool_],
        truncated: NDArray[np.bool_],
        invalid: NDArray[np.bool_] | None,
        final_rows: NDArray[np.intp] | None,
        final_obs: NDArray[Any] | None,
    ) -> tuple[NDArray[np.float64], dict[str, NDArray[np.float64]]]:
        """(reward, logged values) of one step. ``obs`` are the observations the env
        returned, ``invalid`` marks rows that are no transitions (or None),
        ``final_rows``/``final_obs`` the rows whose successor is a final observation."""
        n = self.num_envs
        regs = np.empty((self._nout + self._ntmp, n))  # fresh: the logged rows come first
        P = self._P
        for j, kernel in enumerate(self._potentials):
            prev = self._prev[j]
            cur = prev + 1 if prev % 3 == 0 else prev - 1
            kernel(obs, P[cur])
            nxt = cur
            if final_rows is not None and final_obs is not None:
                nxt = 3 * j + 2
                P[nxt] = P[cur]
                phi = np.empty(final_rows.shape[0])
                kernel(final_obs, phi)
                P[nxt, final_rows] = phi
            self._pot_rows[j, 0] = nxt
            self._pot_rows[j, 1] = prev
            self._prev[j] = cur
        if self._externals:
            next_obs = obs
            if final_rows is not None and final_obs is not None:
                next_obs = np.array(obs, copy=True)
                next_obs[final_rows] = final_obs
            for d, fn in self._externals:
                fn(next_obs, invalid, regs[d])
        self._bind_normalizers(n)
        run = _run_par if use_parallel(n) else _run
        run(
            self._ops, self._fp, regs, P, self._pot_rows, reward, terminated, truncated,
            self._no_invalid if invalid is None else invalid, self._nret, self._nprev,
            self._nstats, self._nparams, self._nscratch, self._partial, self._scratch,
        )  # fmt: skip
        self._store_normalizers()
        return regs[self._reward_row], {name: regs[i] for name, i in self._parts}

    def _bind_normalizers(self, n: int) -> None:
        """Make each normaliser's per-env buffers rows of the plan's arrays (copying its
        state in) and load its settings and running moments."""
        for j, node in enumerate(self._normalizers):
            norm = node.normalizer_for(self.autoreset)
            self._norms[j] = norm
            returns, prev = self._buffers[j]
            if norm.returns is not returns or norm._prev_done is not prev:
                norm.adopt_buffers(returns, prev)
            rms = norm.return_rms
            self._nstats[j] = (float(rms.mean), float(rms.var), rms.count)
            self._nparams[j] = (
                norm.gamma,
                norm.epsilon,
                norm.clip or 0.0,
                _SB3 if norm.convention == "sb3" else _GYMNASIUM,
                _MODES[norm.autoreset_mode],
                1.0 if norm.training else 0.0,
            )

    def _store_normalizers(self) -> None:
        for j, norm in enumerate(self._norms):
            if norm is not None and norm.training and self._nscratch[j, 1] > 0.0:
                rms = norm.return_rms
                rms.mean = np.asarray(self._nstats[j, 0], dtype=np.float64)
                rms.var = np.asarray(self._nstats[j, 1], dtype=np.float64)
                rms.count = float(self._nstats[j, 2])
