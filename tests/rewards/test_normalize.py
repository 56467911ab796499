"""Reward normalisation: the return normaliser against Gymnasium's and SB3's wrappers on
seeded reward streams, running z-scores, GRPO/GDPO group advantages (hand-computed and
against TRL's formulas) and the process/outcome calibration guarantee."""

from __future__ import annotations

import math
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv, VectorWrapper
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardgym.rewards.normalize import (
    GroupNormalizer,
    ReturnNormalizer,
    RunningMeanStd,
    RunningZScore,
    calibrate_process_rewards,
    gdpo_advantages,
    grpo_advantages,
)

ATOL = 1e-6


# -- a tiny env replaying a seeded table of (reward, terminated, truncated) --------------------


def _table(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rewards = 3.0 * rng.normal(size=n) + 0.5
    spikes = rng.random(n) < 0.03  # a few large rewards, so SB3's clip at 10 is exercised
    rewards[spikes] = 40.0 * np.sign(rng.normal(size=spikes.sum()))
    terminated = rng.random(n) < 0.05
    truncated = rng.random(n) < 0.05  # independent: now and then both are set
    return rewards, terminated, truncated


class TableEnv(gym.Env):
    """Step ``k`` (counted across episodes) returns row ``k`` of the table."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, seed: int, n: int = 2000) -> None:
        self.rewards, self.terminated, self.truncated = _table(seed, n)
        self.k = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(1, np.float32), {}

    def step(self, action):
        k = self.k
        self.k += 1
        return (
            np.zeros(1, np.float32),
            float(self.rewards[k]),
            bool(self.terminated[k]),
            bool(self.truncated[k]),
            {},
        )


class Recorder(VectorWrapper):
    """Keeps the raw (reward, terminated, truncated) the wrapper above it sees."""

    def step(self, actions):
        obs, reward, term, trunc, info = self.env.step(actions)
        self.last = (np.array(reward), np.array(term), np.array(trunc))
        return obs, reward, term, trunc, info


def _freeze_window(t: int) -> bool:
    return 150 <= t < 230


# -- ReturnNormalizer vs the libraries ---------------------------------------------------------


def test_matches_gymnasium_single_env_wrapper():
    from gymnasium.wrappers import NormalizeReward

    env = NormalizeReward(TableEnv(seed=1), gamma=0.97, epsilon=1e-8)
    ours = ReturnNormalizer(gamma=0.97, epsilon=1e-8, convention="gymnasium")
    env.reset(seed=0)
    n_term = n_trunc = 0
    for t in range(400):
        env.update_running_mean = not _freeze_window(t)
        ours.training = not _freeze_window(t)
        _, reward, term, trunc, _ = env.step(0)
        raw = env.env.rewards[t]
        got = ours(np.array([raw]), np.array([term]), np.array([trunc]))
        assert got.shape == (1,)
        np.testing.assert_allclose(got[0], reward, rtol=0, atol=ATOL, err_msg=f"step {t}")
        assert float(ours.return_rms.var) == pytest.approx(float(env.return_rms.var), rel=1e-12)
        if term or trunc:
            n_term, n_trunc = n_term + term, n_trunc + trunc
            env.reset()
    assert n_term > 5 and n_trunc > 5


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_gymnasium_vector_wrapper(mode, dtype):
    from gymnasium.wrappers.vector import NormalizeReward

    n_envs = 4
    rec = Recorder(
        SyncVectorEnv(
            [lambda s=s: TableEnv(seed=10 + s) for s in range(n_envs)], autoreset_mode=mode
        )
    )
    venv = NormalizeReward(rec, gamma=0.95)
    # float32 is the vector wrapper's own return buffer: then the match is exact.
    ours = ReturnNormalizer(gamma=0.95, autoreset_mode=mode, return_dtype=dtype)
    venv.reset(seed=0)
    worst = 0.0
    for t in range(400):
        venv.update_running_mean = not _freeze_window(t)
        ours.training = not _freeze_window(t)
        _, reward, *_ = venv.step(np.zeros(n_envs, dtype=np.int64))
        got = ours(*rec.last)
        worst = max(worst, float(np.max(np.abs(got - reward))))
        np.testing.assert_allclose(got, reward, rtol=0, atol=ATOL, err_msg=f"step {t}")
    if dtype is np.float32:
        assert worst == 0.0
    assert ours.return_rms.count == pytest.approx(venv.return_rms.count)


@pytest.mark.parametrize("clip", [None, 3.0])
def test_matches_sb3_vecnormalize(clip):
    from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

    n_envs = 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        venv = VecNormalize(
            DummyVecEnv([lambda s=s: TableEnv(seed=20 + s) for s in range(n_envs)]),
            norm_obs=False,
            norm_reward=True,
            gamma=0.9,
            **({} if clip is None else {"clip_reward": clip}),
        )
    if clip is None:  # VecNormalize's defaults
        ours = ReturnNormalizer(gamma=0.9, convention="sb3")
        assert ours.clip == 10.0 and ours.epsilon == 1e-8
    else:
        ours = ReturnNormalizer(gamma=0.9, convention="sb3", clip=clip)
    venv.reset()
    clipped = 0
    for t in range(400):
        venv.training = not _freeze_window(t)
        ours.training = not _freeze_window(t)
        _, reward, done, infos = venv.step(np.zeros(n_envs, dtype=np.int64))
        raw = venv.get_original_reward()
        trunc = np.array([info.get("TimeLimit.truncated", False) for info in infos])
        term = done & ~trunc
        got = ours(raw, term, trunc)
        np.testing.assert_allclose(got, reward, rtol=0, atol=ATOL, err_msg=f"step {t}")
        clipped += int(np.sum(np.abs(got) == ours.clip))
    assert clipped > 0 or clip is None
    assert float(ours.return_rms.var) == pytest.approx(float(venv.ret_rms.var), rel=1e-12)


def _drive(norm: ReturnNormalizer, seed: int = 3, steps: int = 300) -> np.ndarray:
    tables = [_table(seed + i, steps) for i in range(2)]
    out = []
    for t in range(steps):
        r = np.array([tab[0][t] for tab in tables])
        term = np.array([tab[1][t] for tab in tables])
        trunc = np.array([tab[2][t] for tab in tables])
        out.append(norm(r, term, trunc))
    return np.array(out)


def test_conventions_differ_on_streams_with_truncations():
    # Same gamma, no clipping: only the reset rules (terminated vs done, before vs after)
    # and the order of operations differ.
    gym_out = _drive(ReturnNormalizer(gamma=0.99))
    sb3_out = _drive(ReturnNormalizer(gamma=0.99, convention="sb3", clip=None))
    assert np.max(np.abs(gym_out - sb3_out)) > 1e-3


def test_freeze_leaves_statistics_unchanged():
    for convention in ("gymnasium", "sb3"):
        norm = ReturnNormalizer(convention=convention)
        _drive(norm, steps=50)
        before = norm.return_rms.state_dict()
        norm.freeze()
        assert not norm.training
        out = _drive(norm, seed=7, steps=50)
        assert norm.return_rms.state_dict() == before
        # Frozen: every step is scaled by the same divisor (then clipped, for SB3).
        raw = np.array([[_table(7 + i, 50)[0][t] for i in range(2)] for t in range(50)])
        bound = np.inf if norm.clip is None else norm.clip
        np.testing.assert_allclose(out, np.clip(raw / norm.std, -bound, bound), rtol=1e-12)
        norm.unfreeze()
        _drive(norm, seed=8, steps=5)
        assert norm.return_rms.state_dict() != before


def test_state_dict_round_trip_continues_identically():
    a = ReturnNormalizer(gamma=0.9, convention="sb3", autoreset_mode="next_step")
    _drive(a, steps=60)
    b = ReturnNormalizer(gamma=0.9, convention="sb3", autoreset_mode="next_step")
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(_drive(a, seed=11, steps=40), _drive(b, seed=11, steps=40))
    with pytest.raises(ValueError, match="gamma"):
        ReturnNormalizer(gamma=0.5, convention="sb3").load_state_dict(a.state_dict())


def test_reset_forgets_returns_and_optionally_statistics():
    norm = ReturnNormalizer()
    _drive(norm, steps=20)
    stats = norm.return_rms.state_dict()
    norm.reset()
    assert norm.returns is None and norm.return_rms.state_dict() == stats
    norm(np.ones(5), np.zeros(5), np.zeros(5))  # a new batch size after reset is fine
    with pytest.raises(ValueError, match="batch size changed"):
        norm(np.ones(2), np.zeros(2), np.zeros(2))
    norm.reset(statistics=True)
    assert norm.return_rms.state_dict() == {"mean": 0.0, "var": 1.0, "count": 1e-4}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"gamma": 1.5}, "gamma"),
        ({"gamma": -0.1}, "gamma"),
        ({"epsilon": 0.0}, "epsilon"),
        ({"clip": -1.0}, "clip"),
        ({"clip": "big"}, "clip"),
        ({"convention": "rllib"}, "convention"),
        ({"autoreset_mode": "sometimes"}, "autoreset_mode"),
        ({"return_dtype": np.int32}, "return_dtype"),
    ],
)
def test_return_normalizer_validates_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ReturnNormalizer(**kwargs)


def test_autoreset_mode_accepts_gymnasium_enum_and_aliases():
    assert ReturnNormalizer(autoreset_mode=AutoresetMode.NEXT_STEP).autoreset_mode == "next_step"
    assert ReturnNormalizer(autoreset_mode=AutoresetMode.SAME_STEP).autoreset_mode == "same_step"
    # Gymnasium's vector wrapper treats DISABLED like NEXT_STEP
    assert ReturnNormalizer(autoreset_mode=AutoresetMode.DISABLED).autoreset_mode == "next_step"
    norm = ReturnNormalizer(autoreset_mode="next_step")
    norm(np.array([1.0, 2.0]), np.array([True, False]), np.array([False, False]))
    count = norm.return_rms.count
    # env 0 is on its autoreset step: it neither enters the statistics nor moves its return
    out = norm(np.array([0.0, 2.0]), np.array([False, False]), np.array([False, False]))
    assert norm.return_rms.count == pytest.approx(count + 1)
    assert norm.returns is not None and norm.returns[0] == 1.0
    assert out.dtype == np.float64 and out.shape == (2,)


def test_return_normalizer_validates_shapes():
    norm = ReturnNormalizer()
    with pytest.raises(ValueError, match="1-D"):
        norm(np.ones((2, 2)), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match="must match"):
        norm(np.ones(3), np.zeros(2), np.zeros(3))


# -- running z-score ---------------------------------------------------------------------------


def test_running_zscore_hand_computed():
    z = RunningZScore(epsilon=0.0 + 1e-12)
    # Batch [1, 3]: mean 2, population var 1 -> z = (-1, 1).
    np.testing.assert_allclose(z(np.array([1.0, 3.0])), [-1.0, 1.0], atol=1e-9)
    # Add [5]: data {1, 3, 5}, mean 3, var 8/3 -> z(5) = 2 / sqrt(8/3) = 1.2247...
    np.testing.assert_allclose(z(np.array([5.0])), [2.0 / math.sqrt(8.0 / 3.0)], atol=1e-9)
    assert z.rms.count == 3.0


def test_running_zscore_freeze_mask_and_clip():
    z = RunningZScore(clip=1.5)
    z(np.array([0.0, 2.0, 4.0]))
    before = z.state_dict()
    z.freeze()
    out = z(np.array([100.0, 2.0]))
    assert z.state_dict()["rms"] == before["rms"]
    assert out[0] == 1.5 and out[1] == pytest.approx(0.0, abs=1e-12)
    z.unfreeze()
    z(np.array([100.0, 2.0]), mask=np.array([False, True]))
    assert z.rms.count == 4.0 and float(z.rms.mean) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="epsilon"):
        RunningZScore(epsilon=-1.0)
    with pytest.raises(ValueError, match="clip"):
        RunningZScore(clip=0.0)


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 20).flatmap(lambda n: st.lists(finite, min_size=2 * n, max_size=2 * n)))
def test_zscore_update_is_batch_invariant(values):
    x = np.array(values)
    n = len(x) // 2
    one, two = RunningZScore(), RunningZScore()
    one.update(x)
    two.update(x[:n])
    two.update(x[n:])
    for key in ("mean", "var", "count"):
        a, b = one.rms.state_dict()[key], two.rms.state_dict()[key]
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9)
    assert one.rms.state_dict()["mean"] == pytest.approx(float(np.mean(x)), rel=1e-9, abs=1e-9)
    assert one.rms.state_dict()["var"] == pytest.approx(float(np.var(x)), rel=1e-9, abs=1e-7)


def test_running_mean_std_prior_matches_libraries():
    rms = RunningMeanStd()
    assert (float(rms.mean), float(rms.var), rms.count) == (0.0, 1.0, 1e-4)
    rms.update(np.array([]))
    assert rms.count == 1e-4
    with pytest.raises(ValueError, match="count"):
        RunningMeanStd(count=-1.0)


# -- GRPO --------------------------------------------------------------------------------------


def test_grpo_group_scale_hand_computed():
    rewards = np.array([1.0, 2.0, 3.0, 5.0, 5.0, 7.0])
    groups = np.array([0, 0, 0, 1, 1, 2])
    adv = grpo_advantages(rewards, groups)
    # group 0: mean 2, deviations (-1, 0, 1), ddof=1 std = sqrt(2 / 2) = 1 -> +-1 / (1 + 1e-4)
    # group 1: (5, 5) has zero variance -> 0, 0; group 2 is a singleton -> 0
    expected = np.array([-1.0, 0.0, 1.0, 0.0, 0.0, 0.0]) / (1.0 + 1e-4)
    np.testing.assert_allclose(adv, expected, rtol=0, atol=1e-12)
    assert adv[3] == adv[4] == adv[5] == 0.0  # exact zeros, not round-off
    # ddof=0: population std of (1, 2, 3) = sqrt(2 / 3)
    adv0 = grpo_advantages(rewards, groups, ddof=0)
    np.testing.assert_allclose(adv0[:3], np.array([-1, 0, 1]) / (math.sqrt(2 / 3) + 1e-4))


def test_grpo_batch_and_none_scale_hand_computed():
    rewards = np.array([0.0, 2.0, 4.0, 4.0])
    groups = np.array(["a", "a", "b", "b"])
    # centring by group mean: a -> mean 1 -> (-1, 1); b -> mean 4 -> (0, 0)
    np.testing.assert_array_equal(grpo_advantages(rewards, groups, "none"), [-1, 1, 0, 0])
    # batch std: mean 2.5, squared deviations 6.25 + 0.25 + 2.25 + 2.25 = 11, var 11 / 3
    std = math.sqrt(11.0 / 3.0)
    np.testing.assert_allclose(
        grpo_advantages(rewards, groups, "batch"), np.array([-1, 1, 0, 0]) / (std + 1e-4)
    )


def test_grpo_nan_rewards_are_ignored_and_get_zero():
    rewards = np.array([1.0, np.nan, 3.0, np.nan, np.nan])
    groups = np.array([0, 0, 0, 1, 1])
    adv = grpo_advantages(rewards, groups, epsilon=0.0)
    # group 0 valid (1, 3): mean 2, ddof=1 std sqrt(2) -> -+1 / sqrt(2); group 1 all NaN -> 0
    np.testing.assert_allclose(adv, [-1 / math.sqrt(2), 0.0, 1 / math.sqrt(2), 0.0, 0.0])
    assert not np.isnan(adv).any()


def test_grpo_groups_need_not_be_contiguous():
    rewards = np.array([1.0, 10.0, 3.0, 30.0])
    groups = np.array([7, 3, 7, 3])
    adv = grpo_advantages(rewards, groups)
    np.testing.assert_allclose(adv[[0, 2]], grpo_advantages(rewards[[0, 2]], [0, 0]))
    np.testing.assert_allclose(adv[[1, 3]], grpo_advantages(rewards[[1, 3]], [0, 0]))


def test_grpo_validates_arguments():
    with pytest.raises(ValueError, match="scale"):
        grpo_advantages([1.0, 2.0], [0, 0], scale="global")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ddof"):
        grpo_advantages([1.0, 2.0], [0, 0], ddof=2)
    with pytest.raises(ValueError, match="epsilon"):
        grpo_advantages([1.0, 2.0], [0, 0], epsilon=-1.0)
    with pytest.raises(ValueError, match="group_ids"):
        grpo_advantages([1.0, 2.0], [0])
    with pytest.raises(ValueError, match="finite"):
        grpo_advantages([1.0, np.inf], [0, 0])


# -- GDPO --------------------------------------------------------------------------------------


def test_gdpo_hand_computed():
    # One group of 4, two terms, epsilon = 0 for round numbers.
    r = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    # term 1 (1, 0, 1, 0): mean 1/2, ddof=1 var (4 * 1/4) / 3 = 1/3 -> A1 = +-(1/2) sqrt(3)
    # term 2 (0, 1, 0, 0): mean 1/4, var (3 * 1/16 + 9/16) / 3 = 1/4, std 1/2
    #                      -> A2 = (-1/2, 3/2, -1/2, -1/2)
    s = math.sqrt(3) / 2
    a = np.array([s - 0.5, -s + 1.5, s - 0.5, -s - 0.5])
    np.testing.assert_allclose(gdpo_advantages(r, np.zeros(4), epsilon=0.0, batch_norm=False), a)
    # weights (2, 1): 2 A1 + A2
    w = np.array([2 * s - 0.5, -2 * s + 1.5, 2 * s - 0.5, -2 * s - 0.5])
    np.testing.assert_allclose(
        gdpo_advantages(r, np.zeros(4), weights=[2.0, 1.0], epsilon=0.0, batch_norm=False), w
    )
    # batch renormalisation: (A - mean A) / std(A, ddof=1); mean A = 0 here
    out = gdpo_advantages(r, np.zeros(4), epsilon=0.0)
    np.testing.assert_allclose(out, a / np.std(a, ddof=1))


def test_gdpo_zero_variance_term_contributes_zero():
    r = np.array([[1.0, 0.3], [0.0, 0.3], [2.0, 0.3]])
    adv = gdpo_advantages(r, np.zeros(3), batch_norm=False)
    only_first = grpo_advantages(r[:, 0], np.zeros(3))
    np.testing.assert_array_equal(adv, only_first)  # term 2 adds exactly 0
    all_flat = gdpo_advantages(np.full((3, 2), 0.1), np.zeros(3))
    np.testing.assert_array_equal(all_flat, 0.0)  # no NaN, no inf


def test_gdpo_nan_handling():
    r = np.array(
        [
            [1.0, np.nan],
            [0.0, 1.0],
            [2.0, 3.0],
            [np.nan, np.nan],  # unscorable
        ]
    )
    adv = gdpo_advantages(r, np.zeros(4), epsilon=0.0, batch_norm=False)
    # term 1 valid (1, 0, 2): mean 1, std 1 -> (0, -1, 1, -)
    # term 2 valid (1, 3): mean 2, std sqrt(2) -> (-, -1/sqrt2, 1/sqrt2, -)
    q = 1 / math.sqrt(2)
    np.testing.assert_allclose(adv, [0.0, -1 - q, 1 + q, 0.0])
    full = gdpo_advantages(r, np.zeros(4), epsilon=0.0)
    # the unscorable row stays 0 and is left out of the batch statistics
    valid = np.array([0.0, -1 - q, 1 + q])
    np.testing.assert_allclose(full[:3], (valid - valid.mean()) / np.std(valid, ddof=1))
    assert full[3] == 0.0


def test_gdpo_with_one_term_is_grpo():
    rng = np.random.default_rng(0)
    r = rng.normal(size=24)
    groups = np.repeat(np.arange(6), 4)
    np.testing.assert_allclose(
        gdpo_advantages(r[:, None], groups, batch_norm=False), grpo_advantages(r, groups)
    )


def test_gdpo_validates_arguments():
    with pytest.raises(ValueError, match=r"\(B, K\)"):
        gdpo_advantages(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="weights"):
        gdpo_advantages(np.ones((3, 2)), np.zeros(3), weights=[1.0])
    with pytest.raises(ValueError, match="weights"):
        gdpo_advantages(np.ones((3, 2)), np.zeros(3), weights=[1.0, np.nan])
    with pytest.raises(ValueError, match="K >= 1"):
        gdpo_advantages(np.ones((3, 0)), np.zeros(3))


def test_gdpo_keeps_apart_what_grpo_collapses():
    """Two binary reward terms, groups of 4 (the GDPO paper's point)."""
    groups = np.repeat(np.arange(4), 4)
    r = np.array(
        [
            [1, 0], [0, 1], [1, 1], [0, 0],  # G0: sums 1, 1, 2, 0
            [1, 0], [0, 1], [1, 0], [0, 0],  # G1: sums 1, 1, 1, 0 (term stats differ)
            [1, 1], [0, 0], [0, 0], [0, 0],  # G2: sums 2, 0, 0, 0
            [1, 0], [0, 0], [0, 0], [0, 0],  # G3: sums 1, 0, 0, 0
        ],
        dtype=float,
    )  # fmt: skip
    grpo = grpo_advantages(r.sum(axis=1), groups, epsilon=0.0)
    gdpo = gdpo_advantages(r, groups, epsilon=0.0, batch_norm=False)
    # GRPO, G1: sums (1, 1, 1, 0), mean 3/4, std sqrt((3/16 + 9/16) / 3) = 1/2
    #   -> (1/2, 1/2, 1/2, -3/2): (1, 0) and (0, 1) get the same advantage.
    np.testing.assert_allclose(grpo[4:8], [0.5, 0.5, 0.5, -1.5])
    # GDPO, G1 (= test_gdpo_hand_computed): (1, 0) -> sqrt3/2 - 1/2, (0, 1) -> 3/2 - sqrt3/2.
    s = math.sqrt(3) / 2
    np.testing.assert_allclose(gdpo[4:8], [s - 0.5, 1.5 - s, s - 0.5, -s - 0.5])
    assert gdpo[4] != pytest.approx(gdpo[5])
    # GRPO, G2 sums (2, 0, 0, 0): mean 1/2, std 1 -> (3/2, -1/2, ...);
    #       G3 sums (1, 0, 0, 0): mean 1/4, std 1/2 -> (3/2, -1/2, ...): the same values.
    np.testing.assert_allclose(grpo[8:12], grpo[12:16])
    # GDPO, G2: both terms (1, 0, 0, 0) -> 2 * (3/2, -1/2, ...) = (3, -1, -1, -1);
    #       G3: term 2 has zero variance -> only (3/2, -1/2, -1/2, -1/2).
    np.testing.assert_allclose(gdpo[8:12], [3.0, -1.0, -1.0, -1.0])
    np.testing.assert_allclose(gdpo[12:16], [1.5, -0.5, -0.5, -0.5])

    def distinct(a: np.ndarray) -> int:
        return len(np.unique(np.round(a, 6)))

    # GRPO: G0 (0, 0, +-sqrt(3/2)), G1 (1/2, -3/2), G2 = G3 (3/2, -1/2) -> 7 values
    # GDPO: G0 (0, +-sqrt3), G1 (s - 1/2, 3/2 - s, -s - 1/2), G2 (3, -1), G3 (3/2, -1/2) -> 10
    assert distinct(grpo) == 7
    assert distinct(gdpo) == 10
    assert distinct(gdpo) > distinct(grpo)
    # The final batch renormalisation is affine, so it keeps the count.
    assert distinct(gdpo_advantages(r, groups, epsilon=0.0)) == 10


def _trl_reference(rewards_per_func, num_generations, weights, aggregation, scale="group"):
    """TRL GRPOTrainer's advantage code (``_generate_and_score_completions``), in torch."""
    torch = pytest.importorskip("torch")

    def nanstd(x, dim=None, keepdim=False):
        mean = torch.nanmean(x, dim=dim, keepdim=True)
        var = torch.nanmean((x - mean) ** 2, dim=dim, keepdim=True)
        # (TRL divides the integer counts in torch's default float32; float64 here)
        count = torch.sum(~torch.isnan(x), dim=dim, keepdim=True).to(x.dtype)
        corr = torch.where(count > 1, count / (count - 1), torch.full_like(var, float("nan")))
        std = torch.sqrt(var * corr)
        return std if keepdim else (std.squeeze() if dim is None else std.squeeze(dim))

    rpf = torch.tensor(rewards_per_func, dtype=torch.float64)
    w = torch.tensor(weights, dtype=torch.float64)
    unscorable = torch.isnan(rpf).all(dim=1)
    if aggregation == "sum_then_normalize":
        rewards = (rpf * w.unsqueeze(0)).nansum(dim=1)
        rewards[unscorable] = torch.nan
        mean = torch.nanmean(rewards.view(-1, num_generations), dim=1)
        mean = mean.repeat_interleave(num_generations)
        if scale == "group":
            std = nanstd(rewards.view(-1, num_generations), dim=1)
            std = std.repeat_interleave(num_generations)
        else:
            std = nanstd(rewards).expand_as(rewards)
        adv = (rewards - mean) / (std + 1e-4)
    else:
        grouped = rpf.view(-1, num_generations, rpf.shape[1])
        mean_k = torch.nanmean(grouped, dim=1, keepdim=True)
        std_k = nanstd(grouped, dim=1, keepdim=True)
        reward_k = ((grouped - mean_k) / (std_k + 1e-4)).view(-1, rpf.shape[1])
        rewards = (reward_k * w.unsqueeze(0)).nansum(dim=1)
        rewards[unscorable] = torch.nan
        std = nanstd(rewards).expand_as(rewards)
        adv = (rewards - torch.nanmean(rewards)) / (std + 1e-4)
    return torch.nan_to_num(adv, nan=0.0).numpy()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_trl_formulas_on_random_batches(seed):
    rng = np.random.default_rng(seed)
    g, k = 6, 3
    r = rng.normal(size=(8 * g, k))
    r[rng.random(r.shape) < 0.1] = np.nan  # missing rewards (TRL: a reward func returned None)
    r[5] = np.nan  # one unscorable completion
    weights = np.array([1.0, 0.5, 2.0])
    groups = np.repeat(np.arange(8), g)
    ref = _trl_reference(r, g, weights, "normalize_then_sum")
    np.testing.assert_allclose(gdpo_advantages(r, groups, weights=weights), ref, atol=1e-9)
    summed = np.where(np.isnan(r).all(axis=1), np.nan, np.nansum(r * weights, axis=1))
    for scale in ("group", "batch"):
        ref = _trl_reference(r, g, weights, "sum_then_normalize", scale)
        np.testing.assert_allclose(grpo_advantages(summed, groups, scale), ref, atol=1e-9)


# -- GroupNormalizer ---------------------------------------------------------------------------


def test_group_normalizer_emits_when_a_group_completes():
    gn = GroupNormalizer(group_size=3)
    assert gn.add(0, "p", 1.0) == []
    assert gn.add(5, "q", 10.0) == []
    assert gn.add(1, "p", 2.0) == []
    assert gn.pending == {"p": 2, "q": 1}
    out = gn.add(2, "p", 3.0)
    assert [e for e, _ in out] == [0, 1, 2]
    np.testing.assert_allclose([a for _, a in out], grpo_advantages([1.0, 2.0, 3.0], [0, 0, 0]))
    assert gn.pending == {"q": 1}
    assert gn.add(0, "p", 7.0) == []  # the id is free again
    with pytest.raises(ValueError, match="already added"):
        gn.add(0, "p", 8.0)
    with pytest.raises(ValueError, match="shape"):
        gn.add(9, "p", [1.0, 2.0])
    gn.reset()
    assert gn.pending == {}


def test_group_normalizer_with_reward_terms_is_gdpo():
    r = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    gn = GroupNormalizer(group_size=4, weights=[1.0, 2.0])
    outs = [gn.add(f"env{i}", 0, r[i]) for i in range(4)]
    assert outs[:3] == [[], [], []]
    np.testing.assert_allclose(
        [a for _, a in outs[3]], gdpo_advantages(r, np.zeros(4), weights=[1.0, 2.0])
    )
    with pytest.raises(ValueError, match="weights"):
        GroupNormalizer(group_size=2, weights=[1.0, 2.0]).add(0, 0, 1.0)
    with pytest.raises(ValueError, match="group_size"):
        GroupNormalizer(group_size=0)
    with pytest.raises(ValueError, match="scale"):
        GroupNormalizer(group_size=2, scale="batch")  # type: ignore[arg-type]


# -- process / outcome calibration -------------------------------------------------------------


def test_calibration_hand_computed():
    # T = 4, budget 1/2, gap 1: each step's share is q_t / 8.
    process = np.array([0.0, 1.0, 0.5, 2.0])  # q = (0, 1, 1/2, 1) (2.0 clipped)
    out = calibrate_process_rewards(process, outcome=1.0, budget=0.5)
    np.testing.assert_allclose(out, [0.0, 1 / 8, 1 / 16, 1 / 8 + 1.0])
    fail = calibrate_process_rewards(process, outcome=0.0, budget=0.5)  # 0 is not > 0
    np.testing.assert_allclose(fail, [0.0, 1 / 8, 1 / 16, 1 / 8])
    # process range (-1, 1) and outcome rewards (-1, +1): gap 2, share 2 * 0.25 * q / 2
    out = calibrate_process_rewards(
        [-1.0, np.nan], 0.7, success_reward=1.0, failure_reward=-1.0, budget=0.25,
        process_range=(-1.0, 1.0),
    )  # fmt: skip
    np.testing.assert_allclose(out, [0.0, 1.0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"budget": 1.0}, "budget"),
        ({"budget": -0.1}, "budget"),
        ({"success_reward": 0.0}, "exceed"),
        ({"process_range": (1.0, 1.0)}, "process_range"),
        ({"success_reward": math.inf}, "finite"),
    ],
)
def test_calibration_validates_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        calibrate_process_rewards([0.5], 1.0, **kwargs)


def test_calibration_rejects_empty_and_nan_outcome():
    with pytest.raises(ValueError, match="at least one step"):
        calibrate_process_rewards([], 1.0)
    with pytest.raises(ValueError, match="NaN"):
        calibrate_process_rewards([0.5], math.nan)


any_float = st.floats(allow_nan=True, allow_infinity=True)
process_lists = st.lists(any_float, min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(
    good=process_lists,
    bad=process_lists,
    good_outcome=st.floats(1e-9, 1e6),
    bad_outcome=st.floats(-1e6, 0.0),
    budget=st.floats(0.0, 0.999),
    rewards=st.tuples(st.floats(-1e3, 1e3), st.floats(1e-3, 1e3)),
    process_range=st.tuples(st.floats(-1e3, 1e3), st.floats(1e-3, 1e3)),
)
def test_correct_outcome_always_outscores_wrong_outcome(
    good, bad, good_outcome, bad_outcome, budget, rewards, process_range
):
    failure_reward, gap = rewards
    lo, width = process_range
    kwargs = {
        "budget": budget,
        "success_reward": failure_reward + gap,
        "failure_reward": failure_reward,
        "process_range": (lo, lo + width),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow/invalid warnings leak out
        a = calibrate_process_rewards(good, good_outcome, **kwargs)
        b = calibrate_process_rewards(bad, bad_outcome, **kwargs)
    assert a.shape == (len(good),) and b.shape == (len(bad),)
    assert np.isfinite(a).all() and np.isfinite(b).all()
    assert float(np.sum(a)) > float(np.sum(b))


# -- the normalisers as reward terms --------------------------------------------------------


def test_normalized_return_term_equals_the_normalizer_on_the_wrapped_stream():
    """The term adapter feeds the expression's values to a ReturnNormalizer (whose
    equality with Gymnasium's and SB3's wrappers is tested above)."""
    import gymnasium as gym

    import rewardgym  # noqa: F401
    from rewardgym.rewards.normalize import NormalizedReturn
    from rewardgym.rewards.terms import EnvReward, FnTerm
    from rewardgym.rewards.wrappers import RewardWrapper, VectorRewardWrapper

    noisy = EnvReward() + FnTerm("x", lambda t: 3.0 * t.next_obs[:, 0])
    mine = RewardWrapper(
        gym.make("rewardgym/CartPole-v1"), NormalizedReturn(noisy, gamma=0.9, name="norm")
    )
    reference = ReturnNormalizer(gamma=0.9)
    mine.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(300):
        _, r_mine, term, trunc, info = mine.step(int(rng.integers(2)))
        raw = info["reward_terms"]["env"] + info["reward_terms"]["x"]
        (expected,) = reference(np.array([raw]), np.array([term]), np.array([trunc]))
        assert r_mine == pytest.approx(expected, rel=1e-12)
        assert info["reward_terms"]["norm"] == r_mine
        if term or trunc:
            mine.reset(seed=int(rng.integers(1000)))

    venv = VectorRewardWrapper(
        gym.make_vec("rewardgym/CartPole-v1", num_envs=4, vectorization_mode="vector_entry_point"),
        NormalizedReturn(EnvReward(), gamma=0.99),
    )
    venv.reset(seed=0)
    for _ in range(50):
        _, rew, *_ = venv.step(np.ones(4, dtype=np.int64))
        assert np.isfinite(rew).all()
    assert venv.core.reward.normalizer.autoreset_mode == "next_step"
    venv.freeze()
    std = venv.core.stats()["NormalizedReturn/return_std"]
    venv.step(np.ones(4, dtype=np.int64))
    assert venv.core.stats()["NormalizedReturn/return_std"] == std


def test_zscore_term_ignores_rows_that_are_not_transitions():
    from rewardgym.rewards.normalize import ZScore
    from rewardgym.rewards.terms import EnvReward, Transitions

    z = ZScore(EnvReward())
    t = Transitions.from_arrays(
        np.zeros((3, 1)),
        np.zeros(3),
        np.zeros((3, 1)),
        [1.0, 3.0, 1000.0],
        valid=[True, True, False],
    )
    z(t)
    stats = z.stats()
    assert stats["ZScore/mean"] == pytest.approx(2.0)


def test_group_advantages_wrapper_emits_grpo_per_round_of_episodes():
    import gymnasium as gym

    import rewardgym  # noqa: F401
    from rewardgym.rewards.normalize import GroupAdvantages

    g = 3
    envs = GroupAdvantages(
        gym.make_vec(
            "rewardgym/CartPole-v1", num_envs=2 * g, vectorization_mode="vector_entry_point"
        ),
        group_size=g,
    )
    envs.reset(seed=0)
    rng = np.random.default_rng(0)
    returns = {i: [0.0] for i in range(2 * g)}
    prev_done = np.zeros(2 * g, bool)
    emitted = []
    for _ in range(400):
        _, rew, term, trunc, info = envs.step(rng.integers(0, 2, 2 * g))
        for i in range(2 * g):
            if not prev_done[i]:
                returns[i][-1] += rew[i]
        done = term | trunc
        for i in np.flatnonzero(done):
            returns[i].append(0.0)
        prev_done = done
        emitted += info.get("group_advantages", [])
    assert emitted
    by_round = {}
    for env_i, ep, adv in emitted:
        by_round.setdefault((env_i // g, ep), {})[env_i] = adv
    for (_group, ep), advs in by_round.items():
        assert len(advs) == g  # a round is emitted whole
        members = sorted(advs)
        expected = grpo_advantages(np.array([returns[i][ep] for i in members]), np.zeros(g, int))
        np.testing.assert_allclose([advs[i] for i in members], expected, atol=1e-12)
    with pytest.raises(ValueError, match="multiple of group_size"):
        GroupAdvantages(
            gym.make_vec(
                "rewardgym/CartPole-v1", num_envs=4, vectorization_mode="vector_entry_point"
            ),
            group_size=3,
        )
