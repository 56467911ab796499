"""Rules of the Risk board game: maps, dice, cards and the turn state machine.

:class:`RiskGame` is a plain class with no PettingZoo in it; :mod:`.risk_v0` wraps it
as an AEC environment. A game is driven by integer actions from one fixed action
space (:class:`ActionLayout`) whose blocks belong to the phases of a turn:

=========  ================================================================
phase      what the player to move decides
=========  ================================================================
TRADE      trade a card set for armies, or keep the cards (forced at 5+)
REINFORCE  place one army, or all remaining ones, on an owned territory
ATTACK     roll one dice round along a directed edge, or stop attacking
OCCUPY     after a conquest, move the minimum, half or all but one army in
FORTIFY    move 1, half or all but one army along an owned edge, or end the turn
=========  ================================================================

Phases in which the only legal action would be "pass", "stop" or "end turn" (no
card set to trade, no possible attack, no possible fortification) are skipped, so
every decision the game asks for has a real choice or is a reinforcement.

Maps are JSON files (see :data:`MAP_SCHEMA`); :func:`load_map` reads a shipped map by
name (:func:`shipped_maps`) or any file by path.
"""

from __future__ import annotations

import copy
import enum
import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CLASSIC_START_ARMIES",
    "MAP_SCHEMA",
    "MAX_PLAYERS",
    "MIN_PLAYERS",
    "NUM_SYMBOLS",
    "ActionLayout",
    "Continent",
    "Event",
    "IllegalActionError",
    "Phase",
    "RiskGame",
    "RiskMap",
    "battle_losses",
    "battle_odds",
    "load_map",
    "set_bonus",
    "shipped_maps",
]

MIN_PLAYERS = 2
MAX_PLAYERS = 6
#: Card symbols (infantry, cavalry, artillery); a set is three of one symbol or one
#: of each.
NUM_SYMBOLS = 3
SYMBOL_NAMES = ("infantry", "cavalry", "artillery")
#: Armies for the first six sets traded in the game; each later set gives 5 more.
SET_BONUSES = (4, 6, 8, 10, 12, 15)
#: Holding this many cards at the start of a turn forces a trade.
FORCED_TRADE_CARDS = 5
#: Taking an eliminated player's cards up to this many forces a trade mid-turn.
MIDTURN_TRADE_CARDS = 6
#: Starting armies per player on the classic 42-territory board.
CLASSIC_START_ARMIES = {2: 40, 3: 35, 4: 30, 5: 25, 6: 20}
CLASSIC_TERRITORIES = 42


class Phase(enum.IntEnum):
    """Phases of a turn; ``GAME_OVER`` once a player has won or the turn cap is hit."""

    TRADE = 0
    REINFORCE = 1
    ATTACK = 2
    OCCUPY = 3
    FORTIFY = 4
    GAME_OVER = 5


#: Number of phases in which a player acts (``GAME_OVER`` excluded).
NUM_PHASES = 5


class IllegalActionError(ValueError):
    """An action that the rules do not allow in the current state."""


# -- maps ---------------------------------------------------------------------------------

#: JSON schema of a map file. Territories are listed by continent; ``edges`` are
#: undirected pairs of territory names.
MAP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "continents", "edges"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "continents": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "bonus", "territories"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "bonus": {"type": "integer", "minimum": 0},
                    "territories": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "minLength": 1},
                    },
                },
            },
        },
        "edges": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "items": {"type": "string"},
            },
        },
    },
}


@dataclass(frozen=True)
class Continent:
    """A continent: its name, bonus armies and territory indices."""

    name: str
    bonus: int
    territories: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class RiskMap:
    """A board: territories, continents with bonuses, and undirected adjacency.

    Build one with :meth:`from_dict` (validates) or :func:`load_map`. Territories are
    numbered in the order the continents list them. Each territory has a card of
    symbol ``index % 3``, so the deck holds one card per territory.
    """

    name: str
    territories: tuple[str, ...]
    continents: tuple[Continent, ...]
    edges: tuple[tuple[int, int], ...]
    description: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "map") -> RiskMap:
        """Validate ``data`` (the JSON of a map file) and build the map.

        Raises ``ValueError`` naming what is wrong: a schema violation, a territory in
        two continents, an edge to an unknown territory, a self-loop, a repeated edge
        or a board that is not connected.
        """
        import jsonschema

        try:
            jsonschema.validate(data, MAP_SCHEMA)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "top level"
            raise ValueError(f"{source}: invalid map at {where}: {exc.message}") from None
        names: list[str] = []
        continents = []
        for c in data["continents"]:
            ids = []
            for t in c["territories"]:
                if t in names:
                    raise ValueError(f"{source}: territory {t!r} is listed twice")
                ids.append(len(names))
                names.append(t)
            continents.append(Continent(c["name"], int(c["bonus"]), tuple(ids)))
        if len({c.name for c in continents}) != len(continents):
            raise ValueError(f"{source}: continent names must be unique")
        if len(names) < 2:
            raise ValueError(f"{source}: a map needs at least 2 territories")
        index = {n: i for i, n in enumerate(names)}
        edges: list[tuple[int, int]] = []
        seen: set[frozenset[int]] = set()
        for a, b in data["edges"]:
            for t in (a, b):
                if t not in index:
                    raise ValueError(
                        f"{source}: edge [{a!r}, {b!r}] names {t!r}, which no continent lists"
                    )
            if a == b:
                raise ValueError(f"{source}: edge [{a!r}, {b!r}] joins a territory to itself")
            key = frozenset((index[a], index[b]))
            if key in seen:
                raise ValueError(f"{source}: edge [{a!r}, {b!r}] is listed twice")
            seen.add(key)
            edges.append((index[a], index[b]))
        risk_map = cls(
            name=data["name"],
            territories=tuple(names),
            continents=tuple(continents),
            edges=tuple(edges),
            description=data.get("description", ""),
        )
        unreachable = risk_map._unreachable_from_first()
        if unreachable:
            raise ValueError(
                f"{source}: the board is not connected; cannot reach "
                f"{', '.join(repr(names[t]) for t in unreachable[:5])} from {names[0]!r}"
            )
        return risk_map

    @property
    def num_territories(self) -> int:
        return len(self.territories)

    @cached_property
    def edge_src(self) -> np.ndarray:
        """Source territory of each directed edge, shape (E,), int64. Every undirected
        edge gives two directed ones; directed edges are sorted by (source, target)."""
        return self._directed[:, 0]

    @cached_property
    def edge_dst(self) -> np.ndarray:
        """Target territory of each directed edge, shape (E,), int64."""
        return self._directed[:, 1]

    @property
    def num_directed_edges(self) -> int:
        return int(self._directed.shape[0])

    @cached_property
    def _directed(self) -> np.ndarray:
        pairs = sorted({(a, b) for e in self.edges for a, b in (e, e[::-1])})
        out = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        out.setflags(write=False)
        return out

    @cached_property
    def neighbors(self) -> tuple[tuple[int, ...], ...]:
        """Adjacent territories of each territory, sorted."""
        nb: list[list[int]] = [[] for _ in self.territories]
        for a, b in self._directed:
            nb[int(a)].append(int(b))
        return tuple(tuple(n) for n in nb)

    @cached_property
    def adjacency(self) -> np.ndarray:
        """(T, T) bool adjacency matrix (symmetric)."""
        adj = np.zeros((self.num_territories,) * 2, dtype=bool)
        adj[self.edge_src, self.edge_dst] = True
        adj.setflags(write=False)
        return adj

    @cached_property
    def continent_of(self) -> np.ndarray:
        """Continent index of each territory, shape (T,), int64."""
        out = np.empty(self.num_territories, dtype=np.int64)
        for k, c in enumerate(self.continents):
            out[list(c.territories)] = k
        out.setflags(write=False)
        return out

    @cached_property
    def card_symbol(self) -> np.ndarray:
        """Card symbol of each territory's card, shape (T,), int64 (``index % 3``)."""
        out = np.arange(self.num_territories, dtype=np.int64) % NUM_SYMBOLS
        out.setflags(write=False)
        return out

    @cached_property
    def deck_counts(self) -> np.ndarray:
        """Cards of each symbol in the full deck, shape (3,), int64."""
        return np.bincount(self.card_symbol, minlength=NUM_SYMBOLS).astype(np.int64)

    def edge_index(self, src: str | int, dst: str | int) -> int:
        """Index of the directed edge ``src -> dst`` (names or indices)."""
        s, d = self.territory_index(src), self.territory_index(dst)
        hits = np.flatnonzero((self.edge_src == s) & (self.edge_dst == d))
        if hits.size == 0:
            raise ValueError(
                f"{self.territories[s]!r} and {self.territories[d]!r} are not adjacent"
            )
        return int(hits[0])

    def territory_index(self, territory: str | int) -> int:
        """Index of a territory given by name or index."""
        if isinstance(territory, str):
            try:
                return self.territories.index(territory)
            except ValueError:
                raise ValueError(f"map {self.name!r} has no territory {territory!r}") from None
        t = int(territory)
        if not 0 <= t < self.num_territories:
            raise ValueError(f"territory index {t} out of range [0, {self.num_territories})")
        return t

    def _unreachable_from_first(self) -> list[int]:
        reached = {0}
        frontier = [0]
        while frontier:
            t = frontier.pop()
            for n in self.neighbors[t]:
                if n not in reached:
                    reached.add(n)
                    frontier.append(n)
        return [t for t in range(self.num_territories) if t not in reached]


def shipped_maps() -> tuple[str, ...]:
    """Names of the maps shipped with rewardgym (``classic``, ``tiny4``, ...)."""
    folder = resources.files(__package__).joinpath("maps")
    return tuple(
        sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))
    )


def load_map(map_ref: str | Path | RiskMap) -> RiskMap:
    """A map by shipped name (see :func:`shipped_maps`), by path to a JSON file, or
    a :class:`RiskMap` as is."""
    if isinstance(map_ref, RiskMap):
        return map_ref
    name = str(map_ref)
    if name in shipped_maps():
        resource = resources.files(__package__).joinpath("maps").joinpath(f"{name}.json")
        text = resource.read_text("utf-8")
        return RiskMap.from_dict(json.loads(text), source=f"map {name!r}")
    path = Path(name)
    if path.suffix == ".json" or path.exists():
        if not path.is_file():
            raise ValueError(f"map file {name!r} does not exist")
        try:
            data = json.loads(path.read_text("utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"map file {name!r} is not valid JSON: {exc}") from None
        return RiskMap.from_dict(data, source=f"map file {name!r}")
    raise ValueError(
        f"unknown map {name!r}; use one of {', '.join(shipped_maps())} "
        "or the path to a JSON map file"
    )


# -- dice and cards -----------------------------------------------------------------------


def battle_losses(attacker_dice: Sequence[int], defender_dice: Sequence[int]) -> tuple[int, int]:
    """Armies lost by (attacker, defender) in one dice round.

    Both sides' dice are sorted from high to low and compared pairwise (as many pairs
    as the smaller side rolled); the higher die wins each pair and ties go to the
    defender.

    >>> battle_losses([6, 3, 1], [5, 3])
    (1, 1)
    >>> battle_losses([2], [2, 1])
    (1, 0)
    """
    a = sorted(attacker_dice, reverse=True)
    d = sorted(defender_dice, reverse=True)
    att = dfn = 0
    for x, y in zip(a, d, strict=False):
        if x > y:
            dfn += 1
        else:
            att += 1
    return att, dfn


def battle_odds(attacker_dice: int, defender_dice: int) -> dict[tuple[int, int], Fraction]:
    """Exact distribution of (attacker losses, defender losses) for one dice round,
    by enumerating all ``6 ** (a + d)`` rolls through :func:`battle_losses`.

    >>> odds = battle_odds(3, 2)
    >>> odds[(0, 2)], odds[(1, 1)], odds[(2, 0)]
    (Fraction(1445, 3888), Fraction(2611, 7776), Fraction(2275, 7776))
    """
    if not (1 <= attacker_dice <= 3 and 1 <= defender_dice <= 2):
        raise ValueError("the attacker rolls 1 to 3 dice and the defender 1 or 2")
    counts: dict[tuple[int, int], int] = {}
    total = 0
    for roll in itertools.product(range(1, 7), repeat=attacker_dice + defender_dice):
        key = battle_losses(roll[:attacker_dice], roll[attacker_dice:])
        counts[key] = counts.get(key, 0) + 1
        total += 1
    return {k: Fraction(v, total) for k, v in sorted(counts.items())}


def set_bonus(sets_traded: int) -> int:
    """Armies for trading a set when ``sets_traded`` sets were traded before in the
    game: 4, 6, 8, 10, 12, 15, then 5 more for each later set.

    >>> [set_bonus(k) for k in range(8)]
    [4, 6, 8, 10, 12, 15, 20, 25]
    """
    if sets_traded < len(SET_BONUSES):
        return SET_BONUSES[sets_traded]
    return SET_BONUSES[-1] + 5 * (sets_traded - len(SET_BONUSES) + 1)


#: The card sets, in the order of the trade block: three of symbol 0, 1, 2, then one
#: of each. Each row counts the cards of each symbol the set uses.
CARD_SETS = np.array([[3, 0, 0], [0, 3, 0], [0, 0, 3], [1, 1, 1]], dtype=np.int64)
CARD_SETS.setflags(write=False)


# -- the action space -----------------------------------------------------------------------


@dataclass(frozen=True)
class ActionLayout:
    """The blocks of the fixed ``Discrete(size)`` action space for a map with ``T``
    territories and ``E`` directed edges (``E`` = 2 x undirected edges).

    ================  =======  ==============================================
    block             size     action
    ================  =======  ==============================================
    trade             5        keep the cards; trade 3 x symbol 0/1/2; 1 of each
    reinforce_one     T        place one army on territory t
    reinforce_all     T        place all remaining armies on territory t
    attack            E        one dice round along directed edge e
    attack_stop       1        stop attacking (go to fortify)
    occupy            3        move the minimum (dice rolled), half, all but one
    fortify_one       E        move one army along edge e, ending the turn
    fortify_half      E        move half (rounded up) of the movable armies
    fortify_all       E        move all but one army
    end_turn          1        end the turn without fortifying
    ================  =======  ==============================================
    """

    num_territories: int
    num_edges: int

    @cached_property
    def trade(self) -> int:
        return 0

    @cached_property
    def reinforce_one(self) -> int:
        return 5

    @cached_property
    def reinforce_all(self) -> int:
        return self.reinforce_one + self.num_territories

    @cached_property
    def attack(self) -> int:
        return self.reinforce_all + self.num_territories

    @cached_property
    def attack_stop(self) -> int:
        return self.attack + self.num_edges

    @cached_property
    def occupy(self) -> int:
        return self.attack_stop + 1

    @cached_property
    def fortify_one(self) -> int:
        return self.occupy + 3

    @cached_property
    def fortify_half(self) -> int:
        return self.fortify_one + self.num_edges

    @cached_property
    def fortify_all(self) -> int:
        return self.fortify_half + self.num_edges

    @cached_property
    def end_turn(self) -> int:
        return self.fortify_all + self.num_edges

    @cached_property
    def size(self) -> int:
        return self.end_turn + 1

    @property
    def phase_blocks(self) -> dict[Phase, range]:
        """The action indices each phase may unmask."""
        return {
            Phase.TRADE: range(self.trade, self.reinforce_one),
            Phase.REINFORCE: range(self.reinforce_one, self.attack),
            Phase.ATTACK: range(self.attack, self.occupy),
            Phase.OCCUPY: range(self.occupy, self.fortify_one),
            Phase.FORTIFY: range(self.fortify_one, self.size),
        }

    def decode(self, action: int) -> tuple[str, int]:
        """``(block name, argument)``: the argument is the set index (trade, -1 for
        keeping the cards), territory (reinforce), edge (attack and fortify) or amount
        choice 0/1/2 (occupy); -1 for stop and end turn."""
        a = int(action)
        if not 0 <= a < self.size:
            raise IllegalActionError(f"action {a} out of range [0, {self.size})")
        if a < self.reinforce_one:
            return ("trade", a - 1)
        if a < self.reinforce_all:
            return ("reinforce_one", a - self.reinforce_one)
        if a < self.attack:
            return ("reinforce_all", a - self.reinforce_all)
        if a < self.attack_stop:
            return ("attack", a - self.attack)
        if a == self.attack_stop:
            return ("attack_stop", -1)
        if a < self.fortify_one:
            return ("occupy", a - self.occupy)
        if a < self.fortify_half:
            return ("fortify_one", a - self.fortify_one)
        if a < self.fortify_all:
            return ("fortify_half", a - self.fortify_half)
        if a < self.end_turn:
            return ("fortify_all", a - self.fortify_all)
        return ("end_turn", -1)


_BLOCK_PHASE = {
    "trade": Phase.TRADE,
    "reinforce_one": Phase.REINFORCE,
    "reinforce_all": Phase.REINFORCE,
    "attack": Phase.ATTACK,
    "attack_stop": Phase.ATTACK,
    "occupy": Phase.OCCUPY,
    "fortify_one": Phase.FORTIFY,
    "fortify_half": Phase.FORTIFY,
    "fortify_all": Phase.FORTIFY,
    "end_turn": Phase.FORTIFY,
}
_SET_NAMES = ("3 infantry", "3 cavalry", "3 artillery", "one of each")
_OCCUPY_NAMES = ("the minimum", "half", "all but one")


@dataclass
class Event:
    """What one action did (returned by :meth:`RiskGame.step`)."""

    player: int
    action: int
    block: str
    placed: int = 0
    moved: int = 0
    traded_bonus: int = 0
    attacker_dice: tuple[int, ...] = ()
    defender_dice: tuple[int, ...] = ()
    attacker_losses: int = 0
    defender_losses: int = 0
    conquered: int | None = None
    eliminated: int | None = None
    cards_taken: int = 0
    card_drawn: int | None = None
    turn_ended: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


# -- the game -------------------------------------------------------------------------------


DiceFn = Callable[[int], Sequence[int]]


class RiskGame:
    """The state and rules of one game of Risk.

    Args:
        risk_map: the board (:class:`RiskMap`, a shipped map name or a JSON path).
        num_players: 2 to 6.
        max_turns: the game is cut (``truncated``) after this many player turns.
        initial_armies: armies per player at the start; default the classic table
            (40, 35, 30, 25, 20 for 2 to 6 players) scaled by the map's size relative
            to the 42-territory board, and at least one army per territory owned.
        dice: optional ``dice(n) -> n values in 1..6`` replacing the seeded dice (for
            scripted tests); the default rolls with the generator given to
            :meth:`reset`.

    State (read it, do not write it): ``owner`` (T,) and ``armies`` (T,) int64;
    ``cards`` (players, 3) card counts by symbol; ``deck`` (3,) cards left to draw;
    ``alive`` (players,); ``current_player``; ``phase``; ``reserve`` (armies still to
    place); ``sets_traded``; ``conquered_this_turn``; ``attack_from`` / ``attack_to``
    / ``occupy_min`` (the pending occupation); ``turn``; ``winner``; ``truncated``.

    >>> import numpy as np
    >>> game = RiskGame("tiny4", num_players=2)
    >>> game.reset(np.random.default_rng(0))
    >>> game.phase.name, game.reserve
    ('REINFORCE', 3)
    >>> event = game.step(game.layout.reinforce_all + int(np.flatnonzero(game.owner == 0)[0]))
    >>> event.placed, game.reserve
    (3, 0)
    """

    def __init__(
        self,
        risk_map: RiskMap | str | Path,
        num_players: int,
        *,
        max_turns: int = 1000,
        initial_armies: int | None = None,
        dice: DiceFn | None = None,
    ) -> None:
        self.map = load_map(risk_map)
        if isinstance(num_players, bool) or not isinstance(num_players, (int, np.integer)):
            raise TypeError(f"num_players must be an int, got {type(num_players).__name__}")
        if not MIN_PLAYERS <= num_players <= MAX_PLAYERS:
            raise ValueError(
                f"num_players={num_players}: Risk is for {MIN_PLAYERS} to {MAX_PLAYERS} players"
            )
        t = self.map.num_territories
        if num_players > t:
            raise ValueError(
                f"map {self.map.name!r} has {t} territories, too few for {num_players} "
                "players; choose a larger map or fewer players"
            )
        if int(max_turns) < 1:
            raise ValueError(f"max_turns must be at least 1, got {max_turns}")
        self.num_players = int(num_players)
        self.max_turns = int(max_turns)
        most_owned = math.ceil(t / self.num_players)
        if initial_armies is None:
            scaled = round(CLASSIC_START_ARMIES[self.num_players] * t / CLASSIC_TERRITORIES)
            initial_armies = max(most_owned, scaled)
        elif int(initial_armies) < most_owned:
            raise ValueError(
                f"initial_armies={initial_armies} is fewer than the {most_owned} territories "
                f"a player can be dealt on map {self.map.name!r}; use at least {most_owned}"
            )
        self.initial_armies = int(initial_armies)
        self.layout = ActionLayout(t, self.map.num_directed_edges)
        self._dice = dice
        self.rng = np.random.default_rng(0)
        self._src = self.map.edge_src
        self._dst = self.map.edge_dst
        self._continent_members = [np.array(c.territories) for c in self.map.continents]
        self._continent_bonus = np.array([c.bonus for c in self.map.continents], np.int64)
        self._mask = np.zeros(self.layout.size, dtype=np.int8)
        self._mask_valid = False
        self._clear(current_player=0)

    # -- set-up ---------------------------------------------------------------------------

    def _clear(self, current_player: int) -> None:
        t, n = self.map.num_territories, self.num_players
        self.owner = np.zeros(t, dtype=np.int64)
        self.armies = np.ones(t, dtype=np.int64)
        self.cards = np.zeros((n, NUM_SYMBOLS), dtype=np.int64)
        self.deck = self.map.deck_counts.copy()
        self.alive = np.ones(n, dtype=bool)
        self.current_player = current_player
        self.phase = Phase.REINFORCE
        self.reserve = 0
        self.sets_traded = 0
        self.conquered_this_turn = False
        self.attack_from = -1
        self.attack_to = -1
        self.occupy_min = 0
        self._midturn_trade = False
        self.turn = 0
        self.winner: int | None = None
        self.truncated = False
        self._mask_valid = False

    def reset(self, rng: np.random.Generator) -> None:
        """A new game: territories dealt at random round-robin (player 0 first), one
        army on each, the rest of each player's ``initial_armies`` placed on random
        owned territories; player 0 starts. ``rng`` also rolls the dice and draws
        cards for the rest of the game."""
        self.rng = rng
        self._clear(current_player=0)
        t, n = self.map.num_territories, self.num_players
        order = rng.permutation(t)
        self.owner[order] = np.arange(t) % n
        for p in range(n):
            owned = np.flatnonzero(self.owner == p)
            extra = self.initial_armies - owned.size
            if extra > 0:
                picks = rng.integers(0, owned.size, size=extra)
                self.armies[owned] += np.bincount(picks, minlength=owned.size)
        self._start_turn(0)
        self._settle()

    def setup(
        self,
        owner: Sequence[int],
        armies: Sequence[int],
        *,
        current_player: int = 0,
        cards: Sequence[Sequence[int]] | None = None,
        sets_traded: int = 0,
        turn: int = 0,
        rng: np.random.Generator | None = None,
    ) -> None:
        """Put the game in a given position and start ``current_player``'s turn (for
        scripted games and tests). Players owning no territory are out. Cards held are
        taken out of the deck."""
        t, n = self.map.num_territories, self.num_players
        own = np.asarray(owner, dtype=np.int64)
        arm = np.asarray(armies, dtype=np.int64)
        if own.shape != (t,) or arm.shape != (t,):
            raise ValueError(f"owner and armies need one entry per territory ({t})")
        if own.min() < 0 or own.max() >= n:
            raise ValueError(f"owners must be player indices in [0, {n})")
        if arm.min() < 1:
            raise ValueError("every territory holds at least one army")
        if rng is not None:
            self.rng = rng
        self._clear(current_player=int(current_player))
        self.owner[:] = own
        self.armies[:] = arm
        self.alive[:] = np.bincount(own, minlength=n) > 0
        if not self.alive[current_player]:
            raise ValueError(f"player {current_player} owns no territory and cannot move")
        if cards is not None:
            held = np.asarray(cards, dtype=np.int64).reshape(n, NUM_SYMBOLS)
            if held.min() < 0 or np.any(held.sum(axis=0) > self.deck):
                raise ValueError(f"cards held must fit in the deck {self.deck.tolist()}")
            self.cards[:] = held
            self.deck -= held.sum(axis=0)
        self.sets_traded = int(sets_traded)
        self.turn = int(turn)
        if int(self.alive.sum()) == 1:
            self.winner = int(np.flatnonzero(self.alive)[0])
            self.phase = Phase.GAME_OVER
            return
        self._start_turn(int(current_player))
        self._settle()

    def clone(self) -> RiskGame:
        """An independent copy (the map is shared; the generator is copied)."""
        memo = {id(self.map): self.map}
        return copy.deepcopy(self, memo)

    # -- queries --------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.phase == Phase.GAME_OVER

    def territory_counts(self) -> np.ndarray:
        """Territories owned by each player, shape (players,)."""
        return np.bincount(self.owner, minlength=self.num_players)

    def reinforcement(self, player: int) -> int:
        """Armies at the start of ``player``'s turn: max(3, territories // 3) plus the
        bonus of every continent the player owns entirely."""
        owned = int(np.count_nonzero(self.owner == player))
        bonus = sum(
            int(b)
            for members, b in zip(self._continent_members, self._continent_bonus, strict=True)
            if np.all(self.owner[members] == player)
        )
        return max(3, owned // 3) + bonus

    def tradeable_sets(self, player: int) -> np.ndarray:
        """Which of the four sets (3 x symbol 0/1/2, one of each) ``player`` can
        trade, shape (4,), bool."""
        return np.all(self.cards[player] >= CARD_SETS, axis=1)

    def legal_mask(self) -> np.ndarray:
        """The legal actions as an int8 mask over :attr:`layout` (a read-only view,
        valid until the next :meth:`step`); all zeros once the game is over."""
        if not self._mask_valid:
            self._compute_mask()
        return self._mask

    def legal_actions(self) -> np.ndarray:
        """Indices of the legal actions."""
        return np.flatnonzero(self.legal_mask())

    def _attack_edges(self, p: int) -> np.ndarray:
        own_src = self.owner[self._src] == p
        return own_src & (self.armies[self._src] >= 2) & (self.owner[self._dst] != p)

    def _fortify_edges(self, p: int) -> np.ndarray:
        own_src = self.owner[self._src] == p
        return own_src & (self.armies[self._src] >= 2) & (self.owner[self._dst] == p)

    def _compute_mask(self) -> None:
        m = self._mask
        m.setflags(write=True)
        m[:] = 0
        lay, p, phase = self.layout, self.current_player, self.phase
        if phase == Phase.TRADE:
            m[lay.trade] = int(self.cards[p].sum() < FORCED_TRADE_CARDS)
            m[lay.trade + 1 : lay.trade + 5] = self.tradeable_sets(p)
        elif phase == Phase.REINFORCE:
            own = self.owner == p
            m[lay.reinforce_one : lay.reinforce_all] = own
            m[lay.reinforce_all : lay.attack] = own
        elif phase == Phase.ATTACK:
            m[lay.attack : lay.attack_stop] = self._attack_edges(p)
            m[lay.attack_stop] = 1
        elif phase == Phase.OCCUPY:
            m[lay.occupy : lay.occupy + 3] = 1
        elif phase == Phase.FORTIFY:
            edges = self._fortify_edges(p)
            m[lay.fortify_one : lay.fortify_half] = edges
            m[lay.fortify_half : lay.fortify_all] = edges
            m[lay.fortify_all : lay.end_turn] = edges
            m[lay.end_turn] = 1
        self._mask.setflags(write=False)
        self._mask_valid = True

    def why_illegal(self, action: int) -> str | None:
        """``None`` when ``action`` is legal, else the reason (checked rule by rule,
        independently of :meth:`legal_mask`)."""
        if self.phase == Phase.GAME_OVER:
            return "the game is over"
        try:
            block, arg = self.layout.decode(action)
        except IllegalActionError as exc:
            return str(exc)
        need = _BLOCK_PHASE[block]
        if need != self.phase:
            return f"{block} is an action of the {need.name} phase; the phase is {self.phase.name}"
        p = self.current_player
        if block == "trade":
            if arg < 0:
                if self.cards[p].sum() >= FORCED_TRADE_CARDS:
                    return f"a player holding {FORCED_TRADE_CARDS} or more cards must trade"
                return None
            held = self.cards[p].tolist()
            if any(h < k for h, k in zip(held, CARD_SETS[arg].tolist(), strict=True)):
                return f"player {p} does not hold {_SET_NAMES[arg]} (cards {held})"
            return None
        if block in ("reinforce_one", "reinforce_all"):
            if self.owner[arg] != p:
                return f"{self.map.territories[arg]!r} is not player {p}'s"
            return None
        if block in ("attack_stop", "end_turn", "occupy"):
            return None
        src, dst = int(self._src[arg]), int(self._dst[arg])
        names = f"{self.map.territories[src]!r} -> {self.map.territories[dst]!r}"
        if self.owner[src] != p:
            return f"{names}: the source is not player {p}'s"
        if self.armies[src] < 2:
            return f"{names}: the source needs at least 2 armies"
        if block == "attack" and self.owner[dst] == p:
            return f"{names}: cannot attack one's own territory"
        if block != "attack" and self.owner[dst] != p:
            return f"{names}: armies can only be moved between one's own territories"
        return None

    def describe(self, action: int) -> str:
        """The action in words, e.g. ``"attack Alaska -> Kamchatka"``."""
        block, arg = self.layout.decode(action)
        names = self.map.territories
        if block == "trade":
            return "keep the cards" if arg < 0 else f"trade {_SET_NAMES[arg]}"
        if block == "reinforce_one":
            return f"place one army on {names[arg]}"
        if block == "reinforce_all":
            return f"place all armies on {names[arg]}"
        if block == "attack_stop":
            return "stop attacking"
        if block == "end_turn":
            return "end the turn"
        if block == "occupy":
            return f"occupy with {_OCCUPY_NAMES[arg]}"
        edge = f"{names[int(self._src[arg])]} -> {names[int(self._dst[arg])]}"
        if block == "attack":
            return f"attack {edge}"
        amount = {"fortify_one": "one army", "fortify_half": "half", "fortify_all": "all but one"}
        return f"fortify {edge} with {amount[block]}"

    # -- moves ----------------------------------------------------------------------------

    def step(self, action: int) -> Event:
        """Play ``action`` for the player to move. Raises :class:`IllegalActionError`
        (a ``ValueError``) with the reason when the rules forbid it."""
        why = self.why_illegal(action)
        if why is not None:
            raise IllegalActionError(f"illegal action {int(action)}: {why}")
        a = int(action)
        block, arg = self.layout.decode(a)
        p = self.current_player
        event = Event(player=p, action=a, block=block)
        self._mask_valid = False
        if block == "trade":
            if arg < 0:
                self.phase = Phase.REINFORCE
            else:
                used = CARD_SETS[arg]
                self.cards[p] -= used
                self.deck += used
                event.traded_bonus = set_bonus(self.sets_traded)
                self.sets_traded += 1
                self.reserve += event.traded_bonus
        elif block in ("reinforce_one", "reinforce_all"):
            n = 1 if block == "reinforce_one" else self.reserve
            self.armies[arg] += n
            self.reserve -= n
            event.placed = n
            if self.reserve == 0:
                self.phase = Phase.ATTACK
        elif block == "attack":
            self._attack(p, int(self._src[arg]), int(self._dst[arg]), event)
        elif block == "attack_stop":
            self.phase = Phase.FORTIFY
        elif block == "occupy":
            movable = int(self.armies[self.attack_from]) - 1
            n = (self.occupy_min, max(self.occupy_min, (movable + 1) // 2), movable)[arg]
            self.armies[self.attack_from] -= n
            self.armies[self.attack_to] += n
            event.moved = n
            self.attack_from = self.attack_to = -1
            self.occupy_min = 0
            if self._midturn_trade:
                self._midturn_trade = False
                self.phase = Phase.TRADE
            else:
                self.phase = Phase.ATTACK
        elif block == "end_turn":
            self._end_turn(event)
        else:  # fortify
            src, dst = int(self._src[arg]), int(self._dst[arg])
            movable = int(self.armies[src]) - 1
            n = {"fortify_one": 1, "fortify_half": (movable + 1) // 2, "fortify_all": movable}[
                block
            ]
            self.armies[src] -= n
            self.armies[dst] += n
            event.moved = n
            self._end_turn(event)
        self._settle(event)
        return event

    def _roll(self, n: int) -> np.ndarray:
        if self._dice is not None:
            values = np.asarray(self._dice(n), dtype=np.int64)
            if values.shape != (n,) or values.min() < 1 or values.max() > 6:
                raise ValueError(f"dice({n}) must return {n} values in 1..6, got {values}")
            return values
        return self.rng.integers(1, 7, size=n)

    def _attack(self, p: int, src: int, dst: int, event: Event) -> None:
        na = min(3, int(self.armies[src]) - 1)
        nd = min(2, int(self.armies[dst]))
        roll = self._roll(na + nd).tolist()
        att = sorted(roll[:na], reverse=True)
        dfn = sorted(roll[na:], reverse=True)
        d_loss = sum(1 for x, y in zip(att, dfn, strict=False) if x > y)
        a_loss = min(na, nd) - d_loss
        self.armies[src] -= a_loss
        self.armies[dst] -= d_loss
        event.attacker_dice = tuple(att)
        event.defender_dice = tuple(dfn)
        event.attacker_losses, event.defender_losses = a_loss, d_loss
        if self.armies[dst] > 0:
            return
        loser = int(self.owner[dst])
        self.owner[dst] = p
        self.conquered_this_turn = True
        event.conquered = dst
        self.attack_from, self.attack_to, self.occupy_min = src, dst, na
        self.phase = Phase.OCCUPY
        if not np.any(self.owner == loser):
            self.alive[loser] = False
            event.eliminated = loser
            event.cards_taken = int(self.cards[loser].sum())
            self.cards[p] += self.cards[loser]
            self.cards[loser] = 0
            if int(self.alive.sum()) == 1:
                # The game is won: the minimum moves in so every territory stays held.
                self.armies[src] -= na
                self.armies[dst] += na
                event.moved = na
                self.winner = p
                self.phase = Phase.GAME_OVER
                return
            if self.cards[p].sum() >= MIDTURN_TRADE_CARDS:
                self._midturn_trade = True

    def _end_turn(self, event: Event) -> None:
        p = self.current_player
        event.turn_ended = True
        total = int(self.deck.sum())
        if self.conquered_this_turn and total > 0:
            r = int(self.rng.integers(total))
            symbol = int(np.searchsorted(np.cumsum(self.deck), r, side="right"))
            self.deck[symbol] -= 1
            self.cards[p, symbol] += 1
            event.card_drawn = symbol
        self.turn += 1
        if self.turn >= self.max_turns:
            self.truncated = True
            self.phase = Phase.GAME_OVER
            return
        nxt = (p + 1) % self.num_players
        while not self.alive[nxt]:
            nxt = (nxt + 1) % self.num_players
        self._start_turn(nxt)

    def _start_turn(self, p: int) -> None:
        self.current_player = p
        self.reserve = self.reinforcement(p)
        self.conquered_this_turn = False
        self._midturn_trade = False
        self.phase = Phase.TRADE

    def _settle(self, event: Event | None = None) -> None:
        """Skip the phases in which nothing can be decided (a turn that ends this
        way is recorded in ``event``)."""
        while True:
            p = self.current_player
            if self.phase == Phase.TRADE and not self.tradeable_sets(p).any():
                self.phase = Phase.REINFORCE if self.reserve > 0 else Phase.ATTACK
            elif self.phase == Phase.REINFORCE and self.reserve == 0:
                self.phase = Phase.ATTACK
            elif self.phase == Phase.ATTACK and not self._attack_edges(p).any():
                self.phase = Phase.FORTIFY
            elif self.phase == Phase.FORTIFY and not self._fortify_edges(p).any():
                if event is not None and event.player == p and not event.turn_ended:
                    self._end_turn(event)
                else:
                    self._end_turn(Event(player=p, action=-1, block="end_turn"))
            else:
                return

    # -- text ------------------------------------------------------------------------------

    def render_text(self, player_names: Sequence[str] | None = None) -> str:
        """The board as text: one line per territory, grouped by continent."""
        names = list(player_names or [f"player_{i}" for i in range(self.num_players)])
        if self.phase == Phase.GAME_OVER:
            status = (
                f"{names[self.winner]} won"
                if self.winner is not None
                else f"turn cap of {self.max_turns} reached"
            )
        else:
            status = f"{names[self.current_player]} to move: {self.phase.name}"
            if self.phase == Phase.REINFORCE:
                status += f" ({self.reserve} to place)"
            if self.phase == Phase.OCCUPY:
                status += (
                    f" ({self.map.territories[self.attack_from]} -> "
                    f"{self.map.territories[self.attack_to]}, at least {self.occupy_min})"
                )
        lines = [f"Risk [{self.map.name}] turn {self.turn + 1}/{self.max_turns}, {status}"]
        counts = self.territory_counts()
        for p in range(self.num_players):
            state = "" if self.alive[p] else " (out)"
            lines.append(
                f"  {names[p]}: {int(counts[p])} territories, "
                f"{int(self.armies[self.owner == p].sum())} armies, "
                f"cards {self.cards[p].tolist()}{state}"
            )
        width = max(len(t) for t in self.map.territories)
        for c in self.map.continents:
            lines.append(f"{c.name} (+{c.bonus})")
            for t in c.territories:
                lines.append(
                    f"  {self.map.territories[t]:<{width}}  {names[int(self.owner[t])]:<9} "
                    f"{int(self.armies[t]):>4}"
                )
        return "\n".join(lines)
