"""The fused (compiled) evaluation of reward expressions against the NumPy path.

Every fused node type, alone and composed, on random CartPole trajectories with
resets in both autoreset modes: equal to the NumPy evaluation exactly for the algebra,
shaping and count bonuses, to 1e-12 for return normalisation (running moments summed
in another order) and compiled potentials (a vectorized cos within 2 ulp). Also: clean
fallback for terms without a compiled form, the freeze switch, reused observation
buffers, the parallel kernels, the potentials' compiled counterparts and SimHash's
kernel against a NumPy statement of its definition.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from hypothesis import given, settings
from hypothesis import strategies as st

import rewardgym  # noqa: F401
from rewardgym.envs.control import acrobot, cartpole, mountain_car, pendulum
from rewardgym.rewards._fused import FusedPlan
from rewardgym.rewards.exploration import Bonus, CountBonus, SimHash
from rewardgym.rewards.normalize import NormalizedReturn
from rewardgym.rewards.shaping import Shaping
from rewardgym.rewards.terms import (
    Constant,
    EnvReward,
    FnTerm,
    Sum,
    Transitions,
    maximum,
    minimum,
)
from rewardgym.rewards.wrappers import VectorRewardWrapper

MODES = [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP]
upright, centering = cartpole.upright, cartpole.centering


def _bonus(n, mode="product", hasher="simhash"):
    h = SimHash(4, bits=24, seed=1) if hasher == "simhash" else None
    return Bonus(CountBonus(n, mode, hasher=h), name=f"bonus_{mode}")


# name -> (factory of the expression for n envs, exact?)
EXPRESSIONS = {
    "env": (lambda n: EnvReward(), True),
    "constant": (lambda n: Constant(0.25, name="c"), True),
    "algebra": (
        lambda n: (2.0 * EnvReward() - 0.5 + Constant(3.0) / 4).named("total"),
        True,
    ),
    "min_max_clip": (
        lambda n: Sum(
            [
                minimum(EnvReward(), Shaping(upright, 0.9, name="s"), 0.75, name="lo"),
                maximum(Shaping(centering, 0.9, name="c"), -0.3, name="hi"),
                EnvReward("e2").clip(0.2, 0.9).named("both"),
                Shaping(upright, 0.5, name="u5").clip(low=-0.01).named("low"),
                Shaping(centering, 0.5, name="c5").clip(high=0.001).named("high"),
            ],
            name="sum",
        ),
        False,
    ),
    "gate": (
        lambda n: EnvReward().gate(Shaping(centering, 0.99, name="cond"), 0.0).named("g"),
        True,
    ),
    "shaping": (lambda n: EnvReward() + Shaping(upright, 0.99), False),
    "shared_node": (
        lambda n: (lambda s: (s + 2.0 * s).named("t"))(Shaping(centering, 0.95, name="sh")),
        True,
    ),
    "count_global": (lambda n: EnvReward() + 0.1 * _bonus(n, "global"), True),
    "count_episodic": (lambda n: EnvReward() + 0.1 * _bonus(n, "episodic"), True),
    "count_product_raw_keys": (lambda n: 0.1 * _bonus(n, "product", hasher=None), True),
    "normalized_gymnasium": (
        lambda n: NormalizedReturn(EnvReward() + Shaping(upright, 0.99), gamma=0.99, name="z"),
        False,
    ),
    "normalized_sb3": (
        lambda n: NormalizedReturn(
            EnvReward() - 0.5, gamma=0.9, convention="sb3", clip=1.5, name="z"
        ),
        False,
    ),
    "full_stack": (
        lambda n: NormalizedReturn(
            EnvReward() + Shaping(upright, 0.99) + 0.01 * _bonus(n, "product"),
            gamma=0.99,
            name="total",
        ),
        False,
    ),
}


def _pair(expr_factory, n, mode, steps=15, **kw):
    def make():
        return gym.make_vec(
            "rewardgym/CartPole-v1",
            num_envs=n,
            vectorization_mode="vector_entry_point",
            autoreset_mode=mode,
            max_episode_steps=steps,
            **kw,
        )

    fused = VectorRewardWrapper(make(), expr_factory(n))
    numpy = VectorRewardWrapper(make(), expr_factory(n), fused=False)
    return fused, numpy


def _assert_close(got, want, exact, where):
    if exact:
        np.testing.assert_array_equal(got, want, err_msg=where)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=where)


def _run_pair(fused, numpy, steps, exact, seed=0, freeze_at=None, reset_at=None):
    assert fused.fused and not numpy.fused
    rng = np.random.default_rng(seed)
    n = fused.num_envs
    for t in range(steps):
        if t == freeze_at:
            fused.freeze()
            numpy.freeze()
        if t == reset_at:
            fused.reset(seed=seed + 1)
            numpy.reset(seed=seed + 1)
        actions = rng.integers(0, 2, n)
        f = fused.step(actions)
        r = numpy.step(actions)
        np.testing.assert_array_equal(f[0], r[0])
        _assert_close(f[1], r[1], exact, f"reward, step {t}")
        ft, rt = f[4]["reward_terms"], r[4]["reward_terms"]
        assert set(ft) == set(rt)
        for name in rt:
            _assert_close(ft[name], rt[name], exact, f"{name}, step {t}")
            assert ft[name] is not f[1] or name not in fused.core.names
    assert fused.core.stats() == pytest.approx(numpy.core.stats(), rel=1e-12, nan_ok=True)


@pytest.mark.parametrize("mode", MODES, ids=["next_step", "same_step"])
@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_fused_equals_the_numpy_path(name, mode):
    factory, exact = EXPRESSIONS[name]
    fused, numpy = _pair(factory, 12, mode)
    for w in (fused, numpy):
        w.reset(seed=3)
    _run_pair(fused, numpy, 60, exact)


@pytest.mark.parametrize("mode", MODES, ids=["next_step", "same_step"])
def test_freeze_and_manual_resets_are_honoured(mode):
    factory, _ = EXPRESSIONS["full_stack"]
    fused, numpy = _pair(factory, 10, mode)
    for w in (fused, numpy):
        w.reset(seed=5)
    _run_pair(fused, numpy, 40, False, seed=1, reset_at=15)
    before = fused.core.stats()
    _run_pair(fused, numpy, 30, False, seed=2, freeze_at=0)
    after = fused.core.stats()
    for key in ("total/return_std", "count/distinct_keys", "bonus_product/distinct_keys"):
        if key in before:
            assert after[key] == before[key]
    assert after["bonus_product/visits"] == before["bonus_product/visits"]
    fused.unfreeze()
    numpy.unfreeze()
    _run_pair(fused, numpy, 20, False, seed=3)
    assert fused.core.stats()["total/return_std"] != after["total/return_std"]


@pytest.mark.parametrize("name", ["full_stack", "min_max_clip", "count_episodic"])
def test_parallel_kernels_equal_the_numpy_path(name):
    """Batches past the parallel threshold take the prange kernels (the program runs in
    parallel when it has no normaliser barriers)."""
    factory, exact = EXPRESSIONS[name]
    fused, numpy = _pair(factory, 2304, AutoresetMode.NEXT_STEP, steps=8)
    for w in (fused, numpy):
        w.reset(seed=0)
    _run_pair(fused, numpy, 20, exact)


def test_reused_observation_buffers():
    """With copy=False the env overwrites its buffers; the plan caches Phi, not obs."""
    factory, _ = EXPRESSIONS["full_stack"]
    fused, numpy = _pair(factory, 8, AutoresetMode.NEXT_STEP, copy=False)
    for w in (fused, numpy):
        w.reset(seed=0)
    _run_pair(fused, numpy, 40, False)


class _MySum(Sum):
    def compute(self, t, values):
        return super().compute(t, values) + 1.0


@pytest.mark.parametrize(
    "expr",
    [
        lambda n: EnvReward() + FnTerm("x", lambda t: t.next_obs[:, 0]),
        lambda n: EnvReward() + Shaping(lambda obs: obs[..., 0], 0.9, name="lam"),
        lambda n: _MySum([EnvReward(), Constant(1.0)], name="mine"),
        lambda n: 0.1 * Bonus(_ReferenceCountBonus(n, "product"), name="ref"),
    ],
    ids=["fn_term", "potential_without_kernel", "subclass_overriding_compute", "no_batch"],
)
def test_terms_without_a_compiled_form_fall_back_to_numpy(expr):
    venv = VectorRewardWrapper(
        gym.make_vec("rewardgym/CartPole-v1", num_envs=4, vectorization_mode="vector_entry_point"),
        expr(4),
    )
    venv.reset(seed=0)
    assert not venv.fused
    _, reward, *_ = venv.step(np.ones(4, dtype=np.int64))
    assert np.isfinite(reward).all()
    assert FusedPlan.build(expr(4), 4, "next_step") is None


class _ReferenceCountBonus(CountBonus):
    _REFERENCE = True


def test_vector_reward_mode_and_opting_out_use_the_numpy_path():
    env = gym.make_vec("rewardgym/CartPole-v1", num_envs=4, vectorization_mode="vector_entry_point")
    assert not VectorRewardWrapper(env, objectives=[EnvReward()]).reset(seed=0) or True
    mo = VectorRewardWrapper(env, objectives=[EnvReward()])
    mo.reset(seed=0)
    assert not mo.fused
    off = VectorRewardWrapper(env, EnvReward(), fused=False)
    off.reset(seed=0)
    assert not off.fused


# -- the plan on synthetic batches: exact algebra on hostile values ------------------------

special = st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, math.inf, -math.inf, math.nan, 1e300])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(special, min_size=6, max_size=6),
    st.lists(special, min_size=6, max_size=6),
    st.lists(st.booleans(), min_size=6, max_size=6),
    st.lists(st.booleans(), min_size=6, max_size=6),
    st.sampled_from([0.0, -0.0, 0.5, -1.0]),
)
def test_plan_algebra_is_exact_on_special_values(rewards, xs, term, invalid, bound):
    """NaN propagation, signed zeros and infinities as NumPy's minimum, maximum, clip,
    where and arithmetic give them."""
    n = 6
    obs = np.zeros((n, 4))
    obs[:, 0] = xs
    obs[:, 2] = xs
    shaping = Shaping(centering, 0.5, name="s")
    expr = Sum(
        [
            minimum(EnvReward(), shaping, name="lo"),
            maximum(shaping, EnvReward(), bound, name="hi"),
            EnvReward("e2").clip(bound, 2.0).named("both"),
            EnvReward("e3").clip(low=bound).named("low"),
            EnvReward("e4").clip(high=bound).named("high"),
            (3.0 * EnvReward("e5")).gate(shaping, bound).named("gate"),
            Constant(bound, name="k"),
        ],
        name="sum",
    )
    plan = FusedPlan.build(expr, n, "next_step")
    assert plan is not None
    plan.reset(np.zeros((n, 4)))
    r = np.array(rewards)
    te = np.array(term)
    bad = np.array(invalid)
    with np.errstate(all="ignore"):
        value, parts = plan.step(obs, r, te, np.zeros(n, bool), bad, None, None)
        t = Transitions(np.zeros((n, 4)), np.zeros(n), obs, r, te, np.zeros(n, bool), {}, ~bad)
        want, want_parts = expr.evaluate(t)
    mask = lambda v: np.where(bad, 0.0, v)  # noqa: E731 - the wrapper's masking
    np.testing.assert_array_equal(value, mask(want))
    for name, v in want_parts.items():
        num = ~np.isnan(mask(v))  # a NaN's sign bit means nothing
        np.testing.assert_array_equal(
            np.signbit(parts[name][num]), np.signbit(mask(v)[num]), err_msg=name
        )
        np.testing.assert_array_equal(parts[name], mask(v), err_msg=name)


# -- compiled potentials and SimHash ----------------------------------------------------------

POTENTIALS = [
    (cartpole, "upright"),
    (cartpole, "centering"),
    (acrobot, "tip_height"),
    (mountain_car, "height"),
    (mountain_car, "mechanical_energy"),
    (pendulum, "angle_cost"),
    (pendulum, "energy"),
]


@pytest.mark.parametrize(("module", "name"), POTENTIALS, ids=[p[1] for p in POTENTIALS])
def test_compiled_potentials_equal_the_numpy_ones(module, name):
    fn = getattr(module, name)
    dtype = np.float32  # the control envs' observations (float64 in the cos test below)
    rng = np.random.default_rng(0)
    obs = rng.uniform(-4, 4, (3000, 6)).astype(dtype)  # 3000 rows: the parallel kernel too
    out = np.empty(3000)
    fn.numba(obs, out)
    np.testing.assert_allclose(out, fn(obs), rtol=1e-14, atol=1e-15)  # libm vs NumPy: last bits


def test_compiled_cos_is_within_two_ulp_everywhere():
    rng = np.random.default_rng(1)
    x = np.concatenate(
        [
            rng.uniform(-0.5, 0.5, 4000),
            rng.uniform(-50, 50, 4000),
            rng.uniform(-9e4, 9e4, 4000),
            [0.0, -0.0, 5e-324, np.pi / 2, -np.pi, 99999.9, 1e5, -1e5, 1e6, 1e300, np.inf, np.nan],
        ]
    )
    obs = np.zeros((x.size, 4))
    obs[:, 2] = x
    out = np.empty(x.size)
    upright.numba(obs, out)
    with np.errstate(invalid="ignore"):
        want = np.cos(x)
    finite = np.isfinite(want)
    assert np.isnan(out[~finite]).all()
    ulps = np.abs(out[finite] - want[finite]) / np.spacing(np.abs(want[finite]))
    assert ulps.max() <= 2
    assert out[np.abs(x) >= 1e5][:3].tolist() == pytest.approx(np.cos(x[np.abs(x) >= 1e5][:3]))


@pytest.mark.parametrize(("dim", "bits"), [(4, 32), (3, 64), (1, 8), (7, 20), (5, 100)])
def test_simhash_keys_are_signs_of_sums_in_dimension_order(dim, bits):
    h = SimHash(dim, bits=bits, seed=2)
    rng = np.random.default_rng(dim)
    x = rng.standard_normal((3000, dim)).astype(np.float32)
    x[:5] = 0.0
    xs = x.astype(np.float64)
    proj = h.projection
    s = proj[None, :, 0] * xs[:, 0, None]
    for j in range(1, dim):
        s = s + proj[None, :, j] * xs[:, j, None]
    want = np.packbits(s > 0.0, axis=1)
    np.testing.assert_array_equal(h(x), want)  # parallel kernel (3000 rows)
    np.testing.assert_array_equal(h(x[:100]), want[:100])  # serial kernel
    words = h.words(x)
    assert words.shape == (3000, -(-bits // 64))
    raw = np.zeros((3000, 8 * words.shape[1]), np.uint8)
    raw[:, : want.shape[1]] = want
    np.testing.assert_array_equal(words, raw.view(np.uint64))


def test_count_bonus_compiled_batch_matches_its_call():
    n = 6
    a, b = (
        CountBonus(n, "product", SimHash(2, bits=6)),
        CountBonus(n, "product", SimHash(2, bits=6)),
    )
    rng = np.random.default_rng(0)
    batch = b.compiled_batch()
    assert batch is not None and _ReferenceCountBonus(n).compiled_batch() is None
    for _ in range(30):
        obs = rng.integers(-2, 3, (n, 2)).astype(np.float64)
        invalid = rng.random(n) < 0.2
        done = rng.random(n) < 0.2
        want = a(obs, np.zeros(n), obs, done, done, valid=~invalid)
        got = np.empty(n)
        batch(obs, invalid, got)
        np.testing.assert_array_equal(got, want)
        assert b.stats() == pytest.approx(a.stats(), nan_ok=True)
        a.reset(done)
        b.reset(done)
