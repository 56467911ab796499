"""Batched PPO in torch for rewardgym's vector envs, in one readable module.

Proximal Policy Optimization (Schulman et al., 2017) with generalized advantage
estimation, written for the Numba-batched control envs: one
``gym.make_vec(..., vectorization_mode="vector_entry_point")`` steps every env in a
single kernel call, so the whole rollout is array math and the learner sees
``num_envs x num_steps`` transitions per update.

Truncation is bootstrapped, not treated as failure: the env runs in Gymnasium's
``SAME_STEP`` autoreset mode, which returns the last observation of an episode in
``info["final_obs"]``; where an episode was truncated (time limit) the reward gets
``gamma * V(final_obs)`` added, and the advantage recursion stops at every episode
end. Terminated episodes get no bootstrap (their value is 0).

>>> from rewardgym.agents.ppo import PPOConfig, train
>>> result = train(PPOConfig(total_timesteps=2048, num_envs=8, num_steps=64, eval_episodes=2))
>>> result.timesteps
2048
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical, Normal

__all__ = ["ActorCritic", "PPOConfig", "PPOResult", "compute_gae", "evaluate", "train"]


@dataclass
class PPOConfig:
    """Everything a run depends on. Defaults solve ``rewardgym/CartPole-v1``."""

    env_id: str = "rewardgym/CartPole-v1"
    #: extra constructor arguments of the env
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    #: parallel envs in the one vector env
    num_envs: int = 32
    #: steps per env per rollout; a batch is ``num_envs * num_steps`` transitions
    num_steps: int = 128
    #: env steps over the whole run (rounded down to whole batches, at least one)
    total_timesteps: int = 300_000
    learning_rate: float = 2.5e-3
    #: linearly decay the learning rate to 0 over the run
    anneal_lr: bool = True
    gamma: float = 0.99
    gae_lambda: float = 0.95
    num_minibatches: int = 4
    #: passes over each batch
    update_epochs: int = 4
    #: PPO's ratio clip
    clip_coef: float = 0.2
    #: clip the value loss the same way
    clip_vloss: bool = True
    ent_coef: float = 0.0
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    #: normalise advantages per minibatch
    norm_adv: bool = True
    #: stop an update's epochs early when the approximate KL exceeds this (None: never)
    target_kl: float | None = None
    #: width of the two hidden layers of the actor and of the critic
    hidden: int = 64
    seed: int = 0
    #: torch intra-op threads (the env kernel uses the other cores)
    torch_threads: int = 1
    #: greedy episodes played at the end to score the policy
    eval_episodes: int = 32

    def __post_init__(self) -> None:
        for name in ("num_envs", "num_steps", "total_timesteps", "num_minibatches",
                     "update_epochs", "hidden", "torch_threads"):  # fmt: skip
            if getattr(self, name) < 1:
                raise ValueError(f"PPOConfig.{name} must be >= 1, got {getattr(self, name)}")
        if (self.num_envs * self.num_steps) % self.num_minibatches:
            raise ValueError(
                f"num_envs * num_steps = {self.num_envs * self.num_steps} must split into "
                f"num_minibatches = {self.num_minibatches} equal minibatches"
            )
        if not 0 < self.gamma <= 1 or not 0 <= self.gae_lambda <= 1:
            raise ValueError("gamma must be in (0, 1] and gae_lambda in [0, 1]")


@dataclass
class PPOResult:
    """What a run produced: the greedy evaluation and the learning curve."""

    config: dict[str, Any]
    timesteps: int
    wall_time_s: float
    eval_mean_return: float
    eval_returns: list[float]
    #: (env steps so far, mean return of the episodes finished in that batch)
    curve: list[tuple[int, float]]
    model: ActorCritic | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "model"}


def _layer(n_in: int, n_out: int, std: float = float(np.sqrt(2))) -> nn.Linear:
    layer = nn.Linear(n_in, n_out)
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, 0.0)
    return layer


class ActorCritic(nn.Module):
    """Separate tanh MLPs for the policy and the value; categorical policy for
    ``Discrete`` actions, diagonal Gaussian (state-independent log-std) for ``Box``."""

    def __init__(self, obs_dim: int, action_space: gym.Space[Any], hidden: int = 64):
        super().__init__()
        self.continuous = isinstance(action_space, gym.spaces.Box)
        if self.continuous:
            assert isinstance(action_space, gym.spaces.Box)
            n_out = int(np.prod(action_space.shape))
            self.log_std = nn.Parameter(torch.zeros(n_out))
        elif isinstance(action_space, gym.spaces.Discrete):
            n_out = int(action_space.n)
        else:
            raise ValueError(f"PPO handles Discrete and Box actions, not {action_space}")
        self.critic = nn.Sequential(
            _layer(obs_dim, hidden), nn.Tanh(), _layer(hidden, hidden), nn.Tanh(),
            _layer(hidden, 1, 1.0),
        )  # fmt: skip
        self.actor = nn.Sequential(
            _layer(obs_dim, hidden), nn.Tanh(), _layer(hidden, hidden), nn.Tanh(),
            _layer(hidden, n_out, 0.01),
        )  # fmt: skip

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        return self.critic(obs).squeeze(-1)

    def distribution(self, obs: torch.Tensor) -> Categorical | Normal:
        out = self.actor(obs)
        if self.continuous:
            return Normal(out, self.log_std.exp().expand_as(out))
        return Categorical(logits=out)

    def act(self, obs: torch.Tensor, greedy: bool = False) -> torch.Tensor:
        dist = self.distribution(obs)
        if greedy:
            return dist.mean if isinstance(dist, Normal) else dist.probs.argmax(-1)
        return dist.sample()

    def log_prob_entropy(
        self, obs: torch.Tensor, action: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        dist = self.distribution(obs)
        if isinstance(dist, Normal):
            return dist.log_prob(action).sum(-1), dist.entropy().sum(-1)
        return dist.log_prob(action.long()), dist.entropy()


def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    dones: torch.Tensor,
    next_value: torch.Tensor,
    gamma: float,
    lam: float,
) -> torch.Tensor:
    """Generalized advantage estimates over a (T, N) rollout.

    ``dones[t]`` marks that the episode ended at step ``t`` (its successor state is
    a fresh episode's), so neither the value nor the recursion crosses it; a
    truncated episode's bootstrap is already in ``rewards[t]``. ``next_value`` is
    V of the state after the last step.
    """
    advantages = torch.zeros_like(rewards)
    last = torch.zeros_like(next_value)
    for t in reversed(range(rewards.shape[0])):
        v_next = next_value if t == rewards.shape[0] - 1 else values[t + 1]
        live = 1.0 - dones[t]
        delta = rewards[t] + gamma * v_next * live - values[t]
        last = delta + gamma * lam * live * last
        advantages[t] = last
    return advantages


def _make_vec(config: PPOConfig, num_envs: int) -> gym.vector.VectorEnv:
    import rewardgym  # noqa: F401  (registers the envs)

    kwargs = dict(config.env_kwargs)
    try:
        return gym.make_vec(
            config.env_id, num_envs=num_envs, vectorization_mode="vector_entry_point",
            autoreset_mode=gym.vector.AutoresetMode.SAME_STEP, **kwargs,
        )  # fmt: skip
    except (gym.error.Error, TypeError):
        # Envs without a native vector entry point: Gymnasium's sync vector env.
        return gym.make_vec(
            config.env_id, num_envs=num_envs, vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP}, **kwargs,
        )  # fmt: skip


def _env_action(model: ActorCritic, action: torch.Tensor, space: gym.Space[Any]) -> np.ndarray:
    a = action.numpy()
    if model.continuous:
        assert isinstance(space, gym.spaces.Box)
        return np.clip(a, space.low, space.high).astype(space.dtype)
    return a.astype(np.int64)


def evaluate(
    model: ActorCritic, config: PPOConfig, episodes: int, seed: int = 10_000
) -> list[float]:
    """The returns of ``episodes`` greedy episodes (one per env)."""
    env = _make_vec(config, episodes)
    single_space = env.single_action_space
    obs, _ = env.reset(seed=seed)
    returns = np.zeros(episodes)
    done = np.zeros(episodes, dtype=bool)
    with torch.no_grad():
        while not done.all():
            action = model.act(torch.as_tensor(obs, dtype=torch.float32), greedy=True)
            obs, reward, term, trunc, _ = env.step(_env_action(model, action, single_space))
            returns += np.where(done, 0.0, reward)
            done |= term | trunc
    env.close()
    return returns.tolist()


def train(config: PPOConfig | None = None, *, reward: Any = None, **overrides: Any) -> PPOResult:
    """Train PPO as ``config`` says (keyword overrides replace its fields).

    ``reward``: a term of :mod:`rewardgym.rewards` to train on instead of the env's
    reward (through ``VectorRewardWrapper``; shaping terms must use ``config.gamma``).
    The final evaluation always scores the env's own reward.
    """
    if config is None:
        config = PPOConfig(**overrides)
    elif overrides:
        config = PPOConfig(**{**asdict(config), **overrides})
    torch.set_num_threads(config.torch_threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)

    env = _make_vec(config, config.num_envs)
    if reward is not None:
        from rewardgym.rewards.shaping import check_gamma
        from rewardgym.rewards.wrappers import VectorRewardWrapper

        env = VectorRewardWrapper(env, reward)
        check_gamma(env, config.gamma)
    obs_space, act_space = env.single_observation_space, env.single_action_space
    obs_dim = int(np.prod(obs_space.shape or (1,)))
    model = ActorCritic(obs_dim, act_space, config.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate, eps=1e-5)

    n, t_len = config.num_envs, config.num_steps
    batch = n * t_len
    updates = max(1, config.total_timesteps // batch)
    act_shape: tuple[int, ...] = tuple(act_space.shape or ()) if model.continuous else ()
    obs_buf = torch.zeros((t_len, n, obs_dim))
    act_buf = torch.zeros((t_len, n, *act_shape))
    logp_buf = torch.zeros((t_len, n))
    rew_buf = torch.zeros((t_len, n))
    done_buf = torch.zeros((t_len, n))
    val_buf = torch.zeros((t_len, n))

    obs_np, _ = env.reset(seed=config.seed)
    obs = torch.as_tensor(obs_np, dtype=torch.float32).reshape(n, obs_dim)
    episode_return = np.zeros(n)
    curve: list[tuple[int, float]] = []
    start = time.perf_counter()
    for update in range(updates):
        if config.anneal_lr:
            optimizer.param_groups[0]["lr"] = config.learning_rate * (1.0 - update / updates)
        finished: list[float] = []
        for t in range(t_len):
            with torch.no_grad():
                action = model.act(obs)
                logp, _ = model.log_prob_entropy(obs, action)
                value = model.value(obs)
            obs_buf[t], act_buf[t], logp_buf[t], val_buf[t] = obs, action, logp, value
            next_np, reward, term, trunc, info = env.step(_env_action(model, action, act_space))
            reward = np.asarray(reward, dtype=np.float64)
            episode_return += reward
            ended = term | trunc
            boot = reward.copy()
            rows = np.flatnonzero(trunc & ~term)
            if len(rows) and "final_obs" in info:
                # Time limit, not failure: bootstrap from the episode's last observation.
                final = np.stack([info["final_obs"][i] for i in rows]).astype(np.float32)
                with torch.no_grad():
                    v_final = model.value(torch.as_tensor(final).reshape(len(rows), obs_dim))
                boot[rows] += config.gamma * v_final.numpy()
            rew_buf[t] = torch.as_tensor(boot, dtype=torch.float32)
            done_buf[t] = torch.as_tensor(ended, dtype=torch.float32)
            if ended.any():
                finished.extend(episode_return[ended].tolist())
                episode_return[ended] = 0.0
            obs = torch.as_tensor(next_np, dtype=torch.float32).reshape(n, obs_dim)

        with torch.no_grad():
            next_value = model.value(obs)
        advantages = compute_gae(
            rew_buf, val_buf, done_buf, next_value, config.gamma, config.gae_lambda
        )
        returns = advantages + val_buf

        b_obs = obs_buf.reshape(batch, obs_dim)
        b_act = act_buf.reshape(batch, *act_shape)
        b_logp, b_adv = logp_buf.reshape(batch), advantages.reshape(batch)
        b_ret, b_val = returns.reshape(batch), val_buf.reshape(batch)
        mb = batch // config.num_minibatches
        for _epoch in range(config.update_epochs):
            order = torch.as_tensor(rng.permutation(batch))
            approx_kl = torch.zeros(())
            for i in range(0, batch, mb):
                idx = order[i : i + mb]
                new_logp, entropy = model.log_prob_entropy(b_obs[idx], b_act[idx])
                log_ratio = new_logp - b_logp[idx]
                ratio = log_ratio.exp()
                with torch.no_grad():
                    approx_kl = ((ratio - 1) - log_ratio).mean()
                adv = b_adv[idx]
                if config.norm_adv and len(idx) > 1:
                    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                pg_loss = torch.max(
                    -adv * ratio,
                    -adv * ratio.clamp(1 - config.clip_coef, 1 + config.clip_coef),
                ).mean()
                new_value = model.value(b_obs[idx])
                if config.clip_vloss:
                    clipped = b_val[idx] + (new_value - b_val[idx]).clamp(
                        -config.clip_coef, config.clip_coef
                    )
                    v_loss = (
                        0.5
                        * torch.max(
                            (new_value - b_ret[idx]) ** 2, (clipped - b_ret[idx]) ** 2
                        ).mean()
                    )
                else:
                    v_loss = 0.5 * ((new_value - b_ret[idx]) ** 2).mean()
                loss = pg_loss - config.ent_coef * entropy.mean() + config.vf_coef * v_loss
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                optimizer.step()
            if config.target_kl is not None and float(approx_kl) > config.target_kl:
                break
        if finished:
            curve.append(((update + 1) * batch, float(np.mean(finished))))
    env.close()
    wall = time.perf_counter() - start
    eval_returns = evaluate(model, config, config.eval_episodes) if config.eval_episodes else []
    return PPOResult(
        config=asdict(config),
        timesteps=updates * batch,
        wall_time_s=wall,
        eval_mean_return=float(np.mean(eval_returns)) if eval_returns else float("nan"),
        eval_returns=eval_returns,
        curve=curve,
        model=model,
    )
