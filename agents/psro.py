"""Policy-Space Response Oracles (PSRO) for two-player games, with pluggable
meta-solvers and best-response oracles, tracking the risk of every meta-game entry.

PSRO keeps a population of policies per player. Each iteration it

1. solves the *meta-game* (the empirical normal-form game between the two
   populations) with a meta-solver (``"uniform"``, ``"nash"``, ``"replicator"`` or
   ``"rae"``; see :func:`rewardgym.agents.games.get_meta_solver`) for a mixture
   ``(p, q)`` over each population;
2. asks an oracle for each player's best response to the opponent's mixture and
   adds it to the player's population (unless it is already there);
3. fills the new rows and columns of the meta-game by Monte-Carlo episodes.

Each meta-game entry stores the mean AND the second moment of both players'
episode payoffs (and the catastrophe rate), so the risk-averse meta-solver sees the
within-entry variance of stochastic outcomes, not only the spread across entries.
A payoff is an episode's return minus ``cost_weight`` times its summed
``info["cost"]``.

Games (what PSRO plays): :class:`ParallelEnvGame` runs any two-agent PettingZoo
Parallel env episode by episode; :class:`SimulatorGame` uses a batched simulator
(e.g. :class:`rewardgym.envs.risk.intersection_v0.IntersectionSimulator`).

Oracles: :class:`EnumerativeOracle` returns the exact best response within a finite
candidate set (cheap policies, tests, the quick benchmark); :class:`RLOracle` trains
a Stable-Baselines3 PPO agent against opponents sampled from the mixture through a
single-agent Gymnasium view of the game (:class:`SingleAgentView`).

>>> from rewardgym.agents.psro import PSRO, PSROConfig, ConstantPolicy, EnumerativeOracle
>>> from rewardgym.agents.psro import ParallelEnvGame
>>> from rewardgym.envs.risk import matrix_risk_v0
>>> rps = [[0, -1, 1], [1, 0, -1], [-1, 1, 0]]
>>> game = ParallelEnvGame(lambda: matrix_risk_v0.parallel_env(
...     payoffs=(rps, [[-x for x in row] for row in rps]), rounds=1))
>>> moves = [ConstantPolicy(a) for a in range(3)]
>>> psro = PSRO(game, EnumerativeOracle(game, moves, episodes=1),
...             ([moves[0]], [moves[0]]), PSROConfig(iterations=5, episodes=1, meta_solver="nash"))
>>> result = psro.run()
>>> sorted(p.name for p in result.populations[0]), result.mixtures[0].round(3).tolist()
(['constant(0)', 'constant(1)', 'constant(2)'], [0.333, 0.333, 0.333])
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np

from rewardgym.agents.games import META_SOLVERS, get_meta_solver

__all__ = [
    "PSRO",
    "ConstantPolicy",
    "EnumerativeOracle",
    "Episodes",
    "Game",
    "MetaGame",
    "PSROConfig",
    "PSROResult",
    "ParallelEnvGame",
    "Policy",
    "RLOracle",
    "RandomPolicy",
    "SB3Policy",
    "SimulatorGame",
    "SingleAgentView",
    "evaluate_mixture",
]

CATASTROPHE_KEYS = ("crashed", "catastrophe")


# -- policies ----------------------------------------------------------------------------


@runtime_checkable
class Policy(Protocol):
    """What PSRO needs of a policy: a ``name`` and ``act(obs) -> action``; batched
    simulators also call ``act_batch(obs (B, ...)) -> (B,)``."""

    name: str

    def act(self, obs: Any) -> Any: ...


class ConstantPolicy:
    """Always plays ``action`` (a pure strategy of a matrix game)."""

    def __init__(self, action: int):
        self.action = int(action)
        self.name = f"constant({self.action})"

    def __repr__(self) -> str:
        return self.name

    def act(self, obs: Any) -> int:
        return self.action

    def act_batch(self, obs: np.ndarray) -> np.ndarray:
        return np.full(len(obs), self.action, dtype=np.int64)


class RandomPolicy:
    """Uniform over ``n`` discrete actions from its own seeded generator (the usual
    initial population of PSRO)."""

    def __init__(self, n: int, seed: int | None = 0, name: str = "random"):
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self.n = int(n)
        self.name = name
        self._rng = np.random.default_rng(seed)

    def __repr__(self) -> str:
        return self.name

    def act(self, obs: Any) -> int:
        return int(self._rng.integers(self.n))

    def act_batch(self, obs: np.ndarray) -> np.ndarray:
        return self._rng.integers(self.n, size=len(obs))


class SB3Policy:
    """A trained Stable-Baselines3 model as a deterministic policy."""

    def __init__(self, model: Any, name: str):
        self.model = model
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def act(self, obs: Any) -> int:
        action, _ = self.model.predict(np.asarray(obs), deterministic=True)
        return int(np.asarray(action).reshape(-1)[0])

    def act_batch(self, obs: np.ndarray) -> np.ndarray:
        action, _ = self.model.predict(np.asarray(obs), deterministic=True)
        return np.asarray(action, dtype=np.int64).reshape(len(obs))


# -- games -------------------------------------------------------------------------------


@dataclass
class Episodes:
    """Outcomes of a batch of episodes: ``payoffs`` ``(E, 2)`` (return minus weighted
    cost, per player) and ``catastrophes`` ``(E,)`` (catastrophic events per episode)."""

    payoffs: np.ndarray
    catastrophes: np.ndarray

    @staticmethod
    def concat(parts: Sequence[Episodes]) -> Episodes:
        return Episodes(
            np.concatenate([e.payoffs for e in parts]).reshape(-1, 2),
            np.concatenate([e.catastrophes for e in parts]),
        )


class Game(Protocol):
    """A two-player game PSRO can sample: ``play((policy_0, policy_1), episodes, seed)``."""

    def play(self, policies: tuple[Any, Any], episodes: int, seed: int) -> Episodes: ...


class ParallelEnvGame:
    """A two-agent PettingZoo Parallel env as a game, one episode at a time.

    ``env_fn()`` makes the env (wrappers included); player ``k`` is
    ``env.possible_agents[k]``. A catastrophe is an info with ``"crashed"`` or
    ``"catastrophe"`` true (each agent's flag counted once per step)."""

    def __init__(self, env_fn: Callable[[], Any], cost_weight: float = 0.0):
        self.env_fn = env_fn
        self.cost_weight = float(cost_weight)
        self._env = env_fn()
        if len(self._env.possible_agents) != 2:
            raise ValueError(
                f"PSRO plays two-player games; this env has {len(self._env.possible_agents)} agents"
            )
        self.agents = list(self._env.possible_agents)

    def play(self, policies: tuple[Any, Any], episodes: int, seed: int) -> Episodes:
        env = self._env
        payoffs = np.zeros((episodes, 2))
        catastrophes = np.zeros(episodes)
        by_agent = dict(zip(self.agents, policies, strict=True))
        for e in range(episodes):
            obs, _ = env.reset(seed=int(seed) + e)
            while env.agents:
                actions = {a: by_agent[a].act(obs[a]) for a in env.agents}
                obs, rewards, _, _, infos = env.step(actions)
                events = 0
                for k, a in enumerate(self.agents):
                    info = infos.get(a, {})
                    payoffs[e, k] += float(rewards.get(a, 0.0))
                    payoffs[e, k] -= self.cost_weight * float(info.get("cost", 0.0))
                    events += any(bool(info.get(key, False)) for key in CATASTROPHE_KEYS)
                catastrophes[e] += events > 0
        return Episodes(payoffs, catastrophes)


class SimulatorGame:
    """A game backed by a batched simulator with ``rollout(policies, episodes, seed)``
    returning per-episode ``returns``, ``costs`` and ``crashed`` arrays ``(E, 2)``
    (as :class:`~rewardgym.envs.risk.intersection_v0.IntersectionSimulator`)."""

    def __init__(self, simulator: Any, cost_weight: float = 0.0):
        self.simulator = simulator
        self.cost_weight = float(cost_weight)

    def play(self, policies: tuple[Any, Any], episodes: int, seed: int) -> Episodes:
        out = self.simulator.rollout(list(policies), episodes, seed=int(seed))
        payoffs = np.asarray(out.returns, dtype=np.float64) - self.cost_weight * np.asarray(
            out.costs, dtype=np.float64
        )
        crashed = np.asarray(out.crashed, dtype=bool)
        # a crash involves both cars: count one catastrophe per episode with any crash
        return Episodes(payoffs, np.asarray(crashed.any(axis=1), dtype=np.float64))


def _seed(*parts: Any) -> int:
    """A stable 31-bit seed from strings and integers (Python's hash() is salted)."""
    return zlib.crc32("/".join(str(p) for p in parts).encode()) & 0x7FFFFFFF


def evaluate_mixture(
    game: Game,
    populations: tuple[Sequence[Any], Sequence[Any]],
    mixtures: tuple[np.ndarray, np.ndarray],
    episodes: int,
    seed: int,
) -> Episodes:
    """Self-play evaluation of a mixture pair: each episode draws one policy per
    player from its mixture (independently) and plays it."""
    rng = np.random.default_rng(seed)
    i = rng.choice(len(populations[0]), size=episodes, p=mixtures[0])
    j = rng.choice(len(populations[1]), size=episodes, p=mixtures[1])
    parts = []
    for a in np.unique(i):
        for b in np.unique(j[i == a]):
            count = int(np.sum((i == a) & (j == b)))
            parts.append(
                game.play((populations[0][a], populations[1][b]), count, _seed(seed, a, b))
            )
    return Episodes.concat(parts)


# -- the meta-game -----------------------------------------------------------------------


class MetaGame:
    """The empirical payoff tensor between two populations: for every entry
    ``(i, j)``, each player's mean payoff ``mean[k, i, j]``, second moment
    ``second[k, i, j]`` (``E[payoff^2]``), the catastrophe rate and the episode count."""

    def __init__(self) -> None:
        self.mean = np.zeros((2, 0, 0))
        self.second = np.zeros((2, 0, 0))
        self.catastrophe_rate = np.zeros((0, 0))
        self.count = np.zeros((0, 0), dtype=np.int64)

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.count.shape[0]), int(self.count.shape[1])

    def grow(self, rows: int, cols: int) -> None:
        """Make room for a ``(rows, cols)`` table, new entries unfilled."""
        n, m = self.shape
        pad = ((0, rows - n), (0, cols - m))
        self.mean = np.pad(self.mean, ((0, 0), *pad))
        self.second = np.pad(self.second, ((0, 0), *pad))
        self.catastrophe_rate = np.pad(self.catastrophe_rate, pad)
        self.count = np.pad(self.count, pad)

    def record(self, i: int, j: int, episodes: Episodes) -> None:
        """Merge a batch of episodes into entry ``(i, j)``."""
        e = len(episodes.payoffs)
        old = self.count[i, j]
        total = old + e
        for k in range(2):
            x = episodes.payoffs[:, k]
            self.mean[k, i, j] = (self.mean[k, i, j] * old + x.sum()) / total
            self.second[k, i, j] = (self.second[k, i, j] * old + (x * x).sum()) / total
        rate = (self.catastrophe_rate[i, j] * old + episodes.catastrophes.sum()) / total
        self.catastrophe_rate[i, j] = rate
        self.count[i, j] = total

    @property
    def variance(self) -> np.ndarray:
        """Per-entry payoff variance ``(2, n, m)``."""
        return np.maximum(self.second - self.mean**2, 0.0)

    def matrices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(A, B, A2, B2)`` for the meta-solver."""
        return self.mean[0], self.mean[1], self.second[0], self.second[1]


# -- oracles -----------------------------------------------------------------------------


class EnumerativeOracle:
    """The exact best response within a finite set of candidate policies.

    Each candidate's payoff against each opponent policy is estimated once from
    ``episodes`` episodes and cached; the best response to a mixture maximises
    ``mean - risk_aversion * variance`` of the payoff against the mixture (the mean
    by default). ``candidates`` is one list for both players or a pair of lists."""

    def __init__(
        self,
        game: Game,
        candidates: Sequence[Any] | tuple[Sequence[Any], Sequence[Any]],
        *,
        episodes: int = 200,
        risk_aversion: float = 0.0,
        seed: int = 0,
    ):
        if (
            isinstance(candidates, tuple)
            and len(candidates) == 2
            and all(isinstance(c, (list, tuple)) for c in candidates)
        ):
            self.candidates: tuple[list[Any], list[Any]] = (
                list(candidates[0]),
                list(candidates[1]),
            )
        else:
            self.candidates = (list(candidates), list(candidates))
        if not self.candidates[0] or not self.candidates[1]:
            raise ValueError("the candidate set must not be empty")
        if episodes < 1 or risk_aversion < 0:
            raise ValueError("need episodes >= 1 and risk_aversion >= 0")
        self.game = game
        self.episodes = int(episodes)
        self.risk_aversion = float(risk_aversion)
        self.seed = int(seed)
        self._cache: dict[tuple[int, int, str], tuple[float, float]] = {}

    def _moments(self, player: int, c: int, opponent: Any) -> tuple[float, float]:
        key = (player, c, opponent.name)
        if key not in self._cache:
            cand = self.candidates[player][c]
            pair = (cand, opponent) if player == 0 else (opponent, cand)
            out = self.game.play(pair, self.episodes, _seed(self.seed, *key, cand.name))
            x = out.payoffs[:, player]
            self._cache[key] = (float(x.mean()), float((x * x).mean()))
        return self._cache[key]

    def values(self, player: int, opponents: Sequence[Any], weights: np.ndarray) -> np.ndarray:
        """Objective of every candidate against the mixture."""
        out = np.empty(len(self.candidates[player]))
        support = [(o, w) for o, w in zip(opponents, weights, strict=True) if w > 1e-9]
        for c in range(len(out)):
            mean = second = 0.0
            for opp, w in support:
                m, s = self._moments(player, c, opp)
                mean += w * m
                second += w * s
            out[c] = mean - self.risk_aversion * max(second - mean * mean, 0.0)
        return out

    def best_response(
        self, player: int, opponents: Sequence[Any], weights: np.ndarray, seed: int
    ) -> Any:
        values = self.values(player, opponents, np.asarray(weights, dtype=np.float64))
        return self.candidates[player][int(np.argmax(values))]


class SingleAgentView(gym.Env[np.ndarray, Any]):
    """One player's view of a two-agent Parallel env as a Gymnasium env: the other
    player is a policy drawn from ``(opponents, weights)`` at every reset. Reward:
    the learner's reward minus ``cost_weight * c + risk_aversion * (cost_weight *
    c)^2`` with ``c = info["cost"]``; the episode ends when the learner is done."""

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 - Gymnasium's convention

    def __init__(
        self,
        env_fn: Callable[[], Any],
        player: int,
        opponents: Sequence[Any],
        weights: Sequence[float],
        cost_weight: float = 0.0,
        risk_aversion: float = 0.0,
    ):
        self.env = env_fn()
        agents = list(self.env.possible_agents)
        if len(agents) != 2 or player not in (0, 1):
            raise ValueError("SingleAgentView needs a two-agent env and player 0 or 1")
        self.me, self.other = agents[player], agents[1 - player]
        self.opponents = list(opponents)
        w = np.asarray(weights, dtype=np.float64)
        self.weights = w / w.sum()
        self.cost_weight = float(cost_weight)
        self.risk_aversion = float(risk_aversion)
        self.observation_space = self.env.observation_space(self.me)
        self.action_space = self.env.action_space(self.me)
        self._opponent: Any = None
        self._obs: dict[str, Any] = {}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        k = int(self.np_random.choice(len(self.opponents), p=self.weights))
        self._opponent = self.opponents[k]
        env_seed = int(self.np_random.integers(2**31))
        self._obs, infos = self.env.reset(seed=env_seed)
        return self._obs[self.me], infos.get(self.me, {})

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        actions = {self.me: action}
        if self.other in self.env.agents:
            actions[self.other] = self._opponent.act(self._obs[self.other])
        obs, rewards, terms, truncs, infos = self.env.step(actions)
        self._obs.update(obs)
        info = infos.get(self.me, {})
        cost = self.cost_weight * float(info.get("cost", 0.0))
        reward = float(rewards[self.me]) - cost - self.risk_aversion * cost * cost
        return obs[self.me], reward, bool(terms[self.me]), bool(truncs[self.me]), info


class RLOracle:
    """Best responses trained by Stable-Baselines3 PPO against opponents sampled
    from the meta-mixture (through :class:`SingleAgentView`), ``total_timesteps``
    steps each, on ``n_envs`` copies of the env (``DummyVecEnv``).

    ``risk_aversion = gamma > 0`` trains a risk-averse best response: each step's
    weighted cost ``w c`` is also penalised by ``gamma (w c)^2``, so the objective is
    ``E[return] - w E[C] - gamma w^2 E[C^2]`` for the episode cost ``C`` when costs
    are single events (a crash): the second moment of the catastrophic part of the
    payoff, which dominates its variance when catastrophes are rare. (Variance
    itself is not additive over steps, so it is not a reward PPO can take.)"""

    def __init__(
        self,
        env_fn: Callable[[], Any],
        *,
        total_timesteps: int = 20_000,
        cost_weight: float = 0.0,
        risk_aversion: float = 0.0,
        n_envs: int = 4,
        ppo_kwargs: dict[str, Any] | None = None,
    ):
        if total_timesteps < 1 or n_envs < 1:
            raise ValueError("total_timesteps and n_envs must be >= 1")
        if risk_aversion < 0:
            raise ValueError(f"risk_aversion must be >= 0, got {risk_aversion}")
        self.risk_aversion = float(risk_aversion)
        self.env_fn = env_fn
        self.total_timesteps = int(total_timesteps)
        self.cost_weight = float(cost_weight)
        self.n_envs = int(n_envs)
        self.ppo_kwargs = {
            "n_steps": 256,
            "batch_size": 256,
            "n_epochs": 5,
            "learning_rate": 1e-3,
            "gamma": 0.995,
            "ent_coef": 0.01,
            **(ppo_kwargs or {}),
        }
        self._count = [0, 0]

    def best_response(
        self, player: int, opponents: Sequence[Any], weights: np.ndarray, seed: int
    ) -> SB3Policy:
        from stable_baselines3 import PPO
        from stable_baselines3.common.vec_env import DummyVecEnv

        support = [(o, w) for o, w in zip(opponents, weights, strict=True) if w > 1e-9]
        opps, w = [o for o, _ in support], [x for _, x in support]

        def make(rank: int) -> Callable[[], gym.Env[Any, Any]]:
            return lambda: SingleAgentView(
                self.env_fn, player, opps, w, self.cost_weight, self.risk_aversion
            )

        venv = DummyVecEnv([make(r) for r in range(self.n_envs)])
        venv.seed(int(seed))
        model = PPO("MlpPolicy", venv, seed=int(seed), device="cpu", verbose=0, **self.ppo_kwargs)
        model.learn(total_timesteps=self.total_timesteps)
        venv.close()
        self._count[player] += 1
        return SB3Policy(model, f"ppo(player={player}, k={self._count[player]}, seed={seed})")


# -- PSRO --------------------------------------------------------------------------------


@dataclass
class PSROConfig:
    """Settings of a PSRO run."""

    iterations: int = 5  #: best-response rounds (each may add one policy per player)
    meta_solver: str = "nash"  #: "uniform", "nash", "replicator" or "rae"
    meta_solver_kwargs: dict[str, Any] = field(default_factory=dict)  #: e.g. {"gamma": 1.0}
    episodes: int = 200  #: Monte-Carlo episodes per meta-game entry
    seed: int = 0

    def __post_init__(self) -> None:
        if self.meta_solver not in META_SOLVERS:
            raise ValueError(
                f"unknown meta_solver {self.meta_solver!r}; choose one of {', '.join(META_SOLVERS)}"
            )
        if self.iterations < 0 or self.episodes < 1:
            raise ValueError("need iterations >= 0 and episodes >= 1")


@dataclass
class PSROResult:
    """Final populations, meta-game and meta-mixture of a PSRO run, with a log of
    every iteration (population sizes, mixtures, policies added)."""

    populations: tuple[list[Any], list[Any]]
    meta_game: MetaGame
    mixtures: tuple[np.ndarray, np.ndarray]
    history: list[dict[str, Any]]
    converged: bool


class PSRO:
    """PSRO over ``game`` with ``oracle`` (an object with
    ``best_response(player, opponents, weights, seed) -> policy``), starting from
    ``initial_policies = (population_0, population_1)``."""

    def __init__(
        self,
        game: Game,
        oracle: Any,
        initial_policies: tuple[Sequence[Any], Sequence[Any]],
        config: PSROConfig | None = None,
    ):
        self.game = game
        self.oracle = oracle
        self.config = config or PSROConfig()
        self.populations: tuple[list[Any], list[Any]] = (
            list(initial_policies[0]),
            list(initial_policies[1]),
        )
        if not self.populations[0] or not self.populations[1]:
            raise ValueError("each player needs at least one initial policy")
        self.solver = get_meta_solver(self.config.meta_solver, **self.config.meta_solver_kwargs)
        self.meta_game = MetaGame()
        self._fill()

    def _fill(self) -> None:
        n, m = len(self.populations[0]), len(self.populations[1])
        old_n, old_m = self.meta_game.shape
        self.meta_game.grow(n, m)
        for i in range(n):
            for j in range(m):
                if i < old_n and j < old_m:
                    continue
                a, b = self.populations[0][i], self.populations[1][j]
                seed = _seed(self.config.seed, "entry", a.name, b.name)
                self.meta_game.record(i, j, self.game.play((a, b), self.config.episodes, seed))

    def solve(self) -> tuple[np.ndarray, np.ndarray]:
        """The meta-solver's mixture pair on the current meta-game."""
        A, B, A2, B2 = self.meta_game.matrices()
        p, q = self.solver(A, B, A2, B2)
        return np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)

    def run(self, callback: Callable[[dict[str, Any]], None] | None = None) -> PSROResult:
        """Run ``config.iterations`` iterations (stopping early when neither oracle
        finds a new policy) and solve the final meta-game."""
        history: list[dict[str, Any]] = []
        converged = False
        for it in range(self.config.iterations):
            p, q = self.solve()
            added: list[str | None] = []
            frozen = (list(self.populations[0]), list(self.populations[1]))
            for player, (opp_pop, mix) in enumerate(((frozen[1], q), (frozen[0], p))):
                seed = _seed(self.config.seed, "oracle", it, player)
                policy = self.oracle.best_response(player, opp_pop, mix, seed)
                names = {x.name for x in self.populations[player]}
                if policy.name in names:
                    added.append(None)
                else:
                    self.populations[player].append(policy)
                    added.append(policy.name)
            record = {
                "iteration": it,
                "mixtures": [p.tolist(), q.tolist()],
                "added": added,
                "sizes": [len(x) for x in self.populations],
            }
            history.append(record)
            if callback is not None:
                callback(record)
            if added == [None, None]:
                converged = True
                break
            self._fill()
        p, q = self.solve()
        return PSROResult(
            populations=(list(self.populations[0]), list(self.populations[1])),
            meta_game=self.meta_game,
            mixtures=(p, q),
            history=history,
            converged=converged,
        )
