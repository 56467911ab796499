"""The batched torch PPO: GAE by hand, truncation bootstrapping, and CartPole solved."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rewardgym.agents.ppo import PPOConfig, compute_gae, train  # noqa: E402


def test_gae_matches_a_hand_computed_rollout():
    # One env, 3 steps, the episode ends after step 1 (index 1).
    r = torch.tensor([[1.0], [2.0], [3.0]])
    v = torch.tensor([[0.5], [1.0], [2.0]])
    d = torch.tensor([[0.0], [1.0], [0.0]])
    nxt = torch.tensor([4.0])
    g, lam = 0.9, 0.5
    a2 = 3.0 + g * 4.0 - 2.0  # bootstraps from next_value
    a1 = 2.0 - 1.0  # episode ended: no value after it, no recursion across it
    a0 = (1.0 + g * 1.0 - 0.5) + g * lam * a1
    out = compute_gae(r, v, d, nxt, g, lam)
    assert torch.allclose(out[:, 0], torch.tensor([a0, a1, a2]))


def test_lambda_one_gives_discounted_returns_minus_values():
    rng = np.random.default_rng(0)
    r = torch.as_tensor(rng.normal(size=(6, 2)), dtype=torch.float32)
    v = torch.as_tensor(rng.normal(size=(6, 2)), dtype=torch.float32)
    d = torch.zeros(6, 2)
    nxt = torch.as_tensor(rng.normal(size=2), dtype=torch.float32)
    ret = nxt.clone()
    expected = torch.zeros(6, 2)
    for t in reversed(range(6)):
        ret = r[t] + 0.95 * ret
        expected[t] = ret - v[t]
    assert torch.allclose(compute_gae(r, v, d, nxt, 0.95, 1.0), expected, atol=1e-5)


def test_config_is_validated():
    with pytest.raises(ValueError, match="num_minibatches"):
        PPOConfig(num_envs=3, num_steps=5, num_minibatches=4)
    with pytest.raises(ValueError, match="num_envs"):
        PPOConfig(num_envs=0)


def test_continuous_actions_train_on_pendulum():
    result = train(
        env_id="rewardgym/Pendulum-v1", total_timesteps=2048, num_envs=8, num_steps=64,
        eval_episodes=2,
    )  # fmt: skip
    assert result.timesteps == 2048 and len(result.eval_returns) == 2
    assert all(r < 0 for r in result.eval_returns)


def test_ppo_solves_cartpole():
    result = train(PPOConfig(seed=0))
    assert result.eval_mean_return >= 475, result.curve[-5:]
    # It learned: the last batches' returns are far above the first's.
    assert result.curve[-1][1] > 4 * result.curve[0][1]
