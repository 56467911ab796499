"""Reward models on synthetic labelled sets: retrieval, the online classifier,
Bradley-Terry ranking."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau, spearmanr

from rewardgym.rewards.llm.annotators import FunctionAnnotator
from rewardgym.rewards.llm.models import (
    ClassificationModel,
    RankingModel,
    RetrievalModel,
    fit_bradley_terry,
    make_reward_model,
    ranking_rewards,
)
from rewardgym.rewards.llm.service import AnnotationService

GOOD = ["key", "treasure", "door", "unlocked", "found", "gold", "exit", "lamp"]
BAD = ["wall", "nothing", "dark", "blocked", "cannot", "empty", "dust", "silence"]
FILLER = ["the", "room", "you", "a", "north", "old", "stone", "quiet", "there", "is"]


def synthetic(n: int, seed: int) -> tuple[list[str], list[float]]:
    """Captions of filler words plus one signal word; label 1 iff it is a good word."""
    rng = np.random.default_rng(seed)
    captions, labels = [], []
    for _ in range(n):
        good = bool(rng.random() < 0.5)
        words = list(rng.choice(FILLER, size=int(rng.integers(3, 8))))
        words.insert(int(rng.integers(len(words) + 1)), str(rng.choice(GOOD if good else BAD)))
        captions.append(" ".join(words))
        labels.append(float(good))
    return captions, labels


def rule(items: list[str]) -> list[float]:
    return [float(any(w in x.split() for w in GOOD)) for x in items]


def service(fn, kind="label") -> AnnotationService:
    ann = FunctionAnnotator(fn, kind, name=f"rule-{kind}", batch_size=16)
    return AnnotationService(ann, kind, batch_wait=0.0)


def test_retrieval_is_zero_until_labelled_then_the_label():
    model = RetrievalModel()
    with service(rule) as svc:
        model.attach(svc)
        assert model.value("you found a key") == 0.0
        assert model.value("a wall", submit=False) == 0.0
        svc.wait_idle(5)
        assert model.value("you found a key") == 1.0
        assert model.value("a wall", submit=False) == 0.0  # never requested
        assert svc.counters()["answered"] == 1


def test_classifier_generalises_to_unseen_captions():
    train_x, train_y = synthetic(400, seed=0)
    test_x, test_y = synthetic(200, seed=1)
    model = ClassificationModel(seed=0).fit(train_x, train_y, steps=300)
    p = model.predict_proba(test_x)
    accuracy = float(np.mean((p > 0.5) == np.asarray(test_y, bool)))
    assert accuracy > 0.9, accuracy


def test_classifier_learns_online_from_the_service():
    train_x, _ = synthetic(300, seed=2)
    test_x, test_y = synthetic(200, seed=3)
    model = ClassificationModel(seed=0, steps_per_update=30)
    with service(rule) as svc:
        model.attach(svc)
        assert model.value(test_x[0]) == 0.0  # no estimate before any label
        for x in train_x:
            model.value(x)
        assert svc.wait_idle(30)
        assert model.stats()["labels"] == 301 and model.stats()["updates"] >= 1
        # more rounds on what was labelled, as a long run would do
        model.fit([], [], steps=300)
        rewards = np.array([model.value(x, submit=False) for x in test_x])
    assert set(np.unique(rewards)) <= {0.0, 1.0}
    accuracy = float(np.mean(rewards == np.asarray(test_y)))
    assert accuracy > 0.9, accuracy


def test_classifier_probability_output_and_arguments():
    model = ClassificationModel(output="probability", seed=0).fit(*synthetic(100, 4), steps=100)
    with service(rule) as svc:
        model.attach(svc)
        v = model.value("the gold room")
        assert 0.0 < v < 1.0
    with pytest.raises(ValueError, match="output"):
        ClassificationModel(output="logit")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="features"):
        ClassificationModel(features="bert")  # type: ignore[arg-type]
    wrong = ClassificationModel(features=lambda xs: np.zeros(3))
    with pytest.raises(ValueError, match="features must return"):
        wrong.fit(["a", "b"], [0.0, 1.0])


def test_bradley_terry_recovers_a_known_ranking_exactly_from_all_pairs():
    true = np.arange(12, dtype=float)[::-1].copy()
    np.random.default_rng(0).shuffle(true)
    a, b = np.triu_indices(12, k=1)
    y = (true[a] > true[b]).astype(float)
    s = fit_bradley_terry(a, b, y, 12)
    assert np.array_equal(np.argsort(s), np.argsort(true))


def test_bradley_terry_recovers_a_ranking_from_noisy_sampled_preferences():
    rng = np.random.default_rng(1)
    n = 30
    true = rng.normal(0, 2, n)
    a = rng.integers(0, n, 2000)
    b = (a + rng.integers(1, n, 2000)) % n
    y = (rng.random(2000) < 1 / (1 + np.exp(-(true[a] - true[b])))).astype(float)
    s = fit_bradley_terry(a, b, y, n, l2=1e-3)
    assert kendalltau(s, true).statistic > 0.85
    # ties (0.5) pull scores together
    tie = fit_bradley_terry(np.array([0]), np.array([1]), np.array([0.5]), 2)
    assert abs(tie[0] - tie[1]) < 1e-6


def test_bradley_terry_arguments():
    with pytest.raises(ValueError, match="same length"):
        fit_bradley_terry(np.array([0]), np.array([1, 2]), np.array([1.0]), 3)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        fit_bradley_terry(np.array([0]), np.array([2]), np.array([1.0]), 2)
    with pytest.raises(ValueError, match="l2"):
        fit_bradley_terry(np.array([0]), np.array([1]), np.array([1.0]), 2, l2=0)


def test_ranking_rewards_are_z_scored_and_thresholded():
    scores = np.linspace(-3, 5, 101)
    r = ranking_rewards(scores, quantile=0.5)
    z = (scores - scores.mean()) / scores.std()
    assert np.allclose(r[50:], z[50:]) and np.all(r[:50] == 0)
    assert np.all(ranking_rewards(np.ones(5)) == 0)


def level(x: str) -> int:
    return int(x.split()[1])


def prefer_higher(pairs: list[tuple[str, str]]) -> list[float]:
    return [1.0 if level(a) > level(b) else 0.0 for a, b in pairs]


def test_ranking_model_learns_the_order_online():
    captions = [f"level {k}" for k in range(20)]
    model = RankingModel(pairs_per_caption=6, quantile=0.5, refit_every=4, seed=0)
    with service(prefer_higher, "pair") as svc:
        model.attach(svc)
        order = np.random.default_rng(0).permutation(20)
        assert model.value(captions[order[0]]) == 0.0
        for k in order:
            model.value(captions[k])
        assert svc.wait_idle(10)
        model.fit([], [])  # refit on everything received
        rewards = model.rewards()
    assert len(rewards) == 20
    values = np.array([rewards[c] for c in captions])
    assert np.all(values[:8] == 0) and np.all(values[12:] > 0)
    scores = model.scores()
    assert spearmanr([scores[c] for c in captions], np.arange(20)).statistic > 0.9
    assert model.stats()["comparisons"] == svc.counters()["answered"]


def test_make_reward_model_by_name():
    assert isinstance(make_reward_model("retrieval"), RetrievalModel)
    assert make_reward_model("ranking", quantile=0.9).quantile == 0.9  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="classification"):
        make_reward_model("lookup")
    m = RetrievalModel()
    assert make_reward_model(m) is m
    with pytest.raises(RuntimeError, match="attach"):
        RankingModel().value("x")
    with service(rule) as svc, pytest.raises(ValueError, match="kind 'pair'"):
        RankingModel().attach(svc)


def test_adam_matches_torch_adam():
    import torch

    from rewardgym.rewards.llm.models import _Adam

    gen = torch.Generator().manual_seed(0)
    w0 = torch.randn(5, 3, generator=gen)
    x = torch.randn(16, 5, generator=gen)
    ours, ref = w0.clone().requires_grad_(), w0.clone().requires_grad_()
    opt_ours = _Adam([ours], lr=0.01, weight_decay=0.1)
    opt_ref = torch.optim.Adam([ref], lr=0.01, weight_decay=0.1)
    for _ in range(20):
        for w, opt in ((ours, opt_ours), (ref, opt_ref)):
            w.grad = None
            (x @ w).tanh().sum().backward()
            opt.step()
    assert torch.allclose(ours, ref, atol=1e-6)
