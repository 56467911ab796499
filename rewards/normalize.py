"""Reward normalisation: running return scaling, running z-scores, group advantages
(GRPO, GDPO) and process/outcome calibration.

Every stateful class here works on one *batch* per step: NumPy arrays of shape ``(B,)``
in and out, one entry per sub-environment, so an env wrapper only has to forward the
step's ``reward``, ``terminated`` and ``truncated``. Nothing here imports a wrapper.

**Return-based scaling** (:class:`ReturnNormalizer`). A per-env discounted return
``G_t = gamma * G_{t-1} * (1 - done_t) + r_t`` is tracked, its variance ``Var[G]`` is
estimated with running moments, and the reward is divided by the return's standard
deviation, with *no* mean subtracted: ``r_hat_t = r_t / sqrt(Var[G] + eps)``, optionally
clipped to ``[-clip, clip]`` (OpenAI Baselines' ``VecNormalize``; the mean is not removed,
see openai/baselines#538). Two libraries disagree on the details and both are reproduced
exactly (``convention=``):

* ``"gymnasium"`` - ``gymnasium.wrappers.NormalizeReward`` and
  ``gymnasium.wrappers.vector.NormalizeReward``. ``done_t`` is ``terminated`` *of the same
  step* (truncation never resets the return), the return is updated, then the statistics
  are updated with it, then the reward is scaled. Freezing stops the statistics only; the
  return keeps running. No clipping.
* ``"sb3"`` - ``stable_baselines3.common.vec_env.VecNormalize(norm_obs=False)``. The
  return is ``G_t = gamma * G_{t-1} + r_t`` and is zeroed *after* the step when
  ``terminated or truncated``; freezing (``training = False``) stops the return as well as
  the statistics (the zeroing on done still happens); rewards are clipped to ``+-10`` by
  default.

Where the step after a ``done`` is an autoreset step (Gymnasium's ``NEXT_STEP`` vector
envs, rewardgym's default) the vector wrapper leaves that env's return alone and keeps it
out of the statistics; ``SAME_STEP`` vector envs zero the return of a finished env; the
single-env wrapper does neither. ``autoreset_mode=`` selects which of these applies.

Both libraries keep moments with the parallel algorithm of Chan, Golub and LeVeque
(1979) seeded with a pseudo-count of ``1e-4`` at mean 0 and variance 1
(:class:`RunningMeanStd`); so does this module.

**Running z-score** (:class:`RunningZScore`): ``(r - mean) / sqrt(var + eps)`` with
moments of all rewards seen so far, updated per batch with the same parallel rule
(started from an empty count, so the statistics are exactly the sample moments and do
not depend on how the stream is split into batches).

**Group advantages** (pure functions). GRPO (Shao et al. 2024, DeepSeekMath) normalises
each sample's reward against the group of samples drawn for the same prompt/start state:
``A_i = (r_i - mean_g r) / (std_g r + eps)`` (:func:`grpo_advantages`, with TRL's
``scale_rewards`` variants). GDPO (group reward-decoupled normalisation, NVIDIA 2026,
NVlabs/GDPO; TRL ``multi_objective_aggregation="normalize_then_sum"``) normalises each
reward term separately in its group before the weighted sum, then renormalises the sum
over the batch, which keeps apart reward combinations that GRPO's sum-then-normalise
collapses (:func:`gdpo_advantages`). :class:`GroupNormalizer` collects finished episodes
and emits a group's advantages once all of its members are in.

Standard-deviation convention: TRL's, ``torch.std`` / TRL ``nanstd``, i.e. Bessel
corrected (``ddof=1``), selectable with ``ddof=``; ``eps`` is added to the standard
deviation, not the variance (TRL: ``1e-4``). NaN rewards are ignored by the statistics
and get advantage 0 (TRL: a reward function returning ``None``; NVlabs' own TRL patch
instead counts NaN as a reward of 0). Degenerate statistics give exact zeros rather than
round-off: a group whose valid values are all equal (including a singleton group, whose
``ddof=1`` standard deviation is undefined) has centred values, hence advantages, of
exactly 0.

**Process/outcome calibration** (:func:`calibrate_process_rewards`): dense per-step
process rewards are squashed and given a budget strictly smaller than the gap between
the success and failure outcome rewards, so no trajectory with a wrong outcome can
outscore one with a correct outcome (the guarantee is stated as a theorem there).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import numpy.typing as npt
from gymnasium.vector import AutoresetMode, VectorWrapper

from .terms import Term, Transitions

if TYPE_CHECKING:
    from ._fused import FusionBuilder

__all__ = [
    "GroupAdvantages",
    "GroupNormalizer",
    "NormalizedReturn",
    "ReturnNormalizer",
    "RunningMeanStd",
    "RunningZScore",
    "ZScore",
    "calibrate_process_rewards",
    "gdpo_advantages",
    "grpo_advantages",
]

FloatArray = npt.NDArray[np.float64]
Convention = Literal["gymnasium", "sb3"]
AutoresetName = Literal["none", "next_step", "same_step"]

_AUTORESET_ALIASES: dict[str, AutoresetName] = {
    "none": "none",
    "next_step": "next_step",
    "nextstep": "next_step",
    "same_step": "same_step",
    "samestep": "same_step",
    # Gymnasium's vector NormalizeReward treats DISABLED like NEXT_STEP.
    "disabled": "next_step",
}


def _check_positive(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return value


def _check_clip(clip: float | None) -> float | None:
    if clip is None:
        return None
    return _check_positive("clip", clip)


def _as_batch(name: str, values: npt.ArrayLike, dtype: Any = np.float64) -> npt.NDArray[Any]:
    arr = np.asarray(values, dtype=dtype)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of shape (B,), got shape {arr.shape}")
    return arr


class RunningMeanStd:
    """Running mean and (population) variance of a stream of values of ``shape``
    (scalars by default; per dimension otherwise), merged per batch.

    The parallel update of Chan, Golub and LeVeque (1979), exactly as Gymnasium's and
    Stable-Baselines3's ``RunningMeanStd``: a batch with moments ``(m_b, v_b, n_b)`` merges
    into ``(m, v, n)`` as ``delta = m_b - m``, ``n' = n + n_b``, ``m' = m + delta n_b / n'``,
    ``v' = (v n + v_b n_b + delta^2 n n_b / n') / n'``.

    ``count`` is the initial pseudo-count of a prior at mean 0 and variance 1: ``1e-4`` in
    both libraries, ``0.0`` for plain sample moments (the prior is then only what
    :attr:`var` reports before any data).
    """

    def __init__(self, count: float = 1e-4, shape: tuple[int, ...] = ()) -> None:
        count = float(count)
        if not (math.isfinite(count) and count >= 0.0):
            raise ValueError(f"count must be a finite number >= 0, got {count!r}")
        self.initial_count = count
        self.shape = tuple(shape)
        self.mean = np.zeros(self.shape)
        self.var = np.ones(self.shape)
        self.count = count

    @property
    def std(self) -> npt.NDArray[np.float64]:
        return np.sqrt(self.var)

    def update(self, x: npt.ArrayLike) -> None:
        """Merge the batch ``x`` (shape ``(n, *shape)``; empty batches are ignored)."""
        arr = np.asarray(x)
        if arr.shape[0] == 0:
            return
        # The moments are taken in the batch's own dtype, as the libraries do.
        self.update_from_moments(np.mean(arr, axis=0), np.var(arr, axis=0), arr.shape[0])

    def update_from_moments(self, batch_mean: Any, batch_var: Any, batch_count: float) -> None:
        """Merge a batch given by its mean, population variance and count."""
        mean, var, count = self.mean, self.var, self.count
        delta = batch_mean - mean
        tot = count + batch_count
        new_mean = mean + delta * batch_count / tot
        m2 = var * count + batch_var * batch_count + np.square(delta) * count * batch_count / tot
        self.mean = np.asarray(new_mean, dtype=np.float64)
        self.var = np.asarray(m2 / tot, dtype=np.float64)
        self.count = float(tot)

    def reset(self) -> None:
        """Back to the prior (mean 0, variance 1, the initial count)."""
        self.mean, self.var = np.zeros(self.shape), np.ones(self.shape)
        self.count = self.initial_count

    def state_dict(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "var": self.var.tolist(), "count": float(self.count)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.mean = np.asarray(state["mean"], dtype=np.float64)
        self.var = np.asarray(state["var"], dtype=np.float64)
        self.count = float(state["count"])


class ReturnNormalizer:
    """Scales a batch of rewards by the running standard deviation of the discounted return.

    ``r_hat = r / sqrt(Var[G] + epsilon)`` (then clipped to ``[-clip, clip]`` if ``clip``),
    with ``G`` and the order of operations of Gymnasium's ``NormalizeReward`` wrappers
    (``convention="gymnasium"``) or SB3's ``VecNormalize`` (``convention="sb3"``); see the
    module docstring. Outputs equal those wrappers' on the same reward stream.

    Args:
        gamma: discount of the return, in ``[0, 1]``.
        epsilon: added to the variance under the square root, > 0.
        clip: symmetric bound on the scaled reward, or ``None``; ``"auto"`` is ``None``
            for Gymnasium and ``10.0`` (``VecNormalize``'s ``clip_reward``) for SB3.
        convention: ``"gymnasium"`` or ``"sb3"``.
        autoreset_mode: how the step after a done is treated: ``"none"`` (no special
            handling: the single-env Gymnasium wrapper, or SB3, whose vector envs reset
            inside the step), ``"next_step"`` (the step after a done is an autoreset step:
            it is scaled but neither updates that env's return nor enters the statistics,
            as Gymnasium's vector wrapper does for ``NEXT_STEP``/``DISABLED``), or
            ``"same_step"`` (the return of a finished env restarts from 0 on the next
            step, as Gymnasium's vector wrapper does for ``SAME_STEP``; for SB3 this is
            already the rule). A :class:`gymnasium.vector.AutoresetMode` is accepted too.
        return_dtype: dtype of the per-env return buffer. Gymnasium's vector wrapper keeps
            it in ``float32``; pass ``np.float32`` to reproduce it bit for bit. Default
            ``float64`` (the single-env wrapper and SB3).

    Call it once per step with arrays of shape ``(B,)``; ``B`` is fixed by the first call
    (until :meth:`reset`). ``training`` (or :meth:`freeze` / :meth:`unfreeze`) stops the
    statistics from updating, e.g. for evaluation.
    """

    def __init__(
        self,
        gamma: float = 0.99,
        epsilon: float = 1e-8,
        clip: float | Literal["auto"] | None = "auto",
        convention: Convention = "gymnasium",
        autoreset_mode: str | enum.Enum = "none",
        return_dtype: npt.DTypeLike = np.float64,
    ) -> None:
        gamma = float(gamma)
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {gamma!r}")
        if convention not in ("gymnasium", "sb3"):
            raise ValueError(f"convention must be 'gymnasium' or 'sb3', got {convention!r}")
        if isinstance(clip, str):
            if clip != "auto":
                raise ValueError(f"clip must be a number > 0, None or 'auto', got {clip!r}")
            clip = 10.0 if convention == "sb3" else None
        raw_mode = autoreset_mode.value if isinstance(autoreset_mode, enum.Enum) else autoreset_mode
        mode = _AUTORESET_ALIASES.get(str(raw_mode).lower())
        if mode is None:
            raise ValueError(
                "autoreset_mode must be 'none', 'next_step', 'same_step' or a "
                f"gymnasium.vector.AutoresetMode, got {autoreset_mode!r}"
            )
        dtype = np.dtype(return_dtype)
        if dtype.kind != "f":
            raise ValueError(f"return_dtype must be a floating dtype, got {dtype}")
        self.gamma = gamma
        self.epsilon = _check_positive("epsilon", epsilon)
        self.clip = _check_clip(clip)
        self.convention: Convention = convention
        self.autoreset_mode: AutoresetName = mode
        self.return_dtype = dtype
        self.training = True
        self.return_rms = RunningMeanStd(count=1e-4)
        self.returns: npt.NDArray[Any] | None = None
        self._prev_done: npt.NDArray[np.bool_] | None = None

    # -- switches -------------------------------------------------------------------------
    def freeze(self) -> None:
        """Stop updating the statistics (``training = False``)."""
        self.training = False

    def unfreeze(self) -> None:
        """Resume updating the statistics (``training = True``)."""
        self.training = True

    def reset(self, *, statistics: bool = False) -> None:
        """Forget the per-env returns (a new batch of episodes, as a wrapper's ``reset``).

        With ``statistics=True`` the running moments go back to their prior as well.
        """
        self.returns = None
        self._prev_done = None
        if statistics:
            self.return_rms.reset()

    @property
    def std(self) -> float:
        """The current divisor ``sqrt(Var[G] + epsilon)``."""
        return float(np.sqrt(self.return_rms.var + self.epsilon))

    # -- the step -------------------------------------------------------------------------
    def __call__(
        self, rewards: npt.ArrayLike, terminated: npt.ArrayLike, truncated: npt.ArrayLike
    ) -> FloatArray:
        """Scale one step's rewards, shape ``(B,)``, updating the state as the convention says."""
        r = _as_batch("rewards", rewards)
        term = _as_batch("terminated", terminated, bool)
        trunc = _as_batch("truncated", truncated, bool)
        n = r.shape[0]
        if term.shape != (n,) or trunc.shape != (n,):
            raise ValueError(
                f"terminated {term.shape} and truncated {trunc.shape} must match rewards ({n},)"
            )
        if self.returns is None or self._prev_done is None:
            self.returns = np.zeros(n, dtype=self.return_dtype)
            self._prev_done = np.zeros(n, dtype=bool)
        elif self.returns.shape[0] != n:
            raise ValueError(
                f"batch size changed from {self.returns.shape[0]} to {n}; call reset() first"
            )
        done = term | trunc
        # Rows that step an episode (not the autoreset step of a NEXT_STEP vector env).
        active = ~self._prev_done if self.autoreset_mode == "next_step" else np.ones(n, bool)
        g = self.returns

        if self.convention == "gymnasium":
            g[active] = g[active] * self.gamma * (1 - term[active]) + r[active]
            if self.training and active.any():
                self.return_rms.update(g[active])
            if self.autoreset_mode == "same_step":
                g[done] = 0
            scaled = r / np.sqrt(self.return_rms.var + self.epsilon)
        else:  # sb3
            if self.training:
                g[active] = g[active] * self.gamma + r[active]
                if active.any():
                    self.return_rms.update(g[active])
            scaled = r / np.sqrt(self.return_rms.var + self.epsilon)
            g[done] = 0
        self._prev_done = done
        if self.clip is not None:
            scaled = np.clip(scaled, -self.clip, self.clip)
        return np.asarray(scaled, dtype=np.float64)

    def adopt_buffers(self, returns: FloatArray, prev_done: npt.NDArray[np.bool_]) -> None:
        """Keep the per-env return and done flags in the given ``(B,)`` float64 and bool
        arrays from now on, copying the current ones in (zeros before the first batch);
        compiled kernels then update them in place, as :meth:`__call__` does."""
        n = returns.shape[0]
        if self.return_dtype != np.float64 or returns.dtype != np.float64:
            raise ValueError("only float64 returns can be shared with a compiled kernel")
        if prev_done.shape != (n,):
            raise ValueError(f"prev_done must have shape ({n},), got {prev_done.shape}")
        if self.returns is None or self._prev_done is None:
            returns[:] = 0.0
            prev_done[:] = False
        elif self.returns.shape[0] != n:
            raise ValueError(
                f"batch size changed from {self.returns.shape[0]} to {n}; call reset() first"
            )
        else:
            returns[:] = self.returns
            prev_done[:] = self._prev_done
        self.returns, self._prev_done = returns, prev_done

    # -- persistence ------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Statistics, per-env returns and settings, as plain values and array copies.

        The ``training`` switch is not part of the state (as with ``torch``'s
        ``state_dict``): load, then :meth:`freeze` for evaluation.
        """
        return {
            "convention": self.convention,
            "gamma": self.gamma,
            "epsilon": self.epsilon,
            "clip": self.clip,
            "autoreset_mode": self.autoreset_mode,
            "return_rms": self.return_rms.state_dict(),
            "returns": None if self.returns is None else self.returns.copy(),
            "prev_done": None if self._prev_done is None else self._prev_done.copy(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output; the convention and gamma must match."""
        for key in ("convention", "gamma"):
            if state[key] != getattr(self, key):
                raise ValueError(
                    f"state was saved with {key}={state[key]!r}, this normaliser has "
                    f"{key}={getattr(self, key)!r}"
                )
        self.return_rms.load_state_dict(state["return_rms"])
        returns, prev = state["returns"], state["prev_done"]
        self.returns = None if returns is None else np.array(returns, dtype=self.return_dtype)
        self._prev_done = None if prev is None else np.array(prev, dtype=bool)


class RunningZScore:
    """Per-step running z-score of a batch of rewards: ``(r - mean) / sqrt(var + epsilon)``.

    Each call first merges the batch into the running moments (:class:`RunningMeanStd`
    from an empty count, so mean and variance are the exact sample moments of everything
    seen, whatever the batching), then standardises the batch with the updated moments,
    the order Gymnasium's and SB3's normalisers use. Optionally clipped to
    ``[-clip, clip]``. ``mask`` (shape ``(B,)``) keeps rows out of the update, e.g. the
    autoreset steps of a ``NEXT_STEP`` vector env; they are still standardised.
    """

    def __init__(self, epsilon: float = 1e-8, clip: float | None = None) -> None:
        self.epsilon = _check_positive("epsilon", epsilon)
        self.clip = _check_clip(clip)
        self.training = True
        self.rms = RunningMeanStd(count=0.0)

    def freeze(self) -> None:
        """Stop updating the statistics (``training = False``)."""
        self.training = False

    def unfreeze(self) -> None:
        """Resume updating the statistics (``training = True``)."""
        self.training = True

    def reset(self) -> None:
        """Forget all statistics."""
        self.rms.reset()

    def update(self, rewards: npt.ArrayLike) -> None:
        """Merge a batch into the statistics (regardless of ``training``)."""
        self.rms.update(_as_batch("rewards", rewards))

    def __call__(self, rewards: npt.ArrayLike, mask: npt.ArrayLike | None = None) -> FloatArray:
        r = _as_batch("rewards", rewards)
        if self.training:
            if mask is None:
                self.rms.update(r)
            else:
                m = _as_batch("mask", mask, bool)
                if m.shape != r.shape:
                    raise ValueError(f"mask {m.shape} must match rewards {r.shape}")
                self.rms.update(r[m])
        z = (r - self.rms.mean) / np.sqrt(self.rms.var + self.epsilon)
        if self.clip is not None:
            z = np.clip(z, -self.clip, self.clip)
        return np.asarray(z, dtype=np.float64)

    def state_dict(self) -> dict[str, Any]:
        """The running moments (not the ``training`` switch)."""
        return {"rms": self.rms.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rms.load_state_dict(state["rms"])


# -- group advantages --------------------------------------------------------------------------


def _check_ddof(ddof: int) -> int:
    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 (population) or 1 (Bessel, TRL's), got {ddof!r}")
    return int(ddof)


def _check_epsilon_nonneg(epsilon: float) -> float:
    epsilon = float(epsilon)
    if not (math.isfinite(epsilon) and epsilon >= 0.0):
        raise ValueError(f"epsilon must be a finite number >= 0, got {epsilon!r}")
    return epsilon


def _group_index(group_ids: npt.ArrayLike, n: int) -> tuple[npt.NDArray[np.intp], int]:
    ids = np.asarray(group_ids)
    if ids.shape != (n,):
        raise ValueError(f"group_ids must have shape ({n},), got {ids.shape}")
    if n == 0:
        return np.zeros(0, dtype=np.intp), 0
    _, inverse = np.unique(ids, return_inverse=True)
    inverse = inverse.reshape(n).astype(np.intp)
    return inverse, int(inverse.max()) + 1


def _centre_scale(
    values: FloatArray, inverse: npt.NDArray[np.intp], n_groups: int, ddof: int
) -> tuple[FloatArray, FloatArray]:
    """NaN-aware per-group centring: ``(values - group mean, group std)`` per sample.

    NaNs are left out of the statistics and centre to 0. Groups whose valid values are
    all equal centre to exactly 0; a group's std is NaN if it has ``<= ddof`` valid values.
    """
    valid = ~np.isnan(values)
    filled = np.where(valid, values, 0.0)
    counts = np.bincount(inverse, weights=valid.astype(np.float64), minlength=n_groups)
    sums = np.bincount(inverse, weights=filled, minlength=n_groups)
    means = np.divide(sums, counts, out=np.zeros(n_groups), where=counts > 0)
    hi = np.full(n_groups, -np.inf)
    lo = np.full(n_groups, np.inf)
    np.maximum.at(hi, inverse[valid], values[valid])
    np.minimum.at(lo, inverse[valid], values[valid])
    constant = ~(hi > lo)  # all valid values equal, or none valid
    centred = np.where(valid & ~constant[inverse], filled - means[inverse], 0.0)
    sq = np.bincount(inverse, weights=centred * centred, minlength=n_groups)
    dof = counts - ddof
    var = np.divide(sq, dof, out=np.full(n_groups, np.nan), where=dof > 0)
    return centred, np.sqrt(var)[inverse]


def _scaled(centred: FloatArray, std: FloatArray, epsilon: float) -> FloatArray:
    """``centred / (std + epsilon)``, exactly 0 where ``centred`` is 0 (whatever ``std``)."""
    out = np.zeros_like(centred)
    np.divide(centred, std + epsilon, out=out, where=centred != 0.0)
    return out


def _check_rewards(name: str, rewards: FloatArray) -> None:
    if np.isinf(rewards).any():
        raise ValueError(f"{name} must be finite or NaN (NaN = no reward), got an infinity")


def grpo_advantages(
    rewards: npt.ArrayLike,
    group_ids: npt.ArrayLike,
    scale: Literal["group", "batch", "none"] = "group",
    epsilon: float = 1e-4,
    *,
    ddof: int = 1,
) -> FloatArray:
    """GRPO group-relative advantages, TRL ``GRPOTrainer`` conventions.

    ``A_i = (r_i - mean_{g(i)} r) / (s + epsilon)`` where, by ``scale`` (TRL's
    ``scale_rewards``), ``s`` is the standard deviation of sample ``i``'s group
    (``"group"``), of the whole batch (``"batch"``; the centring is still by group mean),
    or there is no division (``"none"``: only centred).

    Args:
        rewards: shape ``(B,)``; NaN marks a missing reward, left out of every statistic
            and given advantage 0.
        group_ids: shape ``(B,)``, any sortable labels; groups need not be contiguous or
            of equal size.
        scale: ``"group"``, ``"batch"`` or ``"none"``.
        epsilon: added to the standard deviation (TRL: ``1e-4``), ``>= 0``.
        ddof: 1 (default: Bessel-corrected, ``torch.std``/TRL ``nanstd``) or 0
            (population standard deviation).

    A group whose valid rewards are all equal - in particular a singleton group, whose
    ``ddof=1`` standard deviation is undefined - has advantage exactly 0.
    """
    if scale not in ("group", "batch", "none"):
        raise ValueError(f"scale must be 'group', 'batch' or 'none', got {scale!r}")
    epsilon = _check_epsilon_nonneg(epsilon)
    ddof = _check_ddof(ddof)
    r = _as_batch("rewards", rewards)
    _check_rewards("rewards", r)
    inverse, n_groups = _group_index(group_ids, r.shape[0])
    centred, group_std = _centre_scale(r, inverse, n_groups, ddof)
    if scale == "none":
        return centred
    if scale == "group":
        return _scaled(centred, group_std, epsilon)
    _, batch_std = _centre_scale(r, np.zeros_like(inverse), 1, ddof)
    return _scaled(centred, batch_std, epsilon)


def gdpo_advantages(
    rewards_per_term: npt.ArrayLike,
    group_ids: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    epsilon: float = 1e-4,
    batch_norm: bool = True,
    *,
    ddof: int = 1,
) -> FloatArray:
    """GDPO (group reward-decoupled normalisation) advantages, shape ``(B,)``.

    For each reward term ``n``: ``A_n = (r_n - mean_g r_n) / (std_g r_n + epsilon)`` in
    the sample's group; ``A = sum_n w_n A_n``; then, with ``batch_norm``,
    ``A_hat = (A - mean_batch A) / (std_batch A + epsilon)``. This is NVlabs/GDPO and TRL's
    ``multi_objective_aggregation="normalize_then_sum"``.

    Args:
        rewards_per_term: shape ``(B, K)``. A NaN reward is left out of that term's group
            statistics and contributes 0 to that sample's term advantage; a sample with
            every term NaN is unscorable: left out of the batch statistics, advantage 0.
        group_ids: shape ``(B,)``, as for :func:`grpo_advantages`.
        weights: shape ``(K,)``, finite; default all ones.
        epsilon: added to every standard deviation, ``>= 0``.
        batch_norm: apply the final batch renormalisation.
        ddof: 1 (default, TRL) or 0, for the group and the batch standard deviations.

    A term whose valid values in a group are all equal (zero variance, a singleton group,
    or all NaN) contributes exactly 0 for that group, not NaN or ``inf``.
    """
    epsilon = _check_epsilon_nonneg(epsilon)
    ddof = _check_ddof(ddof)
    r = np.asarray(rewards_per_term, dtype=np.float64)
    if r.ndim != 2:
        raise ValueError(f"rewards_per_term must have shape (B, K), got {r.shape}")
    n, k = r.shape
    if k == 0:
        raise ValueError("rewards_per_term needs at least one reward term (K >= 1)")
    _check_rewards("rewards_per_term", r)
    if weights is None:
        w = np.ones(k)
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (k,):
            raise ValueError(f"weights must have shape ({k},), got {w.shape}")
        if not np.isfinite(w).all():
            raise ValueError("weights must be finite")
    inverse, n_groups = _group_index(group_ids, n)
    total = np.zeros(n)
    for j in range(k):
        centred, std = _centre_scale(r[:, j], inverse, n_groups, ddof)
        total += w[j] * _scaled(centred, std, epsilon)
    scorable = ~np.isnan(r).all(axis=1)
    if not batch_norm:
        return np.where(scorable, total, 0.0)
    masked = np.where(scorable, total, np.nan)
    centred, std = _centre_scale(masked, np.zeros(n, dtype=np.intp), 1, ddof)
    return _scaled(centred, std, epsilon)


class GroupNormalizer:
    """Collects finished episodes by group and emits each group's advantages when complete.

    For grouped rollouts (``group_size`` episodes from the same start state/prompt): call
    :meth:`add` as each episode ends; once the ``group_size``-th member of a group arrives
    it returns ``[(episode, advantage), ...]`` for the whole group (in arrival order) and
    forgets the group, so its id may be reused. Otherwise it returns ``[]``.

    A scalar return per episode gives :func:`grpo_advantages` within the group (``scale``
    ``"group"`` or ``"none"``); a vector of ``K`` reward terms gives
    :func:`gdpo_advantages` within the group (its batch renormalisation, if
    ``batch_norm``, runs over the group). Every episode must use the same form.

    Args:
        group_size: members per group, ``>= 1``.
        scale: ``"group"`` or ``"none"`` (scalar returns only).
        weights, batch_norm: for reward-term vectors, as in :func:`gdpo_advantages`.
        epsilon, ddof: as in :func:`grpo_advantages`.
    """

    def __init__(
        self,
        group_size: int,
        *,
        scale: Literal["group", "none"] = "group",
        weights: npt.ArrayLike | None = None,
        batch_norm: bool = True,
        epsilon: float = 1e-4,
        ddof: int = 1,
    ) -> None:
        if isinstance(group_size, bool) or not isinstance(group_size, (int, np.integer)):
            raise ValueError(f"group_size must be an int >= 1, got {group_size!r}")
        if group_size < 1:
            raise ValueError(f"group_size must be an int >= 1, got {group_size!r}")
        if scale not in ("group", "none"):
            raise ValueError(f"scale must be 'group' or 'none', got {scale!r}")
        self.group_size = int(group_size)
        self.scale: Literal["group", "none"] = scale
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        self.batch_norm = bool(batch_norm)
        self.epsilon = _check_epsilon_nonneg(epsilon)
        self.ddof = _check_ddof(ddof)
        self._shape: tuple[int, ...] | None = None
        self._groups: dict[Hashable, dict[Hashable, FloatArray]] = {}

    @property
    def pending(self) -> dict[Hashable, int]:
        """Members collected so far for each incomplete group."""
        return {gid: len(members) for gid, members in self._groups.items()}

    def reset(self) -> None:
        """Drop every incomplete group."""
        self._groups.clear()
        self._shape = None

    def add(
        self, episode: Hashable, group_id: Hashable, value: float | npt.ArrayLike
    ) -> list[tuple[Hashable, float]]:
        """Record a finished episode's return (or reward terms, shape ``(K,)``)."""
        v = np.asarray(value, dtype=np.float64)
        if v.ndim > 1:
            raise ValueError(f"value must be a scalar or a (K,) vector, got shape {v.shape}")
        if self._shape is None:
            if self.weights is not None and self.weights.shape != v.shape:
                raise ValueError(
                    f"weights {self.weights.shape} must match the reward terms, got {v.shape}"
                )
            self._shape = v.shape
        elif v.shape != self._shape:
            raise ValueError(f"value shape {v.shape} differs from earlier ones {self._shape}")
        members = self._groups.setdefault(group_id, {})
        if episode in members:
            raise ValueError(f"episode {episode!r} was already added to group {group_id!r}")
        members[episode] = v
        if len(members) < self.group_size:
            return []
        del self._groups[group_id]
        keys = list(members)
        ids = np.zeros(len(keys), dtype=np.intp)
        if v.ndim == 0:
            adv = grpo_advantages(
                np.array([float(members[e]) for e in keys]),
                ids,
                scale=self.scale,
                epsilon=self.epsilon,
                ddof=self.ddof,
            )
        else:
            adv = gdpo_advantages(
                np.stack([members[e] for e in keys]),
                ids,
                weights=self.weights,
                epsilon=self.epsilon,
                batch_norm=self.batch_norm,
                ddof=self.ddof,
            )
        return [(e, float(a)) for e, a in zip(keys, adv, strict=True)]


# -- process / outcome calibration -------------------------------------------------------------


def calibrate_process_rewards(
    process: npt.ArrayLike,
    outcome: float,
    *,
    success_threshold: float = 0.0,
    success_reward: float = 1.0,
    failure_reward: float = 0.0,
    budget: float = 0.5,
    process_range: tuple[float, float] = (0.0, 1.0),
) -> FloatArray:
    """Per-step rewards combining process rewards with an outcome, outcome first.

    Rule (bounded process budget). Let ``T = len(process) >= 1``, ``(lo, hi) =
    process_range``, ``gap = success_reward - failure_reward > 0`` and
    ``0 <= budget < 1``. Each process reward is squashed to ``q_t = clip((p_t - lo) /
    (hi - lo), 0, 1)`` (NaN counts as ``q_t = 0``, ``+inf`` as 1), and gets a share
    ``gap * budget * q_t / T`` of the process budget. The outcome counts as a success iff
    ``outcome > success_threshold`` and is paid on the last step as ``success_reward`` or
    ``failure_reward``. The result ``c`` (shape ``(T,)``) is
    ``c_t = gap * budget * q_t / T + [t = T - 1] * (success_reward if success else
    failure_reward)``.

    Theorem. For any two trajectories ``a`` (correct outcome) and ``b`` (wrong outcome),
    of any lengths and with any process rewards, ``sum(c_a) > sum(c_b)``.

    Proof. ``0 <= sum_t q_t / T <= 1``, so the process total lies in ``[0, gap * budget]``.
    Hence ``sum(c_a) >= success_reward`` and ``sum(c_b) <= failure_reward + gap * budget
    < failure_reward + gap = success_reward``, as ``budget < 1``. The margin is
    ``(1 - budget) * gap``; floating-point sums only erode it by round-off (relative
    ``~T * 2**-53``), so keep ``budget`` away from 1. QED.

    Within one outcome class, trajectories are ranked by their mean squashed process
    reward; the process signal never changes which class a trajectory falls in.
    """
    p = _as_batch("process", process)
    if p.shape[0] == 0:
        raise ValueError("process must have at least one step (the outcome is paid on the last)")
    outcome = float(outcome)
    if math.isnan(outcome):
        raise ValueError("outcome must not be NaN")
    success_threshold = float(success_threshold)
    if math.isnan(success_threshold):
        raise ValueError("success_threshold must not be NaN")
    success_reward, failure_reward = float(success_reward), float(failure_reward)
    if not (math.isfinite(success_reward) and math.isfinite(failure_reward)):
        raise ValueError("success_reward and failure_reward must be finite")
    gap = success_reward - failure_reward
    if not (gap > 0.0 and math.isfinite(gap)):
        raise ValueError(
            f"success_reward ({success_reward}) must exceed failure_reward ({failure_reward})"
        )
    budget = float(budget)
    if not 0.0 <= budget < 1.0:
        raise ValueError(f"budget must be in [0, 1) so the process never outweighs it: {budget!r}")
    lo, hi = (float(x) for x in process_range)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"process_range must be finite (lo, hi) with lo < hi, got {process_range}")
    with np.errstate(invalid="ignore", over="ignore"):
        q = np.clip((p - lo) / (hi - lo), 0.0, 1.0)
    q = np.nan_to_num(q, nan=0.0)
    n = p.shape[0]
    out = cast(FloatArray, (gap * budget / n) * q)
    out[-1] += success_reward if outcome > success_threshold else failure_reward
    return out


# -- as reward terms ------------------------------------------------------------------------


class NormalizedReturn(Term):
    """``term`` divided by the running std of its discounted return (a
    :class:`ReturnNormalizer`), inside a reward expression.

    The autoreset convention follows the batches (``Transitions.autoreset``) unless
    ``autoreset_mode`` is given. ``freeze()`` stops the statistics (evaluation).

    >>> import gymnasium as gym, rewardgym
    >>> from rewardgym.rewards.terms import EnvReward
    >>> from rewardgym.rewards.wrappers import RewardWrapper
    >>> env = RewardWrapper(gym.make("rewardgym/CartPole-v1"),
    ...                     NormalizedReturn(EnvReward(), gamma=0.99, name="env_normalized"))
    >>> _ = env.reset(seed=0)
    >>> sorted(env.step(0)[4]["reward_terms"])
    ['env', 'env_normalized']
    """

    stateful = True

    def __init__(
        self,
        term: Term,
        gamma: float = 0.99,
        *,
        convention: Convention = "gymnasium",
        clip: float | str | None = "auto",
        epsilon: float = 1e-8,
        autoreset_mode: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.children = (term,)
        self._kwargs: dict[str, Any] = {
            "gamma": gamma,
            "epsilon": epsilon,
            "clip": clip,
            "convention": convention,
        }
        ReturnNormalizer(**self._kwargs)  # validate the arguments now
        self._mode = autoreset_mode
        self.normalizer: ReturnNormalizer | None = None

    def normalizer_for(self, autoreset: str) -> ReturnNormalizer:
        """The normaliser, built on first use with the batches' autoreset convention
        (``autoreset``) unless one was given."""
        if self.normalizer is None:
            self.normalizer = ReturnNormalizer(
                **self._kwargs, autoreset_mode=self._mode or autoreset
            )
            if not self.training:
                self.normalizer.freeze()
        return self.normalizer

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        normalizer = self.normalizer_for(t.autoreset)
        return normalizer(values(self.children[0]), t.terminated, t.truncated)

    def fuse(self, plan: FusionBuilder) -> int | None:
        return plan.normalized_return(self, plan.value(self.children[0]))

    def freeze(self) -> Term:
        super().freeze()
        if self.normalizer is not None:
            self.normalizer.freeze()
        return self

    def unfreeze(self) -> Term:
        super().unfreeze()
        if self.normalizer is not None:
            self.normalizer.unfreeze()
        return self

    def _own_stats(self) -> dict[str, float]:
        if self.normalizer is None:
            return {}
        return {"return_std": float(self.normalizer.std)}


class ZScore(Term):
    """``term`` standardised by its running mean and std (:class:`RunningZScore`);
    rows that are not transitions (``Transitions.valid``) do not update it."""

    stateful = True

    def __init__(
        self,
        term: Term,
        *,
        epsilon: float = 1e-8,
        clip: float | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.children = (term,)
        self.zscore = RunningZScore(epsilon=epsilon, clip=clip)

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        return self.zscore(values(self.children[0]), mask=t.valid)

    def freeze(self) -> Term:
        super().freeze()
        self.zscore.freeze()
        return self

    def unfreeze(self) -> Term:
        super().unfreeze()
        self.zscore.unfreeze()
        return self

    def _own_stats(self) -> dict[str, float]:
        rms = self.zscore.rms
        return {"mean": float(np.mean(rms.mean)), "std": float(np.sqrt(np.mean(rms.var)))}


class GroupAdvantages(VectorWrapper):
    """Grouped rollouts on a vector env: envs ``g*G .. g*G + G - 1`` form group ``g``
    (the caller seeds or sets them to the same task), and when the ``k``-th episode
    of every member has ended, the group's GRPO advantages (or GDPO advantages, with
    ``terms=[...]`` naming ``info["reward_terms"]`` entries) are emitted in
    ``info["group_advantages"]`` as a list of ``(env_index, episode_index,
    advantage)``. Members run at their own pace: a member's later episodes wait in
    their own round. Rewards pass through unchanged.

    >>> import gymnasium as gym, numpy as np, rewardgym
    >>> envs = GroupAdvantages(gym.make_vec("rewardgym/CartPole-v1", num_envs=4,
    ...                        vectorization_mode="vector_entry_point"), group_size=2)
    >>> _ = envs.reset(seed=0)
    >>> emitted = []
    >>> while len(emitted) < 4:
    ...     emitted += envs.step(np.zeros(4, dtype=np.int64))[4].get("group_advantages", [])
    >>> sorted({env for env, episode, adv in emitted})
    [0, 1, 2, 3]
    """

    def __init__(
        self,
        env: Any,
        group_size: int,
        *,
        terms: list[str] | None = None,
        weights: npt.ArrayLike | None = None,
        scale: Literal["group", "none"] = "group",
        epsilon: float = 1e-4,
    ) -> None:
        super().__init__(env)
        if isinstance(group_size, bool) or not isinstance(group_size, (int, np.integer)):
            raise ValueError(f"group_size must be an int >= 1, got {group_size!r}")
        if group_size < 1 or self.num_envs % group_size:
            raise ValueError(
                f"num_envs ({self.num_envs}) must be a multiple of group_size ({group_size})"
            )
        if terms is not None and not terms:
            raise ValueError("terms must name at least one info['reward_terms'] entry")
        self.group_size = int(group_size)
        self.terms = list(terms) if terms is not None else None
        self.normalizer = GroupNormalizer(
            self.group_size, scale=scale, weights=weights, epsilon=epsilon
        )
        width = len(self.terms) if self.terms is not None else 1
        self._returns = np.zeros((self.num_envs, width))
        self._episode = np.zeros(self.num_envs, dtype=np.int64)
        self._prev_done = np.zeros(self.num_envs, dtype=bool)
        self._next_step = env.metadata.get("autoreset_mode") == AutoresetMode.NEXT_STEP

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        out = self.env.reset(**kwargs)
        self._returns[:] = 0.0
        self._episode[:] = 0
        self._prev_done[:] = False
        self.normalizer.reset()
        return out

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(actions)
        if self.terms is None:
            gained = np.asarray(reward, dtype=np.float64)[:, None]
        else:
            source = info.get("reward_terms", {})
            missing = [k for k in self.terms if k not in source]
            if missing:
                raise LookupError(
                    f"info['reward_terms'] has no {missing}; wrap the env with a reward "
                    "wrapper that logs these terms"
                )
            gained = np.stack([np.asarray(source[k], np.float64) for k in self.terms], axis=1)
        if self._next_step:
            gained[self._prev_done] = 0.0  # the reset step is no transition
        self._returns += gained
        done = np.logical_or(terminated, truncated)
        emitted: list[tuple[int, int, float]] = []
        for i in np.flatnonzero(done):
            value = self._returns[i] if self.terms is not None else self._returns[i, 0]
            group = (int(i) // self.group_size, int(self._episode[i]))
            for member, adv in self.normalizer.add((int(i), group[1]), group, value):
                env_i, ep = cast("tuple[int, int]", member)
                emitted.append((env_i, ep, adv))
            self._returns[i] = 0.0
            self._episode[i] += 1
        self._prev_done = done
        if emitted:
            info = {**info, "group_advantages": emitted}
        return obs, reward, terminated, truncated, info
