"""One reward-wrapper core with adapters for Gymnasium envs, Gymnasium vector envs
and PettingZoo Parallel and AEC envs.

:class:`RewardCore` evaluates a reward expression (a :class:`~.terms.Term`) on a
batch of transitions; every adapter only turns its env's API into
:class:`~.terms.Transitions` and back, so each formula exists once and the vector
adapter does array math with no Python loop over envs. Every named term's value is
logged in ``info["reward_terms"][name]``.

Vector-reward mode (``objectives=[term, ...]`` instead of ``reward=``) returns the
vector of objective values as the reward, the MO-Gymnasium convention for
multi-objective agents (``reward_space`` is a ``Box`` of shape ``(K,)``);
:class:`LinearScalarization` and :class:`ChebyshevScalarization` turn it back into a
scalar.

>>> import gymnasium as gym, rewardgym
>>> from rewardgym.rewards.terms import EnvReward, FnTerm
>>> from rewardgym.rewards.wrappers import RewardWrapper
>>> centre = FnTerm("centre", lambda t: -abs(t.next_obs[:, 0]))
>>> env = RewardWrapper(gym.make("rewardgym/CartPole-v1"), EnvReward() + 0.1 * centre)
>>> obs, info = env.reset(seed=0)
>>> obs, reward, terminated, truncated, info = env.step(0)
>>> sorted(info["reward_terms"])
['centre', 'env']
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv, VectorWrapper
from pettingzoo.utils import BaseParallelWrapper, BaseWrapper

from .terms import Term, Transitions

__all__ = [
    "AECRewardWrapper",
    "ChebyshevScalarization",
    "LinearScalarization",
    "ParallelRewardWrapper",
    "RewardCore",
    "RewardWrapper",
    "VectorRewardWrapper",
]


class RewardCore:
    """Evaluates ``reward`` (scalar mode) or ``objectives`` (vector mode) on batches.

    Exactly one of the two is given. Names of named terms must be unique (they key the
    logged values).
    """

    def __init__(self, reward: Term | None = None, objectives: Sequence[Term] | None = None):
        if (reward is None) == (objectives is None):
            raise ValueError(
                "give exactly one of reward= (a Term) or objectives= (a list of Terms)"
            )
        if reward is not None and not isinstance(reward, Term):
            raise TypeError(
                f"reward must be a Term (see rewardgym.rewards.terms), got {type(reward).__name__}"
            )
        if objectives is not None:
            objectives = list(objectives)
            if not objectives or not all(isinstance(o, Term) for o in objectives):
                raise TypeError("objectives must be a non-empty list of Terms")
        self.reward = reward
        self.objectives = objectives
        self._root: Term = reward if reward is not None else _Objectives(objectives or [])
        self.names = self._root.names()

    @property
    def vector(self) -> bool:
        return self.objectives is not None

    @property
    def num_objectives(self) -> int:
        return len(self.objectives) if self.objectives is not None else 1

    def __call__(self, t: Transitions) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """(reward (B,) or (B, K), values of the named terms)."""
        if self.objectives is None:
            return self._root.evaluate(t)
        _, parts = self._root.evaluate(t)
        values = np.stack([parts[o.name] if o.name else o(t) for o in self.objectives], axis=1)
        return values, parts

    def reset(self, mask: np.ndarray | None = None) -> None:
        self._root.reset(mask)

    def freeze(self) -> None:
        self._root.freeze()

    def unfreeze(self) -> None:
        self._root.unfreeze()

    def stats(self) -> dict[str, float]:
        return self._root.stats()


class _Objectives(Term):
    """Evaluates several objectives in one pass (shared nodes computed once)."""

    def __init__(self, objectives: Sequence[Term]):
        super().__init__(None)
        for i, o in enumerate(objectives):
            if o.name is None:
                raise ValueError(f"objective {i} ({o.label}) needs a name: use term.named('...')")
        self.children = tuple(objectives)

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        for child in self.children:
            values(child)
        return np.zeros(t.batch_size)


def _batch1(x: Any) -> Any:
    """One value as a batch of one (dicts and tuples element-wise)."""
    if isinstance(x, dict):
        return {k: _batch1(v) for k, v in x.items()}
    if isinstance(x, tuple):
        return tuple(_batch1(v) for v in x)
    arr = np.asarray(x)
    if arr.dtype == object:
        out = np.empty(1, dtype=object)
        out[0] = x
        return out
    return arr[None]


def _snapshot(obs: Any) -> Any:
    """A copy of a batch of observations: vector envs may return buffers they
    overwrite on the next step (``copy=False``)."""
    if isinstance(obs, dict):
        return {k: _snapshot(v) for k, v in obs.items()}
    if isinstance(obs, tuple):
        return tuple(_snapshot(v) for v in obs)
    return np.array(obs, copy=True)


class _CoreOwner:
    """What the Gymnasium adapters share: the core, the MO ``reward_space`` in
    vector-reward mode, and the evaluation switch."""

    core: RewardCore
    reward_space: gym.spaces.Box

    def _attach_core(self, reward: Term | None, objectives: Sequence[Term] | None) -> None:
        self.core = RewardCore(reward, objectives)
        if self.core.vector:
            k = self.core.num_objectives
            self.reward_space = gym.spaces.Box(-np.inf, np.inf, shape=(k,), dtype=np.float64)

    def freeze(self) -> None:
        """Stop stateful terms updating (evaluation)."""
        self.core.freeze()

    def unfreeze(self) -> None:
        self.core.unfreeze()


def _with_terms(info: dict[str, Any], parts: dict[str, Any]) -> dict[str, Any]:
    terms = dict(info.get("reward_terms", {}))
    terms.update(parts)
    return {**info, "reward_terms": terms}


class RewardWrapper(_CoreOwner, gym.Wrapper[Any, Any, Any, Any]):
    """Replaces a Gymnasium env's reward with a term expression (or, with
    ``objectives=``, a reward vector). ``freeze()`` stops stateful terms updating."""

    def __init__(
        self,
        env: gym.Env[Any, Any],
        reward: Term | None = None,
        *,
        objectives: Sequence[Term] | None = None,
    ):
        super().__init__(env)
        self._attach_core(reward, objectives)
        self._obs: Any = None

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        self._obs = obs
        self.core.reset(None)
        return obs, info

    def step(self, action: Any) -> tuple[Any, Any, bool, bool, dict[str, Any]]:
        if self._obs is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        obs, reward, terminated, truncated, info = self.env.step(action)
        t = Transitions.from_arrays(
            _batch1(self._obs), _batch1(action), _batch1(obs), [float(reward)],
            [terminated], [truncated], _batch1(info),
        )  # fmt: skip
        value, parts = self.core(t)
        self._obs = obs
        info = _with_terms(info, {k: float(v[0]) for k, v in parts.items()})
        out = value[0] if self.core.vector else float(value[0])
        return obs, out, terminated, truncated, info


class VectorRewardWrapper(_CoreOwner, VectorWrapper):
    """:class:`RewardWrapper` for Gymnasium vector envs, one batched evaluation per
    step. In ``NEXT_STEP`` autoreset the reset step of an env is no transition: it
    gets reward 0 and terms 0 (terms see it with ``t.valid`` False), and stateful
    terms are reset for that env right after it. In ``SAME_STEP`` the successor of a
    finished env is ``info["final_obs"]`` and the reset follows the final step.

    When every node of the reward expression has a compiled form (``Term.fuse``: the
    term algebra, shaping with a potential that has a compiled counterpart, count
    bonuses, return normalisation) and the env returns NumPy observations, each step is
    evaluated by a fused plan (:mod:`._fused`) with the same results, far faster on
    large batches; ``fused=False`` keeps the NumPy evaluation of each node's
    ``compute``. :attr:`fused` tells which path runs.
    """

    def __init__(
        self,
        env: VectorEnv[Any, Any, Any],
        reward: Term | None = None,
        *,
        objectives: Sequence[Term] | None = None,
        fused: bool = True,
    ):
        super().__init__(env)
        self._attach_core(reward, objectives)
        mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
        if mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError(f"autoreset mode {mode} is not supported; use NEXT_STEP or SAME_STEP")
        self.autoreset_mode = mode
        self._next_step = mode == AutoresetMode.NEXT_STEP
        self._obs: Any = None
        self._prev_done = np.zeros(self.num_envs, dtype=bool)
        self._plan: Any = None
        self._plan_active = False
        if fused and self.core.reward is not None:
            from ._fused import FusedPlan

            self._plan = FusedPlan.build(
                self.core.reward, self.num_envs, "next_step" if self._next_step else "same_step"
            )

    @property
    def fused(self) -> bool:
        """Whether steps are evaluated by the compiled plan (decided at each reset)."""
        return self._plan_active

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        self._plan_active = self._plan is not None and self._plan.accepts(obs)
        if self._plan_active:
            self._plan.reset(obs)
            self._obs = obs  # the plan keeps what it needs of s (its potentials)
        else:
            self._obs = _snapshot(obs)
        self._prev_done[:] = False
        self.core.reset(None)
        return obs, info

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any, dict[str, Any]]:
        if self._obs is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        obs, reward, terminated, truncated, info = self.env.step(actions)
        terminated = np.asarray(terminated, dtype=bool)
        truncated = np.asarray(truncated, dtype=bool)
        final = None
        if not self._next_step and "_final_obs" in info:
            rows = np.flatnonzero(info["_final_obs"])
            if rows.size:
                final = (rows, np.stack(list(info["final_obs"][rows])))
        if self._plan_active:
            if not self._plan.accepts(obs):
                raise TypeError(
                    "the env's observations changed type or shape since reset(); "
                    "reset the wrapper (or build it with fused=False)"
                )
            value, parts = self._plan.step(
                obs, np.asarray(reward, dtype=np.float64), terminated, truncated,
                self._prev_done if self._next_step else None,
                None if final is None else final[0], None if final is None else final[1],
            )  # fmt: skip
        else:
            value, parts = self._evaluate(obs, actions, reward, terminated, truncated, info, final)
        done = terminated | truncated
        # Episodic state restarts where a new episode begins: in NEXT_STEP that is the
        # reset step (evaluated above as an invalid row, whose updates are discarded
        # here); in SAME_STEP the step that ended the episode.
        restart = self._prev_done if self._next_step else done
        if restart.any():
            self.core.reset(restart)
        self._prev_done = done
        self._obs = obs if self._plan_active else _snapshot(obs)
        return obs, value, terminated, truncated, _with_terms(info, parts)

    def _evaluate(
        self, obs: Any, actions: Any, reward: Any, terminated: np.ndarray,
        truncated: np.ndarray, info: dict[str, Any], final: tuple[np.ndarray, Any] | None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:  # fmt: skip
        """The NumPy path: each node's ``compute`` on the step's Transitions."""
        next_obs = obs
        valid = None
        if self._next_step:
            valid = ~self._prev_done
        elif final is not None:
            next_obs = np.array(obs, copy=True)
            next_obs[final[0]] = final[1]
        t = Transitions(
            self._obs, actions, next_obs, np.asarray(reward, dtype=np.float64), terminated,
            truncated, info, valid, "next_step" if self._next_step else "same_step",
        )  # fmt: skip
        value, parts = self.core(t)
        if valid is not None and not valid.all():
            value = np.where(valid if value.ndim == 1 else valid[:, None], value, 0.0)
            parts = {k: np.where(valid, v, 0.0) for k, v in parts.items()}
        return value, parts


# -- scalarisation ------------------------------------------------------------------------


def _check_weights(weights: Any, k: int | None) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if k is not None and w.shape != (k,):
        raise ValueError(f"expected {k} weights, one per objective, got {w.shape[0]}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"weights must be finite and non-negative, got {w.tolist()}")
    return w


def _num_objectives(env: Any) -> int | None:
    space = getattr(env, "reward_space", None)
    return None if space is None else int(space.shape[0])


class LinearScalarization(gym.Wrapper[Any, Any, Any, Any]):
    """Reward = w . r for an env in vector-reward mode; the vector stays in
    ``info["reward_vector"]``."""

    def __init__(self, env: gym.Env[Any, Any], weights: Sequence[float]):
        super().__init__(env)
        self.weights = _check_weights(weights, _num_objectives(env))

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        vec = np.asarray(reward, dtype=np.float64)
        return obs, float(self.weights @ vec), terminated, truncated, {**info, "reward_vector": vec}


class ChebyshevScalarization(gym.Wrapper[Any, Any, Any, Any]):
    """Reward = -max_k w_k |z_k - r_k| (augmented Chebyshev with ``rho`` > 0 adds
    ``rho * Σ_k w_k (r_k - z_k)``), with ``z`` the reference (utopia) point."""

    def __init__(
        self,
        env: gym.Env[Any, Any],
        weights: Sequence[float],
        reference: Sequence[float],
        rho: float = 0.0,
    ):
        super().__init__(env)
        k = _num_objectives(env)
        self.weights = _check_weights(weights, k)
        self.reference = np.asarray(reference, dtype=np.float64).reshape(-1)
        if self.reference.shape != self.weights.shape:
            raise ValueError("reference must have one value per objective, like weights")
        if rho < 0:
            raise ValueError(f"rho must be >= 0, got {rho}")
        self.rho = float(rho)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        vec = np.asarray(reward, dtype=np.float64)
        gap = self.weights * np.abs(self.reference - vec)
        value = -float(gap.max()) + self.rho * float(self.weights @ (vec - self.reference))
        return obs, value, terminated, truncated, {**info, "reward_vector": vec}


# -- PettingZoo ---------------------------------------------------------------------------


def _agent_cores(
    reward: Term | Callable[[str], Term], agents: Sequence[str]
) -> dict[str, RewardCore]:
    if isinstance(reward, Term):
        if reward.is_stateful and len(agents) > 1:
            raise ValueError(
                "a stateful term would be shared by every agent; pass a factory "
                "reward=lambda agent: ... that builds one term per agent"
            )
        return {a: RewardCore(reward) for a in agents}
    if callable(reward):
        return {a: RewardCore(reward(a)) for a in agents}
    raise TypeError("reward must be a Term or a function agent -> Term")


class ParallelRewardWrapper(BaseParallelWrapper):
    """A PettingZoo Parallel env whose per-agent rewards are replaced by a term
    expression evaluated on each agent's transition. ``reward`` is one Term for
    every agent (stateless terms) or a function ``agent -> Term``."""

    def __init__(self, env: Any, reward: Term | Callable[[str], Term]):
        super().__init__(env)
        self.cores = _agent_cores(reward, list(env.possible_agents))
        self._obs: dict[str, Any] = {}

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        obs, infos = self.env.reset(seed=seed, options=options)
        self._obs = dict(obs)
        for core in self.cores.values():
            core.reset(None)
        return obs, infos

    def step(self, actions: dict[str, Any]) -> Any:
        obs, rewards, terms, truncs, infos = self.env.step(actions)
        rewards, infos = dict(rewards), {a: dict(i) for a, i in infos.items()}
        for agent, r in list(rewards.items()):
            t = Transitions.from_arrays(
                _batch1(self._obs.get(agent)), _batch1(actions.get(agent)),
                _batch1(obs.get(agent)), [float(r)], [terms.get(agent, False)],
                [truncs.get(agent, False)], _batch1(infos.get(agent, {})),
            )  # fmt: skip
            value, parts = self.cores[agent](t)
            rewards[agent] = float(value[0])
            infos[agent] = _with_terms(
                infos.get(agent, {}), {k: float(v[0]) for k, v in parts.items()}
            )
            if terms.get(agent, False) or truncs.get(agent, False):
                self.cores[agent].reset(None)
        self._obs.update(obs)
        return obs, rewards, terms, truncs, infos


class AECRewardWrapper(BaseWrapper):
    """A PettingZoo AEC env whose rewards are replaced by a term expression.

    Transitions are the agents' own turns, as an AEC learner experiences them
    (``obs, r, ... = env.last(); env.step(a)``): an agent's transition starts when it
    acts, from the observation it acted on, and ends when it is next selected (or
    leaves the game), at its observation then. Its reward is the env's reward summed
    over the AEC steps in between (the cumulative reward ``last()`` reports), and its
    ``terminated``/``truncated`` flags are the env's at the end. So a term counts once
    per turn of each agent, whatever the number of agents, and potential shaping with
    the learner's ``gamma`` telescopes over the agent's decisions (the policy-invariance
    condition of Ng et al. 1999, applied per agent).

    ``last()`` and ``_cumulative_rewards`` report the shaped turn reward once a turn
    has ended; ``rewards`` (per AEC step) is the env's plus, on the step that ended a
    turn, the difference between the shaped and raw turn rewards, so that an agent's
    ``rewards`` summed since its last action equal what ``last()`` reports.
    ``infos[agent]["reward_terms"]`` holds the values of the agent's last completed
    turn until it acts again. Rewards an agent receives before its first action belong
    to no turn and pass through unchanged.
    """

    def __init__(self, env: Any, reward: Term | Callable[[str], Term]):
        super().__init__(env)
        self.cores = _agent_cores(reward, list(env.possible_agents))
        self._delta: dict[str, float] = {}
        self._rewards: dict[str, float] = {}
        self._infos: dict[str, dict[str, Any]] = {}
        self._turns: dict[str, tuple[Any, Any]] = {}  # agent -> (obs it acted on, action)

    @property
    def rewards(self) -> dict[str, float]:
        return {a: self._rewards.get(a, r) for a, r in self.env.rewards.items()}

    @property
    def _cumulative_rewards(self) -> dict[str, float]:
        return {a: r + self._delta.get(a, 0.0) for a, r in self.env._cumulative_rewards.items()}

    @property
    def infos(self) -> dict[str, dict[str, Any]]:
        return {a: {**i, **self._infos.get(a, {})} for a, i in self.env.infos.items()}

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        self.env.reset(seed=seed, options=options)
        self._delta, self._rewards, self._infos, self._turns = {}, {}, {}, {}
        for core in self.cores.values():
            core.reset(None)

    def observe(self, agent: str) -> Any:
        return self.env.observe(agent)

    def last(self, observe: bool = True) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        agent = self.env.agent_selection
        obs, _, term, trunc, _ = self.env.last(observe)
        return obs, self._cumulative_rewards[agent], term, trunc, self.infos[agent]

    def step(self, action: Any) -> None:
        acting = self.env.agent_selection
        dead = bool(self.env.terminations.get(acting, False)) or bool(
            self.env.truncations.get(acting, False)
        )
        # The env zeroes the acting agent's cumulative reward: a new turn begins.
        self._delta[acting] = 0.0
        self._infos.pop(acting, None)
        if not dead:  # a copy: an env may update the observation's buffer in place
            self._turns[acting] = (copy.deepcopy(self.env.observe(acting)), action)
        self.env.step(action)
        self._rewards = {}
        ended = [a for a in self._turns if a not in self.env.agents]
        selected = self.env.agent_selection
        if selected in self._turns and selected not in ended:
            ended.append(selected)
        for agent in ended:
            self._end_turn(agent)

    def _end_turn(self, agent: str) -> None:
        """Evaluate the agent's turn that ends now (it is selected or has left)."""
        obs, action = self._turns.pop(agent)
        present = agent in self.env.agents
        after = self.env.observe(agent) if present else obs
        raw = float(self.env._cumulative_rewards.get(agent, 0.0))
        term = bool(self.env.terminations.get(agent, not present))
        trunc = bool(self.env.truncations.get(agent, False))
        info = self.env.infos.get(agent, {})
        t = Transitions.from_arrays(
            _batch1(obs), _batch1(action), _batch1(after), [raw], [term], [trunc],
            _batch1(info),
        )  # fmt: skip
        value, parts = self.cores[agent](t)
        shaped = float(value[0])
        self._delta[agent] = shaped - raw
        self._rewards[agent] = float(self.env.rewards.get(agent, 0.0)) + shaped - raw
        self._infos[agent] = {
            "reward_terms": {
                **info.get("reward_terms", {}),
                **{k: float(v[0]) for k, v in parts.items()},
            }
        }
        if term or trunc or not present:
            self.cores[agent].reset(None)
