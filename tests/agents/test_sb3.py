"""The SB3 entry point and the vector-env adapter."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

from rewardgym.agents.sb3 import SB3VecEnv, make_sb3_env, train
from rewardgym.envs.control.cartpole import upright
from rewardgym.rewards.shaping import Shaping
from rewardgym.rewards.terms import EnvReward


def test_adapter_passes_arrays_and_reports_episode_ends():
    vec = gym.make_vec(
        "rewardgym/CartPole-v1", num_envs=16, vectorization_mode="vector_entry_point",
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP, max_episode_steps=20,
    )  # fmt: skip
    venv = SB3VecEnv(vec)
    venv.seed(3)
    obs = venv.reset()
    assert obs.shape == (16, 4)
    rng = np.random.default_rng(0)
    ended = truncated = 0
    for _ in range(60):
        obs, reward, dones, infos = venv.step(rng.integers(0, 2, 16))
        assert reward.dtype == np.float32 and dones.shape == (16,)
        for i in np.flatnonzero(dones):
            assert infos[i]["terminal_observation"].shape == (4,)
            truncated += infos[i]["TimeLimit.truncated"]
            ended += 1
        assert all(not infos[i] for i in np.flatnonzero(~dones))
    assert ended > 16 and truncated > 0


def test_adapter_refuses_next_step_autoreset():
    vec = gym.make_vec("rewardgym/CartPole-v1", num_envs=2, vectorization_mode="vector_entry_point")
    with pytest.raises(ValueError, match="SAME_STEP"):
        SB3VecEnv(vec)


def test_ppo_trains_and_evaluates_on_the_env_reward():
    result = train(
        "CartPole-v1", "ppo", total_timesteps=512, num_envs=4, eval_episodes=3,
        algo_kwargs={"n_steps": 64, "batch_size": 64},
    )  # fmt: skip
    assert result.env_id == "rewardgym/CartPole-v1" and result.timesteps >= 512
    assert len(result.eval_returns) == 3 and result.success_rate is None
    record = result.to_dict()
    assert "model" not in record and record["mean_return"] == result.mean_return


def test_a_reward_term_trains_and_a_wrong_gamma_is_refused():
    shaped = EnvReward() + Shaping(upright, 0.99)
    venv = make_sb3_env("rewardgym/CartPole-v1", 2, reward=shaped)
    venv.reset()
    _, _, _, _ = venv.step(np.zeros(2, dtype=np.int64))
    venv.close()
    result = train(
        "rewardgym/CartPole-v1", "a2c", total_timesteps=64, num_envs=2, reward=shaped,
        eval_episodes=1,
    )  # fmt: skip
    assert result.timesteps >= 64
    with pytest.raises(ValueError, match=r"gamma=0\.9 but the learner"):
        train(
            "rewardgym/CartPole-v1", "ppo", total_timesteps=64, num_envs=2,
            reward=EnvReward() + Shaping(upright, 0.9), algo_kwargs={"n_steps": 32},
        )  # fmt: skip


def test_off_policy_algorithms_on_single_and_continuous_envs():
    dqn = train("rewardgym/CartPole-v1", "dqn", total_timesteps=200, num_envs=1, eval_episodes=1)
    assert dqn.timesteps >= 200
    sac = train(
        "rewardgym/Pendulum-v1", "sac", total_timesteps=150, num_envs=1, eval_episodes=1,
        algo_kwargs={"learning_starts": 50},
    )  # fmt: skip
    assert sac.eval_returns[0] < 0


def test_bad_arguments_say_what_to_do():
    with pytest.raises(ValueError, match="unknown algo"):
        train("rewardgym/CartPole-v1", "trpo")
    with pytest.raises(ValueError, match="PettingZoo"):
        train("rewardgym/risk_v0", "ppo", total_timesteps=10)


@pytest.mark.parametrize(
    "env_id, algo, kwargs",
    [
        ("rewardgym/PointReach-v0", "ppo", {}),
        ("rewardgym/ToolCall-v0", "maskable_ppo", {}),
        ("rewardgym/TextQuest-v0", "maskable_ppo", {"difficulty": "easy"}),
        ("rewardgym/WebShop-v0", "maskable_ppo", {}),
    ],
)
def test_train_runs_on_an_env_of_every_gymnasium_family(env_id, algo, kwargs):
    result = train(
        env_id, algo, total_timesteps=128, num_envs=2, env_kwargs=kwargs, eval_episodes=1,
        algo_kwargs={"n_steps": 64, "batch_size": 64},
    )  # fmt: skip
    assert result.timesteps >= 128 and len(result.eval_returns) == 1
    if algo == "maskable_ppo":  # text envs train on their discrete mode
        assert result.env_kwargs["action_mode"] == "discrete"
        assert result.eval_success is not None
