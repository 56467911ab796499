"""matrix_risk_v0: presets, payoff distributions, observations, the PettingZoo
battery and the reward wrappers per agent."""

from __future__ import annotations

import functools
import types

import numpy as np
import pytest

from rewardgym import testing
from rewardgym.envs.risk import matrix_risk_v0 as mr
from rewardgym.rewards.terms import EnvReward, InfoTerm
from rewardgym.rewards.wrappers import AECRewardWrapper, ParallelRewardWrapper


@pytest.mark.parametrize("game", mr.PRESETS)
def test_every_preset_passes_the_pettingzoo_battery(game):
    module = types.SimpleNamespace(
        env=functools.partial(mr.env, game=game, rounds=4),
        parallel_env=functools.partial(mr.parallel_env, game=game, rounds=4),
    )
    testing.check_pettingzoo_env(module, num_cycles=50, seed_steps=300, render=False)


def test_preset_payoffs_are_the_documented_symmetric_matrices():
    expected = {
        "stag_hunt": [[4, 0], [3, 3]],
        "trust_dilemma": [[10, -10], [5, 2]],
        "chicken": [[0, -1], [1, -10]],
        "prisoners_dilemma": [[3, 0], [5, 1]],
    }
    for name, A in expected.items():
        env = mr.parallel_env(game=name)
        np.testing.assert_array_equal(env.expected_payoffs[0], A)
        np.testing.assert_array_equal(env.expected_payoffs[1], np.transpose(A))
        np.testing.assert_array_equal(env.second_moments[0], np.square(A))
    assert mr.parallel_env(game="chicken").catastrophe_probabilities.tolist() == [[0, 0], [0, 1]]


def test_catastrophe_preset_moments_by_hand():
    env = mr.parallel_env(game="catastrophe")
    A, B = env.expected_payoffs
    np.testing.assert_allclose(A, [[3.0, 3.0], [0.99 * 3.5 - 0.2, 0.98 * 3.5 - 0.4]])
    np.testing.assert_allclose(B, A.T)
    A2, _ = env.second_moments
    np.testing.assert_allclose(A2, [[9.0, 9.0], [0.99 * 12.25 + 4.0, 0.98 * 12.25 + 8.0]])
    np.testing.assert_allclose(env.catastrophe_probabilities, [[0, 0.01], [0.01, 0.02]])


def test_catastrophes_happen_at_their_probability_and_are_flagged():
    env = mr.parallel_env(game="catastrophe", rounds=1000)
    env.reset(seed=0)
    flags, rewards = [], []
    while env.agents:
        _, rew, _, _, infos = env.step({"player_0": 1, "player_1": 1})
        flags.append(infos["player_0"]["catastrophe"])
        rewards.append(rew["player_0"])
        assert infos["player_0"]["catastrophe"] == infos["player_1"]["catastrophe"]
        assert infos["player_0"]["expected_payoff"] == pytest.approx(3.03)
    flags_arr, rewards_arr = np.array(flags), np.array(rewards)
    assert set(rewards_arr[flags_arr]) <= {-20.0} and set(rewards_arr[~flags_arr]) == {3.5}
    assert 20 - 3 * 4.5 < flags_arr.sum() < 20 + 3 * 4.5  # 2 % of 1000, 3 sigma


def test_custom_payoff_distributions_and_the_deterministic_shortcut():
    game = mr.MatrixGame.with_catastrophes(
        [[1.0, 2.0]], [[0.0, 0.0]], probability=[[0.0, 0.5]], row_loss=-10.0, col_loss=-1.0
    )
    assert game.shape == (1, 2)
    np.testing.assert_allclose(game.expected_payoffs[0], [[1.0, -4.0]])
    np.testing.assert_allclose(game.second_moments[0], [[1.0, 52.0]])
    env = mr.parallel_env(game=game, rounds=2)
    assert env.action_space("player_0").n == 1 and env.action_space("player_1").n == 2
    env = mr.parallel_env(payoffs=([[1, 2, 3]], [[3, 2, 1]]))
    env.reset(seed=0)
    _, rew, *_ = env.step({"player_0": 0, "player_1": 2})
    assert rew == {"player_0": 3.0, "player_1": 1.0}


def test_observation_is_the_last_joint_action_from_each_side_and_the_round():
    env = mr.parallel_env(payoffs=(np.zeros((2, 3)), np.zeros((2, 3))), rounds=4)
    obs, _ = env.reset(seed=0)
    assert obs["player_0"].shape == (8,) and obs["player_0"][6] == 1.0
    obs, _, terms, _, _ = env.step({"player_0": 1, "player_1": 2})
    # row: index own * 3 + other = 5; column: own * 2 + other = 2 * 2 + 1 = 5
    assert np.flatnonzero(obs["player_0"][:7]).tolist() == [5]
    assert np.flatnonzero(obs["player_1"][:7]).tolist() == [5]
    assert obs["player_0"][-1] == pytest.approx(0.25)
    obs, *_ = env.step({"player_0": 0, "player_1": 1})
    assert np.flatnonzero(obs["player_0"][:7]).tolist() == [1]  # 0 * 3 + 1
    assert np.flatnonzero(obs["player_1"][:7]).tolist() == [2]  # 1 * 2 + 0
    assert not any(terms.values())


def test_game_ends_after_the_set_number_of_rounds():
    env = mr.parallel_env(game="stag_hunt", rounds=3)
    env.reset(seed=0)
    for t in range(3):
        _, _, terms, truncs, _ = env.step({"player_0": 0, "player_1": 0})
        assert all(terms.values()) == (t == 2) and not any(truncs.values())
    assert env.agents == []
    with pytest.raises(RuntimeError, match="reset"):
        env.step({"player_0": 0, "player_1": 0})


def test_invalid_arguments_say_what_to_do():
    with pytest.raises(ValueError, match="unknown game 'stag'"):
        mr.parallel_env(game="stag")
    with pytest.raises(ValueError, match="rounds"):
        mr.parallel_env(rounds=0)
    with pytest.raises(ValueError, match="same shape"):
        mr.parallel_env(payoffs=([[1, 2]], [[1], [2]]))
    with pytest.raises(ValueError, match="sum to 1"):
        mr.MatrixGame("bad", np.zeros((1, 1, 1, 2)), np.full((1, 1, 1), 0.5),
                      np.zeros((1, 1, 1), bool), ("a",), ("b",))  # fmt: skip
    env = mr.parallel_env()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="outside"):
        env.step({"player_0": 2, "player_1": 0})


def test_parallel_reward_wrapper_penalises_catastrophes_per_agent():
    penalty = EnvReward() - 5.0 * InfoTerm("catastrophe", path=None)
    env = ParallelRewardWrapper(mr.parallel_env(game="catastrophe", rounds=500), penalty)
    env.reset(seed=3)
    seen = 0
    while env.agents:
        _, rew, _, _, infos = env.step({"player_0": 1, "player_1": 0})
        raw = infos["player_0"]["reward_terms"]["env"]
        cat = infos["player_0"]["catastrophe"]
        assert rew["player_0"] == pytest.approx(raw - 5.0 * cat)
        assert rew["player_1"] == pytest.approx(3.0 - 5.0 * cat)  # the safe player shares the flag
        seen += cat
    assert seen > 0


def test_aec_reward_wrapper_works_on_the_aec_env():
    env = AECRewardWrapper(mr.env(game="stag_hunt", rounds=2), 2.0 * EnvReward())
    env.reset(seed=0)
    total = {a: 0.0 for a in env.possible_agents}
    for agent in env.agent_iter():
        _, reward, term, trunc, _ = env.last()
        total[agent] += reward
        env.step(None if term or trunc else 0)
    assert total == {"player_0": 16.0, "player_1": 16.0}  # 2 x 4 per round, 2 rounds
