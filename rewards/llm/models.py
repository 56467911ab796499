"""Reward models: from annotated captions to an intrinsic reward for any caption.

A :class:`RewardModel` reads labels from an :class:`~.service.AnnotationService` and
gives the step's intrinsic reward of a caption with :meth:`RewardModel.value`, a cheap
call on the stepping thread that also asks the service for what the model needs (a
caption's label, or comparisons of a new caption with earlier ones). Learning happens
on the service's worker thread when labels arrive, and the result is published
atomically, so stepping never waits for it.

* :class:`RetrievalModel`: the caption's own label, 0 until it is labelled (ONI's
  retrieval model).
* :class:`ClassificationModel`: a small torch classifier (an MLP on hashed bag-of-words
  features of the caption) trained online on the labels; the reward of any caption,
  labelled or not, is ``1[p > 0.5]`` (``output="binary"``, ONI's choice) or ``p``.
  Before the first training round it is 0.
* :class:`RankingModel`: the annotator compares captions in pairs (which shows more
  progress); a Bradley-Terry model, ``P(a > b) = sigmoid(s_a - s_b)``, is fit to the
  preferences by L-BFGS with a small L2 penalty (:func:`fit_bradley_terry`); the reward
  is the score z-scored over the compared captions and set to 0 below the
  ``quantile``-th quantile (Motif). A caption not compared yet gets 0.

:func:`make_reward_model` builds one from its name.
"""

from __future__ import annotations

import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .prompts import Kind

if TYPE_CHECKING:
    from .service import AnnotationService

__all__ = [
    "ClassificationModel",
    "RankingModel",
    "RetrievalModel",
    "RewardModel",
    "fit_bradley_terry",
    "make_reward_model",
    "ranking_rewards",
]

Features = Callable[[Sequence[str]], np.ndarray]


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _positive_float(name: str, value: Any, zero: bool = False) -> float:
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not zero):
        raise ValueError(f"{name} must be a finite number {'>=' if zero else '>'} 0, got {value!r}")
    return v


class RewardModel(ABC):
    """Base class: ``kind`` is the kind of item it needs annotated (``"label"`` or
    ``"pair"``); :meth:`attach` connects it to a service of that kind."""

    kind: Kind = "label"

    def __init__(self) -> None:
        self.service: AnnotationService | None = None

    def attach(self, service: AnnotationService) -> None:
        """Read labels from ``service`` (all known ones now, new ones as they come)."""
        if self.service is not None:
            raise RuntimeError("this reward model is already attached to a service")
        if service.kind != self.kind:
            raise ValueError(
                f"{type(self).__name__} needs a service of kind {self.kind!r}, got {service.kind!r}"
            )
        self.service = service
        service.subscribe(self._on_labels, replay=True)

    def _require_service(self) -> AnnotationService:
        if self.service is None:
            raise RuntimeError(f"attach {type(self).__name__} to an AnnotationService first")
        return self.service

    @abstractmethod
    def value(self, caption: str, submit: bool = True) -> float:
        """The intrinsic reward of ``caption`` now; with ``submit``, also queue what the
        model needs annotated about it (never blocks)."""

    def _on_labels(self, items: list[tuple[Any, float]]) -> None:  # noqa: B027 - optional
        """New labels (called on a worker thread)."""

    def stats(self) -> dict[str, float]:
        return {}


class RetrievalModel(RewardModel):
    """The caption's label (``default`` until it has one)."""

    kind: Kind = "label"

    def __init__(self, default: float = 0.0):
        super().__init__()
        self.default = float(default)

    def value(self, caption: str, submit: bool = True) -> float:
        service = self.service
        if service is None:
            self._require_service()
            return self.default
        label = service.request(caption) if submit else service.lookup(caption)
        return self.default if label is None else label


def _hash_features(dim: int) -> Features:
    from rewardgym.envs.text.base import hash_features

    def features(texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = hash_features(t, dim)
        return out

    return features


def _mlp_proba(weights: tuple[np.ndarray, ...], x: np.ndarray) -> np.ndarray:
    """``sigmoid(w2 relu(W1 x + b1) + b2)`` for the rows of ``x``, in NumPy."""
    w1, b1, w2, b2 = weights
    h = np.maximum(x @ w1.T + b1, 0.0)
    logit = (h @ w2.T + b2)[:, 0]
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * logit)))


class _Adam:
    """Adam (Kingma and Ba 2015) with L2 weight decay added to the gradient, as
    ``torch.optim.Adam(weight_decay=...)`` does, with the update done in NumPy on one
    flat buffer that the parameters are views of.

    Why not ``torch.optim``: constructing one first imports ``torch._dynamo`` (seconds,
    holding the import lock), and on a worker thread every small torch op releases
    and retakes the GIL, each time waiting for the stepping thread to let go of it. A
    flat NumPy update is a handful of operations that keep the GIL.
    """

    def __init__(
        self, params: list[Any], lr: float, weight_decay: float = 0.0,
        betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
    ):  # fmt: skip
        import torch

        self.lr, self.weight_decay, self.betas, self.eps = lr, weight_decay, betas, eps
        sizes = [p.numel() for p in params]
        self.flat = np.zeros(sum(sizes), dtype=np.float32)
        self.params = params
        self.offsets = np.cumsum([0, *sizes])
        with torch.no_grad():
            for p, a, b in zip(params, self.offsets[:-1], self.offsets[1:], strict=True):
                self.flat[a:b] = p.detach().numpy().ravel()
                p.data = torch.from_numpy(self.flat[a:b]).view_as(p)  # shares memory
        self.grad = np.zeros_like(self.flat)
        self.m = np.zeros_like(self.flat)
        self.v = np.zeros_like(self.flat)
        self.t = 0

    def step(self) -> None:
        for p, a, b in zip(self.params, self.offsets[:-1], self.offsets[1:], strict=True):
            self.grad[a:b] = 0.0 if p.grad is None else p.grad.numpy().ravel()
        self.t += 1
        b1, b2 = self.betas
        g = self.grad if self.weight_decay == 0 else self.grad + self.weight_decay * self.flat
        self.m *= b1
        self.m += (1.0 - b1) * g
        self.v *= b2
        self.v += (1.0 - b2) * g * g
        m_hat = self.m / (1.0 - b1**self.t)
        v_hat = self.v / (1.0 - b2**self.t)
        self.flat -= (self.lr * m_hat / (np.sqrt(v_hat) + self.eps)).astype(np.float32)


class _Rows:
    """A growing float32 matrix (amortised O(1) appends of rows)."""

    def __init__(self) -> None:
        self._data = np.zeros((0, 0), dtype=np.float32)
        self._n = 0

    def extend(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.float32)
        if rows.shape[0] == 0:
            return
        if self._n and rows.shape[1] != self._data.shape[1]:
            raise ValueError(f"features changed width: {rows.shape[1]} after {self._data.shape[1]}")
        need = self._n + rows.shape[0]
        if need > self._data.shape[0]:
            grown = np.zeros((max(need, 2 * self._data.shape[0], 64), rows.shape[1]), np.float32)
            if self._n:
                grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n : need] = rows
        self._n = need

    def __len__(self) -> int:
        return self._n

    def view(self) -> np.ndarray:
        return self._data[: self._n]


class ClassificationModel(RewardModel):
    """A torch MLP classifier of captions, trained online on the labels.

    Args:
        features: ``"hash"`` (hashed bag of words, :func:`~rewardgym.envs.text.hash_features`,
            ``feature_dim`` buckets) or a function ``texts -> (n, d) float array``; it is
            called on the stepping thread for captions not seen before, so keep it cheap.
        hidden: hidden units of the ``d -> hidden -> 1`` MLP (ReLU).
        lr, weight_decay: Adam settings.
        steps_per_update: Adam steps per training round, on minibatches of ``minibatch``
            drawn from every label so far. A round runs when labels arrive, at most
            every ``update_interval`` seconds (labels that arrive in between join the
            next round; :meth:`fit` trains at once).
        min_labels: labels needed before the first training round.
        output: ``"binary"`` (reward ``1[p > 0.5]``) or ``"probability"`` (reward ``p``).
        seed: seeds the initial weights and the minibatch draws.
        num_threads: torch threads for training (1 by default, for the training thread
            only: see :func:`~.embedding.torch_threads`; None keeps torch's setting).

    :meth:`fit` trains on a labelled set directly (offline, or to warm-start);
    :meth:`predict_proba` gives ``p`` for captions. ``stats()``: ``labels``,
    ``updates`` (training rounds), ``loss`` (last minibatch loss).
    """

    kind: Kind = "label"

    def __init__(
        self,
        features: Literal["hash"] | Features = "hash",
        *,
        feature_dim: int = 256,
        hidden: int = 64,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        steps_per_update: int = 20,
        update_interval: float = 2.0,
        minibatch: int = 128,
        min_labels: int = 4,
        output: Literal["binary", "probability"] = "binary",
        seed: int = 0,
        num_threads: int | None = 1,
    ):
        super().__init__()
        if output not in ("binary", "probability"):
            raise ValueError(
                f"output must be 'binary' (1[p > 0.5]) or 'probability', got {output!r}"
            )
        self.feature_dim = _positive_int("feature_dim", feature_dim)
        if isinstance(features, str):
            if features != "hash":
                raise ValueError(
                    f"features must be 'hash' or a function texts -> (n, d) array, got {features!r}"
                )
            self.features: Features = _hash_features(self.feature_dim)
        elif callable(features):
            self.features = features
        else:
            raise TypeError("features must be 'hash' or a callable texts -> (n, d) array")
        self.hidden = _positive_int("hidden", hidden)
        self.lr = _positive_float("lr", lr)
        self.weight_decay = _positive_float("weight_decay", weight_decay, zero=True)
        self.steps_per_update = _positive_int("steps_per_update", steps_per_update)
        self.update_interval = _positive_float("update_interval", update_interval, zero=True)
        self._last_update = -math.inf
        self.minibatch = _positive_int("minibatch", minibatch)
        self.min_labels = _positive_int("min_labels", min_labels)
        self.output = output
        self.seed = int(seed)
        self.num_threads = (
            None if num_threads is None else _positive_int("num_threads", num_threads)
        )
        # torch is imported here, on the caller's thread: imported first on the worker
        # thread, it would hold the GIL for seconds while stepping runs
        import torch  # noqa: F401

        self._rng = np.random.default_rng(seed)
        self._train_lock = threading.Lock()
        self._net: Any = None
        self._opt: Any = None
        self._feats: dict[str, np.ndarray] = {}
        self._x = _Rows()  # features of the labelled captions
        self._y: list[float] = []
        self._index: dict[str, int] = {}
        self._known: list[str] = []  # captions seen by value(), in order
        self._known_set: set[str] = set()
        self._pub_x = _Rows()  # features of the captions with a published prediction
        self._pub_names: list[str] = []
        # (the network's weights as NumPy arrays, predictions by caption)
        self._published: tuple[tuple[np.ndarray, ...], dict[str, float]] | None = None
        self._updates = 0
        self._loss = math.nan

    # -- torch ----------------------------------------------------------------------------------
    def _build(self, dim: int) -> None:
        import torch

        gen = torch.Generator().manual_seed(self.seed)
        first, last = torch.nn.Linear(dim, self.hidden), torch.nn.Linear(self.hidden, 1)
        net = torch.nn.Sequential(first, torch.nn.ReLU(), last)
        with torch.no_grad():
            for layer in (first, last):
                bound = 1.0 / math.sqrt(layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=gen)
                layer.bias.uniform_(-bound, bound, generator=gen)
        self._net = net
        self._opt = _Adam(list(net.parameters()), self.lr, self.weight_decay)

    def _features(self, captions: Sequence[str]) -> np.ndarray:
        """Features of ``captions`` (cached per caption)."""
        missing = list(dict.fromkeys(c for c in captions if c not in self._feats))
        if missing:
            feats = np.asarray(self.features(missing), dtype=np.float32)
            if feats.ndim != 2 or feats.shape[0] != len(missing):
                raise ValueError(
                    f"features must return an (n, d) array for n texts, got shape {feats.shape}"
                )
            for c, f in zip(missing, feats, strict=True):
                self._feats[c] = f
        if not captions:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._feats[c] for c in captions])

    def _add(self, captions: Sequence[str], labels: Sequence[float]) -> None:
        new: dict[str, float] = {}
        for c, y in zip(captions, labels, strict=True):
            y = min(1.0, max(0.0, float(y)))
            if c in self._index:
                self._y[self._index[c]] = y
            else:
                new[c] = y
        if not new:
            return
        self._x.extend(self._features(list(new)))
        for c, y in new.items():
            self._index[c] = len(self._y)
            self._y.append(y)

    def _train(self, steps: int) -> None:
        import torch

        n = len(self._y)
        if n < self.min_labels:
            return
        x_all = self._x.view()
        y_all = np.asarray(self._y, dtype=np.float32)
        if self._net is None:
            self._build(x_all.shape[1])
        net, opt = self._net, self._opt
        net.train()
        loss_fn = torch.nn.BCEWithLogitsLoss()
        loss = None
        for _ in range(steps):
            idx = self._rng.integers(0, n, size=min(self.minibatch, n))
            xb = torch.from_numpy(x_all[idx])
            yb = torch.from_numpy(y_all[idx])
            net.zero_grad(set_to_none=True)
            loss = loss_fn(net(xb).squeeze(1), yb)
            loss.backward()
            opt.step()
        self._updates += 1
        self._loss = float(loss.detach()) if loss is not None else math.nan
        self._publish()

    def _publish(self) -> None:
        """The network's weights and its predictions for every caption seen or
        labelled, swapped in at once. The stepping thread evaluates new captions with
        the NumPy copy of the weights (microseconds, no torch call)."""
        net = self._net
        weights = tuple(
            p.detach().numpy().astype(np.float32).copy()
            for p in (net[0].weight, net[0].bias, net[2].weight, net[2].bias)
        )
        seen = set(self._pub_names)
        fresh = [c for c in self._known[:] if c not in seen]
        fresh_set = set(fresh)
        fresh += [c for c in self._index if c not in seen and c not in fresh_set]
        if fresh:
            self._pub_x.extend(self._features(fresh))
            self._pub_names.extend(fresh)
        preds: dict[str, float] = {}
        if self._pub_names:
            p = _mlp_proba(weights, self._pub_x.view())
            preds = dict(zip(self._pub_names, p.tolist(), strict=True))
        self._published = (weights, preds)

    # -- public ---------------------------------------------------------------------------------
    def fit(
        self, captions: Sequence[str], labels: Sequence[float], steps: int = 200
    ) -> ClassificationModel:
        """Add a labelled set and train ``steps`` Adam steps on everything labelled."""
        if len(captions) != len(labels):
            raise ValueError(f"{len(captions)} captions but {len(labels)} labels")
        from .embedding import torch_threads

        with self._train_lock, torch_threads(self.num_threads):
            self._add(list(captions), list(labels))
            self._train(_positive_int("steps", steps))
        return self

    def predict_proba(self, captions: Sequence[str]) -> np.ndarray:
        """``p(label = 1)`` of each caption under the published model (0.5 before any
        training)."""
        pub = self._published
        if pub is None:
            return np.full(len(captions), 0.5)
        feats = np.asarray(self.features(list(captions)), dtype=np.float32)
        return _mlp_proba(pub[0], feats).astype(np.float64)

    def _reward(self, p: float) -> float:
        return (1.0 if p > 0.5 else 0.0) if self.output == "binary" else p

    def value(self, caption: str, submit: bool = True) -> float:
        service = self._require_service()
        if submit:
            service.request(caption)
        pub = self._published
        if caption not in self._known_set:
            self._known_set.add(caption)
            self._known.append(caption)
        if pub is None:
            return 0.0
        weights, preds = pub
        p = preds.get(caption)
        if p is None:
            feats = np.asarray(self.features([caption]), dtype=np.float32)
            self._feats.setdefault(caption, feats[0])
            p = float(_mlp_proba(weights, feats)[0])
            preds[caption] = p
        return self._reward(p)

    def _on_labels(self, items: list[tuple[Any, float]]) -> None:
        from .embedding import torch_threads

        with self._train_lock:
            self._add([str(c) for c, _ in items], [y for _, y in items])
            now = time.monotonic()
            if now - self._last_update < self.update_interval:
                return
            with torch_threads(self.num_threads):
                self._train(self.steps_per_update)
            if self._updates:
                self._last_update = now

    def stats(self) -> dict[str, float]:
        return {"labels": float(len(self._y)), "updates": float(self._updates), "loss": self._loss}


# -- Bradley-Terry ----------------------------------------------------------------------------


def fit_bradley_terry(
    a: np.ndarray,
    b: np.ndarray,
    y: np.ndarray,
    n: int,
    l2: float = 1e-2,
    init: np.ndarray | None = None,
) -> np.ndarray:
    """Bradley-Terry scores ``s`` (n,) from comparisons ``a[k]`` vs ``b[k]`` with
    ``y[k]`` the probability that ``a[k]`` is preferred (1, 0, or 0.5 for a tie).

    Minimises ``-Σ_k [y log σ(s_a - s_b) + (1 - y) log σ(s_b - s_a)] + l2/2 ||s||²``
    with L-BFGS (the penalty fixes the free offset and keeps scores finite when one
    item wins every comparison).
    """
    from scipy.optimize import minimize

    a = np.asarray(a, dtype=np.intp)
    b = np.asarray(b, dtype=np.intp)
    y = np.asarray(y, dtype=np.float64)
    if not (a.shape == b.shape == y.shape) or a.ndim != 1:
        raise ValueError("a, b and y must be 1-d arrays of the same length")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if a.size and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n):
        raise ValueError(f"item indices must be in [0, {n})")
    if l2 <= 0:
        raise ValueError(f"l2 must be > 0 (it makes the fit unique), got {l2}")

    def objective(s: np.ndarray) -> tuple[float, np.ndarray]:
        d = s[a] - s[b]
        nll = float(np.sum(y * np.logaddexp(0.0, -d) + (1.0 - y) * np.logaddexp(0.0, d)))
        g = 0.5 * (1.0 + np.tanh(0.5 * d)) - y  # d nll / d d
        grad = np.bincount(a, g, minlength=n) - np.bincount(b, g, minlength=n) + l2 * s
        return nll + 0.5 * l2 * float(s @ s), grad

    x0 = np.zeros(n) if init is None else np.asarray(init, dtype=np.float64).reshape(n)
    res = minimize(objective, x0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return np.asarray(res.x, dtype=np.float64)


def ranking_rewards(scores: np.ndarray, quantile: float = 0.5) -> np.ndarray:
    """Scores z-scored, then set to 0 where below their ``quantile``-th quantile."""
    s = np.asarray(scores, dtype=np.float64)
    if s.size == 0:
        return s
    std = s.std()
    z = (s - s.mean()) / std if std > 1e-12 else np.zeros_like(s)
    threshold = np.quantile(z, quantile)
    return np.where(z >= threshold, z, 0.0)


class RankingModel(RewardModel):
    """Pairwise preferences -> Bradley-Terry scores -> z-scored, thresholded rewards.

    When a caption is seen for the first time it is paired with up to
    ``pairs_per_caption`` captions seen before (drawn at random, in random order) and
    the pairs are queued for annotation. When ``refit_every`` new preferences have
    arrived, and at most every ``refit_interval`` seconds, the model is refit
    (warm-started) and the rewards of all compared captions are published:
    ``ranking_rewards(scores, quantile)``. Captions not yet compared get 0.

    :meth:`fit` fits from given preferences directly. ``stats()``: ``captions``,
    ``comparisons``, ``fits``.
    """

    kind: Kind = "pair"

    def __init__(
        self,
        pairs_per_caption: int = 4,
        quantile: float = 0.5,
        l2: float = 1e-2,
        refit_every: int = 8,
        refit_interval: float = 1.0,
        seed: int = 0,
    ):
        super().__init__()
        self.pairs_per_caption = _positive_int("pairs_per_caption", pairs_per_caption)
        if not 0.0 <= float(quantile) <= 1.0:
            raise ValueError(f"quantile must be in [0, 1], got {quantile!r}")
        self.quantile = float(quantile)
        self.l2 = _positive_float("l2", l2)
        self.refit_every = _positive_int("refit_every", refit_every)
        self.refit_interval = _positive_float("refit_interval", refit_interval, zero=True)
        import scipy.optimize  # noqa: F401  (here, not on the worker thread)

        self._last_fit = -math.inf
        self._rng = np.random.default_rng(seed)
        self._seen: list[str] = []
        self._seen_set: set[str] = set()
        self._lock = threading.Lock()
        self._ids: dict[str, int] = {}
        self._names: list[str] = []
        self._a: list[int] = []
        self._b: list[int] = []
        self._y: list[float] = []
        self._scores = np.zeros(0)
        self._pending_refit = 0
        self._fits = 0
        self._rewards: dict[str, float] = {}

    def _id(self, caption: str) -> int:
        i = self._ids.get(caption)
        if i is None:
            i = self._ids[caption] = len(self._names)
            self._names.append(caption)
        return i

    def _add(self, items: Sequence[tuple[Any, float]]) -> None:
        for pair, y in items:
            a, b = pair
            self._a.append(self._id(str(a)))
            self._b.append(self._id(str(b)))
            self._y.append(min(1.0, max(0.0, float(y))))
        self._pending_refit += len(items)

    def _refit(self) -> None:
        n = len(self._names)
        if n == 0:
            return
        init = np.zeros(n)
        init[: self._scores.size] = self._scores
        self._scores = fit_bradley_terry(
            np.asarray(self._a), np.asarray(self._b), np.asarray(self._y), n, self.l2, init
        )
        rewards = ranking_rewards(self._scores, self.quantile)
        self._rewards = dict(zip(self._names, rewards.tolist(), strict=True))
        self._pending_refit = 0
        self._fits += 1

    def fit(self, pairs: Sequence[tuple[str, str]], preferences: Sequence[float]) -> RankingModel:
        """Add preferences (``P(first preferred)`` per pair) and refit now."""
        if len(pairs) != len(preferences):
            raise ValueError(f"{len(pairs)} pairs but {len(preferences)} preferences")
        with self._lock:
            self._add(list(zip(pairs, preferences, strict=True)))
            self._refit()
        return self

    def scores(self) -> dict[str, float]:
        """The Bradley-Terry score of every compared caption."""
        with self._lock:
            return dict(zip(self._names, self._scores.tolist(), strict=True))

    def rewards(self) -> dict[str, float]:
        """The published reward of every compared caption."""
        return dict(self._rewards)

    def _on_labels(self, items: list[tuple[Any, float]]) -> None:
        with self._lock:
            self._add(items)
            now = time.monotonic()
            if self._fits == 0 or (
                self._pending_refit >= self.refit_every
                and now - self._last_fit >= self.refit_interval
            ):
                self._refit()
                self._last_fit = now

    def value(self, caption: str, submit: bool = True) -> float:
        service = self._require_service()
        if submit and caption not in self._seen_set:
            n = len(self._seen)
            if n:
                # k distinct partners in O(k): draws with replacement, repeats skipped
                k = min(self.pairs_per_caption, n)
                draws = self._rng.integers(0, n, size=2 * k + 4).tolist()
                flips = self._rng.random(len(draws)) < 0.5
                chosen: set[int] = set()
                for j, flip in zip(draws, flips.tolist(), strict=True):
                    if j in chosen:
                        continue
                    chosen.add(j)
                    other = self._seen[j]
                    service.request((other, caption) if flip else (caption, other))
                    if len(chosen) == k:
                        break
            self._seen_set.add(caption)
            self._seen.append(caption)
        return self._rewards.get(caption, 0.0)

    def stats(self) -> dict[str, float]:
        return {
            "captions": float(len(self._names)),
            "comparisons": float(len(self._y)),
            "fits": float(self._fits),
        }


def make_reward_model(model: str | RewardModel, **kwargs: Any) -> RewardModel:
    """A reward model from its name (``"retrieval"``, ``"classification"``,
    ``"ranking"``) and keyword arguments, or ``model`` itself."""
    if isinstance(model, RewardModel):
        if kwargs:
            raise ValueError("model_kwargs apply only when the reward model is given by name")
        return model
    table: dict[str, type[RewardModel]] = {
        "retrieval": RetrievalModel,
        "classification": ClassificationModel,
        "ranking": RankingModel,
    }
    if model not in table:
        raise ValueError(
            f"reward_model must be one of {sorted(table)} or a RewardModel, got {model!r}"
        )
    return table[model](**kwargs)
