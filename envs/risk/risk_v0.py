"""
# Risk

| Import             | `from rewardgym.envs.risk import risk_v0`                 |
|--------------------|-----------------------------------------------------------|
| Registry id        | `rewardgym/risk_v0` (kind `aec`)                          |
| Actions            | Discrete                                                  |
| Parallel API       | No                                                        |
| Agents             | `['player_0', ..., 'player_{n-1}']`, 2 to 6               |
| Action Values      | Discrete(10 + 2 T + 4 E) (T territories, E directed edges)|
| Observation Shape  | dict: `observation` (D,), `action_mask` (K,)              |
| Observation Values | [0, 1]                                                    |

The Risk board game for 2 to 6 players on a map read from JSON: the classic
42-territory world (default) or the 4-, 6- and 8-territory test maps `tiny4`,
`tiny6`, `tiny8` (or any map file, see `rewardgym.envs.risk._rules.MAP_SCHEMA`).
Territories are dealt at random from the seed, one army on each, and each
player's remaining starting armies go on random territories of theirs.
`player_0` moves first.

A turn has five phases; each action is one decision and the phase decides which
block of the action space is unmasked:

1. **Trade** a card set (three of a kind or one of each symbol) for armies: 4, 6, 8,
   10, 12, 15, then 5 more per set, counted over the whole game. Holding 5 or more
   cards forces a trade.
2. **Reinforce**: max(3, territories // 3) armies plus the bonus of every continent
   owned entirely, plus traded armies, placed one at a time or all at once.
3. **Attack** along an edge from a territory with at least 2 armies to an enemy
   territory: one action is one dice round, the attacker rolling up to 3 dice (one
   fewer than its armies) and the defender up to 2; sorted dice are compared in
   pairs and ties go to the defender. Stop attacking at any time.
4. **Occupy** a conquered territory with the minimum (the number of dice rolled),
   half (rounded up) or all but one of the attacking armies. Conquering a player's
   last territory eliminates them and hands their cards over; taking the hand up to
   6 or more cards forces a trade (down to 4 or fewer) and a placement at once.
5. **Fortify** once along an edge between two owned territories with one army, half
   (rounded up) or all but one, or end the turn without moving. A player who
   conquered a territory this turn draws one card (cards are infantry, cavalry or
   artillery; the deck has one card per territory and traded cards go back in).

Phases where the only choice would be to pass (no set to trade, no possible
attack, no possible move) are skipped.

### Action space

One `Discrete(K)` for every agent, `K = 10 + 2 T + 4 E`, in blocks:

| block           | size | action                                                  |
|-----------------|------|---------------------------------------------------------|
| trade           | 5    | keep cards; trade 3 infantry / 3 cavalry / 3 artillery; one of each |
| reinforce_one   | T    | place one army on territory t                           |
| reinforce_all   | T    | place all remaining armies on territory t               |
| attack          | E    | one dice round along directed edge e                    |
| attack_stop     | 1    | stop attacking                                          |
| occupy          | 3    | move in the minimum / half / all but one                |
| fortify_one     | E    | move one army along edge e and end the turn             |
| fortify_half    | E    | move half (rounded up) of the movable armies            |
| fortify_all     | E    | move all but one army                                   |
| end_turn        | 1    | end the turn without fortifying                         |

Directed edges are sorted by (source, target) territory index; the unwrapped env's
`game.layout` gives the offsets, `game.describe(a)` names an action and
`game.map.edge_index(src, dst)` finds an edge. The classic map has K = 758. An
illegal action ends the game for everyone (the `env()` factory's
`TerminateIllegalWrapper`, reward -1 to the offender); on `raw_env` it raises
`ValueError` with the reason.

### Observation space

A dict with `"action_mask"` (K,) int8 (all zeros when it is not the agent's turn)
and `"observation"`, a float32 vector in [0, 1] of size
`D = T (n + 3) + 4 n + 13` from the observing agent's point of view (players are
numbered relative to it: slot 0 is itself, slot k is the player k seats later):

| part                         | size  | value                                           |
|------------------------------|-------|-------------------------------------------------|
| owner of each territory      | T x n | one-hot over relative player                    |
| armies on each territory     | T     | log(1 + armies) / log(1 + 1000), capped at 1    |
| attack source / target       | 2 T   | one-hot, during the occupy phase                |
| phase                        | 5     | one-hot (trade, reinforce, attack, occupy, fortify) |
| player to move               | n     | one-hot over relative player                    |
| players still in             | n     | 1 per relative player                           |
| territory share              | n     | territories owned / T                           |
| cards held                   | n     | total cards / 10, capped at 1                   |
| own cards by symbol          | 3     | count / 5, capped at 1                          |
| armies to place              | 1     | log scale as armies                             |
| next set bonus               | 1     | log scale as armies                             |
| occupy minimum               | 1     | dice rolled / 3                                 |
| conquered this turn          | 1     | 0 or 1                                          |
| turn / max_turns             | 1     |                                                 |

With `graph_obs=True` the dict also holds `"node_features"` (T, n + 3) float32
(the owner, armies and attack source / target columns of the table above, per
territory) and `"edge_index"` (2, E) int64, the directed edges (source row,
target row).

`state()` is the same encoding from no player's point of view (absolute player
slots, every player's cards by symbol: size `T (n + 3) + 7 n + 10`), with
`state_space` its Box.

### Rewards

Zero-sum. A player eliminated gets -1 / (n - 1) at that step; the winner gets +1 when
the game ends. At the turn cap the survivors share the eliminated players' stakes
equally (two players: +1 / -1 for a win, 0 / 0 at the cap). Every step reports
`infos[agent]["reward_terms"]` with `"outcome"` (the above) and
`"territory_share"` (the change of the agent's share of territories during the
step). The reward is `outcome + territory_share_weight * territory_share`; the
weight is 0 (no shaping) unless set.

### Episode end

Terminated when one player owns every territory; an eliminated player is
terminated at once and steps once with `None` to leave. Truncated for all
remaining players after `max_turns` player turns.

### Arguments

`num_players` (2 to 6, default 2), `map` (a shipped map name or a JSON path,
default `"classic"`), `max_turns` (default 600), `initial_armies` (per player,
default the classic 40/35/30/25/20 scaled to the map's size), `territory_share_weight`
(default 0.0), `graph_obs` (default False), `render_mode` (`"ansi"` returns the
board as text, `"human"` prints it).

### Version History

* v0: initial release.

### Example

>>> from rewardgym.envs.risk import risk_v0
>>> env = risk_v0.env(num_players=3, map="tiny8")
>>> env.reset(seed=0)
>>> env.agents
['player_0', 'player_1', 'player_2']
>>> for agent in env.agent_iter():
...     obs, reward, terminated, truncated, info = env.last()
...     mask = obs["action_mask"]
...     action = None if terminated or truncated else env.action_space(agent).sample(mask)
...     env.step(action)
>>> env.agents
[]
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import AECEnv
from pettingzoo.utils import wrappers

from rewardgym.envs.risk._rules import (
    NUM_PHASES,
    IllegalActionError,
    Phase,
    RiskGame,
    RiskMap,
    load_map,
    set_bonus,
)

__all__ = ["env", "raw_env"]

#: Army counts are observed as log(1 + a) / log(1 + ARMY_SCALE), capped at 1.
ARMY_SCALE = 1000.0
_LOG_SCALE = math.log1p(ARMY_SCALE)
_CARD_TOTAL_SCALE = 10.0
_CARD_SYMBOL_SCALE = 5.0


def _log_scale(x: Any) -> Any:
    return np.minimum(np.log1p(x) / _LOG_SCALE, 1.0)


def env(**kwargs: Any) -> Any:
    """The Risk AEC env with PettingZoo's standard wrappers for board games: an
    illegal move ends the game with reward -1 to the offender, actions are checked
    to be in range, and the call order is enforced."""
    aec = raw_env(**kwargs)
    aec = wrappers.TerminateIllegalWrapper(aec, illegal_reward=-1)
    aec = wrappers.AssertOutOfBoundsWrapper(aec)
    return wrappers.OrderEnforcingWrapper(aec)


class raw_env(AECEnv):
    """The Risk board game as a PettingZoo AEC env; the module docstring is its
    documentation page. ``game`` is the :class:`~rewardgym.envs.risk._rules.RiskGame`
    being played."""

    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": ["ansi", "human"],
        "name": "risk_v0",
        "is_parallelizable": False,
        "render_fps": 2,
    }
    #: The components of the reward reported in ``infos[agent]["reward_terms"]``.
    reward_terms = ("outcome", "territory_share")

    def __init__(
        self,
        num_players: int = 2,
        map: str | Path | RiskMap = "classic",
        max_turns: int = 600,
        initial_armies: int | None = None,
        territory_share_weight: float = 0.0,
        graph_obs: bool = False,
        render_mode: str | None = None,
    ) -> None:
        super().__init__()
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode={render_mode!r} is not supported; use one of "
                f"{self.metadata['render_modes']} or None"
            )
        if isinstance(max_turns, bool) or not isinstance(max_turns, (int, np.integer)):
            raise TypeError(f"max_turns must be an int, got {type(max_turns).__name__}")
        weight = float(territory_share_weight)
        if not math.isfinite(weight):
            raise ValueError(f"territory_share_weight must be finite, got {weight}")
        self.game = RiskGame(
            load_map(map), num_players, max_turns=max_turns, initial_armies=initial_armies
        )
        self.render_mode = render_mode
        self.territory_share_weight = weight
        self.graph_obs = bool(graph_obs)
        self.num_players = self.game.num_players
        self.possible_agents = [f"player_{i}" for i in range(self.num_players)]
        self.agents: list[str] = []
        self._index = {a: i for i, a in enumerate(self.possible_agents)}

        t, n = self.game.map.num_territories, self.num_players
        k = self.game.layout.size
        self.obs_size = t * (n + 3) + 4 * n + 13
        self.state_size = t * (n + 3) + 7 * n + 10
        obs_parts: dict[str, spaces.Space[Any]] = {
            "observation": spaces.Box(0.0, 1.0, (self.obs_size,), np.float32),
            "action_mask": spaces.Box(0, 1, (k,), np.int8),
        }
        if self.graph_obs:
            e = self.game.map.num_directed_edges
            obs_parts["node_features"] = spaces.Box(0.0, 1.0, (t, n + 3), np.float32)
            obs_parts["edge_index"] = spaces.Box(0, t - 1, (2, e), np.int64)
            self._edge_index = np.stack([self.game.map.edge_src, self.game.map.edge_dst])
        self.observation_spaces = {a: spaces.Dict(obs_parts) for a in self.possible_agents}
        self.action_spaces = {a: spaces.Discrete(k) for a in self.possible_agents}
        self.state_space = spaces.Box(0.0, 1.0, (self.state_size,), np.float32)
        self._shares = np.zeros(n)
        self._owner_rows = np.arange(t) * n
        self._seats = [(np.arange(n) + i) % n for i in range(n)]
        self._zero_mask = np.zeros(k, dtype=np.int8)
        self.np_random, self.np_random_seed = seeding.np_random(None)

    def observation_space(self, agent: str) -> spaces.Space[Any]:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space[Any]:
        return self.action_spaces[agent]

    # -- encoding ---------------------------------------------------------------------------

    def _territory_features(self, viewer: int) -> np.ndarray:
        """(T, n + 3): owner one-hot relative to ``viewer``, armies, attack source and
        target."""
        g = self.game
        t, n = g.map.num_territories, self.num_players
        out = np.zeros((t, n + 3), dtype=np.float32)
        out[np.arange(t), (g.owner - viewer) % n] = 1.0
        out[:, n] = _log_scale(g.armies)
        if g.phase == Phase.OCCUPY:
            out[g.attack_from, n + 1] = 1.0
            out[g.attack_to, n + 2] = 1.0
        return out

    def _encode(self, viewer: int | None) -> np.ndarray:
        """The observation of ``viewer``, or the global state when ``viewer`` is None
        (the layout of the tables in the module docstring)."""
        g = self.game
        n, t = self.num_players, g.map.num_territories
        origin = 0 if viewer is None else viewer
        seats = self._seats[origin]  # relative slot k -> player seats[k]
        out = np.zeros(self.state_size if viewer is None else self.obs_size, dtype=np.float32)
        out[self._owner_rows + (g.owner - origin) % n] = 1.0
        o = t * n
        out[o : o + t] = _log_scale(g.armies)
        o += t
        playing = g.phase != Phase.GAME_OVER
        if g.phase == Phase.OCCUPY:
            out[o + g.attack_from] = 1.0
            out[o + t + g.attack_to] = 1.0
        o += 2 * t
        if playing:
            out[o + int(g.phase)] = 1.0
            out[o + NUM_PHASES + (g.current_player - origin) % n] = 1.0
        o += NUM_PHASES + n
        out[o : o + n] = g.alive[seats]
        out[o + n : o + 2 * n] = g.territory_counts()[seats] / t
        out[o + 2 * n : o + 3 * n] = np.minimum(g.cards.sum(axis=1)[seats] / _CARD_TOTAL_SCALE, 1)
        o += 3 * n
        cards = g.cards.reshape(-1) if viewer is None else g.cards[viewer]
        out[o : o + cards.size] = np.minimum(cards / _CARD_SYMBOL_SCALE, 1.0)
        o += cards.size
        out[o : o + 5] = (
            min(math.log1p(g.reserve) / _LOG_SCALE, 1.0),
            min(math.log1p(set_bonus(g.sets_traded)) / _LOG_SCALE, 1.0),
            g.occupy_min / 3.0,
            float(g.conquered_this_turn),
            g.turn / g.max_turns,
        )
        return out

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        i = self._index[agent]
        g = self.game
        acting = not g.done and g.current_player == i and agent == self.agent_selection
        mask = g.legal_mask().copy() if acting else self._zero_mask.copy()
        obs: dict[str, np.ndarray] = {"observation": self._encode(i), "action_mask": mask}
        if self.graph_obs:
            obs["node_features"] = self._territory_features(i)
            obs["edge_index"] = self._edge_index.copy()
        return obs

    def state(self) -> np.ndarray:
        """The global state (absolute player slots, every player's cards)."""
        return self._encode(None)

    # -- episode --------------------------------------------------------------------------

    def _name(self, player: int) -> str:
        return self.possible_agents[player]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """A new game; ``seed`` reseeds the generator behind the deal, dice and cards
        (``options`` is accepted and unused)."""
        if seed is not None:
            self.np_random, self.np_random_seed = seeding.np_random(seed)
        self.game.reset(self.np_random)
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {a: self._terms(0.0, 0.0) for a in self.agents}
        self._shares = self.game.territory_counts() / self.game.map.num_territories
        self._skip_agent_selection = None
        self.agent_selection = self._name(self.game.current_player)
        if self.render_mode == "human":
            self.render()

    @staticmethod
    def _terms(outcome: float, share: float) -> dict[str, Any]:
        return {"reward_terms": {"outcome": outcome, "territory_share": share}}

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        if action is None:
            raise IllegalActionError(f"{agent} is in the game and must act; got None")
        self._cumulative_rewards[agent] = 0.0
        g = self.game
        event = g.step(int(action))

        n = self.num_players
        stake = 1.0 / (n - 1)
        outcome = np.zeros(n)
        if event.eliminated is not None:
            outcome[event.eliminated] -= stake
            self.terminations[self._name(event.eliminated)] = True
        if g.done:
            survivors = np.flatnonzero(g.alive)
            outcome[survivors] += (n - survivors.size) * stake / survivors.size
            flags = self.terminations if g.winner is not None else self.truncations
            for a in self.agents:
                flags[a] = True
        shares = g.territory_counts() / g.map.num_territories
        delta = shares - self._shares
        self._shares = shares
        for a in self.agents:
            i = self._index[a]
            o, d = float(outcome[i]), float(delta[i])
            self.rewards[a] = o + self.territory_share_weight * d
            self.infos[a] = self._terms(o, d)

        if not g.done:
            self.agent_selection = self._name(g.current_player)
        self._accumulate_rewards()
        self._deads_step_first()
        if self.render_mode == "human":
            self.render()

    def render(self) -> str | None:
        """``"ansi"``: the board as text; ``"human"``: prints it (returns None)."""
        if self.render_mode is None:
            return None
        text = self.game.render_text(self.possible_agents)
        if self.render_mode == "ansi":
            return text
        print(text)
        return None

    def close(self) -> None:
        """Nothing to release (text rendering only)."""
