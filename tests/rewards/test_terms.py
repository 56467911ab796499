"""Reward terms: algebra (with Hypothesis properties), evaluation once per node,
naming, and the wrapper adapters (single, vector against single, PettingZoo)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import rewardgym  # noqa: F401
from rewardgym.rewards.shaping import Shaping
from rewardgym.rewards.terms import (
    Constant,
    EnvReward,
    FnTerm,
    InfoTerm,
    Term,
    Transitions,
    maximum,
    minimum,
    weighted_sum,
)
from rewardgym.rewards.wrappers import (
    AECRewardWrapper,
    ChebyshevScalarization,
    LinearScalarization,
    ParallelRewardWrapper,
    RewardCore,
    RewardWrapper,
    VectorRewardWrapper,
)

floats = st.floats(-1e3, 1e3, allow_nan=False)


def batch(rewards, next_obs=None, info=None):
    r = np.asarray(rewards, dtype=np.float64)
    nxt = np.zeros((len(r), 2)) if next_obs is None else np.asarray(next_obs, dtype=np.float64)
    return Transitions.from_arrays(np.zeros_like(nxt), np.zeros(len(r)), nxt, r, info=info)


def col(name, k):
    return FnTerm(name, lambda t: t.next_obs[:, k])


@given(arrays(np.float64, 5, elements=floats), arrays(np.float64, 5, elements=floats))
def test_zero_weight_terms_change_nothing(r, x):
    t = batch(r, np.stack([x, x], 1))
    base = EnvReward()
    assert np.array_equal((base + 0.0 * col("x", 0))(t), base(t))


@given(
    arrays(np.float64, 4, elements=floats),
    arrays(np.float64, (4, 2), elements=floats),
    floats,
    floats,
)
def test_weighted_sum_is_linear(r, nxt, a, b):
    t = batch(r, nxt)
    x, y = col("x", 0), col("y", 1)
    combined = weighted_sum({x: a, y: b})
    np.testing.assert_allclose(combined(t), a * nxt[:, 0] + b * nxt[:, 1], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose((x - y)(t), nxt[:, 0] - nxt[:, 1])
    np.testing.assert_allclose((2 - x)(t), 2 - nxt[:, 0])
    np.testing.assert_allclose((x / 4)(t), nxt[:, 0] / 4)


@given(arrays(np.float64, (6, 2), elements=floats), floats)
def test_min_max_clip_gate(nxt, threshold):
    t = batch(np.zeros(6), nxt)
    x, y = col("x", 0), col("y", 1)
    np.testing.assert_array_equal(minimum(x, y)(t), np.minimum(nxt[:, 0], nxt[:, 1]))
    np.testing.assert_array_equal(
        maximum(x, y, 0.0)(t), np.maximum(np.maximum(nxt[:, 0], nxt[:, 1]), 0.0)
    )
    np.testing.assert_array_equal(x.clip(-1, 1)(t), np.clip(nxt[:, 0], -1, 1))
    gated = x.gate(y, threshold)(t)
    np.testing.assert_array_equal(gated, np.where(nxt[:, 1] > threshold, nxt[:, 0], 0.0))


def test_each_node_is_evaluated_once_per_batch():
    calls = []
    shared = FnTerm("shared", lambda t: calls.append(1) or t.reward * 2)
    expr = (shared + shared.clip(0, 1) + shared.gate(shared)).named("total")
    value, parts = expr.evaluate(batch([1.0, -1.0]))
    assert len(calls) == 1
    np.testing.assert_array_equal(value, [2 + 1 + 2, -2 + 0 + 0])
    assert set(parts) == {"shared", "total"}


def test_names_must_be_unique_and_shapes_right():
    with pytest.raises(ValueError, match="two different terms are named 'x'"):
        RewardCore(col("x", 0) + col("x", 1))
    bad = FnTerm("bad", lambda t: np.zeros(3))
    with pytest.raises(ValueError, match=r"term 'bad' returned shape \(3,\)"):
        bad(batch([1.0, 2.0]))
    with pytest.raises(ValueError, match="non-empty string"):
        FnTerm("", lambda t: t.reward)
    with pytest.raises(TypeError, match="multiply by numbers"):
        col("x", 0) * col("y", 1)
    with pytest.raises(ValueError, match="reversed"):
        col("x", 0).clip(1, 0)
    with pytest.raises(ValueError, match="exactly one of"):
        RewardCore()
    assert np.array_equal(Constant(3.0)(batch([0.0, 0.0])), [3.0, 3.0])


def test_info_terms_read_env_components():
    t = batch([0.0, 0.0], info={"reward_terms": {"forward": np.array([1.0, 2.0])}})
    np.testing.assert_array_equal(InfoTerm("forward")(t), [1.0, 2.0])
    with pytest.raises(LookupError, match="has no 'alive'"):
        InfoTerm("alive")(t)


class Counter(Term):
    """A stateful term: how many steps each env has taken this episode."""

    stateful = True

    def __init__(self, n):
        super().__init__("count")
        self.n = np.zeros(n)

    def compute(self, t, values):
        if self.training:
            self.n += 1
        return self.n.copy()

    def reset(self, mask=None):
        if mask is None:
            self.n[:] = 0
        else:
            self.n[mask] = 0


def test_single_env_wrapper_logs_terms_and_resets_state():
    counter = Counter(1)
    env = RewardWrapper(gym.make("rewardgym/CartPole-v1"), EnvReward() + 0.5 * counter)
    env.reset(seed=0)
    rewards = [env.step(0)[1] for _ in range(3)]
    assert rewards == [1.5, 2.0, 2.5]
    _, _, _, _, info = env.step(0)
    assert info["reward_terms"] == {"env": 1.0, "count": 4.0}
    env.reset(seed=1)
    assert env.step(0)[1] == 1.5
    env.freeze()
    assert env.step(0)[1] == 1.5 and counter.n[0] == 1
    with pytest.raises(gym.error.ResetNeeded):
        RewardWrapper(gym.make("rewardgym/CartPole-v1"), EnvReward()).step(0)


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_vector_wrapper_matches_single_wrappers(mode):
    """The batched adapter gives each env what the single-env adapter gives it."""
    n = 6

    def expr(num):
        speed = FnTerm("speed", lambda t: np.abs(t.next_obs[:, 1]) - np.abs(t.obs[:, 1]))
        return EnvReward() + 2.0 * speed + 0.1 * Counter(num)

    kw = {"max_episode_steps": 15}
    venv = VectorRewardWrapper(
        gym.make_vec(
            "rewardgym/CartPole-v1",
            num_envs=n,
            vectorization_mode="vector_entry_point",
            autoreset_mode=mode,
            **kw,
        ),
        expr(n),
    )
    singles = [RewardWrapper(gym.make("rewardgym/CartPole-v1", **kw), expr(1)) for _ in range(n)]

    def sync(i):
        singles[i].reset(seed=i)
        singles[i].unwrapped.state = venv.unwrapped.state[i]
        singles[i]._obs = venv.unwrapped.state[i].astype(np.float32)

    venv.reset(seed=0)
    for i in range(n):
        sync(i)
    rng = np.random.default_rng(0)
    prev_done = np.zeros(n, bool)
    for _ in range(60):
        actions = rng.integers(0, 2, n)
        _, rew, term, trunc, info = venv.step(actions)
        for i in range(n):
            if mode == AutoresetMode.NEXT_STEP and prev_done[i]:
                assert rew[i] == 0.0 and info["reward_terms"]["speed"][i] == 0.0
                sync(i)
                continue
            _, s_rew, s_term, s_trunc, s_info = singles[i].step(int(actions[i]))
            assert rew[i] == pytest.approx(s_rew, abs=1e-12)
            assert info["reward_terms"]["count"][i] == s_info["reward_terms"]["count"]
            if mode == AutoresetMode.SAME_STEP and (s_term or s_trunc):
                sync(i)
        prev_done = term | trunc


def test_vector_reward_mode_and_scalarization():
    up = FnTerm("upright", lambda t: np.cos(t.next_obs[:, 2]))
    centre = FnTerm("centre", lambda t: -np.abs(t.next_obs[:, 0]))
    env = RewardWrapper(gym.make("rewardgym/CartPole-v1"), objectives=[EnvReward(), up, centre])
    assert env.reward_space.shape == (3,)
    env.reset(seed=0)
    _, vec, _, _, info = env.step(1)
    assert vec.shape == (3,) and vec[0] == 1.0
    lin = LinearScalarization(env, [1.0, 0.5, 2.0])
    lin.reset(seed=0)
    _, r, _, _, info = lin.step(1)
    assert r == pytest.approx(float(np.array([1.0, 0.5, 2.0]) @ info["reward_vector"]))
    cheb = ChebyshevScalarization(env, [1.0, 1.0, 1.0], reference=[1.0, 1.0, 0.0])
    cheb.reset(seed=0)
    _, r, _, _, info = cheb.step(1)
    assert r == pytest.approx(-np.max(np.abs(np.array([1.0, 1.0, 0.0]) - info["reward_vector"])))
    with pytest.raises(ValueError, match="expected 3 weights"):
        LinearScalarization(env, [1.0, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        LinearScalarization(env, [1.0, -2.0, 0.0])
    with pytest.raises(ValueError, match="needs a name"):
        RewardCore(objectives=[EnvReward() + up])


def test_parallel_and_aec_wrappers_pass_the_pettingzoo_api_tests():
    import pz_tiny
    from pettingzoo.test import api_test, parallel_api_test

    bonus = FnTerm("bonus", lambda t: t.next_obs[:, 0] * 0.1)
    par = ParallelRewardWrapper(pz_tiny.parallel_env(), EnvReward() + bonus)
    parallel_api_test(par, num_cycles=50)
    par.reset(seed=0)
    _, rewards, _, _, infos = par.step({"player_0": 2, "player_1": 0})
    assert rewards["player_0"] == pytest.approx(1.0 + 0.1)
    assert infos["player_0"]["reward_terms"] == {"env": 1.0, "bonus": pytest.approx(0.1)}

    aec = AECRewardWrapper(pz_tiny.env(), lambda agent: EnvReward() + bonus)
    api_test(aec, num_cycles=50)
    aec.reset(seed=0)
    aec.step(2)  # player_0; rewards arrive when the round completes
    aec.step(0)
    assert aec.rewards["player_0"] == pytest.approx(1.1)
    assert aec.last()[1] == pytest.approx(1.1)  # player_0's turn again: its cumulative reward
    with pytest.raises(ValueError, match="pass a factory"):
        ParallelRewardWrapper(pz_tiny.parallel_env(), Counter(1))


def test_vector_wrapper_keeps_its_own_copy_of_reused_observation_buffers():
    """With copy=False the env overwrites its observation buffer every step; the
    wrapper's s must still be the previous step's observation."""
    delta = FnTerm("dx", lambda t: t.next_obs[:, 0] - t.obs[:, 0])
    outs = []
    for copy in (True, False):
        venv = VectorRewardWrapper(
            gym.make_vec(
                "rewardgym/CartPole-v1",
                num_envs=3,
                vectorization_mode="vector_entry_point",
                copy=copy,
            ),
            delta,
        )
        venv.reset(seed=0)
        outs.append([venv.step(np.ones(3, dtype=np.int64))[1].copy() for _ in range(5)])
    np.testing.assert_array_equal(outs[0], outs[1])
    assert np.abs(outs[0][-1]).max() > 0


def _play_aec(env, seed=0):
    """Play an AEC env with action 1 for every live agent; each agent's last() rewards
    in order, and the observations it acted on and was selected with."""
    env.reset(seed=seed)
    got = {a: [] for a in env.possible_agents}
    seen = {a: [] for a in env.possible_agents}
    for agent in env.agent_iter():
        obs, reward, term, trunc, _ = env.last()
        got[agent].append(reward)
        seen[agent].append((np.array(obs, copy=True), term or trunc))
        env.step(None if term or trunc else 1)
    return got, seen


def test_aec_terms_count_once_per_turn_of_each_agent():
    """A constant term adds c per turn of an agent (not per AEC step, which would add
    it once per agent per round on a two-player parallel_to_aec env)."""
    import pz_tiny

    const = Constant(0.5)
    raw, _ = _play_aec(pz_tiny.env())
    shaped, _ = _play_aec(AECRewardWrapper(pz_tiny.env(), EnvReward() + const))
    for agent in raw:
        # First last() of each agent precedes any action: no turn, nothing added.
        assert shaped[agent][0] == raw[agent][0] == 0.0
        np.testing.assert_allclose(shaped[agent][1:], np.array(raw[agent][1:]) + 0.5)


def test_aec_potential_shaping_telescopes_over_each_agents_turns():
    """F = gamma Phi(o') - Phi(o) with o the observation an agent acted on and o' the
    one it is next selected with (Phi = 0 there when the game is over for it)."""
    import pz_tiny

    gamma = 0.9
    phi = lambda obs: np.asarray(obs, dtype=np.float64).reshape(len(obs), -1)[:, 0] * 2.0  # noqa: E731
    raw, seen = _play_aec(pz_tiny.env(), seed=3)
    shaped, _ = _play_aec(AECRewardWrapper(pz_tiny.env(), EnvReward() + Shaping(phi, gamma)), 3)
    for agent in raw:
        for k in range(1, len(raw[agent])):
            before = 2.0 * float(seen[agent][k - 1][0][0])
            after, over = 2.0 * float(seen[agent][k][0][0]), seen[agent][k][1]
            expect = raw[agent][k] + (0.0 if over else gamma * after) - before
            assert shaped[agent][k] == pytest.approx(expect)
        assert seen[agent][-1][1]  # the last selection is the dead step


def test_aec_turns_keep_their_own_copy_of_observations_the_env_overwrites():
    """An AEC env may hand out one observation buffer per agent and update it in
    place; the observation a turn started from must stay as it was."""
    import pz_tiny
    from pettingzoo.utils import BaseWrapper

    class InPlace(BaseWrapper):
        def __init__(self, env):
            super().__init__(env)
            self._buf = {}

        def observe(self, agent):
            buf = self._buf.setdefault(agent, np.zeros(1, np.float32))
            buf[:] = self.env.observe(agent)
            return buf

    phi = lambda obs: np.asarray(obs, dtype=np.float64).reshape(len(obs), -1)[:, 0]  # noqa: E731
    expect, _ = _play_aec(AECRewardWrapper(pz_tiny.env(), EnvReward() + Shaping(phi, 1.0)), 2)
    got, _ = _play_aec(AECRewardWrapper(InPlace(pz_tiny.env()), EnvReward() + Shaping(phi, 1.0)), 2)
    assert got == expect
    assert any(r != 0.0 and abs(r) != 1.0 for rs in got.values() for r in rs)  # shaping showed
