"""Exploration bonuses: hand-computed counts, the hash table against a dict model, SimHash,
RND's learning signal and whitening, E3B's Sherman-Morrison updates and inverse dynamics,
batched against per-env instances, freezing, and a smoke run on vector CartPole."""

from __future__ import annotations

import math
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rewardgym  # noqa: F401
from rewardgym.rewards.exploration import (
    CountBonus,
    E3BBonus,
    RNDBonus,
    SimHash,
    _CountTable,
    hasher_for_space,
)


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


def step(bonus, next_obs, action=None, valid=None):
    """Feed one batch whose successors are ``next_obs``; obs = next_obs, no flags."""
    nxt = np.asarray(next_obs)
    b = nxt.shape[0]
    act = np.zeros(b, np.int64) if action is None else action
    done = np.zeros(b, bool)
    return bonus(nxt, act, nxt, done, done, valid=valid)


def test_import_does_not_import_torch():
    code = (
        "import sys, rewardgym.rewards.exploration as m; "
        "assert 'torch' not in sys.modules, 'torch imported'; print(m.CountBonus.MODES)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


# -- counts -------------------------------------------------------------------------------------
# Two envs; successors per step (env 0, env 1); env 0's episode ends after step 2.
STREAM = [(0, 1), (0, 0), "reset env 0", (1, 2), (1, 1)]
R2, R3 = 1 / math.sqrt(2), 1 / math.sqrt(3)
EXPECTED = {
    # Global N: s1 (1, 1); s2 key 0 twice in one batch: env 0 N=2, env 1 N=3;
    # s3 (2, 1); s4 key 1 twice: N=3 then N=4.
    "global": [(1, 1), (R2, R3), (R2, 1), (R3, 0.5)],
    # env 0: 0 new | 0 again | (new episode) 1 new | 1 again;
    # env 1: 1 new | 0 new | 2 new | 1 seen at s1.
    "episodic": [(1, 1), (0, 1), (1, 1), (0, 0)],
    "product": [(1, 1), (0, R3), (R2, 1), (0, 0)],
}


@pytest.mark.parametrize("mode", ["global", "episodic", "product"])
def test_counts_hand_computed(mode):
    bonus = CountBonus(2, mode=mode)
    got = []
    for item in STREAM:
        if isinstance(item, str):
            bonus.reset(np.array([True, False]))
            continue
        b = step(bonus, np.array(item, np.int64)[:, None])
        assert b.dtype == np.float64 and b.shape == (2,)
        got.append(b)
    np.testing.assert_allclose(got, EXPECTED[mode], rtol=0, atol=1e-15)
    stats = bonus.stats()
    assert stats["bonus_mean"] == pytest.approx(np.mean(EXPECTED[mode][-1]))
    if mode != "episodic":
        assert stats["distinct_keys"] == 3 and stats["visits"] == 8
        np.testing.assert_array_equal(bonus.count(np.array([[0], [1], [2], [7]])), [3, 4, 1, 0])
    if mode != "global":
        assert stats["episodic_keys_mean"] == pytest.approx((1 + 3) / 2)


def test_same_new_key_in_one_batch_counts_in_env_order():
    """Convention: a batch is B visits in env order, so the second env sees N=2."""
    bonus = CountBonus(3, mode="global")
    obs = np.array([[0.5, 1.0], [0.5, 1.0], [2.0, 0.0]], np.float32)
    np.testing.assert_allclose(step(bonus, obs), [1.0, R2, 1.0])
    np.testing.assert_array_equal(bonus.count(obs), [2, 2, 1])
    np.testing.assert_allclose(step(bonus, obs[[2, 0, 0]]), [R2, R3, 0.5])


def test_count_keys_are_exact_bytes():
    bonus = CountBonus(2, mode="global")
    obs = np.array([[0.0, 1.0], [0.0, 1.0 + 1e-7]], np.float64)
    np.testing.assert_allclose(step(bonus, obs), [1.0, 1.0])
    np.testing.assert_allclose(step(bonus, obs[::-1].copy()), [R2, R2])
    with pytest.raises(ValueError, match="key width"):
        step(bonus, obs.astype(np.float32))


def test_frozen_counts_do_not_change():
    bonus = CountBonus(2, mode="product")
    step(bonus, np.array([[0], [1]]))
    bonus.reset()
    before = bonus.stats()
    bonus.freeze()
    assert not bonus.training
    obs = np.array([[0], [5]])
    first = step(bonus, obs)
    np.testing.assert_allclose(first, [R2, 1.0])  # values as if counted
    np.testing.assert_array_equal(bonus.count(obs), [1, 0])
    after = bonus.stats()
    assert after["distinct_keys"] == before["distinct_keys"] == 2
    assert after["visits"] == before["visits"] == 2
    # Episodic memory still follows the episode: the second visit gets no bonus.
    np.testing.assert_allclose(step(bonus, obs), [0.0, 0.0])
    np.testing.assert_array_equal(bonus.count(obs), [1, 0])
    bonus.unfreeze()
    bonus.reset()
    np.testing.assert_allclose(step(bonus, obs), [R2, 1.0])
    np.testing.assert_array_equal(bonus.count(obs), [2, 1])


def test_invalid_rows_get_zero_and_count_nothing():
    bonus = CountBonus(2, mode="global")
    b = step(bonus, np.array([[3], [4]]), valid=np.array([False, True]))
    np.testing.assert_array_equal(b, [0.0, 1.0])
    np.testing.assert_array_equal(bonus.count(np.array([[3], [4]])), [0, 1])
    assert bonus.stats()["bonus_mean"] == 1.0


class _TinyCountBonus(CountBonus):
    _INITIAL_CAPACITY = 2  # forces many rebuilds of the hash tables


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.integers(0, 60), min_size=3, max_size=3),
            st.lists(st.booleans(), min_size=3, max_size=3),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_counts_match_a_dict_model(steps):
    bonuses = {m: _TinyCountBonus(3, mode=m) for m in CountBonus.MODES}
    glob: dict[int, int] = {}
    episodes: list[dict[int, int]] = [{}, {}, {}]
    for keys, done in steps:
        want = {m: [] for m in CountBonus.MODES}
        for i, k in enumerate(keys):  # the documented order: env 0 first
            glob[k] = glob.get(k, 0) + 1
            episodes[i][k] = episodes[i].get(k, 0) + 1
            g, e = 1 / math.sqrt(glob[k]), float(episodes[i][k] == 1)
            want["global"].append(g)
            want["episodic"].append(e)
            want["product"].append(g * e)
        obs = np.array(keys, np.int16)[:, None]
        for m, bonus in bonuses.items():
            np.testing.assert_allclose(step(bonus, obs), want[m], rtol=1e-12)
            bonus.reset(np.array(done))
        for i, d in enumerate(done):
            if d:
                episodes[i] = {}
    probe = np.arange(61, dtype=np.int16)[:, None]
    for mode in ("global", "product"):
        counts = bonuses[mode].count(probe)
        np.testing.assert_array_equal(counts, [glob.get(k, 0) for k in range(61)])
        assert bonuses[mode].stats()["distinct_keys"] == len(glob)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(0, 300), min_size=1, max_size=200), min_size=1, max_size=8))
def test_count_table_with_duplicate_rows_matches_a_dict(batches):
    table = _CountTable(words=2, capacity=8)
    model: dict[tuple[int, int], int] = {}
    for batch in batches:
        keys = np.array([[k % 7, k] for k in batch], np.uint64)
        slots = table.find(keys, insert=True)
        assert (slots >= 0).all()
        for k, s in zip(batch, slots, strict=True):  # equal keys share one slot
            assert s == slots[batch.index(k)]
        np.add.at(table.counts, slots, 1)
        for k in batch:
            model[(k % 7, k)] = model.get((k % 7, k), 0) + 1
        assert table.size == len(model) and table.size <= 0.5 * table.capacity
    probe = np.array([[k % 7, k] for k in range(310)], np.uint64)
    slots = table.find(probe, insert=False)
    got = np.where(slots >= 0, table.counts[slots], 0)
    want = [model.get((k % 7, k), 0) for k in range(310)]
    np.testing.assert_array_equal(got, want)


def test_finished_episodes_are_dropped_from_episodic_memory():
    bonus = _TinyCountBonus(2, mode="episodic")
    for episode in range(300):
        for k in range(10):
            b = step(bonus, np.array([[episode * 100 + k], [k]], np.int64))
            np.testing.assert_array_equal(b, [1.0, 1.0])
        bonus.reset()
    table = bonus._episodic
    assert table is not None and table.size < 200 and table.capacity <= 256


def test_simhash_is_deterministic_and_local():
    h = SimHash(8, bits=32, seed=3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 8))
    keys = h(x)
    assert keys.shape == (500, 4) and keys.dtype == np.uint8
    np.testing.assert_array_equal(keys, SimHash(8, bits=32, seed=3)(x))
    assert not np.array_equal(keys, SimHash(8, bits=32, seed=4)(x))
    assert SimHash(8, bits=12)(x).shape == (500, 2)
    near = h(x + 1e-3 * rng.standard_normal(x.shape))
    far = h(rng.standard_normal(x.shape))
    same_near = np.all(keys == near, axis=1).mean()
    same_far = np.all(keys == far, axis=1).mean()
    assert same_near > 0.9 and same_far < 0.05
    bonus = CountBonus(500, mode="global", hasher=h)
    step(bonus, x)
    assert bonus.stats()["distinct_keys"] == len({k.tobytes() for k in keys})
    with pytest.raises(ValueError, match="SimHash expects"):
        h(np.zeros((2, 3)))


def test_hasher_for_space():
    assert hasher_for_space(gym.spaces.Discrete(5)) is None
    assert hasher_for_space(gym.spaces.Box(0, 255, (3, 3), np.uint8)) is None
    h = hasher_for_space(gym.spaces.Box(-1, 1, (2, 3), np.float32), bits=16)
    assert isinstance(h, SimHash) and h.obs_dim == 6 and h.bits == 16


def test_count_argument_validation():
    with pytest.raises(ValueError, match="num_envs"):
        CountBonus(0)
    with pytest.raises(ValueError, match="mode"):
        CountBonus(2, mode="lifelong")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hasher"):
        CountBonus(2, hasher=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bits"):
        SimHash(4, bits=0)
    bonus = CountBonus(2, mode="episodic")
    with pytest.raises(ValueError, match="leading dimension"):
        step(bonus, np.zeros((3, 1)))
    with pytest.raises(ValueError, match="terminated"):
        bonus(np.zeros((2, 1)), np.zeros(2), np.zeros((2, 1)), np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="mask"):
        bonus.reset(np.array([True]))
    with pytest.raises(ValueError, match="no global counts"):
        bonus.count(np.zeros((2, 1)))


# -- RND ------------------------------------------------------------------------------------
def test_rnd_familiar_states_lose_their_bonus(torch):
    rng = np.random.default_rng(0)
    familiar = rng.standard_normal((8, 4))
    novel = rng.standard_normal((32, 4)) * 2.0 + 3.0
    rnd = RNDBonus(4, 8, lr=3e-3, seed=0)
    step(rnd, familiar)
    start = rnd.prediction_error(familiar).mean()
    for _ in range(300):
        b = step(rnd, familiar)
    assert np.isfinite(b).all() and (b >= 0).all()
    end = rnd.prediction_error(familiar).mean()
    assert end < 0.1 * start
    assert rnd.prediction_error(novel).mean() > 10 * end
    # On one batch (one normaliser) the novel states get the larger bonus.
    rnd.freeze()
    mixed = np.concatenate([familiar[:4], novel[:4]])
    b = step(rnd, mixed)
    assert b[4:].min() > b[:4].max()
    stats = rnd.stats()
    assert stats["updates"] == 301 and stats["loss"] < stats["raw_bonus_mean"]


def test_rnd_whitening_and_clip(torch):
    rnd = RNDBonus(3, 16, obs_clip=5.0)
    rng = np.random.default_rng(1)
    data = rng.normal([1.0, -2.0, 0.0], [0.5, 3.0, 1.0], size=(20, 16, 3))
    for x in data:
        step(rnd, x)
    flat = data.reshape(-1, 3)
    np.testing.assert_allclose(rnd.obs_rms.mean, flat.mean(0), atol=1e-12)
    np.testing.assert_allclose(rnd.obs_rms.var, flat.var(0), atol=1e-12)
    z = rnd.whiten(flat)
    np.testing.assert_allclose(z, (flat - flat.mean(0)) / flat.std(0), atol=1e-6)
    outliers = np.array([[1e3, -1e3, 0.0], [-1e6, 1e6, 7.0]])
    w = rnd.whiten(outliers)
    assert np.abs(w).max() == 5.0
    np.testing.assert_array_equal(w[:, :2], [[5, -5], [-5, 5]])


def test_rnd_frozen_changes_nothing(torch):
    rnd = RNDBonus(4, 5, seed=1, update_every=2)
    rng = np.random.default_rng(2)
    for _ in range(4):
        step(rnd, rng.standard_normal((5, 4)))
    assert rnd.stats()["updates"] == 2
    params = [p.detach().clone() for p in rnd.predictor.parameters()]
    mean, var, ret = rnd.obs_rms.mean.copy(), rnd.obs_rms.var.copy(), rnd.intrinsic_return.copy()
    ret_std = rnd.stats()["return_std"]
    rnd.freeze()
    for _ in range(5):
        x = rng.standard_normal((5, 4)) * 3
        b = step(rnd, x)
        np.testing.assert_allclose(b, rnd.prediction_error(x) / (ret_std + 1e-8), rtol=1e-12)
    for p, q in zip(params, rnd.predictor.parameters(), strict=True):
        assert torch.equal(p, q)
    np.testing.assert_array_equal(rnd.obs_rms.mean, mean)
    np.testing.assert_array_equal(rnd.obs_rms.var, var)
    np.testing.assert_array_equal(rnd.intrinsic_return, ret)
    assert rnd.stats()["updates"] == 2 and rnd.stats()["return_std"] == ret_std


def test_rnd_intrinsic_return_is_not_episodic(torch):
    rnd = RNDBonus(2, 3, gamma_int=0.5)
    x = np.ones((3, 2))
    step(rnd, x)
    first = rnd.intrinsic_return.copy()
    rnd.reset()
    assert np.array_equal(rnd.intrinsic_return, first)
    rnd.freeze()
    raw = rnd.prediction_error(x)
    rnd.unfreeze()
    step(rnd, x)  # whitening stats do not move: the same x again
    np.testing.assert_allclose(rnd.intrinsic_return, 0.5 * first + raw, rtol=1e-6)


def test_rnd_invalid_rows(torch):
    rnd = RNDBonus(2, 3)
    x = np.array([[0.0, 1.0], [2.0, 3.0], [1e9, -1e9]])
    b = step(rnd, x, valid=np.array([True, True, False]))
    assert b[2] == 0.0 and (b[:2] > 0).all()
    assert rnd.intrinsic_return[2] == 0.0
    np.testing.assert_allclose(rnd.obs_rms.mean, [1.0, 2.0])


def test_rnd_argument_validation(torch):
    for kwargs, match in [
        ({"gamma_int": 1.0}, "gamma_int"),
        ({"lr": 0.0}, "lr"),
        ({"obs_clip": -1.0}, "obs_clip"),
        ({"update_every": 0}, "update_every"),
        ({"hidden": 0}, "hidden"),
    ]:
        with pytest.raises(ValueError, match=match):
            RNDBonus(3, 2, **kwargs)
    with pytest.raises(ValueError, match="observations"):
        step(RNDBonus(3, 2), np.zeros((2, 4)))


# -- E3B ------------------------------------------------------------------------------------
def test_e3b_sherman_morrison_matches_direct_inverse(torch):
    e3b = E3BBonus(3, 2, 2, embed_dim=8, ridge=0.1, seed=0)
    e3b.freeze()  # fixed embeddings, so they can be recomputed here
    rng = np.random.default_rng(0)
    seen = []
    for _ in range(12):
        x = rng.standard_normal((2, 3))
        seen.append(e3b.embed(x))
        step(e3b, x)
    u = np.array(seen)  # (steps, envs, d)
    for i in range(2):
        c = u[:, i].T @ u[:, i] + 0.1 * np.eye(8)
        np.testing.assert_allclose(e3b.inverse_covariance[i], np.linalg.inv(c), atol=1e-6)


def test_e3b_bonus_matches_direct_formula(torch):
    e3b = E3BBonus(3, 2, 2, embed_dim=6, ridge=0.5, seed=1)
    e3b.freeze()
    rng = np.random.default_rng(1)
    cov = np.repeat(0.5 * np.eye(6)[None], 2, axis=0)
    for _ in range(10):
        x = rng.standard_normal((2, 3))
        u = e3b.embed(x)
        want = np.einsum("bi,bij,bj->b", u, np.linalg.inv(cov), u)
        np.testing.assert_allclose(step(e3b, x), want, rtol=1e-8)
        cov += np.einsum("bi,bj->bij", u, u)
    np.testing.assert_allclose(e3b.inverse_covariance, np.linalg.inv(cov), atol=1e-6)


def test_e3b_repeated_embedding_decreases_and_reset_is_per_env(torch):
    e3b = E3BBonus(2, 3, 3, embed_dim=4, ridge=0.1)
    # Frozen: the encoder stays (so the embedding repeats exactly), while the episodic
    # inverse covariance still updates.
    e3b.freeze()
    params = [p.detach().clone() for p in e3b.encoder.parameters()]
    x = np.array([[0.3, -1.0], [0.3, -1.0], [2.0, 1.0]])
    bonuses = np.array([step(e3b, x, action=np.array([0, 1, 2])) for _ in range(6)])
    assert np.all(np.diff(bonuses, axis=0) < 0)
    np.testing.assert_array_equal(bonuses[:, 0], bonuses[:, 1])
    # Closed form for one repeated u: b_k = q / (1 + k q), q = |u|^2 / ridge.
    q = bonuses[0]
    np.testing.assert_allclose(bonuses, q / (1 + np.arange(6)[:, None] * q), rtol=1e-9)
    assert all(torch.equal(a, b) for a, b in zip(params, e3b.encoder.parameters(), strict=True))
    before = e3b.inverse_covariance
    e3b.reset(np.array([True, False, True]))
    after = e3b.inverse_covariance
    np.testing.assert_array_equal(after[[0, 2]], np.repeat(np.eye(4)[None] / 0.1, 2, axis=0))
    np.testing.assert_array_equal(after[1], before[1])
    np.testing.assert_allclose(step(e3b, x)[[0, 2]], q[[0, 2]], rtol=1e-12)
    # Training moves the encoder.
    e3b.unfreeze()
    step(e3b, x, action=np.array([0, 1, 2]))
    assert not torch.equal(params[0], next(e3b.encoder.parameters()))


def test_e3b_bonus_uses_the_encoder_before_its_update_and_skips_invalid_rows(torch):
    e3b = E3BBonus(2, 2, 3, embed_dim=5, ridge=0.2, lr=1e-2)
    x = np.array([[0.1, 0.2], [1.0, -1.0], [np.nan, np.nan]])
    u = e3b.embed(x[:2])
    valid = np.array([True, True, False])
    b = step(e3b, x, action=np.array([0, 1, 0]), valid=valid)
    np.testing.assert_allclose(b, [*((u**2).sum(1) / 0.2), 0.0], rtol=1e-9)
    assert e3b.stats()["updates"] == 1
    assert not np.allclose(e3b.embed(x[:2]), u)  # trained after computing the bonus
    cinv = e3b.inverse_covariance
    np.testing.assert_array_equal(cinv[2], np.eye(5) / 0.2)
    with pytest.raises(ValueError, match="lie in"):
        step(e3b, x[[0, 1, 0]], action=np.array([0, 5, 1]))
    np.testing.assert_array_equal(e3b.inverse_covariance, cinv)  # nothing half-updated


def _toy_grid(rng, n):
    moves = np.array([[1, 0], [-1, 0], [0, 1], [0, -1]], np.float64) * 0.3
    obs = rng.uniform(-1, 1, (n, 2))
    act = rng.integers(0, 4, n)
    return obs, act, obs + moves[act]


def test_e3b_inverse_dynamics_learns_discrete(torch):
    rng = np.random.default_rng(0)
    e3b = E3BBonus(2, 4, 64, lr=3e-3, seed=0)
    test = _toy_grid(rng, 512)
    start = e3b.inverse_dynamics_loss(*test)
    done = np.zeros(64, bool)
    for _ in range(150):
        obs, act, nxt = _toy_grid(rng, 64)
        e3b(obs, act, nxt, done, done)
        e3b.reset()
    end = e3b.inverse_dynamics_loss(*test)
    assert end < 0.5 * start
    assert e3b.stats()["updates"] == 150 and np.isfinite(e3b.stats()["loss"])


def test_e3b_inverse_dynamics_learns_continuous(torch):
    rng = np.random.default_rng(1)
    e3b = E3BBonus(2, None, 32, action_dim=2, lr=3e-3, seed=0)

    def batch(n):
        obs = rng.uniform(-1, 1, (n, 2))
        act = rng.uniform(-1, 1, (n, 2))
        return obs, act, obs + 0.5 * act

    test = batch(256)
    start = e3b.inverse_dynamics_loss(*test)
    done = np.zeros(32, bool)
    for _ in range(150):
        e3b(*batch(32), done, done)
    assert e3b.inverse_dynamics_loss(*test) < 0.5 * start


def test_e3b_argument_validation(torch):
    with pytest.raises(ValueError, match="exactly one"):
        E3BBonus(3, 2, 2, action_dim=1)
    with pytest.raises(ValueError, match="exactly one"):
        E3BBonus(3, None, 2)
    with pytest.raises(ValueError, match="ridge"):
        E3BBonus(3, 2, 2, ridge=0.0)
    with pytest.raises(ValueError, match="embed_dim"):
        E3BBonus(3, 2, 2, embed_dim=0)
    e3b = E3BBonus(3, 2, 2)
    with pytest.raises(ValueError, match="lie in"):
        step(e3b, np.zeros((2, 3)), action=np.array([0, 2]))
    box = gym.spaces.Box(-1, 1, (3,), np.float32)
    assert E3BBonus.from_spaces(box, gym.spaces.Discrete(5), 2).n_actions == 5
    assert E3BBonus.from_spaces(box, gym.spaces.Box(-1, 1, (2,)), 2).action_dim == 2
    assert RNDBonus.from_spaces(gym.spaces.Box(-1, 1, (2, 2)), 2).obs_dim == 4


# -- batched against per-env ----------------------------------------------------------------
def _streams(rng, b, steps, dim=None):
    obs = rng.integers(0, 6, (steps, b, 1)) if dim is None else rng.standard_normal((steps, b, dim))
    done = rng.random((steps, b)) < 0.2
    return obs, done


def _run(bonus, obs, done, actions=None):
    out = []
    for t in range(obs.shape[0]):
        b = obs.shape[1]
        act = np.zeros(b, np.int64) if actions is None else actions[t]
        flags = np.zeros(b, bool)
        out.append(bonus(obs[t], act, obs[t], done[t], flags))
        bonus.reset(done[t])
    return np.array(out)


def test_batched_counts_equal_per_env_instances():
    rng = np.random.default_rng(0)
    obs, done = _streams(rng, 4, 40)
    batched = _run(CountBonus(4, mode="episodic"), obs, done)
    for i in range(4):
        single = _run(CountBonus(1, mode="episodic"), obs[:, i : i + 1], done[:, i : i + 1])
        np.testing.assert_array_equal(batched[:, i], single[:, 0])
    assert batched.sum() > 0 and (batched == 0).any()


def test_batched_e3b_equals_per_env_instances(torch):
    rng = np.random.default_rng(1)
    obs, done = _streams(rng, 3, 30, dim=4)
    actions = rng.integers(0, 2, (30, 3))
    batched_bonus = E3BBonus(4, 2, 3, seed=5)
    batched_bonus.freeze()
    batched = _run(batched_bonus, obs, done, actions)
    for i in range(3):
        single_bonus = E3BBonus(4, 2, 1, seed=5)
        single_bonus.freeze()
        sl = slice(i, i + 1)
        single = _run(single_bonus, obs[:, sl], done[:, sl], actions[:, sl])
        np.testing.assert_allclose(batched[:, i], single[:, 0], rtol=1e-5)


# -- smoke: vector CartPole -------------------------------------------------------------------
def test_smoke_on_vector_cartpole(torch):
    env = gym.make_vec(
        "rewardgym/CartPole-v1", num_envs=64, vectorization_mode="vector_entry_point"
    )
    obs_space, act_space = env.single_observation_space, env.single_action_space
    bonuses = {
        "count": CountBonus(64, mode="product", hasher=hasher_for_space(obs_space)),
        "rnd": RNDBonus.from_spaces(obs_space, 64),
        "e3b": E3BBonus.from_spaces(obs_space, act_space, 64),
    }
    keys = {
        "count": {"bonus_mean", "distinct_keys", "visits", "episodic_keys_mean"},
        "rnd": {"bonus_mean", "raw_bonus_mean", "return_std", "loss", "updates"},
        "e3b": {"bonus_mean", "loss", "updates"},
    }
    obs, _ = env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(50):
        action = env.action_space.sample()
        nxt, _r, term, trunc, _info = env.step(action)
        for bonus in bonuses.values():
            b = bonus(obs, action, nxt, term, trunc)
            assert b.shape == (64,) and b.dtype == np.float64 and np.isfinite(b).all()
            bonus.reset(term | trunc)
        obs = nxt
    env.close()
    for name, bonus in bonuses.items():
        stats = bonus.stats()
        assert set(stats) == keys[name]
        assert all(np.isfinite(v) for v in stats.values()), (name, stats)
    assert bonuses["count"].stats()["distinct_keys"] > 10


def test_bonus_term_in_a_vector_wrapper_resets_episodic_counts_per_env():
    import gymnasium as gym

    from rewardgym.rewards.exploration import Bonus, CountBonus, SimHash
    from rewardgym.rewards.terms import EnvReward
    from rewardgym.rewards.wrappers import VectorRewardWrapper

    n = 16
    bonus = Bonus(CountBonus(n, "episodic", hasher=SimHash(4, bits=16)), name="novel")
    venv = VectorRewardWrapper(
        gym.make_vec("rewardgym/CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point"),
        EnvReward() + 0.5 * bonus,
    )
    venv.reset(seed=0)
    restarted = np.zeros(n, bool)
    prev_done = np.zeros(n, bool)
    for _ in range(100):
        _, rew, term, trunc, info = venv.step(np.ones(n, dtype=np.int64))
        novel = info["reward_terms"]["novel"]
        assert set(np.unique(novel)) <= {0.0, 1.0}
        np.testing.assert_allclose(rew, info["reward_terms"]["env"] + 0.5 * novel)
        assert (novel[prev_done] == 0).all()  # the NEXT_STEP reset step is no transition
        restarted |= prev_done
        prev_done = term | trunc
    assert restarted.any()
    assert "novel/episodic_keys_mean" in venv.core.stats()
    small = VectorRewardWrapper(
        gym.make_vec("rewardgym/CartPole-v1", num_envs=4, vectorization_mode="vector_entry_point"),
        Bonus(CountBonus(n, "episodic", hasher=SimHash(4, bits=16))),
    )
    small.reset(seed=0)
    with pytest.raises(ValueError, match="built for 16 envs"):
        small.step(np.ones(4, dtype=np.int64))


class _ReferenceCountBonus(CountBonus):
    _REFERENCE = True  # the vectorised NumPy tables


class _TinyReferenceCountBonus(_ReferenceCountBonus):
    _INITIAL_CAPACITY = 2


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from(CountBonus.MODES),
    st.booleans(),
    st.lists(
        st.tuples(
            st.lists(st.integers(0, 12), min_size=5, max_size=5),
            st.lists(st.booleans(), min_size=5, max_size=5),
            st.lists(st.booleans(), min_size=5, max_size=5),
            st.booleans(),
        ),
        min_size=1,
        max_size=40,
    ),
)
def test_numba_tables_equal_the_numpy_reference(mode, tiny, steps):
    """Random batches with repeated keys, invalid rows, resets and frozen steps."""
    fast_cls, ref_cls = (
        (_TinyCountBonus, _TinyReferenceCountBonus) if tiny else (CountBonus, _ReferenceCountBonus)
    )
    hasher = SimHash(2, bits=4, seed=1)
    fast, ref = fast_cls(5, mode=mode, hasher=hasher), ref_cls(5, mode=mode, hasher=hasher)
    for keys, valid, done, frozen in steps:
        obs = np.stack([np.cos(np.array(keys) * 0.5), np.sin(np.array(keys) * 0.5)], axis=1)
        for bonus in (fast, ref):
            if frozen:
                bonus.freeze()
            else:
                bonus.unfreeze()
        want = step(ref, obs, valid=np.array(valid))
        np.testing.assert_array_equal(step(fast, obs, valid=np.array(valid)), want)
        assert fast.stats() == pytest.approx(ref.stats(), nan_ok=True)
        for bonus in (fast, ref):
            bonus.reset(np.array(done))
    if mode != "episodic":
        np.testing.assert_array_equal(fast.count(obs), ref.count(obs))
