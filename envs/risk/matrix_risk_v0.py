"""# Matrix Risk

Repeated two-player normal-form games with risky outcomes: the stag hunt, a trust
dilemma, chicken, the prisoner's dilemma, and games with rare catastrophes, where an
action with the higher mean payoff carries a small chance of a large loss. Any game
given by payoff matrices or per-cell payoff distributions plays the same way.

| Import             | `from rewardgym.envs.risk import matrix_risk_v0`  |
|--------------------|----------------------------------------------------|
| API                | Parallel (`parallel_env()`), AEC (`env()`)         |
| Agents             | `["player_0", "player_1"]` (row, column player)    |
| Action space       | `Discrete(n)` (row player), `Discrete(m)` (column) |
| Observation space  | `Box(0, 1, (n * m + 2,), float32)`                 |

## Games (``game=``)

Row player's payoffs; every preset is symmetric (the column player's matrix is the
transpose), actions listed in order.

| name                | actions           | row payoffs                             |
|---------------------|-------------------|-----------------------------------------|
| `stag_hunt`         | stag, hare        | `[[4, 0], [3, 3]]`                      |
| `trust_dilemma`     | trust, distrust   | `[[10, -10], [5, 2]]` (costly betrayal) |
| `chicken`           | swerve, straight  | `[[0, -1], [1, -10]]`                   |
| `prisoners_dilemma` | cooperate, defect | `[[3, 0], [5, 1]]`                      |
| `catastrophe`       | safe, risky       | see below                               |

`chicken`'s (straight, straight) cell is flagged as a catastrophe (a crash). In
`catastrophe` safe pays 3; risky pays 3.5 but loses 20 with probability 1 % (2 % when
both are risky: a joint catastrophe that hits both players). Risky is strictly
dominant in expectation (3.265 against safe, 3.03 against risky, both above 3), so
the only Nash equilibrium is (risky, risky), with a payoff variance of about 10.8,
while a risk-averse player (mean-variance weight ``gamma`` of 0.05 or more) plays
safe: variance 0 for a 1 % lower mean.

A custom game: ``payoffs=(A, B)`` (two ``(n, m)`` matrices, deterministic), or
``game=MatrixGame(...)`` with per-cell outcome distributions
(:meth:`MatrixGame.with_catastrophes` builds the common case: a base payoff and, in
chosen cells, a probability of a catastrophic loss).

## Observation

A player's observation is the one-hot of the last joint action seen from its side
(index ``own_action * num_opponent_actions + opponent_action``), then a flag that is
1 before the first round (no joint action yet), then the fraction of rounds played.

## Reward and info

Each round both players act at once and each receives its realised payoff.
``infos[agent]["catastrophe"]`` is True when the round's outcome is a catastrophic
one; ``infos[agent]["expected_payoff"]`` is the cell's expected payoff.

## Episode end

Terminated for both players after ``rounds`` rounds (default 10).

## Attributes for solvers

``expected_payoffs`` (``(A, B)``, the mean payoff matrices), ``second_moments``
(``(A2, B2)``, per-cell ``E[payoff^2]``) and ``catastrophe_probabilities`` (per-cell
probability of a catastrophic outcome) feed the solvers in
:mod:`rewardgym.agents.games`, e.g. ``risk_averse_equilibrium(*env.expected_payoffs,
gamma, second_moments=env.second_moments)``.

## Arguments

``game`` (a preset name or a :class:`MatrixGame`), ``payoffs`` (``(A, B)``; overrides
``game``), ``rounds``, ``render_mode`` (``"ansi"`` returns text, ``"human"`` prints it).

## Version history

* v0: first release.

## Example

>>> from rewardgym.envs.risk import matrix_risk_v0
>>> env = matrix_risk_v0.parallel_env(game="catastrophe", rounds=3)
>>> obs, infos = env.reset(seed=0)
>>> obs["player_0"]
array([0., 0., 0., 0., 1., 0.], dtype=float32)
>>> [round(float(m), 3) for m in env.expected_payoffs[0].ravel()]
[3.0, 3.0, 3.265, 3.03]
>>> obs, rewards, terms, truncs, infos = env.step({"player_0": 0, "player_1": 0})
>>> rewards, infos["player_0"]["catastrophe"]
({'player_0': 3.0, 'player_1': 3.0}, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv
from pettingzoo.utils import wrappers
from pettingzoo.utils.conversions import parallel_to_aec_wrapper

__all__ = ["PRESETS", "MatrixGame", "env", "parallel_env", "preset", "raw_env"]

AGENTS = ("player_0", "player_1")


@dataclass(frozen=True, eq=False)
class MatrixGame:
    """A two-player normal-form game whose cells are payoff distributions.

    ``outcomes[i, j, k] = (row payoff, column payoff)`` of outcome ``k`` of cell
    ``(i, j)``, drawn with probability ``probs[i, j, k]``; ``catastrophic[i, j, k]``
    marks catastrophic outcomes. Shapes ``(n, m, K, 2)``, ``(n, m, K)``, ``(n, m, K)``
    (cells with fewer outcomes pad with probability 0).
    """

    name: str
    outcomes: np.ndarray
    probs: np.ndarray
    catastrophic: np.ndarray
    row_actions: tuple[str, ...]
    col_actions: tuple[str, ...]

    def __post_init__(self) -> None:
        outcomes = np.asarray(self.outcomes, dtype=np.float64)
        probs = np.asarray(self.probs, dtype=np.float64)
        cat = np.asarray(self.catastrophic, dtype=bool)
        if outcomes.ndim != 4 or outcomes.shape[-1] != 2:
            raise ValueError(f"outcomes must have shape (n, m, K, 2), got {outcomes.shape}")
        if probs.shape != outcomes.shape[:3] or cat.shape != outcomes.shape[:3]:
            raise ValueError(
                f"probs and catastrophic must have shape {outcomes.shape[:3]} (n, m, K), "
                f"got {probs.shape} and {cat.shape}"
            )
        if not np.all(np.isfinite(outcomes)):
            raise ValueError("payoffs must be finite")
        if np.any(probs < 0) or not np.allclose(probs.sum(-1), 1.0, atol=1e-9):
            raise ValueError("each cell's outcome probabilities must be >= 0 and sum to 1")
        n, m = probs.shape[:2]
        if len(self.row_actions) != n or len(self.col_actions) != m:
            raise ValueError(f"need {n} row and {m} column action names")
        for name, value in (("outcomes", outcomes), ("probs", probs), ("catastrophic", cat)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_cdf", np.cumsum(probs, axis=-1))

    @classmethod
    def from_matrices(
        cls,
        A: Any,
        B: Any,
        *,
        name: str = "custom",
        catastrophic: Any | None = None,
        row_actions: tuple[str, ...] | None = None,
        col_actions: tuple[str, ...] | None = None,
    ) -> MatrixGame:
        """A deterministic game from the row and column payoff matrices;
        ``catastrophic`` (an ``(n, m)`` bool array) marks catastrophic cells."""
        A = np.asarray(A, dtype=np.float64)
        B = np.asarray(B, dtype=np.float64)
        if A.ndim != 2 or A.shape != B.shape or A.size == 0:
            raise ValueError(
                f"payoffs must be two non-empty (n, m) matrices of the same shape, got "
                f"{A.shape} and {B.shape}"
            )
        n, m = A.shape
        cat = np.zeros((n, m), bool) if catastrophic is None else np.asarray(catastrophic, bool)
        return cls(
            name=name,
            outcomes=np.stack([A, B], axis=-1)[:, :, None, :],
            probs=np.ones((n, m, 1)),
            catastrophic=cat.reshape(n, m, 1),
            row_actions=row_actions or tuple(f"action_{i}" for i in range(n)),
            col_actions=col_actions or tuple(f"action_{j}" for j in range(m)),
        )

    @classmethod
    def with_catastrophes(
        cls,
        A: Any,
        B: Any,
        probability: Any,
        row_loss: Any,
        col_loss: Any,
        *,
        name: str = "custom",
        row_actions: tuple[str, ...] | None = None,
        col_actions: tuple[str, ...] | None = None,
    ) -> MatrixGame:
        """Cell ``(i, j)`` pays ``(A[i, j], B[i, j])``, except that with probability
        ``probability[i, j]`` a catastrophe replaces it by ``(row_loss[i, j],
        col_loss[i, j])``. Scalars broadcast over the cells."""
        A = np.asarray(A, dtype=np.float64)
        B = np.asarray(B, dtype=np.float64)
        base = cls.from_matrices(A, B)
        shape = A.shape
        prob = np.broadcast_to(np.asarray(probability, np.float64), shape)
        if np.any(prob < 0) or np.any(prob > 1):
            raise ValueError("catastrophe probabilities must be in [0, 1]")
        loss = np.stack(
            [np.broadcast_to(np.asarray(x, np.float64), shape) for x in (row_loss, col_loss)], -1
        )
        outcomes = np.concatenate([base.outcomes, loss[:, :, None, :]], axis=2)
        probs = np.stack([1.0 - prob, prob], axis=-1)
        cat = np.zeros(probs.shape, bool)
        cat[..., 1] = True
        return cls(
            name=name,
            outcomes=outcomes,
            probs=probs,
            catastrophic=cat,
            row_actions=row_actions or base.row_actions,
            col_actions=col_actions or base.col_actions,
        )

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.probs.shape[0]), int(self.probs.shape[1])

    @property
    def expected_payoffs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, B)``: each player's expected payoff in every cell."""
        mean = np.einsum("ijk,ijkp->ijp", self.probs, self.outcomes)
        return mean[..., 0], mean[..., 1]

    @property
    def second_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A2, B2)``: each player's ``E[payoff^2]`` in every cell."""
        m2 = np.einsum("ijk,ijkp->ijp", self.probs, self.outcomes**2)
        return m2[..., 0], m2[..., 1]

    @property
    def catastrophe_probabilities(self) -> np.ndarray:
        """Probability of a catastrophic outcome in every cell, ``(n, m)``."""
        return np.where(self.catastrophic, self.probs, 0.0).sum(-1)

    def sample(self, i: int, j: int, u: float) -> tuple[float, float, bool]:
        """The outcome of cell ``(i, j)`` for a uniform draw ``u`` in [0, 1)."""
        cdf = self._cdf[i, j]  # type: ignore[attr-defined]
        k = min(int(np.searchsorted(cdf, u, side="right")), cdf.size - 1)
        while self.probs[i, j, k] == 0.0 and k > 0:  # never land on a padded outcome
            k -= 1
        row, col = self.outcomes[i, j, k]
        return float(row), float(col), bool(self.catastrophic[i, j, k])


def _symmetric(name: str, A: Any, actions: tuple[str, str], catastrophic: Any = None) -> MatrixGame:
    A = np.asarray(A, dtype=np.float64)
    cat = None if catastrophic is None else np.asarray(catastrophic, bool)
    return MatrixGame.from_matrices(
        A, A.T, name=name, catastrophic=cat, row_actions=actions, col_actions=actions
    )


def _catastrophe_game() -> MatrixGame:
    # safe pays 3; risky pays 3.5 with a catastrophic -20 at 1 % (2 % when both are
    # risky, a joint catastrophe that hits both players)
    outcomes = np.zeros((2, 2, 2, 2))
    probs = np.zeros((2, 2, 2))
    cat = np.zeros((2, 2, 2), bool)
    outcomes[0, 0, 0], probs[0, 0, 0] = (3.0, 3.0), 1.0
    outcomes[0, 1, 0], outcomes[0, 1, 1] = (3.0, 3.5), (3.0, -20.0)
    outcomes[1, 0, 0], outcomes[1, 0, 1] = (3.5, 3.0), (-20.0, 3.0)
    probs[0, 1] = probs[1, 0] = (0.99, 0.01)
    outcomes[1, 1, 0], outcomes[1, 1, 1] = (3.5, 3.5), (-20.0, -20.0)
    probs[1, 1] = (0.98, 0.02)
    cat[0, 1, 1] = cat[1, 0, 1] = cat[1, 1, 1] = True
    actions = ("safe", "risky")
    return MatrixGame("catastrophe", outcomes, probs, cat, actions, actions)


def preset(name: str) -> MatrixGame:
    """The preset game called ``name`` (one of :data:`PRESETS`)."""
    if name == "stag_hunt":
        return _symmetric(name, [[4, 0], [3, 3]], ("stag", "hare"))
    if name == "trust_dilemma":
        return _symmetric(name, [[10, -10], [5, 2]], ("trust", "distrust"))
    if name == "chicken":
        return _symmetric(
            name, [[0, -1], [1, -10]], ("swerve", "straight"), [[False, False], [False, True]]
        )
    if name == "prisoners_dilemma":
        return _symmetric(name, [[3, 0], [5, 1]], ("cooperate", "defect"))
    if name == "catastrophe":
        return _catastrophe_game()
    raise ValueError(f"unknown game {name!r}; choose one of {', '.join(PRESETS)} or pass payoffs=")


#: Names of the preset games.
PRESETS = ("stag_hunt", "trust_dilemma", "chicken", "prisoners_dilemma", "catastrophe")


class raw_env(ParallelEnv):
    """Repeated two-player matrix game with risky outcomes; see the module docstring."""

    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": ["ansi", "human"],
        "name": "matrix_risk_v0",
        "is_parallelizable": True,
    }

    def __init__(
        self,
        game: str | MatrixGame = "stag_hunt",
        payoffs: tuple[Any, Any] | None = None,
        rounds: int = 10,
        render_mode: str | None = None,
    ):
        if payoffs is not None:
            if len(payoffs) != 2:
                raise ValueError("payoffs must be a pair (A, B) of row and column payoff matrices")
            game = MatrixGame.from_matrices(*payoffs)
        self.game: MatrixGame = preset(game) if isinstance(game, str) else game
        if not isinstance(self.game, MatrixGame):
            raise TypeError(
                f"game must be a preset name or a MatrixGame, got {type(game).__name__}"
            )
        if int(rounds) != rounds or rounds < 1:
            raise ValueError(f"rounds must be a positive integer, got {rounds}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, "
                f"got {render_mode!r}"
            )
        self.rounds = int(rounds)
        self.render_mode = render_mode
        self.possible_agents = list(AGENTS)
        self.agents: list[str] = []
        n, m = self.game.shape
        self._num_actions = {"player_0": n, "player_1": m}
        self._action_spaces = {a: spaces.Discrete(k) for a, k in self._num_actions.items()}
        self._observation_spaces = {
            a: spaces.Box(0.0, 1.0, (n * m + 2,), np.float32) for a in AGENTS
        }
        self.np_random, _ = seeding.np_random(None)
        self.round = 0
        self.last_joint_action: tuple[int, int] | None = None
        self.last_payoffs: tuple[float, float] | None = None

    # attributes for the solvers
    @property
    def expected_payoffs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, B)``, the expected payoff matrices (row player, column player)."""
        return self.game.expected_payoffs

    @property
    def second_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A2, B2)``, the per-cell second moments of the payoffs."""
        return self.game.second_moments

    @property
    def catastrophe_probabilities(self) -> np.ndarray:
        return self.game.catastrophe_probabilities

    def observation_space(self, agent: str) -> spaces.Box:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Discrete:
        return self._action_spaces[agent]

    def _observe(self, agent: str) -> np.ndarray:
        n, m = self.game.shape
        obs = np.zeros(n * m + 2, dtype=np.float32)
        if self.last_joint_action is None:
            obs[n * m] = 1.0
        else:
            i, j = self.last_joint_action
            obs[i * m + j if agent == "player_0" else j * n + i] = 1.0
        obs[-1] = self.round / self.rounds
        return obs

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self.agents = list(self.possible_agents)
        self.round = 0
        self.last_joint_action = None
        self.last_payoffs = None
        return {a: self._observe(a) for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions: dict[str, Any]) -> tuple[dict[str, Any], ...]:
        if not self.agents:
            raise RuntimeError("the game is over; call reset() before step()")
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError(f"actions missing for {missing}; every player acts every round")
        i, j = int(actions["player_0"]), int(actions["player_1"])
        for agent, a in (("player_0", i), ("player_1", j)):
            if not self._action_spaces[agent].contains(a):
                raise ValueError(f"{agent}: action {a} is outside {self._action_spaces[agent]}")
        row, col, catastrophe = self.game.sample(i, j, float(self.np_random.random()))
        self.round += 1
        self.last_joint_action = (i, j)
        self.last_payoffs = (row, col)
        done = self.round >= self.rounds
        mean_row, mean_col = (float(M[i, j]) for M in self.game.expected_payoffs)
        obs = {a: self._observe(a) for a in self.agents}
        rewards = {"player_0": row, "player_1": col}
        terms = {a: done for a in self.agents}
        truncs = {a: False for a in self.agents}
        infos = {
            "player_0": {"catastrophe": catastrophe, "expected_payoff": mean_row},
            "player_1": {"catastrophe": catastrophe, "expected_payoff": mean_col},
        }
        if done:
            self.agents = []
        return obs, rewards, terms, truncs, infos

    def _text(self) -> str:
        head = f"{self.game.name} round {self.round}/{self.rounds}"
        if self.last_joint_action is None:
            return head
        i, j = self.last_joint_action
        row, col = self.last_payoffs or (0.0, 0.0)
        return (
            f"{head}: player_0 {self.game.row_actions[i]} ({row:+g}), "
            f"player_1 {self.game.col_actions[j]} ({col:+g})"
        )

    def render(self) -> str | None:
        if self.render_mode is None:
            return None
        text = self._text()
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        pass


def parallel_env(**kwargs: Any) -> raw_env:
    """The Parallel env (arguments as :class:`raw_env`)."""
    return raw_env(**kwargs)


def env(**kwargs: Any) -> Any:
    """The AEC env: :func:`parallel_env` through ``parallel_to_aec`` with PettingZoo's
    standard wrappers (out-of-bounds action assertion, order enforcement)."""
    aec = parallel_to_aec_wrapper(raw_env(**kwargs))
    aec = wrappers.AssertOutOfBoundsWrapper(aec)
    return wrappers.OrderEnforcingWrapper(aec)
