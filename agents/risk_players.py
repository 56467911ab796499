"""Baseline players for the Risk board game (:mod:`rewardgym.envs.risk.risk_v0`).

:class:`RiskRandomPlayer` picks a legal action uniformly. :class:`RiskHeuristicPlayer`
plays a simple sound strategy: trade cards whenever it can, put all reinforcements on
the border territory with the best attack, attack while it has an advantage
(preferring continents it nearly owns), occupy with all but one army (half when the
attacking territory still faces enemies), and fortify by moving the largest interior
stack one step toward the front.

Both play through the env (``act(obs, info)``; the heuristic reads the board from
the env it was given) or directly on a :class:`~rewardgym.envs.risk._rules.RiskGame`
(``choose(game)``, used by :func:`play_game` for fast game-only matches).

>>> from rewardgym.agents.risk_players import RiskHeuristicPlayer, RiskRandomPlayer, play_game
>>> from rewardgym.envs.risk._rules import RiskGame
>>> game = RiskGame("tiny8", num_players=2, max_turns=200)
>>> play_game(game, [RiskHeuristicPlayer(), RiskRandomPlayer(seed=0)], seed=3)
0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from rewardgym.envs.risk._rules import Phase, RiskGame

__all__ = ["RiskHeuristicPlayer", "RiskPlayer", "RiskRandomPlayer", "play_game"]


class RiskPlayer(Protocol):
    """A player that picks an action for the player to move in a game."""

    def choose(self, game: RiskGame) -> int: ...


def _game_of(source: Any) -> RiskGame:
    if isinstance(source, RiskGame):
        return source
    game = getattr(getattr(source, "unwrapped", source), "game", None)
    if not isinstance(game, RiskGame):
        raise TypeError(
            f"expected a RiskGame or a risk_v0 env, got {type(source).__name__}; "
            "pass the env (wrapped or not) or its .unwrapped.game"
        )
    return game


class RiskRandomPlayer:
    """Uniform over the legal actions; seeded.

    ``act(obs, info)`` reads the ``action_mask`` of a risk_v0 observation;
    ``choose(game)`` plays on a game directly.
    """

    name = "random"

    def __init__(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, obs: dict[str, np.ndarray], info: dict[str, Any] | None = None) -> int:
        legal = np.flatnonzero(obs["action_mask"])
        if legal.size == 0:
            raise ValueError("no legal action in the mask: is it this agent's turn?")
        return int(self.rng.choice(legal))

    def choose(self, game: RiskGame) -> int:
        return int(self.rng.choice(game.legal_actions()))


class RiskHeuristicPlayer:
    """A rule-based Risk player.

    Args:
        source: the risk_v0 env (wrapped or not) or the :class:`RiskGame` that
            :meth:`act` reads the board from; not needed for :meth:`choose`.
        attack_margin: attack only when the source's armies exceed the target's by
            more than this (the source keeps one army back, so 1 means at least a
            two-army lead).
        continent_weight: how strongly targets in a mostly owned continent are
            preferred, in armies per fraction of the continent owned.
    """

    name = "heuristic"

    def __init__(
        self,
        source: Any = None,
        *,
        attack_margin: int = 1,
        continent_weight: float = 3.0,
    ) -> None:
        if attack_margin < 0:
            raise ValueError(f"attack_margin must be >= 0, got {attack_margin}")
        self.source = source
        self.attack_margin = int(attack_margin)
        self.continent_weight = float(continent_weight)

    def act(self, obs: Any = None, info: dict[str, Any] | None = None) -> int:
        """The action for the player to move in the game of the env given at
        construction."""
        if self.source is None:
            raise ValueError("RiskHeuristicPlayer needs the env (or game) to act on")
        return self.choose(_game_of(self.source))

    # -- the strategy --------------------------------------------------------------------------

    def choose(self, game: RiskGame) -> int:
        """The heuristic's action in ``game`` (always a legal one)."""
        mask = game.legal_mask()
        lay = game.layout
        phase = game.phase
        if phase == Phase.TRADE:
            sets = np.flatnonzero(mask[lay.trade + 1 : lay.trade + 5])
            return lay.trade + 1 + int(sets[0]) if sets.size else lay.trade
        if phase == Phase.REINFORCE:
            return self._reinforce(game)
        if phase == Phase.ATTACK:
            return self._attack(game, mask)
        if phase == Phase.OCCUPY:
            return self._occupy(game)
        if phase == Phase.FORTIFY:
            return self._fortify(game, mask)
        raise ValueError("the game is over; there is nothing to choose")

    def _continent_pull(self, game: RiskGame, p: int) -> np.ndarray:
        """Per territory: weight x the fraction of its continent that ``p`` owns."""
        owned = (game.owner == p).astype(np.float64)
        cont = game.map.continent_of
        frac = np.bincount(cont, weights=owned) / np.bincount(cont)
        return self.continent_weight * frac[cont]

    def _reinforce(self, game: RiskGame) -> int:
        p = game.current_player
        src, dst = game.map.edge_src, game.map.edge_dst
        front = (game.owner[src] == p) & (game.owner[dst] != p)
        lay = game.layout
        if not front.any():
            return lay.reinforce_all + int(np.flatnonzero(game.owner == p)[0])
        pull = self._continent_pull(game, p)
        score = game.armies[src] - game.armies[dst] + pull[dst]
        best = np.flatnonzero(front)[int(np.argmax(score[front]))]
        return lay.reinforce_all + int(src[best])

    def _attack(self, game: RiskGame, mask: np.ndarray) -> int:
        lay = game.layout
        edges = mask[lay.attack : lay.attack_stop].astype(bool)
        src, dst = game.map.edge_src, game.map.edge_dst
        lead = game.armies[src] - 1 - game.armies[dst]
        ok = edges & (lead >= self.attack_margin)
        if not ok.any():
            return lay.attack_stop
        score = lead + self._continent_pull(game, game.current_player)[dst]
        best = np.flatnonzero(ok)[int(np.argmax(score[ok]))]
        return lay.attack + int(best)

    def _occupy(self, game: RiskGame) -> int:
        p = game.current_player
        still_facing = any(game.owner[n] != p for n in game.map.neighbors[game.attack_from])
        return game.layout.occupy + (1 if still_facing else 2)

    def _fortify(self, game: RiskGame, mask: np.ndarray) -> int:
        p = game.current_player
        lay = game.layout
        dist = _distance_to_enemy(game, p)
        src, dst = game.map.edge_src, game.map.edge_dst
        edges = mask[lay.fortify_all : lay.end_turn].astype(bool)
        toward = edges & (dist[src] > 0) & (dist[dst] < dist[src])
        if not toward.any():
            return lay.end_turn
        # The largest interior stack moves; among its edges, the one closest to the front.
        key = game.armies[src] * (game.map.num_territories + 1) - dist[dst]
        best = np.flatnonzero(toward)[int(np.argmax(key[toward]))]
        return lay.fortify_all + int(best)


def _distance_to_enemy(game: RiskGame, p: int) -> np.ndarray:
    """Steps from each of ``p``'s territories to the nearest one bordering an enemy,
    moving through ``p``'s territories (a large number where no path exists)."""
    t = game.map.num_territories
    far = 2 * t
    dist = np.full(t, far, dtype=np.int64)
    frontier = [
        x
        for x in range(t)
        if game.owner[x] == p and any(game.owner[n] != p for n in game.map.neighbors[x])
    ]
    for x in frontier:
        dist[x] = 0
    while frontier:
        nxt = []
        for x in frontier:
            for n in game.map.neighbors[x]:
                if game.owner[n] == p and dist[n] == far:
                    dist[n] = dist[x] + 1
                    nxt.append(n)
        frontier = nxt
    return dist


def play_game(game: RiskGame, players: Sequence[RiskPlayer], seed: int | None = None) -> int | None:
    """Play one game to the end with ``players[i]`` moving for player ``i``; the game
    is reset with ``seed`` first. Returns the winner, or None at the turn cap."""
    if len(players) != game.num_players:
        raise ValueError(f"need {game.num_players} players, got {len(players)}")
    game.reset(np.random.default_rng(seed))
    while not game.done:
        game.step(players[game.current_player].choose(game))
    return game.winner
